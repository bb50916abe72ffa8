"""The asset jobs of the code location: what each selects and how it is partitioned."""
from job_selection import selected

from tenantguard.assets.promotion import GATED_BY
from tenantguard.pipelines.jobs import GATE_ASSETS

GATE_CHECKS = {"isolation_report:cross_tenant_isolation", "behavior_report:behavioral_baseline"}


def test_tune_and_gate_prepares_tunes_evaluates_and_promotes_one_tenant_partition():
    assets, checks, partitions = selected("tune_and_gate")
    assert assets == {"finetune_dataset", "candidate_model", *GATE_ASSETS}
    assert checks == {"finetune_dataset:dataset_valid", "finetune_dataset:dataset_drift", *GATE_CHECKS}
    assert partitions == "tenants"


def test_evaluate_version_runs_the_same_gates_without_preparing_data():
    assets, checks, partitions = selected("evaluate_version")
    assert assets == {"candidate_model", *GATE_ASSETS} and checks == GATE_CHECKS and partitions == "tenants"


def test_the_gate_assets_are_the_evaluations_promotion_waits_for_and_promotion_itself():
    assert GATE_ASSETS == [*GATED_BY, "champion_model"]


def test_base_job_trains_only_the_shared_base_unpartitioned():
    assert selected("base_job") == ({"base_model"}, {"base_model:base_isolation"}, None)
