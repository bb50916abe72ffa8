import pytest

from tenantguard.pipelines.definitions import defs


@pytest.fixture
def selected():
    """job name -> (asset names, "asset:check" names, partitions name or None) of the job in the code location."""
    def of(job_name: str) -> tuple[set[str], set[str], str | None]:
        job = defs.resolve_job_def(job_name)
        graph = job.asset_layer.asset_graph
        return ({k.to_user_string() for k in job.asset_layer.executable_asset_keys},
                {f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys},
                getattr(job.partitions_def, "name", None))
    return of
