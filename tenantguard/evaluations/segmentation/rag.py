"""RAG retrieval-boundary audit: does the platform's retriever hand tenant B anything of tenant A?

For every requester B, within a fixed probe budget (rag_plan.py):
- controls: B's own texts must bring B's own documents back (positive control; a retriever that returns
  nothing to anyone makes the audit `error`, a tenant it returns nothing to is audited as having no
  documents, and such a tenant must get nothing back at all);
- cross-tenant probes: distinctive windows of other tenants' texts (they fingerprint to that tenant) and,
  when the retriever has `ingest(tenant_id, doc_id, text)`, queries for canary documents planted through
  it into tenants that hold documents;
- adversarial probes: filter-bypass phrasings, wildcard-like inputs, other tenants' ids and names,
  empty and very long queries;
- displacement probes (with ingest): B's planted topic word plus the secret digits of A's planted canary
  document, and the same with a never-planted canary's digits. They differ only in digits no document
  of B holds, so a pre-filtered index answers both alike; when the filter runs after the top-k, A's
  document takes a slot and B gets fewer of its own documents back.
A violation is any returned document labelled with another tenant, whose text holds another tenant's
canary or fingerprints, or a displacement. Evidence is masked.
"""
from __future__ import annotations

import hashlib

import time
from typing import Callable, Sequence

from tenantguard.evaluations.segmentation import report as R
from tenantguard.evaluations.segmentation.adapters import AdapterFailure, Guarded
from tenantguard.evaluations.segmentation.error_budget import ErrorBudget
from tenantguard.evaluations.segmentation.evidence import ForeignData, masked_doc, segmentation_canaries
from tenantguard.evaluations.segmentation.rag_plan import (CONTROLS, DISPLACEMENTS, FIXED_ADVERSARIAL, NAMED_TENANTS,
                                                           RagConfig)
from tenantguard.evaluations.segmentation.sampling import NEUTRAL, pad_to, rng_for, window
from tenantguard.evaluations.textnorm import words
from tenantguard.tenants import Tenant

KIND = "rag_boundary"


class _Audit:
    def __init__(self, retriever: Guarded, tenants: Sequence[Tenant], texts: Callable[[str], Sequence[str]],
                 foreign: ForeignData, secret: bytes | None, neutral: Sequence[str], config: RagConfig):
        self.r, self.texts_of, self.foreign, self.secret, self.cfg = retriever, texts, foreign, secret, config
        self.tenants = {t.id: t for t in tenants}
        self.neutral = list(neutral) or list(NEUTRAL)
        self.budget = ErrorBudget(config.max_errors)
        self.notes: list[str] = []
        self.findings: dict[tuple, R.Finding] = {}
        self.holds_docs: dict[str, bool] = {}
        self.live_controls = 0
        self.controls_tried = 0
        self.planted: dict[str, list] = {}
        self._texts: dict[str, list[str]] = {}
        self._topics: dict[str, str] = {}

    @property
    def planted_any(self) -> bool:
        return any(self.planted.values())

    # -- adapter access ---------------------------------------------------------------------------
    def retrieve(self, requester: str, query: str, what: str) -> list[dict]:
        try:
            docs = self.r.call("retrieve", requester, query, self.cfg.k)
        except (AdapterFailure, PermissionError) as exc:
            return self._fail(f"{requester}: {what}: {exc}")
        if not isinstance(docs, list):
            return self._fail(f"{requester}: {what}: retrieve() returned {type(docs).__name__}, expected a list of "
                              f"dicts with doc_id, tenant_id, text")
        return docs

    def _fail(self, msg: str) -> list:
        self.budget.fail(msg)
        return []  # what the failed call returned, for the caller: no documents

    def own_texts(self, tid: str) -> list[str]:
        if tid not in self._texts:
            self._texts[tid] = [t for t in self.texts_of(tid) if isinstance(t, str) and words(t)]
        return self._texts[tid]

    # -- classification of one response -----------------------------------------------------------
    def check(self, requester: str, docs: list, what: str) -> list[str]:
        """Record violations in `docs`; return the ids of well-formed documents of the requester."""
        own = []
        for i, doc in enumerate(docs):
            if not isinstance(doc, dict):
                self._fail(f"{requester}: {what}: document {i} is {type(doc).__name__}, expected a dict")
                continue
            missing = [key for key in ("doc_id", "tenant_id", "text") if key not in doc]
            text, label = doc.get("text"), doc.get("tenant_id")
            doc_id = str(doc.get("doc_id", f"#{i}"))[:64]
            if missing:
                self._fail(f"{requester}: {what}: document {i} has no {', '.join(repr(m) for m in missing)} "
                           f"(contract: doc_id, tenant_id, text)")
            elif not isinstance(text, str):
                self._fail(f"{requester}: {what}: document {doc_id} text is {type(text).__name__}, expected str")
            evidence = self.foreign.find(text, requester) if isinstance(text, str) else []
            sources = {e.source_tenant: e for e in evidence}
            if label is not None and label != requester:
                source = str(label)[:40]
                self._finding(requester, "foreign_tenant_id", source, doc_id, what,
                              f"doc {doc_id} labelled tenant {source!r}: {masked_doc(text)}",
                              "; ".join(f"{e.how}: {e.masked}" for e in evidence if e.source_tenant == source))
                sources.pop(source, None)
            for source, e in sources.items():
                kind = "foreign_canary" if e.how == "canary" else "foreign_content"
                self._finding(requester, kind, source, doc_id, what,
                              f"doc {doc_id} labelled {label!r} holds {source}'s data: {e.masked}")
            if not missing and label == requester and isinstance(text, str) and not sources:
                own.append(doc_id)
        return own

    def _finding(self, requester, kind, source, doc_id, what, evidence, detail="") -> None:
        if self.holds_docs.get(requester) is False and kind != "ranked_before_filter":
            kind = f"documents_for_empty_tenant/{kind}"
        key = (requester, kind, source, doc_id)
        if key not in self.findings:
            self.findings[key] = R.Finding(kind, requester, source, what, evidence, detail)

    # -- probes -----------------------------------------------------------------------------------
    def control(self, tid: str, text: str) -> list[str]:
        own = self.check(tid, self.retrieve(tid, text, "own-data control"), "own-data control")
        self.live_controls += bool(own)
        if own:
            self.holds_docs[tid] = True
        return own

    def ensure_known(self, tid: str) -> bool:
        """Whether `tid` holds documents, by one control query (cached); plants its canaries if it does."""
        if tid not in self.holds_docs:
            texts = self.own_texts(tid)
            self.controls_tried += bool(texts)
            self.holds_docs[tid] = bool(texts) and bool(self.control(tid, window(texts[0])))
        if self.holds_docs[tid] and tid not in self.planted:
            self.plant(tid)
        return self.holds_docs[tid]

    def plant(self, tid: str) -> None:
        self.planted[tid] = []
        if not self.secret or not self.r.has("ingest"):
            return
        name = self.tenants[tid].name if tid in self.tenants else tid
        for c in segmentation_canaries(self.secret, tid, "rag", k=self.cfg.canaries_per_tenant):
            try:
                self.r.call("ingest", tid, f"tenantguard-canary-{c.tag[:12]}", f"{name} internal note: {c.text}.")
            except (AdapterFailure, PermissionError) as exc:
                self._fail(f"{tid}: planting a canary document through ingest(): {exc}")
                return
            self.planted[tid].append(c)
        self.foreign.canaries.add(tid, self.planted[tid])

    def audit(self, requester: str) -> None:
        rng = rng_for(self.cfg.seed, "rag", requester)
        others = [t for t in self.tenants if t != requester]
        order = [others[i] for i in rng.permutation(len(others))]
        mine = self.own_texts(requester)
        budget = self.cfg.probes
        picks = rng.choice(len(mine), min(CONTROLS, len(mine)), replace=False) if mine else []
        for i in picks:
            self.controls_tried += 1
            self.control(requester, window(mine[int(i)]))
            budget -= 1
        self.holds_docs.setdefault(requester, False)
        if mine and not self.holds_docs[requester]:
            self.notes.append(f"{requester}: own-data controls returned none of its documents; audited as a tenant "
                              f"with no documents, which must get nothing back")
        if not mine:
            self.notes.append(f"{requester}: no own texts for controls (no prepared data); foreign-data probes only")
        budget -= self.adversarial(requester, order[:NAMED_TENANTS])
        self.cross(requester, order, max(budget, 1))

    def displacement(self, requester: str, source: str, canary) -> int:
        """A word only the requester's topic documents hold, plus the secret digits of A's planted canary
        document, vs the same with the digits of a never-planted canary of the same format.

        The topic documents (k of them, planted into the requester through ingest(), neutral filler around
        one random word) fill the requester's top-k for both queries when the index is pre-filtered. When
        the filter runs after the top-k, A's document, matching the digits, takes a slot in the first query
        and the requester gets fewer of its own documents back."""
        word = self.topic(requester)
        if not word:
            return 0
        ref = segmentation_canaries(self.secret, source, "rag-reference", k=canary.index + 1)[canary.index]
        what = f"displacement probe (own topic + {source}'s planted canary document vs an unplanted one)"
        got_p = self.check(requester, self.retrieve(requester, f"{word} {canary.secret_digits}", what), what)
        got_r = self.check(requester, self.retrieve(requester, f"{word} {ref.secret_digits}", what), what)
        if len(got_p) < len(got_r):
            self._finding(requester, "ranked_before_filter", source, f"canary {canary.id}", what,
                          f"{len(got_p)} own docs with {source}'s planted document in the query vs {len(got_r)} "
                          f"with an identical query whose digits match nothing",
                          "other tenants' documents compete for the top-k before the tenant filter "
                          "(filter applied after retrieval)")
        return 2

    def topic(self, requester: str) -> str:
        """Plant (once) k topic documents into the requester: one random word amid neutral filler."""
        if requester not in self._topics:
            word = ""
            if self.secret and self.r.has("ingest") and self.holds_docs.get(requester):
                word = "tgtopic" + _sha(f"{self.secret!r}/{requester}/topic", 10)  # the secret keys it
                name = self.tenants[requester].name
                filler = " ".join(self.neutral[:2]) if len(" ".join(self.neutral[:2]).split()) > 20 else \
                    " ".join(NEUTRAL)
                for i in range(self.cfg.k):
                    try:
                        self.r.call("ingest", requester, f"tenantguard-topic-{_sha(word, 8)}-{i}",
                                    f"{name} reference note {i}: {word}. {filler}")
                    except (AdapterFailure, PermissionError) as exc:
                        self._fail(f"{requester}: planting a topic document through ingest(): {exc}")
                        word = ""
                        break
            self._topics[requester] = word
        return self._topics[requester]

    def adversarial(self, requester: str, named: list[str]) -> int:
        probes = [(what, q if q is not None else pad_to(self.neutral, 3000)) for what, q in FIXED_ADVERSARIAL]
        for tid in named:
            t = self.tenants[tid]
            probes += [(f"other tenant's id ({tid})", f"tenant_id:{tid}"), (f"other tenant's name ({tid})", t.name)]
        for what, q in probes:
            self.check(requester, self.retrieve(requester, q, f"adversarial: {what}"), f"adversarial: {what}")
        return len(probes)

    def cross(self, requester: str, order: list[str], n: int) -> None:
        sources = order[: max(1, n // 2)]
        rng = rng_for(self.cfg.seed, "rag-cross", requester)
        pairs = 0
        for s in sources:
            if not self.ensure_known(s):
                continue
            for c in self.planted.get(s, []):
                if n <= 0:
                    return
                what = f"cross-tenant probe ({s}'s canary document)"
                self.check(requester, self.retrieve(requester, f"{self.tenants[s].name} {c.format.prefix}", what), what)
                n -= 1
                if pairs < DISPLACEMENTS and n >= 2:
                    pairs += 1
                    n -= self.displacement(requester, s, c)
        with_text = [s for s in sources if self.own_texts(s)]
        for i in range(n if with_text else 0):
            s = with_text[i % len(with_text)]
            texts = self.own_texts(s)
            what = f"cross-tenant probe ({s}'s distinctive text)"
            q = self.distinctive(s, texts[int(rng.integers(len(texts)))])
            self.check(requester, self.retrieve(requester, q, what), what)

    def distinctive(self, source: str, text: str) -> str:
        """The part of `text` that fingerprints to `source` (so a returned copy is attributable)."""
        if self.foreign.index is not None:
            for h in self.foreign.index.scan(text):
                if h.source_tenant == source:
                    return window(text[h.start:h.end], 60)
        return window(text)


def audit_rag(retriever: Guarded, tenants: Sequence[Tenant], requesters: Sequence[str], *,
              texts: Callable[[str], Sequence[str]], foreign: ForeignData, secret: bytes | None = None,
              neutral: Sequence[str] = (), config: RagConfig = RagConfig(),
              adapter: str = "retriever") -> R.SegmentationReport:
    """Probe `retriever` as each requester; never raises on adapter failures (they become `error`)."""
    config.validate()
    t0 = time.perf_counter()
    a = _Audit(retriever, tenants, texts, foreign, secret, neutral, config)
    with a.budget.spend():
        for requester in requesters:
            a.audit(requester)
    errors = a.budget.errors
    notes = [*a.notes, *a.budget.notes()]
    planted = sum(len(v) for v in a.planted.values())
    notes.append(f"canary documents planted through ingest(): {planted}" if planted else
                 "no canary documents planted (retriever has no ingest()): detection by tenant_id and fingerprints "
                 "only; a filter applied after top-k leaks no document and is not testable without ingest()")
    reason = ""
    if not a.controls_tried and not a.planted_any and not a.findings:
        reason = ("no tenant has texts to build own-data controls from (no prepared or raw dataset) and the retriever "
                  "has no ingest() to plant canary documents; add datasets or an ingest() to the adapter")
    elif not a.live_controls and not errors:
        errors.append(f"the retriever returned no own documents for any control query "
                      f"({len(a.holds_docs)} tenant(s) tried): the tenant boundary was never exercised")
    return R.build(KIND, adapters=[adapter], requesters=requesters, findings=a.findings.values(), errors=errors,
                   not_run_reason=reason, notes=notes, calls=retriever.calls, budget=config.budget(),
                   elapsed_s=time.perf_counter() - t0)


def _sha(text: str, n: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]
