"""The error budget every segmentation audit shares: adapter errors are recorded, and the `max_errors`-th
one stops the audit's probes, so a platform that is down costs a few timeouts, not one per probe.

An audit runs its probes inside `with budget.spend():`; when the budget is spent the block ends and the
audit still builds its report (verdict `error`, with the errors seen and a note saying it stopped).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


class BudgetSpent(Exception):
    """Raised by `ErrorBudget.fail` at the last tolerated error; caught by `ErrorBudget.spend`."""


class ErrorBudget:
    def __init__(self, max_errors: int):
        if max_errors < 1:
            raise ValueError(f"Expected max_errors >= 1, got {max_errors}")
        self.max_errors = max_errors
        self.errors: list[str] = []
        self.stopped_at = 0  # errors seen when the audit stopped (0: it ran to the end)

    def fail(self, message: str) -> None:
        """Record one adapter error; the `max_errors`-th ends the enclosing `spend()` block."""
        self.errors.append(message)
        if len(self.errors) >= self.max_errors:
            raise BudgetSpent

    @contextmanager
    def spend(self) -> Iterator[ErrorBudget]:
        try:
            yield self
        except BudgetSpent:
            self.stopped_at = len(self.errors)

    def notes(self) -> list[str]:
        """The report note saying the audit stopped early, if it did."""
        return [f"stopped after {self.stopped_at} adapter errors"] if self.stopped_at else []
