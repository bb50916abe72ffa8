"""`tenantguard.dagster`: the public names a user's Dagster project imports (a rename breaks their defs.yaml)."""
import tenantguard.dagster as tgd


def test_public_names_are_locked():
    assert tgd.__all__ == ["TenantGuardComponent", "build_defs"]


def test_the_component_declares_every_factory_option_with_the_same_defaults():
    import inspect

    factory = {k: p.default for k, p in inspect.signature(tgd.build_defs).parameters.items() if k != "executor"}
    fields = {k: f.default for k, f in tgd.TenantGuardComponent.model_fields.items()}
    assert fields == factory
