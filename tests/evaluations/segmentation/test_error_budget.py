"""The shared error budget: errors are kept, the max-th stops the probes, and the report says so."""
import pytest

from tenantguard.evaluations.segmentation.error_budget import ErrorBudget


def test_errors_under_the_budget_are_recorded_and_the_audit_runs_to_the_end():
    budget = ErrorBudget(3)
    ran = []
    with budget.spend():
        for i in range(4):
            if i < 2:
                budget.fail(f"call {i} timed out")
            ran.append(i)
    assert ran == [0, 1, 2, 3] and budget.errors == ["call 0 timed out", "call 1 timed out"]
    assert budget.notes() == []


def test_the_last_tolerated_error_ends_the_block_and_leaves_a_note():
    budget = ErrorBudget(2)
    ran = []
    with budget.spend():
        for i in range(10):
            budget.fail(f"call {i} failed")
            ran.append(i)
    assert ran == [0] and len(budget.errors) == 2
    budget.errors.append("a later check found nothing exercised")  # an audit's closing checks may add more
    assert budget.notes() == ["stopped after 2 adapter errors"]


def test_other_exceptions_pass_through_and_a_zero_budget_is_rejected():
    with pytest.raises(KeyError), ErrorBudget(3).spend():
        raise KeyError("a bug, not an adapter error")
    with pytest.raises(ValueError, match="max_errors"):
        ErrorBudget(0)
