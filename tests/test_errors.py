"""The one error tree: every error is a TenantGuardError with a one-line docstring, and its exit code says
whether a check found a problem (1) or the input was bad (2)."""
import inspect

import click
import pytest
from click.testing import CliRunner

from tenantguard import errors
from tenantguard.cli.common import handle_errors

ERRORS = [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
          if issubclass(cls, Exception) and cls.__module__ == errors.__name__]
# The kinds whose message reports a finding (tampering, a drill that failed), not bad input.
PROBLEM_FOUND = {errors.AuditChainBroken, errors.DrillFailed}


def test_the_module_defines_the_base_and_its_leaves():
    assert errors.TenantGuardError in ERRORS and len(ERRORS) > 10


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_every_error_subclasses_the_base(cls):
    assert issubclass(cls, errors.TenantGuardError)


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_every_error_has_a_one_line_docstring_of_its_own(cls):
    doc = cls.__dict__.get("__doc__")
    assert doc and doc.strip() and "\n" not in doc.strip(), f"{cls.__name__}: {doc!r}"


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_exit_code_is_1_only_for_problem_found_kinds_and_2_otherwise(cls):
    assert cls.exit_code == (1 if cls in PROBLEM_FOUND else 2)


def test_configuration_errors_share_one_branch():
    for cls in (errors.TenantsFileInvalid, errors.UnknownTenant, errors.ScopeInvalid):
        assert issubclass(cls, errors.ConfigError)


@pytest.mark.parametrize("cls", [errors.ConfigError, errors.AuditChainBroken, errors.DatasetInvalid],
                         ids=lambda c: c.__name__)
def test_the_cli_prints_one_line_and_exits_with_the_errors_code(cls):
    @click.command()
    @handle_errors
    def cmd():
        raise cls("datasets/acme/v1.jsonl line 3: bad record (fix the line)")

    result = CliRunner().invoke(cmd)
    assert result.exit_code == cls.exit_code
    assert result.output.strip() == "error: datasets/acme/v1.jsonl line 3: bad record (fix the line)"
    assert "Traceback" not in result.output
