"""The runner runs whatever kinds its table holds, the same way, and holds each to its contract."""
import pytest

from tenantguard.demo.world import build_world
from tenantguard.errors import ConfigError, UnknownTenant
from tenantguard.evaluations.segmentation import report as R
from tenantguard.evaluations.segmentation.adapters import Factory, SegmentationConfig
from tenantguard.evaluations.segmentation.inputs import SegmentationInputs
from tenantguard.evaluations.segmentation.kinds import AuditKind
from tenantguard.evaluations.segmentation.runner import run_audits

TENANTS = tuple(build_world(3, seed=2, records_per_tenant=5).tenants)
INPUTS = SegmentationInputs(tenants=TENANTS, secret=b"runner-test-secret")
IDS = [t.id for t in TENANTS]


def _kind(name, run, adapter=None):
    return AuditKind(name, description=f"{name} stub", run=run, adapter=adapter)


def _passes(run):
    return R.build(run.kind, adapters=[run.label], requesters=run.requesters, findings=(), errors=())


def test_kinds_run_in_table_order_each_with_its_own_evidence():
    seen = []

    def record(run):
        seen.append(run)
        return _passes(run)

    table = (_kind("first_kind", record), _kind("second_kind", record))
    reports = run_audits(INPUTS, SegmentationConfig(path=None), IDS, table=table)
    assert [r.kind for r in reports] == ["first_kind", "second_kind"] and {r.verdict for r in reports} == {"passed"}
    assert [r.kind for r in seen] == ["first_kind", "second_kind"] and seen[0].requesters == tuple(IDS)
    assert seen[0].foreign is not seen[1].foreign  # canaries one audit plants do not leak into the next
    only = run_audits(INPUTS, SegmentationConfig(path=None), IDS, kinds=["second_kind"], table=table)
    assert [r.kind for r in only] == ["second_kind"]


def test_a_kind_whose_adapter_is_not_configured_is_not_run_and_says_what_to_add():
    table = (_kind("probe_kind", _passes, adapter="probe"),)
    report = run_audits(INPUTS, SegmentationConfig(path=None), IDS, table=table)[0]
    assert report.verdict == "not_run" and "add 'probe: module:function'" in report.not_run_reason
    configured = SegmentationConfig(path=None, factories={"probe": Factory("probe", "plat:make", object)})
    report = run_audits(INPUTS, configured, IDS, table=table)[0]
    assert report.verdict == "passed" and report.adapters == ("probe=plat:make",)


def _crash(run):
    raise RuntimeError("index offline\nsecond line")


@pytest.mark.parametrize("run, cause", [
    (_crash, "raised RuntimeError: index offline"),
    (lambda run: None, "returned NoneType"),
    (lambda run: R.not_run("another_kind", "x"), "returned a report of kind 'another_kind'"),
])
def test_a_kind_that_crashes_or_returns_a_foreign_result_is_an_error_never_a_pass(run, cause):
    report = run_audits(INPUTS, SegmentationConfig(path=None), IDS, table=(_kind("broken_kind", run),))[0]
    assert report.kind == "broken_kind" and report.verdict == "error"
    assert cause in report.errors[0] and "\n" not in report.errors[0]


def test_a_config_error_inside_a_kind_stays_a_config_error():
    def bad_config(run):
        raise ConfigError("segmentation.yaml: key 'probe' is wrong")

    with pytest.raises(ConfigError, match="key 'probe'"):
        run_audits(INPUTS, SegmentationConfig(path=None), IDS, table=(_kind("cfg_kind", bad_config),))


def test_an_unknown_requester_or_kind_is_rejected_before_anything_runs():
    calls = []
    table = (_kind("only_kind", lambda run: calls.append(run) or _passes(run)),)
    with pytest.raises(UnknownTenant, match="nobody"):
        run_audits(INPUTS, SegmentationConfig(path=None), ["nobody"], table=table)
    with pytest.raises(ConfigError, match="unknown audit kind.*'typo_kind'"):
        run_audits(INPUTS, SegmentationConfig(path=None), IDS, kinds=["typo_kind"], table=table)
    assert calls == []
