"""A small gated world for the gate use-case tests (helpers, not tests).

One template home per test module: a seeded 3-tenant world, every tenant's dataset prepared, the shared base
registered and `champion` in a real SQLite MLflow store. Every test runs on a copy of it.
"""
from __future__ import annotations

import hashlib
import shutil

import mlflow
import pytest
from conftest import use_home, write_small_world

from tenantguard.home.corpora import read_base_corpus
from tenantguard.home.prepare import prepare_dataset
from tenantguard.home.prepared import load_prepared
from tenantguard.killswitch.audit import AuditLog
from tenantguard.models.adapter import load_tenant_model
from tenantguard.models.ngram_tuner import finetune, log_ngram_model, train_base
from tenantguard.registry import client as R
from tenantguard.registry import tags as T
from tenantguard.registry.promotion import audit_to_log, promote
from tenantguard.tenants import load_tenants

FEATURE = "support-assistant"
SECRET = "gate-world-secret"
BASE = T.model_name(FEATURE, T.BASE_TENANT)


def template_home(tmp_path_factory, label: str):
    """The template home (prepared data, base v1 champion); returns its path."""
    home = tmp_path_factory.mktemp(f"{label}-template") / "home"
    with pytest.MonkeyPatch.context() as mp:
        s = use_home(mp, home, secret=SECRET)
        world = write_small_world(s)
        for t in world.tenants:
            prepare_dataset(s, t, tenants=world.tenants)
        reg = R.Registry(s.mlflow_tracking_uri, s.artifact_root)
        texts = read_base_corpus(s)
        digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        with mlflow.start_run(experiment_id=reg.experiment_id(T.tenant_experiment(T.BASE_TENANT))) as run:
            info = log_ngram_model(train_base(texts))
        mv = reg.register(BASE, info.model_uri, run.info.run_id,
                          {T.TAG_TENANT: T.BASE_TENANT, T.TAG_FEATURE: FEATURE, T.TAG_DIGEST: digest})
        reg.point_alias(BASE, "champion", str(mv.version))
        mlflow.set_tracking_uri(None)
    return home


class GateWorld:
    """A copy of the template: settings, registry, tenants and helpers to register tenant versions."""

    def __init__(self, settings):
        self.settings = settings
        self.reg = R.Registry(settings.mlflow_tracking_uri, settings.artifact_root)
        self.tenants = load_tenants(settings.tenants_file)
        self.a, self.b, self.c = self.tenants
        self._base_lm = None

    def name(self, tenant) -> str:
        return T.model_name(FEATURE, tenant.id)

    def train(self, tenant) -> list[dict]:
        return load_prepared(self.settings, tenant.id).train

    def register(self, tenant, records, *, alias: str | None = "candidate", **tags) -> str:
        """Fine-tune the base on `records`, register a version of the tenant's model; alias it."""
        if self._base_lm is None:
            self._base_lm = load_tenant_model(f"models:/{BASE}/1").lm
        exp = self.reg.experiment_id(T.tenant_experiment(tenant.id))
        with mlflow.start_run(experiment_id=exp) as run:
            info = log_ngram_model(finetune(self._base_lm, records))
        mv = self.reg.register(self.name(tenant), info.model_uri, run.info.run_id,
                               {T.TAG_TENANT: tenant.id, T.TAG_FEATURE: FEATURE, T.TAG_BASE_VERSION: "1",
                                T.TAG_STATUS: "candidate", **tags})
        if alias:
            self.reg.point_alias(self.name(tenant), alias, str(mv.version))
        return str(mv.version)

    def tags(self, tenant, version: str) -> dict:
        return self.reg.client.get_model_version(self.name(tenant), version).tags

    def audit(self, action: str) -> list:
        return list(AuditLog.from_settings(self.settings).entries(action=action))


def copy(template_home, tmp_path, monkeypatch) -> GateWorld:
    dst = tmp_path / "home"
    shutil.copytree(template_home, dst)
    world = GateWorld(use_home(monkeypatch, dst, secret=SECRET))
    world.reg.check_reachable()  # points MLflow's global registry URI at the copy (`register` loads by URI)
    return world


def promote_twice(world: GateWorld) -> GateWorld:
    """Tenant a's v1, then v2, each passing its gates and promoted: v2 is champion, v1 the rollback target."""
    for records in (world.train(world.a), world.train(world.a)[5:]):
        version = world.register(world.a, records, **{T.TAG_ISOLATION: "passed", T.TAG_BEHAVIOR: "passed"})
        promote(world.reg, world.name(world.a), version, audit_to_log(world.settings, actor="test"))
    return world


def fixtures(label: str, *, prefix: str = ""):
    """A test module's `<prefix>template` (built once per module) and `<prefix>world` (a fresh copy per test)
    fixtures: `template, world = gate_world.fixtures("isolation")`."""

    @pytest.fixture(scope="module", name=f"{prefix}template")
    def template(tmp_path_factory):
        return template_home(tmp_path_factory, label)

    @pytest.fixture(name=f"{prefix}world")
    def world(request, tmp_path, monkeypatch):
        yield copy(request.getfixturevalue(f"{prefix}template"), tmp_path, monkeypatch)
        mlflow.set_tracking_uri(None)

    return template, world
