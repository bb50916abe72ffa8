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
