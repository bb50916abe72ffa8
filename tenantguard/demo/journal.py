"""What an earlier `tenantguard demo` in this home printed and did, so a second run tells the same story.

The incident steps change the platform once (versions registered and promoted, switches engaged, sensor
cursors moved past their rows); run again they would find nothing new and print an empty step, or report
old actions as new. The journal keeps each such step's lines and actions as it first ran; a later run prints
them again, marked as reused. It lives in `<home>/demo/journal.json`, next to the world it describes
(the tenants and the seed), and is set aside when tenants.yaml no longer lists the tenants it was written for.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

Echo = Callable[[str], None]
REUSED = "    reused: "  # how a replayed step says so (a line of its own, so the story's lines stay the same)


@dataclass
class Journal:
    path: Path
    tenants: list[str]
    seed: int
    started: str  # when the first run of this world began (UTC, minutes)
    steps: dict[str, dict] = field(default_factory=dict)  # key -> {"lines": [...], "actions": [...]}
    tuner: str = "ngram"  # the kind of model the recorded run tuned and gated

    @classmethod
    def open(cls, home: Path, tenants: list[str], *, seed: int, fresh: bool = False,
             tuner: str = "ngram") -> tuple[Journal, str]:
        """(the journal for this world, a note when one on disk was set aside). `seed` is used for a new one;
        `fresh`: the world was just written, so nothing on disk describes it. A world told with another tuner
        is refused: its registry, cursors and switches describe that story, not this one."""
        from tenantguard.errors import ConfigError

        path = home / "demo" / "journal.json"
        new = cls(path, tenants, seed, datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), tuner=tuner)
        if fresh or not path.exists():
            return new, ""
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            return new, f"{path} is unreadable: every step runs again"
        recorded = doc.get("tuner", "ngram") if isinstance(doc, dict) else tuner
        if recorded != tuner:
            raise ConfigError(f"{home} holds a demo world told with the {recorded!r} tuner; for {tuner!r} point "
                              f"TENANTGUARD_HOME at an empty directory (or delete this one)")
        try:
            if doc.get("tenants") != tenants:
                return new, "tenants.yaml lists other tenants than the recorded demo run: every step runs again"
            return cls(path, tenants, int(doc["seed"]), str(doc["started"]), dict(doc.get("steps", {})), tuner), ""
        except (ValueError, KeyError, TypeError, AttributeError):
            return new, f"{path} is unreadable: every step runs again"

    def run(self, key: str, echo: Echo, step: Callable[[Echo], list[str]], *, reused: str) -> list[str]:
        """The step's actions: if recorded, its lines printed again and a line saying so (`reused`: what of the
        earlier run stands in for running it again); else run, printed and recorded."""
        if key in self.steps:
            for line in self.steps[key]["lines"]:
                echo(line)
            echo(f"{REUSED}recorded by the demo run of {self.started}; {reused}")
            return list(self.steps[key]["actions"])
        lines: list[str] = []

        def tee(line: str) -> None:
            lines.append(line)
            echo(line)

        actions = step(tee)
        self.steps[key] = {"lines": lines, "actions": actions}
        self.save()
        return actions

    def save(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"tenants": self.tenants, "seed": self.seed, "started": self.started, "tuner": self.tuner,
                       "steps": self.steps}, fh, indent=1)
        os.replace(tmp, self.path)  # a run killed mid-write leaves the previous journal, never half of one
