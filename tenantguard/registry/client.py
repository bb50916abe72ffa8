"""A thin layer on MlflowClient: experiments, dataset inputs, versions with tags, aliases read back.

Names of models, tags and aliases: registry.tags.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Iterable

from tenantguard.config import library_defaults
from tenantguard.errors import MlflowUnavailable
from tenantguard.registry.tags import TAG_FEATURE, TAG_TENANT

log = logging.getLogger(__name__)
_OS_ERROR = re.compile(r"\[Errno -?\d+\] ([^'\"()\[\]]+)")


def cause(exc: BaseException, limit: int = 160) -> str:
    """Why `exc` happened, in a few words: the OS error inside a failed connection (e.g. "Connection refused"),
    else its first line, cut at a word boundary or not at all."""
    text = str(exc).strip()
    if found := _OS_ERROR.search(text):
        return found.group(1).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    cut = first.rfind(" ", 0, limit)
    return first if len(first) <= limit or cut <= 0 else first[:cut].rstrip(" ,;:(") + " ..."


class Registry:
    def __init__(self, tracking_uri: str, artifact_root: Path | None = None):
        library_defaults()  # fail fast, no telemetry or progress bars: MLflow reads them from the environment
        self.tracking_uri = tracking_uri
        # A tracking server decides where artifacts go; a database store (SQLite, PostgreSQL) needs the home's.
        self.artifact_root = None if tracking_uri.startswith(("http:", "https:", "databricks")) else artifact_root
        self._client = None

    @property
    def client(self):
        if self._client is None:
            import mlflow
            from mlflow import MlflowClient

            mlflow.set_tracking_uri(self.tracking_uri)
            mlflow.set_registry_uri(self.tracking_uri)
            self._client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        return self._client

    def check_reachable(self) -> None:
        if self.tracking_uri.startswith("sqlite:///"):
            parent = Path(self.tracking_uri[len("sqlite:///"):]).parent
            if not parent.is_dir():
                raise MlflowUnavailable(f"MLflow store {self.tracking_uri}: directory {parent} does not exist "
                                        f"(check TENANTGUARD_HOME / MLFLOW_TRACKING_URI)")
        try:
            self.client.search_experiments(max_results=1)
        except Exception as exc:  # MLflow raises many types for an unreachable store
            raise MlflowUnavailable(f"MLflow store {self.tracking_uri} is unreachable ({cause(exc)}); start the "
                                    f"server or fix MLFLOW_TRACKING_URI") from None

    def experiment_id(self, name: str) -> str:
        exp = self.client.get_experiment_by_name(name)
        if exp is not None:
            return exp.experiment_id
        location = None
        if self.artifact_root is not None:
            location = (self.artifact_root / name.replace("/", "_")).resolve().as_uri()
        return self.client.create_experiment(name, artifact_location=location)

    def ensure_model(self, name: str, tags: dict[str, str]) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(name)
        except MlflowException:
            self.client.create_registered_model(name, tags=tags)

    def register(self, name: str, model_uri: str, run_id: str, tags: dict[str, str]):
        import mlflow

        self.ensure_model(name, {k: v for k, v in tags.items() if k in (TAG_TENANT, TAG_FEATURE)})
        mv = mlflow.register_model(model_uri, name, tags=tags)
        return self.client.get_model_version(name, mv.version)

    def versions(self, name: str) -> list:
        from mlflow.exceptions import MlflowException

        try:
            found = self.client.search_model_versions(f"name = '{name}'")
        except MlflowException:
            return []
        return sorted(found, key=lambda v: int(v.version))

    def find_version(self, name: str, tags: dict[str, str]):
        """The newest version whose tags include all of `tags` (idempotent re-registration)."""
        for mv in reversed(self.versions(name)):
            if all(mv.tags.get(k) == v for k, v in tags.items()):
                return mv
        return None

    def alias_version(self, name: str, alias: str) -> str | None:
        from mlflow.exceptions import MlflowException

        try:
            return str(self.client.get_model_version_by_alias(name, alias).version)
        except MlflowException:
            return None

    def point_alias(self, name: str, alias: str, version: str) -> None:
        """Re-point an alias and read it back; an alias already there is left alone."""
        if self.alias_version(name, alias) == str(version):
            return
        self._write(f"re-point {name}@{alias} to version {version}", self.client.set_registered_model_alias,
                    name, alias, str(version))
        back = self.alias_version(name, alias)
        if back != str(version):
            raise MlflowUnavailable(f"{name}@{alias}: set to version {version} but reads back {back}")

    def remove_alias(self, name: str, alias: str) -> None:
        if self.alias_version(name, alias) is not None:
            self._write(f"remove {name}@{alias}", self.client.delete_registered_model_alias, name, alias)

    def describe(self, name: str, version: str, text: str) -> None:
        self._write(f"describe {name}/{version}", self.client.update_model_version, name, str(version), text)

    def tag_version(self, name: str, version: str, tags: dict[str, str]) -> None:
        for k, v in tags.items():
            self._write(f"tag {name}/{version} {k}", self.client.set_model_version_tag, name, str(version), k, v)

    def all_versions(self) -> list:
        """Every model version in the registry, paged."""
        found, token = [], None
        while True:
            page = self.client.search_model_versions(max_results=1000, page_token=token)
            found.extend(page)
            token = getattr(page, "token", None)
            if not token:
                return found

    def champions(self) -> dict[str, str]:
        """name -> version of every registered model that has a `champion` alias, paged."""
        out, token = {}, None
        while True:
            page = self.client.search_registered_models(max_results=1000, page_token=token)
            for rm in page:
                if "champion" in (rm.aliases or {}):
                    out[rm.name] = str(rm.aliases["champion"])
            token = getattr(page, "token", None)
            if not token:
                return out

    def _write(self, what: str, fn, *args, _retry: bool = True) -> None:
        """A registry write; a store that refuses it fails with one line naming the store and the write."""
        from mlflow.exceptions import MlflowException

        try:
            fn(*args)
        except MlflowException as exc:
            if _retry and any(m in str(exc) for m in ("UniqueViolation", "UNIQUE constraint failed")):
                # A concurrent writer (a parallel step on a distributed executor) inserted the same key
                # first; the second attempt is an update.
                return self._write(what, fn, *args, _retry=False)
            raise MlflowUnavailable(f"MLflow store {self.tracking_uri} refused to {what} ({cause(exc)}); "
                                    f"nothing after it was written, rerun when the store accepts writes") from None

    def log_dataset_input(self, records: Iterable[dict], *, name: str, source: str, digest: str,
                          context: str = "training") -> None:
        """Log a dataset as an input of the active run with an explicit digest (lineage)."""
        import mlflow
        import pandas as pd

        df = pd.DataFrame(list(records), columns=["record_id", "tenant_id", "prompt", "completion"])
        ds = mlflow.data.from_pandas(df, source=source, name=name, digest=digest)
        mlflow.log_input(ds, context=context)
