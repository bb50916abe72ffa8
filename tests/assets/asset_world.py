"""One asset at a time on a real Dagster instance whose tenant partitions are a home's tenants (helpers, not tests)."""
import math

from dagster import DagsterEventType, materialize

from tenantguard.assets.resource import TenantGuardResource

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


class AssetWorld:
    def __init__(self, settings, tenant_ids, instance, gated=None):
        self.settings, self.ids, self.instance = settings, list(tenant_ids), instance
        self.gated = gated  # the gate_world.GateWorld, where the home has a base champion and prepared data
        instance.add_dynamic_partitions("tenants", self.ids)

    def materialize(self, assets, tenant=None, *, batch=None, **kwargs):
        """One run of `assets` for one tenant partition, or for the `batch` of tenants (first..last)."""
        tags = {RANGE_START: batch[0], RANGE_END: batch[-1]} if batch else {}
        return materialize(assets, instance=self.instance, partition_key=tenant, tags=tags, raise_on_error=False,
                           resources={"tenantguard": TenantGuardResource()}, **kwargs)


def first_candidate_passes(world: AssetWorld, asset, check_name: str):
    """Tenant a's first candidate, `asset` materialized for it: (version, result, the passed check on a's
    partition); fails the test if the run fails or the check does not pass there."""
    w = world.gated
    version = w.register(w.a, w.train(w.a))
    result = world.materialize([asset], w.a.id)
    assert result.success
    passed = check(result, check_name)
    assert passed.passed and passed.partition == w.a.id
    return version, result, passed


def failure(result) -> str:
    """The step failure's one line: a `Failure`'s description, else the error message."""
    (event,) = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    data = event.step_failure_data
    return data.user_failure_data.description if data.user_failure_data else data.error.message


def check(result, name):
    (found,) = [c for c in result.get_asset_check_evaluations() if c.check_name == name]
    return found


def metadata(result, asset) -> dict:
    """The asset's one materialization: {key: plain value}, with its partition under "partition"."""
    (mat,) = result.asset_materializations_for_node(asset)
    return {"partition": mat.partition, **{k: v.value for k, v in mat.metadata.items()}}


def plottable(md: dict) -> bool:
    """Every float is finite: the UI plots numeric metadata, and a NaN breaks the plot."""
    return all(math.isfinite(v) for v in md.values() if isinstance(v, float))
