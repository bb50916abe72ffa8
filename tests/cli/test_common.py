"""Shared CLI plumbing: a bad setting is bad input (one `error:` line naming the variable, exit 2)."""
from .helpers import assert_bad_input, run


def test_bad_env_setting_exits_2_naming_the_variable(small_world, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_MAX_REJECTED_SHARE", "lots")
    assert_bad_input(run("tenants", "list"), "TENANTGUARD_MAX_REJECTED_SHARE")


def test_bad_tenants_per_run_is_bad_input_too(small_world, monkeypatch):
    monkeypatch.setenv("TENANTGUARD_TENANTS_PER_RUN", "0")
    assert_bad_input(run("home"), "TENANTGUARD_TENANTS_PER_RUN='0'", "whole number >= 1")
