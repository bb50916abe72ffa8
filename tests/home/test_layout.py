"""Where things live under the home (docs/contracts.md, "Home layout"): one module knows every path."""
from pathlib import Path

from tenantguard.config import Settings
from tenantguard.home import layout


def settings(tmp_path, **env) -> Settings:
    return Settings.from_env({"TENANTGUARD_HOME": str(tmp_path / "home"), **env})


def test_every_path_is_the_documented_one_under_the_home(tmp_path):
    s = settings(tmp_path)
    home = (tmp_path / "home").resolve()
    assert layout.dataset_dir(s, "acme") == home / "datasets" / "acme"
    assert layout.prepared_dir(s, "acme") == home / "prepared" / "acme"
    assert layout.current_file(s, "acme") == home / "prepared" / "acme" / "current.json"
    assert layout.quarantine_file(s, "acme", "v0003") == home / "quarantine" / "acme" / "v0003.jsonl"
    assert layout.segmentation_config(s) == home / "segmentation.yaml"
    assert layout.segmentation_report(s, "acme") == home / "segmentation" / "acme.json"
    assert layout.monitoring_dir(s) == home / "monitoring"


def test_the_datasets_root_override_moves_only_the_datasets(tmp_path):
    elsewhere = tmp_path / "shared-datasets"
    s = settings(tmp_path, TENANTGUARD_DATASETS=str(elsewhere))
    assert layout.dataset_dir(s, "acme") == elsewhere.resolve() / "acme"
    home = (tmp_path / "home").resolve()
    assert home in layout.prepared_dir(s, "acme").parents
    assert home in layout.quarantine_file(s, "acme", "v1").parents


def test_tenants_never_share_a_path(tmp_path):
    s = settings(tmp_path)
    per_tenant = (layout.dataset_dir, layout.prepared_dir, layout.current_file, layout.segmentation_report,
                  lambda s, t: layout.quarantine_file(s, t, "v1"))
    for fn in per_tenant:
        a, b = fn(s, "acme"), fn(s, "borealis")
        assert a != b and a not in b.parents and b not in a.parents
        assert "acme" in str(a.relative_to(s.home)) and "borealis" not in str(a.relative_to(s.home))


def test_the_file_names_are_the_contracts_constants():
    assert (layout.CURRENT, layout.MANIFEST, layout.SEGMENTATION_FILE) == (
        "current.json", "manifest.json", "segmentation.yaml")
    assert layout.monitoring_dir(Settings.from_env({"TENANTGUARD_HOME": "/srv/tg"})) == Path("/srv/tg/monitoring")
