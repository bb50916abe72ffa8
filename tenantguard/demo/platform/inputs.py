"""Audit inputs for an in-memory demo world (no home): used by tests and benchmarks/segmentation_*.py."""
from __future__ import annotations

from tenantguard.demo.platform.documents import documents_from_records
from tenantguard.demo.world import World
from tenantguard.evaluations.fingerprint import FingerprintIndex
from tenantguard.evaluations.segmentation.inputs import SegmentationInputs


def record_texts(world: World, tenant_id: str) -> list[str]:
    return [f"{r['prompt']}\n{r['completion']}" for r in world.datasets.get(tenant_id, [])]


def world_index(world: World) -> FingerprintIndex:
    index = FingerprintIndex()
    for t in world.tenants:
        index.add_tenant(t.id, record_texts(world, t.id) + [t.system_prompt])
    index.add_base(world.base_corpus)
    return index


def world_inputs(world: World, secret: bytes, *, log_rows=None) -> tuple[SegmentationInputs, dict[str, list[dict]]]:
    """(inputs, the platform's documents per tenant); the last tenant holds no documents."""
    docs = documents_from_records(world.datasets, [t.id for t in world.tenants])
    inputs = SegmentationInputs(tenants=tuple(world.tenants), secret=secret, index=world_index(world),
                                texts=lambda tid: record_texts(world, tid), neutral=tuple(world.base_corpus[:20]),
                                log_rows=log_rows)
    return inputs, docs
