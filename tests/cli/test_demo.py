"""`tenantguard demo` writes its world only into a home without tenants.yaml; the whole run is in
tests/demo/test_demo_cli.py (slow)."""
import pytest

from .helpers import assert_bad_input, assert_usage_error, run


def test_demo_never_overwrites_a_tenants_yaml_and_a_broken_one_exits_2(tg_home):
    tg_home.mkdir(parents=True)
    broken = "tenants:\n  - id: Acme\n"
    (tg_home / "tenants.yaml").write_text(broken)
    assert_bad_input(run("demo", "--tenants", "2"), str(tg_home / "tenants.yaml"), "'Acme'")
    assert (tg_home / "tenants.yaml").read_text() == broken
    assert not (tg_home / "datasets").exists()


@pytest.mark.parametrize("n", ["0", "-3"])
def test_a_tenant_count_below_one_exits_2_naming_the_flag_and_writes_nothing(tg_home, n):
    assert_usage_error(run("demo", "--tenants", n), f"Invalid value for '--tenants': {n} is not in the range x>=1.")
    assert not tg_home.exists()


def test_a_world_of_one_tenant_exits_2_with_one_line_and_writes_nothing(tg_home):
    line = assert_bad_input(run("demo", "--tenants", "1"), "--tenants 1", "at least 2 tenants")
    assert line == ("error: --tenants 1: the demo needs at least 2 tenants (isolation checks a tenant's model "
                    "against the other tenants' data; with one there is nothing to check)")
    assert not tg_home.exists()
