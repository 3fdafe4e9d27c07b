"""nameko dependency providers: the session per worker, the worker context, the relay."""

from __future__ import annotations

import logging
import threading
import time
from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session

from caekit import context, metrics, outbox
from caekit.config import settings_of
from caekit.db import make_engine, make_session_factory
from caekit.relay import Relay

logger = logging.getLogger("caekit")


class SettingsProvider(DependencyProvider):
    """The service's Settings (see caekit.config)."""

    def get_dependency(self, worker_ctx):
        return settings_of(self.container)


class Database(DependencyProvider):
    """A SQLAlchemy session per worker, closed (rolled back unless committed) at teardown.

    The session is scoped to the worker's cooperative: queries of TenantScoped
    models see only that cooperative's rows.
    """

    def setup(self):
        self.settings = settings_of(self.container)
        self.engine = make_engine(self.settings.database_url)
        self.session_factory = make_session_factory(self.engine)
        self.sessions: WeakKeyDictionary = WeakKeyDictionary()

    def stop(self):
        self.engine.dispose()

    kill = stop

    def get_dependency(self, worker_ctx) -> Session:
        session = self.session_factory()
        session.info["tenant_id"] = worker_ctx.data.get(context.CTX_TENANT)
        # an HTTP write with an Idempotency-Key: reserved when this session commits
        reservation = getattr(worker_ctx.args[0], "cae_idempotency", None) if worker_ctx.args else None
        if reservation is not None:
            session.info["idempotency"] = reservation
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            close(session)


def close(session: Session) -> None:
    """Close a worker's session; when its connection broke mid-transaction (the database
    restarted), the ROLLBACK that closing sends fails too: the connection is then
    invalidated instead. An error raised from a worker's teardown would stop the whole
    nameko container, and the process with it (the e2e suite met it on a PostgreSQL
    restart during a pipelined insert)."""
    try:
        session.close()
    except Exception as exc:  # noqa: BLE001 - the worker's own error was already answered
        logger.warning("closing a worker's session failed (%s); its connection is discarded",
                       exc)
        try:
            session.invalidate()
        except Exception:  # noqa: BLE001 - nothing more to release
            logger.warning("discarding the session's connection failed too", exc_info=True)


class WorkerContext(DependencyProvider):
    """Binds tenant, caller and correlation id for each worker; counts and times entrypoints."""

    def setup(self):
        self.started: WeakKeyDictionary = WeakKeyDictionary()
        self.tokens: WeakKeyDictionary = WeakKeyDictionary()

    def get_dependency(self, worker_ctx):
        return None

    def worker_setup(self, worker_ctx):
        tenant, who, correlation = context.from_context_data(worker_ctx.data)
        self.tokens[worker_ctx] = context.bind(tenant=tenant, who=who, correlation=correlation)
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.pop(worker_ctx, None)
        name = worker_ctx.entrypoint.method_name
        service = self.container.service_name
        if started is not None:
            metrics.ENTRYPOINT_SECONDS.labels(service, name).observe(time.perf_counter() - started)
        outcome = "error" if exc_info is not None else "ok"
        metrics.ENTRYPOINT_CALLS.labels(service, name, outcome).inc()

    def worker_teardown(self, worker_ctx):
        tokens = self.tokens.pop(worker_ctx, None)
        if tokens is not None:
            context.unbind(tokens)


class OutboxRelay(DependencyProvider):
    """Runs the outbox relay in the service process (unless CAE_RELAY_IN_PROCESS=false).

    A commit that wrote outbox rows wakes the relay at once; otherwise it polls.
    """

    def setup(self):
        self.settings = settings_of(self.container)
        self.relay: Relay | None = None
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        if not self.settings.relay_in_process:
            return
        database = next(d for d in self.container.dependencies if isinstance(d, Database))
        self.relay = Relay(self.container.service_name, database.session_factory,
                           self.settings.amqp_uri, batch=self.settings.relay_batch,
                           unroutable_retry_seconds=self.settings.relay_unroutable_retry_seconds,
                           archive=self.settings.event_archive)
        outbox.wake_relays_on_commit(self.relay.wakeup)
        self._thread = self.container.spawn_managed_thread(
            lambda: self.relay.run(self._stop, self.settings.relay_poll_seconds),
            identifier="outbox-relay",
        )

    def stop(self):
        self._stop.set()
        if self.relay is not None:
            self.relay.wakeup.set()
        if self._thread is not None:
            self._thread.wait()

    def kill(self):
        self._stop.set()
        if self.relay is not None:
            self.relay.close()

    def get_dependency(self, worker_ctx):
        return self.relay
