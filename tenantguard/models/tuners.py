"""The one place tuners are registered: the built-ins `ngram`, `hf-lora` and `hf-full` (extra `hf`) plus the entry points of group `tenantguard.tuners`.

`TENANTGUARD_TUNER` selects one by name, or names a `module:function` factory directly
(docs/extending/tuners.md).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tenantguard.config import Settings
from tenantguard.errors import ConfigError
from tenantguard.models.hf_tuner import make_full, make_lora
from tenantguard.models.ngram_tuner import NGramTuner
from tenantguard.models.tuner import Tuner
from tenantguard.plugins import discover, is_reference, load_reference

DEFAULT = NGramTuner.name  # Settings.tuner's default; a version without the tuner tag was made by it
BUILTIN: tuple[Callable[[], Tuner[Any]], ...] = (NGramTuner, make_lora, make_full)
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_METHODS = tuple(m for m in vars(Tuner) if not m.startswith("_"))  # the protocol's methods


def registered() -> dict[str, Tuner[Any]]:
    """Every tuner selectable by name: the built-ins, then the installed entry points."""
    return _by_name([factory() for factory in BUILTIN] + discover("tuners"),
                    where="entry point group tenantguard.tuners")


def tuner_for(settings: Settings) -> Tuner[Any]:
    """The tuner `settings.tuner` names: a registered name or a `module:function` factory."""
    choice, found = settings.tuner, registered()
    if is_reference(choice):
        where = f"TENANTGUARD_TUNER={choice}"
        tuner = _checked(load_reference(choice, where=where), where=where)
        if tuner.name in found:
            raise ConfigError(f"{where}: its tuner is named {tuner.name!r}, like a registered one; "
                              f"give it another name")
        return tuner
    if choice not in found:
        raise ConfigError(f"TENANTGUARD_TUNER={choice!r} is not a known tuner (known: {', '.join(sorted(found))}); "
                          f"use one of them or a module:function factory")
    return found[choice]


def _by_name(tuners: list[Any], *, where: str) -> dict[str, Tuner[Any]]:
    out: dict[str, Tuner[Any]] = {}
    for obj in tuners:
        tuner = _checked(obj, where=where)
        if tuner.name in out:
            raise ConfigError(f"{where}: two tuners are named {tuner.name!r}; uninstall or rename one")
        out[tuner.name] = tuner
    return out


def _checked(obj: Any, *, where: str) -> Tuner[Any]:
    """The object if it is a Tuner with a usable name; else one ConfigError saying what is missing."""
    missing = [m for m in _METHODS if not callable(getattr(obj, m, None))]
    if missing:
        raise ConfigError(f"{where}: {type(obj).__name__} is not a Tuner (no {', '.join(missing)}); "
                          f"see docs/extending/tuners.md")
    name = getattr(obj, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{where}: tuner name {name!r} must match {_NAME.pattern} (it is written to registry tags)")
    return obj
