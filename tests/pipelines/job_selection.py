"""What a job of the code location runs (a helper, not tests)."""
from tenantguard.pipelines.definitions import defs


def selected(job_name: str) -> tuple[set[str], set[str], str | None]:
    """(asset names, "asset:check" names, partitions name or None) of the job."""
    job = defs.resolve_job_def(job_name)
    return ({k.to_user_string() for k in job.asset_layer.executable_asset_keys},
            {f"{c.asset_key.to_user_string()}:{c.name}" for c in job.asset_layer.asset_graph.asset_check_keys},
            getattr(job.partitions_def, "name", None))
