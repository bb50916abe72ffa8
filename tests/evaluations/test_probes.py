import re

import pytest

from tenantguard.demo import safety
from tenantguard.demo.world import build_world
from tenantguard.errors import ProbeSuiteInvalid
from tenantguard.evaluations.probes import ADVERSARIAL, CATEGORIES, load_suite_file, load_suites, tenant_products
from tenantguard.tenants import Tenant


@pytest.fixture(scope="module")
def tenant():
    return build_world(2, seed=3, records_per_tenant=5).tenants[1]


def test_builtin_suite_has_300_probes_per_tenant_in_every_category(tenant):
    probes = load_suites(None).for_tenant(tenant)
    assert len(probes) >= 300
    assert {p.category for p in probes} == set(CATEGORIES)
    assert len({p.id for p in probes}) == len(probes)
    assert all("{" not in p.prompt for p in probes)  # every tenant placeholder rendered


def test_tenant_configuration_probes_name_its_products_region_and_company(tenant):
    prompts = [p.prompt for p in load_suites(None).for_tenant(tenant) if p.category == "tenant_config"]
    products = tenant_products(tenant)
    assert len(products) == 3 and all(p in tenant.system_prompt for p in products)
    assert any(products[0] in p for p in prompts) and any(products[2] in p for p in prompts)
    assert any(tenant.region in p for p in prompts) and any(tenant.name in p for p in prompts)


def test_products_fall_back_to_features_when_the_prompt_names_none():
    t = Tenant("zeta", "Zeta", "eu", ("billing-assistant",), "Be helpful.")
    assert tenant_products(t) == ["billing assistant"]


def test_feature_probes_only_run_for_tenants_with_that_feature(tenant):
    suite = load_suites(None)
    other = Tenant("zeta", "Zeta", "eu", ("summarizer",), "Be helpful.")
    assert any(p.feature == "support-assistant" for p in suite.for_tenant(tenant))
    ids = {p.id for p in suite.for_tenant(other)}
    assert not any(i.startswith("support-") for i in ids) and any(i.startswith("summarizer-") for i in ids)


def test_suite_version_is_stable_and_changes_with_a_user_file(tmp_path):
    a, b = load_suites(None), load_suites(tmp_path)
    assert a.version == b.version and a.version.startswith("ps-")
    (tmp_path / "mine.yaml").write_text("probes:\n  - id: my-probe\n    category: generic\n    prompt: Hi?\n")
    c = load_suites(tmp_path)
    assert c.version != a.version and len(c) == len(a) + 1 and ("user:mine.yaml", c.files[-1][1]) in c.files
    (tmp_path / "mine.yaml").write_text("probes:\n  - id: my-probe\n    category: generic\n    prompt: Hello?\n")
    assert load_suites(tmp_path).version != c.version  # content hash when no version is declared


def test_declared_version_is_used_verbatim(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text("version: '2026.1'\nprobes:\n  - id: p\n    category: generic\n    prompt: Hi?\n")
    v1 = load_suites(tmp_path).version
    path.write_text("version: '2026.1'\nprobes:\n  - id: p\n    category: generic\n    prompt: Hello?\n")
    assert load_suite_file(path)[0] == "2026.1" and load_suites(tmp_path).version == v1


def test_syntax_error_names_the_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("probes:\n  - id: ok\n    category: generic\n    prompt: [unclosed\n  - id: x\n")
    with pytest.raises(ProbeSuiteInvalid, match=r"broken\.yaml line [56]: not valid YAML"):
        load_suites(tmp_path)


@pytest.mark.parametrize("entry, message", [
    ("  - id: a\n    category: chitchat\n    prompt: Hi\n", r"line 3: probe 'a' category 'chitchat' must be one of"),
    ("  - id: a\n    category: generic\n    prompt: 'Hi {who}'\n", r"line 3: probe 'a' uses undefined placeholder\(s\) \['who'\]"),
    ("  - id: Bad Id\n    category: generic\n    prompt: Hi\n", r"line 3: probe id 'Bad Id' must match"),
    ("  - id: a\n    category: generic\n    prompt: Hi\n    colour: red\n", r"line 3: unknown key\(s\) \['colour'\]"),
    ("  - id: a\n    category: generic\n    prompt: '{x}'\n    vars: {x: []}\n", r"line 3: probe .a. vars must map names to non-empty lists"),
])
def test_schema_errors_name_file_line_and_field(tmp_path, entry, message):
    (tmp_path / "s.yaml").write_text("version: '1'\nprobes:\n" + entry)
    with pytest.raises(ProbeSuiteInvalid, match=r"s\.yaml " + message):
        load_suites(tmp_path)


def test_duplicate_probe_ids_across_files_are_rejected(tmp_path):
    (tmp_path / "dup.yaml").write_text("probes:\n  - id: generic-000\n    category: generic\n    prompt: Hi\n")
    with pytest.raises(ProbeSuiteInvalid, match=r"dup\.yaml: probe id 'generic-000' is already defined in .*generic\.yaml"):
        load_suites(tmp_path)


def test_vars_expand_as_a_product_and_limit_is_a_seeded_subset(tmp_path):
    text = ("probes:\n  - id: combo\n    category: jailbreak\n    prompt: '{a} {b}'\n    limit: 5\n"
            "    vars: {a: [x1, x2, x3], b: [y1, y2, y3]}\n")
    (tmp_path / "c.yaml").write_text(text)
    first = [p.prompt for p in load_suite_file(tmp_path / "c.yaml")[1]]
    assert len(first) == 5 and len(set(first)) == 5
    assert first == [p.prompt for p in load_suite_file(tmp_path / "c.yaml")[1]]


def test_adversarial_probes_share_only_closers_with_the_refusal_training(tenant):
    """Probes must test generalisation: openers and requests never come from the safety corpus."""
    probes = [p for p in load_suites(None).for_tenant(tenant) if p.category in ADVERSARIAL]
    assert all(any(p.prompt.endswith(c) for c in safety.CLOSERS) for p in probes)
    corpus = " ".join(t.split("\n")[0] for t in safety.safety_corpus(seed=0)).lower()
    for p in probes:
        head = next(p.prompt[: -len(c)] for c in safety.CLOSERS if p.prompt.endswith(c)).lower()
        words = re.findall(r"[\w']+", head)
        shingles = {" ".join(words[i:i + 5]) for i in range(len(words) - 4)}
        assert not [s for s in shingles if s in corpus], p.prompt
