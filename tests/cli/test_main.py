"""The `tenantguard` command: output and exit codes (0 ok, 2 bad input with a one-line `error:`)."""
import json

import pytest
from click.testing import CliRunner

from tenantguard.cli.main import cli


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def assert_bad_input(result, *needles):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for n in needles:
        assert n in lines[0]
    return lines[0]


def test_tenants_list_prints_a_row_per_tenant(small_world):
    _, world = small_world
    result = run("tenants", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["tenant", "region", "features"]
    assert [ln.split()[0] for ln in lines[1:]] == [t.id for t in world.tenants]
    assert world.tenants[0].region in lines[1] and "support-assistant" in lines[1]


def test_tenants_list_json_is_machine_readable_and_omits_system_prompts(small_world):
    _, world = small_world
    result = run("tenants", "list", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [d["id"] for d in data] == [t.id for t in world.tenants]
    assert data[0] == {"id": world.tenants[0].id, "name": world.tenants[0].name, "region": world.tenants[0].region,
                       "features": ["support-assistant"]}


def test_dataset_prepare_prints_the_prepared_paths(small_world):
    settings, world = small_world
    tid = world.tenants[1].id
    result = run("dataset", "prepare", "--tenant", tid)
    assert result.exit_code == 0, result.output
    out = dict(line.split(":", 1) for line in result.stdout.splitlines()[:2])
    train, holdout = out["train"].strip(), out["holdout"].strip()
    assert train.startswith(str(settings.prepared_root / tid)) and train.endswith("/train.jsonl")
    assert holdout.endswith("/holdout.jsonl")
    assert "version v0001" in result.stdout and "kept 60" in result.stdout and "quarantined 0" in result.stdout
    with open(train) as fh:
        assert all(json.loads(line)["tenant_id"] == tid for line in fh)


def test_bad_tenants_yaml_exits_2_with_one_line_naming_file_and_line(small_world):
    settings, _ = small_world
    settings.tenants_file.write_text("tenants:\n  - id: Acme\n    name: x\n    region: y\n"
                                     "    features: [a-b]\n    system_prompt: z\n")
    assert_bad_input(run("tenants", "list"), str(settings.tenants_file), "line 2", "'Acme'", "lower case")


def test_missing_tenants_file_exits_2(tg_home):
    assert_bad_input(run("tenants", "list"), "tenants.yaml", "not found")


def test_unknown_tenant_exits_2_and_lists_known_ones(small_world):
    _, world = small_world
    assert_bad_input(run("dataset", "prepare", "--tenant", "nobody"), "'nobody'", world.tenants[0].id)


def test_missing_dataset_dir_exits_2_naming_the_dir(small_world):
    settings, world = small_world
    tid = world.tenants[0].id
    d = settings.datasets_root / tid
    for f in d.iterdir():
        f.unlink()
    d.rmdir()
    assert_bad_input(run("dataset", "prepare", "--tenant", tid), str(d), "no dataset directory")


def test_empty_dataset_exits_2_and_nothing_is_prepared(small_world):
    settings, world = small_world
    tid = world.tenants[0].id
    (settings.datasets_root / tid / "v0001.jsonl").write_text("\n")
    assert_bad_input(run("dataset", "prepare", "--tenant", tid), "v0001.jsonl", "no valid records")
    assert not (settings.prepared_root / tid).exists()


def test_bad_env_setting_exits_2_naming_the_variable(small_world, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_MAX_REJECTED_SHARE", "lots")
    assert_bad_input(run("tenants", "list"), "TENANTGUARD_MAX_REJECTED_SHARE")


@pytest.mark.parametrize("flag,part", [(None, ""), ("--dagster", "dagster")])
def test_home_prints_the_home_or_dagster_home_and_creates_it(tg_home, flag, part):
    result = run("home", *([flag] if flag else []))
    assert result.exit_code == 0
    path = result.stdout.strip()
    assert path == str((tg_home / part).resolve()).rstrip("/")
    assert (tg_home / "dagster" / "dagster.yaml").exists()


def test_home_mlflow_uri_honours_the_override(tg_home, monkeypatch):
    assert run("home", "--mlflow-uri").stdout.strip() == f"sqlite:///{tg_home.resolve() / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert run("home", "--mlflow-uri").stdout.strip() == "http://127.0.0.1:5000"
