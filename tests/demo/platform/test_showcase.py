"""The segmentation showcase: variant files, requests served into the inference log, every planted bug caught."""
import pytest

from tenantguard.demo.platform.showcase import FACTORIES, VARIANTS, serve_requests, write_variant
from tenantguard.evaluations.segmentation.config_file import load_config
from tenantguard.monitoring.inference_log import InferenceLog
from tenantguard.tenants import load_tenants


@pytest.mark.parametrize("name", list(VARIANTS))
def test_a_variant_file_names_its_factories_and_only_alerts(small_world, name):
    settings, _ = small_world
    path = write_variant(settings, name)
    assert path == settings.home / f"segmentation.{name}.yaml"
    config = load_config(path)
    assert {k: f.spec for k, f in config.factories.items()} == {k: f"{FACTORIES}:{fn}" for k, fn in VARIANTS[name].items()}
    assert set(config.policy.values()) == {"alert"}  # the demo flips no kill switch


def test_served_requests_log_the_full_context_per_tenant_after_the_returned_cursor(small_world):
    settings, _ = small_world
    log = InferenceLog(settings.inference_log_url)
    assert serve_requests(settings, "make_prefilter_retriever", per_tenant=2) == 0
    cursor = serve_requests(settings, "make_prompt_filter_retriever", per_tenant=2)
    assert cursor == 6
    prefilter, prompt = log.read(0, 6), log.read(cursor)
    tenants = load_tenants(settings.tenants_file)
    assert [r["tenant_id"] for r in prompt] == [t.id for t in tenants for _ in range(2)]
    for row, t in zip(prefilter, [t for t in tenants for _ in range(2)]):
        assert row["prompt"].startswith(t.system_prompt) and "Only use documents" not in row["prompt"]
        assert all(f"tenant={o.id}]" not in row["prompt"] for o in tenants if o.id != t.id)
    assert all("Only use documents whose tenant is" in r["prompt"] for r in prompt)
    empty = tenants[-1].id  # holds no documents: asks generic questions
    assert [r["prompt"].rsplit("User: ", 1)[1] for r in prompt if r["tenant_id"] == empty] == \
        ["how do I update my address?", "what are your opening hours?"]


def test_demo_segmentation_catches_every_planted_bug_and_passes_the_correct_platform(small_world):
    from tenantguard.demo.platform import demo_segmentation

    settings, _ = small_world
    lines: list[str] = []
    outcomes = demo_segmentation(settings, lines.append, seed=3)
    verdicts = {line.split(": ")[0] + "/" + line.split(": ")[1].split(" ")[0]: line.split(": ")[1].split(" ")[1]
                for line in outcomes}
    assert verdicts == {
        "misconfigured/rag_boundary": "failed", "misconfigured/memory_isolation": "failed",
        "misconfigured/tool_scope": "failed", "misconfigured/context_contamination": "passed",
        "misconfigured-prompt-filter/rag_boundary": "failed",
        "misconfigured-prompt-filter/context_contamination": "failed",
        "correct/rag_boundary": "passed", "correct/memory_isolation": "passed", "correct/tool_scope": "passed",
        "correct/context_contamination": "passed"}
    assert (settings.home / "segmentation.yaml").read_text() == \
        (settings.home / "segmentation.correct.yaml").read_text()
    # every summary is printed whole (the sources it names are those of the actions list), without the factories'
    # module or the home's path, and a failed adapter audit shows one finding in words
    printed = [line.strip() for line in lines]
    assert all(o.split(": ", 1)[1] in printed for o in outcomes)
    assert not any(FACTORIES in line or str(settings.home) in line for line in lines)
    assert "e.g. [shared_scope_tool] platform-wide: manifest entry 'ticket_history'" in printed
    assert not any("<- ?" in line or "* <-" in line for line in lines)


def test_after_the_showcase_the_homes_own_log_and_config_pass_as_the_story_says(small_world):
    """What the demo's final story claims: `segmentation.yaml` names a correct platform and the home's inference
    log holds no other tenant's data; the misconfigured traffic sits in its own log, where the audit finds it."""
    from tenantguard.demo.platform import demo_segmentation
    from tenantguard.demo.platform.showcase import variant_settings
    from tenantguard.gates.segmentation import run_from_home

    settings, _ = small_world
    demo_segmentation(settings, lambda line: None, seed=3)
    reports = run_from_home(settings, seed=3)
    assert {r.kind: r.verdict for r in reports} == {"rag_boundary": "passed", "memory_isolation": "passed",
                                                    "tool_scope": "passed", "context_contamination": "passed"}
    side = variant_settings(settings, "misconfigured-prompt-filter")
    assert side.inference_log_url != settings.inference_log_url
    (context,) = run_from_home(side, kinds=["context_contamination"], seed=3)
    assert context.verdict == "failed" and {f.kind for f in context.findings} == {"foreign_content"}
