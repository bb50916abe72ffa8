"""Model-version descriptions written by tenantguard, readable in the MLflow UI's version page.

A description holds sections `**tenantguard <topic>:** text`, one per topic; writing a topic replaces that
section only, so the champion guard, the gates' verdicts and a person's own notes share one description.
"""
from __future__ import annotations

import re

from tenantguard.registry.client import Registry

MAX_SECTION = 2000


def set_version_note(reg: Registry, name: str, version: str, topic: str, text: str) -> str:
    """Write (or replace) the `topic` section of `name`/`version`'s description; returns the description."""
    current = reg.client.get_model_version(name, str(version)).description or ""
    updated = with_section(current, topic, text)
    if updated != current:
        reg.set_description(name, version, updated)
    return updated


def with_section(description: str, topic: str, text: str) -> str:
    """`description` with the section of `topic` set to `text` (appended when there is none)."""
    head = f"**tenantguard {topic}:**"
    section = f"{head} {' '.join(text.split())[:MAX_SECTION]}"
    pattern = re.compile(rf"^{re.escape(head)}.*$", re.M)
    if pattern.search(description):
        return pattern.sub(lambda _: section, description, count=1)
    return f"{description.rstrip()}\n\n{section}".lstrip()
