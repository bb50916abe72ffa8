"""Fixtures for kill-switch tests: real SQLite files and a real PostgreSQL schema per test."""
from __future__ import annotations

import hashlib
import os
import socket
import threading
import uuid

import pytest
import sqlalchemy as sa

from tenantguard.killswitch.auth import Actor

PG_HOST = os.environ.get("TENANTGUARD_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TENANTGUARD_TEST_PG_PORT", "5432"))
RESPONDER = Actor.system("tests")
AUDIT_KEY = hashlib.sha256(b"tenantguard tests: the audit chain key").digest()


def _pg_base() -> str | None:
    """A URL of a reachable PostgreSQL database, or None."""
    for user in ("postgres", "root"):
        for dbname in ("test", "postgres", "root"):
            url = f"postgresql+psycopg2://{user}@{PG_HOST}:{PG_PORT}/{dbname}"
            try:
                engine = sa.create_engine(url, connect_args={"connect_timeout": 2})
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
                engine.dispose()
                return url
            except Exception:
                continue
    return None


@pytest.fixture(scope="session")
def pg_base() -> str:
    url = _pg_base()
    if url is None:
        pytest.skip(f"no PostgreSQL server reachable at {PG_HOST}:{PG_PORT} (users postgres/root, "
                    f"databases test/postgres/root); start one or set TENANTGUARD_TEST_PG_HOST/PORT")
    return url


def _with_schema(base: str, schema: str, port: int | None = None) -> str:
    url = sa.engine.make_url(base)
    if port is not None:
        url = url.set(port=port)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture
def pg_url(pg_base):
    """A fresh schema in the test database; dropped afterwards. Other people's tests never see it."""
    schema = f"tgks_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    yield _with_schema(pg_base, schema)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'ks.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> str:
    """Each test using this runs on a SQLite file and on a real PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ks.db'}"
    return request.getfixturevalue("pg_url")


class TcpProxy:
    """A localhost TCP forwarder we can cut, to simulate the database going away mid-flight."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.closed:
                client.close()
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        """Refuse new connections and break the open ones."""
        self.closed = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for s in self.conns:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass


@pytest.fixture
def pg_proxy_url(pg_base, pg_url):
    """pg_url's schema reached through a proxy the test can cut (returns (url, proxy))."""
    base = sa.engine.make_url(pg_base)
    proxy = TcpProxy(base.host, base.port or 5432)
    schema = sa.engine.make_url(pg_url).query["options"].split("=", 1)[1]
    yield _with_schema(pg_base, schema, port=proxy.port), proxy
    proxy.cut()
