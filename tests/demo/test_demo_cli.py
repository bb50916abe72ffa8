"""`tenantguard demo` through the real entry point, twice on one home: the whole story, then the same story
again (timings aside), its replayed steps marked `reused:`, and nothing in the platform changed by the second run."""
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
TENANTGUARD = str(Path(sys.executable).with_name("tenantguard"))
SECRET = "demo-test-secret-dcbe0228c5209a4065780617952f0e1a1b54b98077e9be0c37178b8d0539b78b"
TENANTS = ["acme-health", "borealis-bank", "cobalt-logistics", "dune-retail", "ember-legal", "fjord-energy"]


def _demo(home: Path, *args: str) -> str:
    env = {**os.environ, "TENANTGUARD_HOME": str(home), "TENANTGUARD_SECRET": SECRET}
    for var in ("MLFLOW_TRACKING_URI", "TENANTGUARD_TENANTS", "TENANTGUARD_DATASETS", "TENANTGUARD_KILLSWITCH_URL",
                "TENANTGUARD_INFERENCE_LOG_URL", "DAGSTER_HOME"):
        env.pop(var, None)
    proc = subprocess.run([TENANTGUARD, "demo", *args], env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(home, first output, second output): `make demo`, then `tenantguard demo --tenants 3` on the same home."""
    home = tmp_path_factory.mktemp("demo-cli") / "home"
    return home, _demo(home), _demo(home, "--tenants", "3")


def _table(out: str) -> list[dict]:
    lines = out.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("tenant ") and "digest" in ln)
    cols = re.split(r"\s{2,}", lines[head].strip())
    assert set(lines[head + 1].replace(" ", "")) == {"-"}
    rows = []
    for ln in lines[head + 2:]:
        if not ln.strip():
            break
        rows.append(dict(zip(cols, re.split(r"\s{2,}", ln.strip()))))
    return rows


def _story(out: str) -> list[str]:
    """The lines a second run must repeat: without timings, the home line, `reused:` lines and the closing line."""
    keep = [ln for ln in out.splitlines()
            if not ln.startswith(("home ", "done in ", "  audit chain: ", "    tgk_", "  admin "))
            and not ln.lstrip().startswith("reused: ")]
    return [re.sub(r"\d+\.\d+s\b", "<t>", ln) for ln in keep]


def _section(out: str, step: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"[{step}]"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[") or not lines[i]), len(lines))
    return lines[start:end]


def test_the_first_run_tells_the_whole_story_and_the_table_agrees(runs):
    _, first, _ = runs
    assert first.startswith(f"home {runs[0]} (new synthetic world: 6 tenants, seed 7)\n"), first
    assert [f"[{i}]" for i in range(1, 9)] == [ln[:3] for ln in first.splitlines() if re.match(r"\[\d\] ", ln)]
    rows = {r["tenant"]: r for r in _table(first)}
    assert list(rows) == TENANTS
    for r in rows.values():
        assert re.fullmatch(r"[0-9a-f]{16}", r["digest"]) and r["model"] == f"support-assistant.{r['tenant']}"
    assert {t: (r["champion"], r["newest"], r["status"]) for t, r in rows.items()} == {
        "acme-health": ("1", "1", "promoted"), "borealis-bank": ("1", "1", "promoted"),
        "cobalt-logistics": ("1", "2", "rolled_back"), "dune-retail": ("1", "2", "rejected"),
        "ember-legal": ("1", "2", "rejected"), "fjord-energy": ("1", "1", "promoted")}
    # one key's abuse blocks that key; only the leak and the sweep the model complied with kill a feature
    assert {t: re.sub(r"#\d+", "#N", r["kill switches"]) for t, r in rows.items()} == {
        "acme-health": "-", "borealis-bank": "-", "cobalt-logistics": "1 key blocked #N",
        "dune-retail": "1 key blocked #N", "ember-legal": "feature killed #N", "fjord-energy": "feature killed #N"}
    assert "FAILED" not in first


def test_a_second_run_prints_the_same_story_says_what_it_reused_and_changes_nothing(runs):
    home, first, second = runs
    assert _story(second) == _story(first), "\n".join(_story(second))
    assert second.startswith(f"home {home} (existing world reused: 6 tenants, seed 7; --tenants 3 shape a new world "
                             f"only: point TENANTGUARD_HOME at an empty directory)\n")
    reused = [ln.strip() for ln in second.splitlines() if ln.lstrip().startswith("reused: ")]
    assert reused[0].startswith("reused: steps [2], [3], [4], [6], [7] as the demo run of ")
    assert len(reused) == 1 + 5 + 1 + 1  # the home, each replayed step, the actions list, the actors
    assert not any("reused" in ln for ln in first.splitlines())
    # the second run registered nothing and flipped nothing: the registry and the kill switches are as before
    from mlflow import MlflowClient

    uri = f"sqlite:///{home.resolve() / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)  # explicit: other tests set a global registry URI
    versions = {t: [str(v.version) for v in client.search_model_versions(f"name = 'support-assistant.{t}'")]
                for t in [*TENANTS, "base"]}
    assert {t: sorted(v) for t, v in versions.items()} == {
        "acme-health": ["1"], "borealis-bank": ["1"], "cobalt-logistics": ["1", "2"], "dune-retail": ["1", "2"],
        "ember-legal": ["1", "2"], "fjord-energy": ["1"], "base": ["1", "2"]}
    from tenantguard.killswitch.store import KillSwitchStore

    switches = KillSwitchStore.from_settings(_settings(home)).list()
    assert {(s.scope.tenant, s.scope.api_key) for s in switches} == {
        ("cobalt-logistics", "cobalt-logistics-probe"), ("dune-retail", "dune-retail-wallet"), ("ember-legal", None),
        ("fjord-energy", None)}


def test_abuse_alerts_say_per_tenant_what_was_found_and_what_each_got(runs):
    _, first, _ = runs
    step = _section(first, "7")
    heads = {ln.split(":")[0].strip(): ln for ln in step if re.match(r"    [a-z]", ln)}
    assert set(heads) == {"borealis-bank", "cobalt-logistics", "dune-retail", "ember-legal", "no alerts"}
    assert heads["no alerts"].strip() == "no alerts: acme-health, fjord-energy"
    assert "1 open alert; abuse_alerts check no_open_abuse_alerts warns (alerts only)" in heads["borealis-bank"]
    assert "2 open alerts; abuse_alerts check no_open_abuse_alerts fails" in heads["cobalt-logistics"]
    sweep = next(ln for ln in step if "jailbreak_sweep" in ln)
    assert re.search(r": kill switch #\d engaged instead \(rollback not possible: no version of "
                     r"support-assistant\.ember-legal before champion v1 passed its gates and was promoted\)$", sweep)
    assert not any("passed every gate" in ln or "BLOCKED" in ln for ln in step)
    actions = first.split("\nactions taken:\n", 1)[1]
    assert re.search(r"- ember-legal: abuse alert jailbreak_sweep .* -> kill switch #\d engaged instead", actions)


def test_the_traffic_names_the_versions_that_served_it(runs):
    import sqlite3

    home, _, _ = runs
    with sqlite3.connect(home / "inference.db") as db:
        served = set(db.execute("SELECT tenant_id, model_version FROM inference_log "
                                "WHERE model_version != 'demo-platform'"))
    # cobalt-logistics was served by v2 until its rollback, then by v1
    assert served == {*((t, "1") for t in TENANTS), ("cobalt-logistics", "2")}


def test_wording_no_cut_word_no_doubled_prefix_no_epoch_and_one_line_audit_entries(runs):
    home, first, _ = runs
    lines = first.splitlines()
    assert all(ln.endswith(" …") for ln in lines if "…" in ln), [ln for ln in lines if "…" in ln]
    assert "(limit 0." not in first.replace("(limit 0.25)", "")
    assert "v1 -> v1" not in first and "cursor ts" not in first and "<- ?" not in first
    assert "support-assistant.base@champion stays v1 (the refresh is v2, registered, not promoted)" in first
    assert "KillSwitchClient.check('support-assistant', 'fjord-energy', 'eu-north') -> killed=True switch=1 " \
           "fallback=disable" in first
    prompt_filter = next(ln for ln in _section(first, "8") if "make_prompt_filter_retriever" in ln)
    assert prompt_filter.strip().endswith("data of acme-health, borealis-bank, cobalt-logistics, dune-retail, "
                                          "ember-legal")
    from tenantguard.killswitch.audit import AuditLog

    entries = list(AuditLog.from_settings(_settings(home)).entries())
    assert all("\n" not in e.reason for e in entries)
    rejects = {e.scope["model"]: e.reason for e in entries if e.action == "reject"}
    assert rejects["support-assistant.ember-legal"].startswith("isolation failed: candidate for ember-legal")
    assert rejects["support-assistant.dune-retail"].startswith("behavior failed: tenant dune-retail, suite ")
    from mlflow import MlflowClient

    uri = f"sqlite:///{home.resolve() / 'mlflow.db'}"
    tag = MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version(
        "support-assistant.ember-legal", "2").tags["tenantguard.rejected_reason"]
    assert tag.count("isolation failed") == 1


def test_runs_the_sensors_asked_for_carry_their_run_keys_so_a_daemon_does_not_launch_them_again(runs):
    from dagster import DagsterInstance, RunsFilter

    home, _, _ = runs
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        requested = instance.get_runs(filters=RunsFilter(tags={"dagster/sensor_name": "abuse_watch_sensor"}))
        assert sorted(r.tags["tenantguard/tenant"] for r in requested) == ["borealis-bank", "cobalt-logistics",
                                                                           "dune-retail", "ember-legal"]
        assert all(r.tags["dagster/run_key"].startswith("abuse_alerts:") for r in requested)
        ember = next(r for r in requested if r.tags["tenantguard/tenant"] == "ember-legal")
        (response,) = json.loads(ember.tags["tenantguard/responses"]).values()
        assert re.match(r"kill switch #\d engaged instead \(rollback not possible: ", response)


def test_a_world_too_small_for_the_incidents_says_which_steps_it_skips_and_a_rerun_reuses_its_tunes(tmp_path):
    home = tmp_path / "home"
    first = _demo(home, "--tenants", "2")
    assert ("[3]-[8] skipped: their incidents cast 6 tenants in different parts, this world has 2 (run "
            "`tenantguard demo` with a new TENANTGUARD_HOME for the whole story)") in first.splitlines()
    assert [r["tenant"] for r in _table(first)] == TENANTS[:2]
    second = _demo(home)
    assert _story(second) == _story(first)
    (reused,) = [ln.strip() for ln in second.splitlines() if ln.lstrip().startswith("reused: recorded")]
    assert reused.endswith("; the registry holds the versions it registered and promoted")  # [2], not run again


def _canary_secrets(tenant_ids):
    from tenantguard.evaluations.canaries import make_canaries

    return {c.secret_digits: c.id for t in tenant_ids for ref in (False, True)
            for c in make_canaries(SECRET.encode(), t, reference=ref)}


def test_no_canary_reaches_mlflow_dagster_logs_or_the_audit_trail(runs):
    """Canaries live only in the tenant's own prepared data (and inside its model's weights)."""
    home, _, _ = runs
    secrets = _canary_secrets(TENANTS)
    own_data = {"prepared", "datasets", "quarantine"}
    scanned = 0
    for path in home.rglob("*"):
        rel = path.relative_to(home)
        if not path.is_file() or rel.parts[0] in own_data or path.suffix == ".gz":
            continue
        blob = path.read_bytes()
        scanned += 1
        for digits, cid in secrets.items():
            assert digits.encode() not in blob, f"canary {cid} found in {rel}"
    assert scanned > 20  # MLflow db and artifacts, Dagster storage, logs, audit db were all read


def test_no_secret_is_recoverable_from_any_file_or_output_line_of_the_demo(runs):
    """Issue 15, finding 1: masked evidence carried the last characters and an unkeyed sha256 prefix, and
    enumerating the canary format recovered the secret. Here every canary of the run (planted, reference and
    segmentation, the only members of their formats' spaces that could match) and the demo's whole account-id
    space are enumerated against every file under the home and every stdout line."""
    from tenantguard.demo.world import INDUSTRIES
    from tenantguard.evaluations.canaries import make_canaries
    from tenantguard.evaluations.segmentation.evidence import segmentation_canaries

    from .secret_recovery import account_id_space, hex_tokens, home_blobs, recovered

    home, first, second = runs
    secret = SECRET.encode()
    canaries = [c.text for t in TENANTS for ref in (False, True) for c in make_canaries(secret, t, reference=ref)]
    canaries += [c.text for t in TENANTS for p in ("rag", "memory", "tools") for c in segmentation_canaries(secret, t, p)]
    tokens = hex_tokens([*home_blobs(home), first.encode(), second.encode()])
    assert sum(map(len, tokens.values())) > 100  # the home is full of hex ids; none of them may be an unkeyed hash
    assert recovered(canaries, tokens) == []
    assert recovered([c + "." for c in canaries], tokens) == []
    assert recovered(account_id_space([i[4] for i in INDUSTRIES]), tokens, min_hex=10) == []
    # and nothing shown of a secret: no canary digits, no account id, no old-style partial mask in any output line
    for line in (first + second).splitlines():
        assert not re.search(r"\(len \d+, sha256 [0-9a-f]{12}\)|\b[A-Z]{2}-\d{5}\b", line), line
        assert not any(c.split()[-1] in line for c in canaries), line
    # the attack does work against what the old masking printed (so the test can fail)
    assert recovered(canaries[:1], hex_tokens([hashlib.sha256(canaries[0].encode()).hexdigest()[:12].encode()]))


def _settings(home: Path):
    from tenantguard.config import Settings

    return Settings.from_env({"TENANTGUARD_HOME": str(home), "TENANTGUARD_SECRET": SECRET})


def test_the_demo_ends_with_an_admin_bootstrapped_once_and_an_anchored_chain(runs):
    home, first, second = runs
    lines = first.splitlines()
    i = lines.index("security:")
    assert lines[i + 1].startswith("  admin 'demo-admin' bootstrapped with `tenantguard killswitch actors init")
    token = lines[i + 2].strip()
    assert token.startswith("tgk_") and token not in second
    assert re.match(r"  audit chain: audit chain ok: \d+ entries, head \d+:[0-9a-f]{64}, \d+ anchor\(s\) matched",
                    lines[i + 3])
    assert re.search(r"^ +reused: the store's actors", second, re.M)
    from tenantguard.killswitch.auth import Actor
    from tenantguard.killswitch.store import KillSwitchStore
    from tenantguard.registry.chain import mlflow_anchors

    settings = _settings(home)
    store = KillSwitchStore.from_settings(settings)
    assert store.actors.authenticate(token, attempted="actor.add") == Actor("demo-admin", "admin")
    head = store.audit.head()
    assert mlflow_anchors(settings)[head[0]] == head[1] and settings.audit_anchor_path.exists()
    actions = {e.action for e in store.audit.entries()}
    assert {"promote", "reject", "rollback", "engage", "dataset.block", "actor.init"} <= actions, actions
    base_promotions = [e for e in store.audit.entries() if e.action == "promote"
                       and e.scope["model"] == "support-assistant.base"]
    assert base_promotions and all(e.run_id for e in base_promotions)
    modes = {p.relative_to(home): oct(p.stat().st_mode & 0o777) for p in [home, *home.rglob("*")]
             if not p.is_symlink() and p.stat().st_mode & 0o077}
    assert modes == {}, modes
