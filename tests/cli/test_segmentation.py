"""`tenantguard segmentation audit` (and its old spelling, `tenantguard audit segmentation`): exit 0 clean,
1 violation, 2 bad configuration or an incomplete audit."""
import json

import pytest
from click.testing import CliRunner

from tenantguard.cli.segmentation import audit_segmentation, segmentation
from tenantguard.demo.platform.showcase import write_variant


def _run(*args):
    return CliRunner().invoke(segmentation, ["audit", "--seed", "3", *args])


def _run_old_spelling(*args):
    return CliRunner().invoke(audit_segmentation, ["--seed", "3", *args])


@pytest.fixture
def home(small_world):
    settings, world = small_world
    return settings, world


def test_misconfigured_platform_exits_1_and_names_every_audit(home):
    settings, _ = home
    write_variant(settings, "misconfigured", path=settings.home / "segmentation.yaml")
    res = _run()
    assert res.exit_code == 1, res.output
    for kind in ("rag_boundary failed", "memory_isolation failed", "tool_scope failed"):
        assert kind in res.output
    assert "NOT RUN" in res.output and "context_contamination" in res.output  # nothing logged yet


def test_correct_platform_exits_0_but_not_run_audits_stay_visible(home):
    settings, _ = home
    write_variant(settings, "correct", path=settings.home / "segmentation.yaml")
    res = _run()
    assert res.exit_code == 0, res.output
    assert res.output.count("PASS ") == 3 and "NOT RUN" in res.output
    strict = _run("--require-all")
    assert strict.exit_code == 2 and "context_contamination was not run" in strict.stderr


def test_json_output_for_one_tenant(home):
    settings, world = home
    write_variant(settings, "correct", path=settings.home / "segmentation.yaml")
    tid = world.tenants[0].id
    res = _run("--tenant", tid, "--json", "--kind", "tool_scope", "--kind", "rag_boundary")
    data = json.loads(res.output)
    assert res.exit_code == 0
    assert [r["kind"] for r in data["reports"]] == ["rag_boundary", "tool_scope"]
    assert all(r["requesters"] == [tid] and r["verdict"] == "passed" for r in data["reports"])
    assert data["reports"][0]["budget"]["probes_per_requester"] == 50


def test_factory_that_does_not_import_exits_2_with_one_line(home):
    settings, _ = home
    (settings.home / "segmentation.yaml").write_text("memory: platform_nowhere.mem:make\n")
    res = _run()
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and "'memory'" in res.stderr and "platform_nowhere.mem" in res.stderr


def test_unknown_tenant_and_missing_config_file_exit_2(home):
    assert _run("--tenant", "nobody").exit_code == 2
    res = _run("--config", "/nonexistent/seg.yaml")
    assert res.exit_code == 2 and "--config" in res.stderr


def test_an_adapter_that_raises_makes_the_run_exit_2(home, tmp_path):
    settings, _ = home
    (tmp_path / "segplat_cli_broken.py").write_text(
        "class R:\n    def retrieve(self, t, q, k):\n        raise TimeoutError('index offline')\n"
        "def make():\n    return R()\n")
    (settings.home / "segmentation.yaml").write_text(f"python_path: ['{tmp_path}']\nretriever: segplat_cli_broken:make\n")
    res = _run("--kind", "rag_boundary")
    assert res.exit_code == 2 and "index offline" in res.stderr


def test_the_old_spelling_runs_the_same_audit_with_the_same_exit_codes(home):
    settings, world = home
    write_variant(settings, "misconfigured", path=settings.home / "segmentation.yaml")
    new, old = _run("--tenant", world.tenants[0].id), _run_old_spelling("--tenant", world.tenants[0].id)
    assert old.exit_code == new.exit_code == 1
    assert [line.split(":")[0] for line in old.output.splitlines() if line[:1] != " "] == \
        [line.split(":")[0] for line in new.output.splitlines() if line[:1] != " "]
    assert _run_old_spelling("--kind", "nope").exit_code == 2


def test_the_old_spelling_is_hidden_from_help_and_the_new_noun_lists_its_commands():
    import click

    audit_log = click.Group("audit", commands=[audit_segmentation])  # as the `audit` group carries it
    assert "segmentation" not in CliRunner().invoke(audit_log, ["--help"]).output
    listed = CliRunner().invoke(segmentation, ["--help"]).output
    assert "audit" in listed and "kinds" in listed
