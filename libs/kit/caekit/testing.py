"""pytest fixtures: a real RabbitMQ vhost per test, a fresh migrated database per test.

The store is chosen by ``CAE_TEST_DB`` (``sqlite``, the default, or
``postgresql``), so the same integration tests run on both; ``make test``
(and CI) use PostgreSQL. Nothing here mocks the broker or the database.

| variable | default |
|---|---|
| CAE_TEST_DB | sqlite |
| CAE_TEST_PG_URL | postgresql://postgres@127.0.0.1:5432/postgres (an admin connection) |
| CAE_TEST_AMQP_URI | amqp://guest:guest@127.0.0.1:5672/ (the vhost is replaced per test) |
| CAE_TEST_RABBIT_MANAGEMENT | http://127.0.0.1:15672 |
| CAE_TEST_UNIT | unset; ``make test-unit`` sets it: a test asking for RabbitMQ or a database fails |

Unit tests live in ``tests/unit/`` folders and integration tests in
``tests/integration/``; ``make test-unit`` runs the first with ``CAE_TEST_UNIT=1``, so
a unit test that reaches for the broker or a database fixture fails at once.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field, replace
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import requests
from sqlalchemy import create_engine, text

from caekit import auth
from caekit.config import Settings
from caekit.db import make_engine
from caekit.migrations import upgrade
from caekit.tables import create_kit_tables

PG_ADMIN_URL = os.environ.get("CAE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_BASE = os.environ.get("CAE_TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
MANAGEMENT = os.environ.get("CAE_TEST_RABBIT_MANAGEMENT", "http://127.0.0.1:15672").rstrip("/")


def backend() -> str:
    return os.environ.get("CAE_TEST_DB", "sqlite")


# -- RabbitMQ -----------------------------------------------------------------
def management(method: str, path: str, body: dict | None = None):
    """Call the RabbitMQ management API (vhosts for tests and benchmarks)."""
    parts = urlsplit(AMQP_BASE)
    request = urllib.request.Request(f"{MANAGEMENT}/api/{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    token = base64.b64encode(f"{parts.username or 'guest'}:{parts.password or 'guest'}".encode())
    request.add_header("Authorization", f"Basic {token.decode()}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        data = response.read()
        return json.loads(data) if data else None


def _integration_only(what: str) -> None:
    if os.environ.get("CAE_TEST_UNIT"):
        pytest.fail(f"a unit test asked for {what}: it belongs in tests/integration/")


@pytest.fixture
def amqp_uri():
    """A throwaway RabbitMQ vhost for one test; its AMQP URI."""
    _integration_only("RabbitMQ (amqp_uri)")
    vhost = f"cae_test_{uuid.uuid4().hex[:12]}"
    user = urlsplit(AMQP_BASE).username or "guest"
    management("PUT", f"vhosts/{vhost}")
    management("PUT", f"permissions/{vhost}/{user}",
                {"configure": ".*", "write": ".*", "read": ".*"})
    parts = urlsplit(AMQP_BASE)
    yield urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), "", ""))
    try:
        management("DELETE", f"vhosts/{vhost}")
    except (urllib.error.URLError, OSError):
        pass  # broker restarting in an outage test: the vhost is removed by the next cleanup


def queue_info(amqp: str, queue: str) -> dict | None:
    vhost = urlsplit(amqp).path[1:]
    try:
        return management("GET", f"queues/{vhost}/{quote(queue, safe='')}")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def message_count(amqp: str, queue: str) -> int:
    """Messages ready in a queue, read from the broker now (the management API lags ~5 s)."""
    from kombu import Connection

    with Connection(amqp, connect_timeout=5) as conn:
        conn.connect()
        channel = conn.connection.channel()
        try:
            return channel.queue_declare(queue, passive=True).message_count
        finally:
            channel.close()


def publish_raw(amqp: str, body: dict | list | bytes, *, routing_key: str | None = None,
                exchange: str | None = None) -> None:
    """Publish an event body straight to the broker (as a relay, or a misbehaving producer,
    would); a list of events is published as one CloudEvents JSON batch."""
    import amqp as pyamqp
    from kombu import Connection

    from cae_contracts import BATCH_CONTENT_TYPE, CONTENT_TYPE

    content_type = BATCH_CONTENT_TYPE if isinstance(body, list) else CONTENT_TYPE
    first = body[0] if isinstance(body, list) else body
    if isinstance(first, dict):
        routing_key = routing_key or first["type"]
        exchange = exchange or f"{first['type'].split('.')[1]}.events"
        properties = {"message_id": first["id"], "type": first["type"]}
        payload = json.dumps(body)
    else:
        properties, payload = {}, body
    with Connection(amqp, connect_timeout=5) as conn:
        conn.connect()
        channel = conn.connection.channel()
        channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
        message = pyamqp.Message(payload, content_type=content_type, delivery_mode=2, **properties)
        channel.basic_publish_confirm(message, exchange, routing_key, confirm_timeout=10)
        channel.close()


def count_rows(url: str, table: str, where: str = "") -> int:
    return query_rows(url, f"SELECT count(*) FROM {table} {where}")[0][0]


def query_rows(url: str, sql: str, **params) -> list:
    """The rows of one query on a store, read over a connection of its own."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def metric(name: str, **labels) -> float:
    """The current value of a Prometheus sample in this process (0 when absent)."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


# -- databases ----------------------------------------------------------------
class _Databases:
    """Migrates one template per service, then clones it per test (fast)."""

    def __init__(self, tmp_root):
        self.tmp_root = tmp_root
        self.templates: dict[str, str] = {}
        self.created: list[str] = []

    def _admin(self):
        return create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                             isolation_level="AUTOCOMMIT")

    def _pg_url(self, name: str) -> str:
        parts = urlsplit(PG_ADMIN_URL)
        return urlunsplit((parts.scheme, parts.netloc, "/" + name, "", ""))

    def template(self, service: str, metadata=None) -> str:
        if service not in self.templates:
            if backend() == "postgresql":
                name = f"cae_tpl_{service}_{os.getpid()}"
                engine = self._admin()
                with engine.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                engine.dispose()
                self._migrate(service, self._pg_url(name), metadata)
                self.created.append(name)
                self.templates[service] = name
            else:
                path = os.path.join(self.tmp_root, f"template-{service}.db")
                self._migrate(service, f"sqlite:///{path}", metadata)
                self.templates[service] = path
        return self.templates[service]

    @staticmethod
    def _migrate(service: str, url: str, metadata) -> None:
        if metadata is None:
            upgrade(service, url)  # the service's own Alembic migrations
            return
        engine = make_engine(url)  # a test-only service: its tables and the kit's
        with engine.begin() as conn:
            metadata.create_all(conn)
            create_kit_tables(conn)
        engine.dispose()

    def fresh(self, service: str, tmp_path, metadata=None) -> str:
        template = self.template(service, metadata)
        if backend() == "postgresql":
            name = f"cae_t_{service}_{uuid.uuid4().hex[:10]}"
            engine = self._admin()
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
            engine.dispose()
            self.created.append(name)
            return self._pg_url(name)
        path = os.path.join(str(tmp_path), f"{service}-{uuid.uuid4().hex[:6]}.db")
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"

    def drop(self, urls) -> None:
        """Drop per-test databases now (SQLite files go with the test's tmp_path)."""
        if backend() != "postgresql" or not urls:
            return
        engine = self._admin()
        with engine.connect() as conn:
            for url in urls:
                name = urlsplit(url).path.lstrip("/")
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                if name in self.created:
                    self.created.remove(name)
        engine.dispose()

    def drop_all(self):
        if backend() != "postgresql" or not self.created:
            return
        engine = self._admin()
        with engine.connect() as conn:
            for name in reversed(self.created):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def _databases(tmp_path_factory):
    _integration_only("a database (database_url)")
    databases = _Databases(str(tmp_path_factory.mktemp("templates")))
    yield databases
    databases.drop_all()


@pytest.fixture
def database_url(_databases, tmp_path):
    """``database_url("ledger")``: the URL of a fresh database at the service's head revision
    (or, with ``metadata=``, a test service's tables created directly); dropped after the test."""
    created = []

    def make(service, metadata=None):
        url = _databases.fresh(service, tmp_path, metadata)
        created.append(url)
        return url

    yield make
    _databases.drop(created)


# -- services -----------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports: each socket stays bound until all are chosen (calls of
    ``free_port`` one after the other may return the same port twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def spawn_service(service: str, amqp_uri: str, database_url: str, port: int, *,
                  command: str = "run", **env):
    """``cae run <service>`` (or ``cae relay <service>``) as a process of its own, to be
    killed by a test or a benchmark."""
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "caekit.cli", command, service],
        env={**os.environ, "CAE_DATABASE_URL": database_url, "CAE_AMQP_URI": amqp_uri,
             "CAE_HTTP_PORT": str(port), "CAE_LOG_LEVEL": "WARNING", **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def is_ready(port: int) -> bool:
    """Whether the service on ``port`` answers /health/ready with 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2) as reply:
            return reply.status == 200
    except (OSError, urllib.error.URLError):
        return False


@dataclass
class RunningService:
    container: object
    settings: Settings

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.http_port}"

    def extension(self, cls):
        found = [e for e in self.container.extensions if isinstance(e, cls)]
        return found[0] if len(found) == 1 else found


@pytest.fixture
def start_service(amqp_uri, database_url):
    """``start_service(ServiceClass, **settings)``: a real nameko container on a free port."""
    from nameko.containers import ServiceContainer

    from caekit.handlers import ReliableHandler

    started = []

    def start(cls, *, database: str | None = None, wait_ready: bool = True, **overrides):
        settings = Settings(
            service=cls.name,
            database_url=database or database_url(cls.name, getattr(cls, "test_metadata", None)),
            amqp_uri=amqp_uri,
            http_port=free_port(),
            relay_poll_seconds=0.1,
            retry_delays=(1, 2),
            handler_max_wait_ms=5,
            relay_unroutable_retry_seconds=1.0,
        )
        settings = replace(settings, **overrides)
        container = ServiceContainer(cls, settings.nameko_config())
        container.start()
        started.append(container)
        running = RunningService(container, settings)
        if wait_ready:
            for handler in [e for e in container.extensions if isinstance(e, ReliableHandler)]:
                assert handler.ready.wait(30), f"{handler.queue} never connected"
        return running

    yield start
    for container in reversed(started):
        try:
            container.stop()
        except Exception:  # noqa: BLE001 - a test may have killed it already
            container.kill()


@pytest.fixture
def settings_for_tokens():
    return Settings(service="test", database_url="sqlite://")


@pytest.fixture
def token(settings_for_tokens):
    """``token(sub, roles, coop)``: a signed development JWT."""

    def make(subject: str, roles, cooperative_id: str | None = None, **kwargs) -> str:
        roles = [roles] if isinstance(roles, str) else list(roles)
        return auth.mint(subject, roles=roles, cooperative_id=cooperative_id,
                         settings=settings_for_tokens, **kwargs)

    return make


@pytest.fixture
def http():
    session = requests.Session()
    yield session
    session.close()


def bearer(tok: str) -> dict:
    return {"Authorization": f"Bearer {tok}"}


@dataclass
class CooperativeClient:
    """A started service seen by one cooperative: its URL and database, its staff's and
    entrepreneurs' tokens, and writes that carry an Idempotency-Key. A service's tests
    extend it with their own helpers."""

    service: object  # a RunningService
    http: object  # a requests session
    token: object  # the ``token`` fixture
    amqp_uri: str
    coop: str
    members: dict = field(default_factory=dict)  # activity code -> member id

    @property
    def url(self) -> str:
        return f"{self.service.url}/cooperatives/{self.coop}"

    @property
    def db(self) -> str:
        return self.service.settings.database_url

    def staff(self) -> dict:
        return bearer(self.token("alice", "staff", self.coop))

    def owner(self, code: str) -> dict:
        return bearer(self.token(self.members[code], "entrepreneur", self.coop))

    def post(self, path: str, body: dict | None = None, key: str | None = None, headers=None,
             expect: int = 201):
        """POST ``body`` under the cooperative's URL, with a fresh key unless ``key``."""
        response = self.http.post(f"{self.url}/{path}", json=body, headers={
            **(headers or self.staff()), "Idempotency-Key": key or uuid.uuid4().hex})
        assert response.status_code == expect, response.text
        return response.json()


def eventually(predicate, timeout: float = 20.0, interval: float = 0.05, message: str = ""):
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout}s")
        time.sleep(interval)
