"""`tenantguard dataset prepare`: the prepared paths, or one line and exit 2 naming what is wrong."""
import json

from .helpers import assert_bad_input, run


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


def test_a_dataset_over_the_quarantine_limit_is_blocked_naming_why_and_the_quarantine_file(small_world):
    settings, world = small_world
    tid = world.tenants[0].id
    source = settings.datasets_root / tid / "v0001.jsonl"
    with source.open("a") as fh:
        fh.write("not json\n{broken\n[]\n")  # 3 of 63 lines: 4.76% against the 1% default
    result = run("dataset", "prepare", "--tenant", tid)
    assert result.exit_code == 1, result.output
    (line,) = result.stdout.splitlines()  # no train/holdout paths: nothing to train on
    quarantine = settings.quarantine_root / tid / "v0001.jsonl"
    assert line == (f"BLOCKED by dataset_valid: {source}: rejected share 4.76% exceeds limit 1.00%; the quarantined "
                    f"lines and why are in {quarantine} (fix the dataset and prepare again)")
    assert len(quarantine.read_text().splitlines()) == 3


def test_a_record_of_another_tenant_blocks_the_dataset_whatever_the_limit(small_world, monkeypatch):
    settings, world = small_world
    tid, other = world.tenants[0].id, world.tenants[1].id
    monkeypatch.setenv("TENANTGUARD_MAX_REJECTED_SHARE", "0.5")
    source = settings.datasets_root / tid / "v0001.jsonl"
    with source.open("a") as fh:
        fh.write(json.dumps({"record_id": "x-1", "tenant_id": other, "prompt": "hi", "completion": "there"}) + "\n")
    result = run("dataset", "prepare", "--tenant", tid)
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith(f"BLOCKED by dataset_valid: {source}: 1 record(s) claim another tenant or carry "
                                    f"its data (lines [61])")
    assert str(settings.quarantine_root / tid / "v0001.jsonl") in result.stdout


def test_dataset_prepare_never_touches_mlflow(small_world, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # nothing listens there
    result = run("dataset", "prepare", "--tenant", small_world[1].tenants[0].id)
    assert result.exit_code == 0, result.output
