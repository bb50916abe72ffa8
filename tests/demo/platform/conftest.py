import pytest

from tenantguard.demo.platform.documents import documents_from_records
from tenantguard.demo.world import build_world


@pytest.fixture(scope="module")
def docs():
    """The demo platform's documents for a seeded 3-tenant world; the third tenant holds none."""
    w = build_world(3, seed=2, records_per_tenant=20)
    return documents_from_records(w.datasets, [t.id for t in w.tenants])
