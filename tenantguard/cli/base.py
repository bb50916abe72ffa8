"""`tenantguard base init`: train (or adopt) the shared base `<feature>.base` with a tuner and register it with
lineage, outside Dagster; what the `base_model` asset does, for one feature or all."""
from __future__ import annotations

import click

from tenantguard.cli.common import handle_errors, settings, use_store


@click.group()
def base() -> None:
    """The shared base model `<feature>.base`."""


@base.command("init")
@click.option("--tuner", "tuner_name", default=None,
              help="Tuner that trains the base: ngram, hf-lora, hf-full (the tiny GPT-2 with its own BPE; "
                   "TENANTGUARD_HF_CHECKPOINT adopts a local checkpoint instead), or module:function  "
                   "[default: TENANTGUARD_TUNER]. Tune tenants with the same tuner.")
@click.option("--feature", default=None, help="One feature (default: every feature tenants.yaml names).")
@handle_errors
def init(tuner_name: str | None, feature: str | None) -> None:
    """Train the base on <home>/base_corpus.jsonl and register it; it becomes @champion only if the base audit
    finds no tenant's data in it (exit 1 otherwise)."""
    import dataclasses
    import sys

    from tenantguard.errors import ConfigError
    from tenantguard.gates.tune import register_base
    from tenantguard.models.tuners import tuner_for
    from tenantguard.tenants import load_tenants

    s = settings()
    if tuner_name:
        s = dataclasses.replace(s, tuner=tuner_name)
    tuner_for(s)  # a bad name: one line before anything trains
    tenants = load_tenants(s.tenants_file)
    features = sorted({f for t in tenants for f in t.features})
    if feature is not None and feature not in features:
        raise ConfigError(f"--feature {feature!r}: no tenant in {s.tenants_file} has it (known: {', '.join(features)})")
    reg = use_store(s)
    failed = False
    for f in [feature] if feature else features:
        out = register_base(s, reg, f, tenants)
        r = out.registered
        click.echo(f"{r.name} v{r.version}{' (reused)' if r.reused else ''} by {s.tuner}: base audit "
                   f"{out.audit_verdict}; champion v{out.champion}")
        failed |= out.audit_verdict not in ("passed", "not_run")
    sys.exit(1 if failed else 0)
