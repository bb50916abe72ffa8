"""Tenant batches: one run may cover several tenant partitions (the assets' backfill policy), so process start,
imports and the MLflow client are paid once per batch instead of once per tenant.

Dagster records a range run's materialization for every partition in it and blocks a whole step on a failed
blocking check. One tenant must not hold back its batch-mates, so the gate stays per tenant:
- every step works tenant by tenant and records its metadata on the tenant's partition;
- check evaluations carry their tenant. In a one-tenant run they block as declared. In a batch a failure is
  recorded non-blocking and *holds* its tenant: later steps of the run skip it, and `champion_model`
  materializes only the tenants it promoted, then fails the run naming the held ones. (Promotion re-reads
  every gate tag in the registry as well, so no path promotes a version that failed a gate.)
"""
from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dagster import (AssetCheckEvaluation, AssetCheckSeverity, AssetExecutionContext, AssetsDefinition, BackfillPolicy,
                     BetaWarning, DagsterEventType, Failure, MaterializeResult, Output)

from tenantguard.config import DEFAULT_TENANTS_PER_RUN
from tenantguard.errors import TenantGuardError

HELD = "held"  # metadata key on a held tenant's partition

# `backfill_policy` is a Dagster beta parameter; the exact pin covers it, and a warning on every load helps nobody.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=BetaWarning)


def tenant_backfill_policy(tenants_per_run: int = DEFAULT_TENANTS_PER_RUN) -> BackfillPolicy:
    """Backfills launch runs of up to `tenants_per_run` tenants. The assets declare the default; the code
    location sizes it from Settings.tenants_per_run when it loads (`sized_batches`), not at import."""
    return BackfillPolicy.multi_run(max_partitions_per_run=tenants_per_run)


def sized_batches(assets: Sequence[AssetsDefinition], tenants_per_run: int) -> list[AssetsDefinition]:
    """The assets, those declared with `tenant_backfill_policy()` copied with batches of `tenants_per_run`."""
    declared, sized = tenant_backfill_policy(), tenant_backfill_policy(tenants_per_run)
    return [a.with_attributes(backfill_policy=sized) if a.backfill_policy == declared else a for a in assets]


@contextmanager
def failing_step(where: str) -> Iterator[None]:
    """An error that is not a verdict (store down, unreadable file) fails the step in one line naming
    where (the tenant, or what was being loaded)."""
    try:
        yield
    except TenantGuardError as exc:
        raise Failure(description=f"{where}: {exc}") from None


def step_inputs(tenantguard):
    """The resource's settings, registry and tenant list, read once per step (not once per tenant)."""
    with failing_step("configuration"):
        return tenantguard.settings(), tenantguard.registry(), tenantguard.tenants()


@dataclass(frozen=True)
class TenantCheck:
    tenant: str
    check_name: str
    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR


class TenantBatch:
    """The tenants of one step of a run; collects their metadata and check results."""

    def __init__(self, context: AssetExecutionContext):
        self.context = context
        self.tenants: list[str] = list(context.partition_keys)
        self.is_batch = len(self.tenants) > 1
        self.held: dict[str, str] = self._held_earlier_in_run() if self.is_batch else {}
        self.checks: list[TenantCheck] = []
        for tenant, why in self.held.items():
            self.record(tenant, {HELD: why})

    def live(self) -> list[str]:
        """The tenants to work on: all of them, less those an earlier step of this run held."""
        return [t for t in self.tenants if t not in self.held]

    def record(self, tenant: str, metadata: Mapping[str, Any]) -> None:
        self.context.add_asset_metadata(dict(metadata), partition_key=tenant)

    def hold(self, tenant: str, reason: str) -> None:
        self.held[tenant] = reason
        self.record(tenant, {HELD: reason})

    def check(self, tenant: str, check_name: str, passed: bool, description: str,
              metadata: Mapping[str, Any] | None = None,
              severity: AssetCheckSeverity = AssetCheckSeverity.ERROR) -> None:
        self.checks.append(TenantCheck(tenant, check_name, passed, description[:1000], dict(metadata or {}),
                                       severity))

    def results(self, *, materialize_blocked: bool = True) -> Iterator[Any]:
        """The materialization (every partition of the run, each with its own metadata), one Output per
        selected check (Dagster wants it), then an evaluation per tenant.

        In a one-tenant run a failed blocking check then fails the step with its reason as the failure's one
        line (first on the run page, where Dagster's own blocking error would show a traceback); with
        `materialize_blocked=False` the blocked asset is not materialized at all (a dataset that must not be
        trained on is not shown as a fresh green materialization)."""
        specs = {spec.name: spec for spec in self.context.assets_def.check_specs}
        blocked = [] if self.is_batch else [c for c in self.checks if not c.passed and specs[c.check_name].blocking
                                            and c.severity == AssetCheckSeverity.ERROR]
        if materialize_blocked or not blocked:
            # Counts only: every partition of the run gets this, and no tenant's metadata names another tenant.
            summary = {"tenants_in_run": len(self.tenants), "held_in_run": len(self.held)}
            yield MaterializeResult(metadata=summary if self.is_batch else {})
        selected = self.context.selected_asset_check_keys
        for output_name, spec in self.context.assets_def.check_specs_by_output_name.items():
            if spec.key in selected:
                yield Output(None, output_name=output_name)
        for c in self.checks:
            yield AssetCheckEvaluation(
                asset_key=self.context.asset_key, check_name=c.check_name, passed=c.passed, partition=c.tenant,
                severity=c.severity, description=c.description, metadata=c.metadata,
                blocking=specs[c.check_name].blocking and not self.is_batch)
        if blocked:
            why = "; ".join(f"{c.check_name} blocked tenant {c.tenant}: {c.description}" for c in blocked)
            self.context.log.error(why)
            raise Failure(description=why[:2000], metadata=blocked[0].metadata)

    def _held_earlier_in_run(self) -> dict[str, str]:
        """Tenants that a parent asset's step of this run held (marked on its partition) or failed an ERROR
        check for. Parents only: siblings run in parallel, and each step re-marks what it inherits."""
        parents = self.context.assets_def.dependency_keys
        held: dict[str, str] = {}
        records = self.context.instance.all_logs(
            self.context.run_id,
            of_type={DagsterEventType.ASSET_CHECK_EVALUATION, DagsterEventType.ASSET_MATERIALIZATION})
        for rec in records:
            ev = rec.dagster_event
            data = ev.event_specific_data
            if ev.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                key = data.asset_check_key
                if (key.asset_key in parents and data.partition and not data.passed
                        and data.severity == AssetCheckSeverity.ERROR):
                    held.setdefault(data.partition, f"{key.asset_key.to_user_string()}:{key.name} failed")
            else:
                mat = data.materialization
                if mat.asset_key in parents and mat.partition and HELD in mat.metadata:
                    held.setdefault(mat.partition, mat.metadata[HELD].value)
        return {t: why for t, why in held.items() if t in self.tenants}
