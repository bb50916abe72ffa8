"""tenants.yaml: loading, and every bad input named by file, line and field in one line."""
import pytest

from tenantguard.errors import TenantsFileInvalid, UnknownTenant
from tenantguard.tenants import Tenant, dump_tenants, load_tenants, tenant_by_id

GOOD = """\
tenants:
  - id: acme
    name: Acme Health
    region: eu-west
    features: [support-assistant]
    system_prompt: "You are Acme Health's support assistant."
  - id: borealis-bank
    name: Borealis Bank
    region: us-east
    features: [support-assistant, claims-triage]
    system_prompt: You are Borealis Bank's assistant.
"""


def _write(tmp_path, text):
    path = tmp_path / "tenants.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path, text) -> str:
    path = _write(tmp_path, text)
    with pytest.raises(TenantsFileInvalid) as info:
        load_tenants(path)
    msg = str(info.value)
    assert "\n" not in msg, "errors are one line"
    assert str(path) in msg, "errors name the file"
    return msg


def _tenant_yaml(**overrides) -> str:
    fields = {"id": "acme", "name": "Acme", "region": "eu-west", "features": "[support-assistant]",
              "system_prompt": "hi"}
    fields.update(overrides)
    body = "\n".join(f"    {k}: {v}" for k, v in fields.items() if v is not None)
    return "tenants:\n  - " + body.lstrip() + "\n"


def test_valid_file_loads_every_tenant_with_its_fields(tmp_path):
    tenants = load_tenants(_write(tmp_path, GOOD))
    assert [t.id for t in tenants] == ["acme", "borealis-bank"]
    assert tenants[0] == Tenant(id="acme", name="Acme Health", region="eu-west", features=("support-assistant",),
                                system_prompt="You are Acme Health's support assistant.")
    assert tenants[1].features == ("support-assistant", "claims-triage")


def test_dump_then_load_round_trips(tmp_path):
    tenants = load_tenants(_write(tmp_path, GOOD))
    dump_tenants(tenants, tmp_path / "again.yaml")
    assert load_tenants(tmp_path / "again.yaml") == tenants


def test_missing_file_says_how_to_create_one(tmp_path):
    with pytest.raises(TenantsFileInvalid, match="not found.*TENANTGUARD_TENANTS"):
        load_tenants(tmp_path / "nope.yaml")


def test_not_yaml_names_the_line(tmp_path):
    msg = _error(tmp_path, "tenants:\n  - id: acme\n    name: [unclosed\n    region: x\n")
    assert "not valid YAML" in msg and "line " in msg


@pytest.mark.parametrize("text", ["", "- just a list\n", "tenant:\n  - id: acme\n"])
def test_wrong_top_level_shape_asks_for_a_tenants_list(tmp_path, text):
    assert "'tenants:'" in _error(tmp_path, text)


def test_bad_id_names_line_field_regex_and_fix(tmp_path):
    msg = _error(tmp_path, GOOD.replace("id: borealis-bank", "id: Borealis"))
    assert "line 7" in msg  # the `- id: Borealis` line
    assert "'Borealis'" in msg and "'id'" in msg
    assert "^[a-z0-9][a-z0-9-]{1,39}$" in msg and "lower case" in msg


@pytest.mark.parametrize("bad", ["a", "-acme", "acme_health", "x" * 41, "123 abc"])
def test_ids_outside_the_pattern_are_rejected(tmp_path, bad):
    assert "must match" in _error(tmp_path, _tenant_yaml(id=f'"{bad}"'))


def test_duplicate_id_names_both_lines(tmp_path):
    msg = _error(tmp_path, GOOD.replace("id: borealis-bank", "id: acme"))
    assert "duplicate tenant id 'acme'" in msg
    assert "line 7" in msg and "line 2" in msg
    assert "'id'" in msg


def test_a_key_given_twice_in_a_tenant_names_the_key_and_both_lines(tmp_path):
    # YAML itself keeps the last value: acme would silently become `other`.
    msg = _error(tmp_path, GOOD.replace("    region: us-east\n", "    region: us-east\n    id: other\n"))
    assert "line 10" in msg and "key 'id' appears twice" in msg and "first at line 7" in msg


def test_a_top_level_key_given_twice_is_refused_too(tmp_path):
    msg = _error(tmp_path, GOOD + "tenants: []\n")
    assert "line 12" in msg and "key 'tenants' appears twice" in msg and "first at line 1" in msg


def test_a_file_that_is_not_utf8_names_the_line_and_the_fix(tmp_path):
    path = tmp_path / "tenants.yaml"
    path.write_bytes(GOOD.replace("Borealis Bank\n", "Bor\u00e9alis Bank\n").encode("latin-1"))
    with pytest.raises(TenantsFileInvalid) as info:
        load_tenants(path)
    assert str(info.value) == f"{path} line 8: not UTF-8 (byte 0xe9); save the file as UTF-8"


def test_unknown_key_names_its_line_and_the_allowed_keys(tmp_path):
    msg = _error(tmp_path, GOOD.replace("    region: us-east\n", "    region: us-east\n    tier: gold\n"))
    assert "line 10" in msg  # the `tier:` line itself
    assert "'borealis-bank'" in msg and "['tier']" in msg and "allowed" in msg


@pytest.mark.parametrize("field", ["id", "name", "region", "features", "system_prompt"])
def test_missing_field_is_named(tmp_path, field):
    msg = _error(tmp_path, _tenant_yaml(**{field: None}))
    assert f"missing field '{field}'" in msg and "line 2" in msg


def test_empty_string_counts_as_missing(tmp_path):
    assert "missing field 'name'" in _error(tmp_path, _tenant_yaml(name='""'))


def test_reserved_base_id_is_rejected(tmp_path):
    msg = _error(tmp_path, _tenant_yaml(id="base"))
    assert "'base'" in msg and "reserved" in msg and "line 2" in msg


@pytest.mark.parametrize("features", ["support-assistant", "[]", "[Support Assistant]", "{a: b}"])
def test_features_must_be_a_non_empty_list_of_ids(tmp_path, features):
    msg = _error(tmp_path, _tenant_yaml(features=features))
    assert "field 'features'" in msg and "line 5" in msg


def test_non_string_name_is_rejected(tmp_path):
    msg = _error(tmp_path, _tenant_yaml(name="[1, 2]"))
    assert "field 'name' must be a string" in msg and "line 3" in msg


def test_tenant_that_is_not_a_mapping(tmp_path):
    assert "must be a mapping" in _error(tmp_path, "tenants:\n  - acme\n")


def test_tenant_by_id_finds_and_unknown_raises_with_known_ids(tmp_path):
    tenants = load_tenants(_write(tmp_path, GOOD))
    assert tenant_by_id(tenants, "borealis-bank").name == "Borealis Bank"
    with pytest.raises(UnknownTenant) as info:
        tenant_by_id(tenants, "zeta")
    assert "'zeta'" in str(info.value) and "acme, borealis-bank" in str(info.value)
    assert "tenants.yaml" in str(info.value)
