"""Evaluation inputs built from the home: every tenant's prepared corpus, canaries and the base corpus."""
from __future__ import annotations

import hashlib
import json
from typing import Sequence

from tenantguard.config import Settings
from tenantguard.errors import DatasetInvalid, TenantGuardError
from tenantguard.evaluations.canaries import is_canary_record, make_canaries
from tenantguard.evaluations.fingerprint import FingerprintIndex
from tenantguard.evaluations.isolation import IsolationInputs, TenantCorpus, build_index, record_text
from tenantguard.evaluations.overlap import RecordIndex
from tenantguard.evaluations.splits import split_train_holdout
from tenantguard.home.datasets import newest_state, raw_records
from tenantguard.home.layout import monitoring_dir
from tenantguard.home.prepared import HOLDOUT_FRACTION, current_digest, load_prepared
from tenantguard.tenants import Tenant


def read_base_corpus(settings: Settings, *, required: bool = True) -> list[str]:
    """The shared base model's training texts: `<home>/base_corpus.jsonl`, one {"text": ...} a line.

    Only training the default base needs it (`required`); evaluations run without one, and then only
    fingerprints two or more tenants share are unattributable.
    """
    path = settings.base_corpus_path
    if not path.exists():
        if not required:
            return []
        raise DatasetInvalid(f"{path}: base corpus not found (run `tenantguard demo` or write one text per line "
                             f"as {{\"text\": ...}})")
    texts = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            texts.append(str(json.loads(line)["text"]))
        except (json.JSONDecodeError, KeyError, TypeError):
            raise DatasetInvalid(f"{path} line {n}: expected a JSON object with a 'text' field") from None
    return texts


def tenant_corpora(settings: Settings, tenants: Sequence[Tenant]) -> tuple[list[TenantCorpus], list[str]]:
    """Every tenant's corpus: its prepared data, or (not prepared yet, e.g. early in a backfill) the
    well-formed records of its newest dataset, so what an audit covers does not depend on run order.
    Also the ids of tenants with neither (not audited as sources)."""
    secret = settings.secret()
    corpora, missing = [], []
    for t in tenants:
        try:
            p = load_prepared(settings, t.id)
            train, holdout = p.train, p.holdout
        except TenantGuardError:
            raw = raw_records(settings, t.id)
            if not raw:
                missing.append(t.id)
                continue
            train, holdout = split_train_holdout(raw, HOLDOUT_FRACTION)
        corpora.append(TenantCorpus(t.id, tuple(train), tuple(holdout), tuple(make_canaries(secret, t.id)),
                                    tuple(make_canaries(secret, t.id, reference=True)), t.system_prompt))
    return corpora, missing


def isolation_inputs(settings: Settings, tenants: Sequence[Tenant], target: str | None) -> tuple[IsolationInputs, list[str]]:
    corpora, missing = tenant_corpora(settings, tenants)
    return IsolationInputs(tuple(corpora), target, tuple(read_base_corpus(settings, required=False))), missing


def corpora_key(settings: Settings, tenants: Sequence[Tenant]) -> str:
    """A cache key that changes whenever anything the fingerprint index holds changes: a tenant's data
    (prepared digest, else its newest dataset file), its system prompt, or the base corpus."""
    h = hashlib.sha256()
    for t in sorted(tenants, key=lambda t: t.id):
        state = current_digest(settings, t.id) or newest_state(settings, t.id)
        prompt = hashlib.sha256(t.system_prompt.encode()).hexdigest()[:16]
        h.update(f"{t.id}={state}:{prompt};".encode())
    base = settings.base_corpus_path
    if base.exists():
        st = base.stat()
        h.update(f"base={st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def home_index(settings: Settings, tenants: Sequence[Tenant]) -> FingerprintIndex:
    """Every tenant's corpus and system prompt (a tenant without data yet: its system prompt), and the base
    corpus when there is one: what the evaluations scan outputs, contexts and retrievals against."""
    inputs, missing = isolation_inputs(settings, tenants, None)
    index = build_index(inputs)
    prompts = {t.id: t.system_prompt for t in tenants}
    for tid in missing:
        if prompts[tid]:
            index.add_tenant(tid, [prompts[tid]])
    return index


def cached_index(settings: Settings, tenants: Sequence[Tenant]) -> FingerprintIndex:
    """`home_index`, rebuilt only when data changes."""
    path = monitoring_dir(settings) / f"fingerprints-{corpora_key(settings, tenants)}.npz"
    if path.exists():
        return FingerprintIndex.load(path)
    index = home_index(settings, tenants)
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob("fingerprints-*.npz"):
        old.unlink()
    index.save(path)
    return index


def record_index(settings: Settings, tenants: Sequence[Tenant], *, with_base: bool = True) -> RecordIndex:
    """Normalized-record index of every tenant's prepared data (canaries excluded) and the base corpus."""
    index = RecordIndex()
    corpora, _ = tenant_corpora(settings, tenants)
    for c in corpora:
        index.add(c.tenant_id, [record_text(r) for r in (*c.train, *c.holdout) if not is_canary_record(r)])
    if with_base:
        index.add_base(read_base_corpus(settings, required=False))
    return index
