"""The `tenantguard` command, assembled here from one module per noun.

Each module imports only click and light helpers at top level (heavy imports live in command bodies), so
`tenantguard --help` stays instant.
"""
from __future__ import annotations

import click

from tenantguard.cli.abuse import abuse
from tenantguard.cli.audit import audit
from tenantguard.cli.base import base
from tenantguard.cli.dataset import dataset
from tenantguard.cli.demo import demo
from tenantguard.cli.eval import eval_group
from tenantguard.cli.home import home
from tenantguard.cli.killswitch import killswitch
from tenantguard.cli.logs import logs
from tenantguard.cli.rollback import rollback
from tenantguard.cli.segmentation import audit_segmentation, segmentation
from tenantguard.cli.tenants import tenants


@click.group()
@click.version_option(package_name="tenantguard")
def cli() -> None:
    """tenantguard: cross-tenant isolation gates for shared AI infrastructure."""


for command in (home, tenants, base, dataset, demo, rollback, eval_group, killswitch, audit, segmentation, logs, abuse):
    cli.add_command(command)
audit.add_command(audit_segmentation)  # the old `audit segmentation`, hidden, so existing scripts keep working


def main() -> None:
    cli(prog_name="tenantguard")
