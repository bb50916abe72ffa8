"""`tenantguard tenants list`: the tenant directory as a table or JSON; a bad tenants.yaml is one line, exit 2."""
import json

from .helpers import assert_bad_input, run


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


def test_bad_tenants_yaml_exits_2_with_one_line_naming_file_and_line(small_world):
    settings, _ = small_world
    settings.tenants_file.write_text("tenants:\n  - id: Acme\n    name: x\n    region: y\n"
                                     "    features: [a-b]\n    system_prompt: z\n")
    assert_bad_input(run("tenants", "list"), str(settings.tenants_file), "line 2", "'Acme'", "lower case")


def test_missing_tenants_file_exits_2(tg_home):
    assert_bad_input(run("tenants", "list"), "tenants.yaml", "not found")


def test_a_tenants_yaml_that_is_not_utf8_exits_2_naming_file_and_line(small_world):
    settings, world = small_world
    text = settings.tenants_file.read_text(encoding="utf-8")
    settings.tenants_file.write_bytes(text.replace(f"name: {world.tenants[1].name}",
                                                   f"name: {world.tenants[1].name} \u00e9").encode("latin-1"))
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.strip() == f"name: {world.tenants[1].name}")
    assert_bad_input(run("tenants", "list"), str(settings.tenants_file), f"line {line}:", "not UTF-8",
                     "save the file as UTF-8")


def test_a_tenant_key_given_twice_exits_2_naming_file_line_and_key(tg_home):
    tg_home.mkdir(parents=True)
    (tg_home / "tenants.yaml").write_text("tenants:\n  - id: acme\n    name: Acme\n    region: eu\n"
                                          "    features: [support-assistant]\n    system_prompt: p\n    id: other\n")
    assert_bad_input(run("tenants", "list"), str(tg_home / "tenants.yaml"), "line 7:", "key 'id' appears twice",
                     "first at line 2")
