"""Errors tenantguard raises. Only the Dagster layer and the CLI turn them into failures / exit codes."""
from __future__ import annotations


class TenantGuardError(Exception):
    """Base of every tenantguard error; the CLI prints its one-line message and exits 2."""

    exit_code = 2


class ConfigError(TenantGuardError):
    """A setting, environment variable or CLI flag is invalid."""


class TenantsFileInvalid(ConfigError):
    """`tenants.yaml` is malformed or names an invalid tenant."""


class UnknownTenant(ConfigError):
    """A tenant id that `tenants.yaml` does not define."""


class DatasetInvalid(TenantGuardError):
    """A fine-tuning dataset cannot be used (missing, empty, unreadable)."""


class MlflowUnavailable(TenantGuardError):
    """The MLflow tracking/registry store cannot be reached."""


class ModelOutputInvalid(TenantGuardError):
    """A model returned something the Model I/O contract does not allow."""


class CheckpointInvalid(TenantGuardError):
    """A model checkpoint or adapter cannot be used: missing, corrupt, mismatched, or tuned from another base."""


class ProbeSuiteInvalid(TenantGuardError):
    """A probe-suite file is malformed."""


class BehaviorProfileInvalid(TenantGuardError):
    """A stored behavior profile (baseline) cannot be read; recompute it."""


class AuditChainBroken(TenantGuardError):
    """The hash-chained audit log does not verify."""

    exit_code = 1


class Unauthorized(TenantGuardError):
    """The actor's token is unknown or its role does not allow the action."""


class InferenceLogInvalid(TenantGuardError):
    """An inference-log row or file does not match the contract in docs/contracts.md."""


class ScopeInvalid(ConfigError):
    """A kill-switch scope, fallback or expiry is malformed."""


class SwitchNotFound(TenantGuardError):
    """No kill switch has the given id or scope."""


class StoreUnavailable(TenantGuardError):
    """The kill-switch / audit database cannot be reached."""


class DrillFailed(TenantGuardError):
    """A kill-switch drill's clients did not start or never observed the switch."""

    exit_code = 1
