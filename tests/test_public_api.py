"""The public names are a decision: adding or removing one changes this list on purpose."""
import subprocess
import sys

import tenantguard

PUBLIC = ["AuditLog", "FingerprintIndex", "InferenceLog", "KillSwitchClient", "Settings", "Tenant",
          "TenantGuardError", "TenantModel", "__version__", "audit_base", "audit_isolation", "compare_behavior",
          "load_tenant_model", "load_tenants", "profile_behavior"]


def test_public_names_are_locked_and_resolve():
    assert tenantguard.__all__ == PUBLIC
    for name in PUBLIC:
        assert getattr(tenantguard, name) is not None


def test_import_is_cheap():
    code = ("import sys, tenantguard; heavy = [m for m in ('dagster', 'mlflow', 'evidently', 'great_expectations')"
            " if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
