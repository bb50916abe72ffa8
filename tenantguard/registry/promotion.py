"""Promotion and rollback on the MLflow registry: the `champion` alias, version tags, audit entries.

The registry keeps no alias history, so the tags are the history: every promoted version carries
`tenantguard.promoted_at` and `tenantguard.previous_champion`; a rolled-back one `tenantguard.rolled_back_at`.
Every action reads the alias back, and an action that finds its goal already reached does nothing
(beyond repairing tags a killed process left unwritten).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from tenantguard.errors import ConfigError, TenantGuardError
from tenantguard.evaluations.oneline import one_line
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.registry.chain import ChainedAudit, audit_to_log  # noqa: F401 (audit_to_log: callers import it here)
from tenantguard.registry.descriptions import describe_version

GATE_TAGS = (T.TAG_ISOLATION, T.TAG_BEHAVIOR)
MAX_TAG_REASON = 500  # a reason in a version tag; the audit entry keeps it whole
OVERRIDE_STATUSES = ("rejected", "rolled_back")  # serving one again is a person's decision, with a reason

# audit.authorize(action, scope) before a change, audit(action=, scope=, before=, after=, reason=, run_id=) after:
# registry.chain.ChainedAudit, the one authorization path and the keyed audit chain.
AuditFn = ChainedAudit


class PromotionRefused(TenantGuardError):
    """The version did not pass every blocking gate."""

    exit_code = 1


class NoRollbackTarget(TenantGuardError):
    """No earlier version passed its gates and was promoted."""

    exit_code = 1


class RollbackTargetInvalid(NoRollbackTarget, ConfigError):
    """The rollback target asked for does not exist or did not pass its gates: bad input, not a finding."""

    exit_code = 2


@dataclass(frozen=True)
class AliasMove:
    name: str
    before: str | None
    after: str | None
    changed: bool
    note: str


def now_iso() -> str:
    # Microseconds: promoted_at orders promotions, and two in one second must not tie.
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def gate_failures(tags: dict[str, str]) -> list[str]:
    return [f"{t}={tags.get(t, 'missing')}" for t in GATE_TAGS if tags.get(t) != "passed"]


def reject(reg: R.Registry, name: str, version: str, reason: str, audit: AuditFn, *, run_id: str | None) -> None:
    mv = reg.client.get_model_version(name, version)
    if mv.tags.get(T.TAG_STATUS) != "rejected":
        audit.authorize("reject", {"model": name, "version": version})
        reg.tag_version(name, version, {T.TAG_STATUS: "rejected",
                                        T.TAG_REJECTED_REASON: one_line(reason, MAX_TAG_REASON)})
        audit(action="reject", scope={"model": name, "version": version}, before=mv.tags.get(T.TAG_STATUS),
              after="rejected", reason=reason, run_id=run_id)
    settle_version(reg, name, version)


def settle_version(reg: R.Registry, name: str, version: str) -> None:
    """After a gate, a rejection, a promotion or a rollback: a version decided against loses `candidate` (the
    registry list must not show it as the version under evaluation), and its description is rewritten."""
    mv = reg.client.get_model_version(name, str(version))
    status = mv.tags.get(T.TAG_STATUS)
    # A rejected version keeps the alias until both gates have spoken: the other gate of the same run may still
    # be reading `candidate` to find the version it evaluates.
    decided = status == "rolled_back" or (status == "rejected" and all(mv.tags.get(t) for t in GATE_TAGS))
    if decided and reg.alias_version(name, T.CANDIDATE) == str(version):
        reg.remove_alias(name, T.CANDIDATE)
    describe_version(reg, name, str(version))


def promote(reg: R.Registry, name: str, version: str, audit: AuditFn, *, run_id: str | None = None) -> AliasMove:
    """Point `champion` at `version` if every gate tag says passed; tag and audit."""
    mv = reg.client.get_model_version(name, version)
    failures = gate_failures(mv.tags)
    if failures:
        reject(reg, name, version, "gate not passed: " + ", ".join(failures), audit, run_id=run_id)
        raise PromotionRefused(f"{name}/{version} not promoted: {', '.join(failures)}")
    before = reg.alias_version(name, "champion")
    if mv.tags.get(T.TAG_STATUS) == "rolled_back" and before != str(version):
        # A rollback is a decision about this version; re-running its gates does not overturn it.
        why = one_line(mv.tags.get(T.TAG_ROLLBACK_REASON, "no reason"), 120)
        return AliasMove(name, before, before, False, f"v{version} was rolled back ({why}); not re-promoted: "
                                                      f"register a new version or roll forward explicitly")
    if before == str(version):
        if mv.tags.get(T.TAG_PROMOTED_AT):
            return AliasMove(name, before, before, False, "already champion")
        audit.authorize("promote", {"model": name})
        # The alias moved but the process died before tagging: finish the job.
        reg.tag_version(name, version, {T.TAG_STATUS: "promoted", T.TAG_PROMOTED_AT: now_iso(),
                                        T.TAG_PREVIOUS: mv.tags.get(T.TAG_PREVIOUS, ""), T.TAG_RUN_ID: run_id or ""})
        audit(action="promote", scope={"model": name}, before=before, after=str(version),
              reason="repair: alias was set, tags were missing", run_id=run_id)
        return AliasMove(name, before, str(version), False, "repaired tags")
    audit.authorize("promote", {"model": name})
    reg.point_alias(name, "champion", version)
    reg.tag_version(name, version, {T.TAG_STATUS: "promoted", T.TAG_PROMOTED_AT: now_iso(),
                                    T.TAG_PREVIOUS: before or "", T.TAG_RUN_ID: run_id or ""})
    audit(action="promote", scope={"model": name}, before=before, after=str(version),
          reason="every blocking check passed", run_id=run_id)
    for v in (version, before):
        if v:
            describe_version(reg, name, str(v))
    return AliasMove(name, before, str(version), True, "promoted")


def needs_override(mv) -> str | None:
    """Why serving `mv` again needs an admin's override (it was rejected or rolled back), else None."""
    status = mv.tags.get(T.TAG_STATUS)
    if status not in OVERRIDE_STATUSES:
        return None
    why = mv.tags.get(T.TAG_ROLLBACK_REASON if status == "rolled_back" else T.TAG_REJECTED_REASON, "no reason")
    return f"v{mv.version} is {status} ({one_line(why, 120)})"


def _override_needed(mv) -> str | None:
    """Why serving `mv` needs an override: rejected, rolled back, or a gate not passed."""
    failures = gate_failures(mv.tags)
    return needs_override(mv) or (f"v{mv.version} did not pass its gates ({', '.join(failures)})" if failures else None)


def rollback_target(reg: R.Registry, name: str, *, target: str | None = None,
                    override: bool = False) -> tuple[str | None, str]:
    """(current champion, version to serve instead): the last version that passed and was promoted before it.
    An explicit `target` that was rejected or rolled back needs `override` (an admin's decision)."""
    current = reg.alias_version(name, "champion")
    versions = {str(v.version): v for v in reg.versions(name)}
    if target is not None:
        mv = versions.get(str(target))
        if mv is None:
            ids = sorted(versions, key=int)
            known = ("..., " if len(ids) > 10 else "") + ", ".join(ids[-10:]) if ids else "none"
            raise RollbackTargetInvalid(f"{name}: version {target} does not exist (versions: {known})")
        blocked = needs_override(mv)
        if blocked and not override:
            raise RollbackTargetInvalid(f"{name}: {blocked}; serving it again needs an admin's token and "
                                        f"--override-reason")
        failures = gate_failures(mv.tags)
        if failures and not override:
            raise RollbackTargetInvalid(f"{name}/{target} did not pass its gates ({', '.join(failures)}); "
                                        f"pick another")
        return current, str(target)
    cur_at = versions[current].tags.get(T.TAG_PROMOTED_AT, "~") if current in versions else "~"
    eligible = [v for k, v in versions.items()
                if k != current and v.tags.get(T.TAG_PROMOTED_AT) and v.tags.get(T.TAG_PROMOTED_AT) <= cur_at
                and v.tags.get(T.TAG_STATUS) != "rolled_back" and not gate_failures(v.tags)]
    if not eligible:
        raise NoRollbackTarget(f"{name}: no earlier version passed its gates and was promoted before "
                               f"champion {current}; engage the kill switch instead")
    best = max(eligible, key=lambda v: (v.tags[T.TAG_PROMOTED_AT], int(v.version)))
    return current, str(best.version)


def rollback(reg: R.Registry, name: str, reason: str, audit: AuditFn, *, target: str | None = None,
             dry_run: bool = False, run_id: str | None = None, only_if_champion: str | None = None,
             override_reason: str | None = None) -> AliasMove:
    """Re-point `champion` to the rollback target. An identical second rollback does nothing; so does one
    whose `only_if_champion` (the version that deviated) is no longer champion: it was already rolled back.
    A target that was rejected or rolled back is served again only with `override_reason`, by an admin
    (POLICY `override`); the version is tagged and the chain gets an `override` entry."""
    last = _last_rollback(reg, name)
    current = reg.alias_version(name, "champion")
    if last and last.get("reason") == reason and last.get("to") == current and (target in (None, current)):
        if last.get("state") == "pending":  # killed between re-pointing and tagging: finish the job
            _finish_rollback(reg, name, last.get("from"), current, reason, audit, run_id=run_id)
            return AliasMove(name, last.get("from"), current, False, "repaired tags")
        return AliasMove(name, current, current, False, f"already rolled back from {last.get('from')} ({reason})")
    if only_if_champion is not None and current != str(only_if_champion):
        return AliasMove(name, current, current, False,
                         f"champion is v{current}, not v{only_if_champion}: nothing to roll back")
    override = bool(override_reason and override_reason.strip())
    current, to = rollback_target(reg, name, target=target, override=override)
    if to == current:
        return AliasMove(name, current, current, False, "already champion: nothing to do")
    blocked = _override_needed(reg.client.get_model_version(name, to)) if override else None
    audit.authorize("override" if blocked else "rollback", {"model": name, "version": to})
    if dry_run:
        return AliasMove(name, current, to, False, "dry run")
    if blocked:
        reg.tag_version(name, to, {T.TAG_OVERRIDE: one_line(f"{override_reason} (by {audit.actor.name}; "
                                                            f"{blocked})", MAX_TAG_REASON)})
        audit(action="override", scope={"model": name, "version": to}, before=blocked, after="serving again",
              reason=override_reason, run_id=run_id)
    # The intent goes first: a process killed after re-pointing leaves it 'pending' for the retry to finish.
    _set_last_rollback(reg, name, {"from": current, "to": to, "reason": reason, "at": now_iso(), "state": "pending"})
    reg.point_alias(name, "champion", to)
    _finish_rollback(reg, name, current, to, reason, audit, run_id=run_id)
    return AliasMove(name, current, to, True, "rolled back")


def _finish_rollback(reg: R.Registry, name: str, current: str | None, to: str, reason: str, audit: AuditFn, *,
                     run_id: str | None) -> None:
    if current:
        reg.tag_version(name, current, {T.TAG_STATUS: "rolled_back", T.TAG_ROLLED_BACK_AT: now_iso(),
                                        T.TAG_ROLLBACK_REASON: one_line(reason, MAX_TAG_REASON)})
        settle_version(reg, name, current)
    reg.tag_version(name, to, {T.TAG_RESTORED_AT: now_iso(), T.TAG_RESTORED_FROM: current or ""})
    describe_version(reg, name, to)
    audit(action="rollback", scope={"model": name}, before=current, after=to, reason=reason, run_id=run_id)
    _set_last_rollback(reg, name, {"from": current, "to": to, "reason": reason, "at": now_iso(), "state": "done"})


def _set_last_rollback(reg: R.Registry, name: str, value: dict) -> None:
    reg.client.set_registered_model_tag(name, T.TAG_LAST_ROLLBACK, json.dumps(value))


def _last_rollback(reg: R.Registry, name: str) -> dict | None:
    raw = reg.client.get_registered_model(name).tags.get(T.TAG_LAST_ROLLBACK)
    try:
        return json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return None
