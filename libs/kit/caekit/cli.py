"""``cae``: the operators' command line.

    cae run <service>                 run a service (HTTP, handlers, in-process relay)
    cae relay <service>               run a service's outbox relay as its own process
    cae migrate <service>             apply the service's database migrations
    cae prune <service> [--days 30]   delete confirmed outbox rows and old inbox rows
    cae token --sub S --roles R [--coop C]   mint a development token (HS256)
    cae dlq queues                    parking queues and their message counts
    cae dlq list|show|replay|purge QUEUE [--id EVENT_ID ...]
    cae <service> ...                 the service's own commands (cae members import FILE ...)
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import signal
import sys

SERVICES = ("members", "ledger", "payroll", "governance", "matching")


def load_service(service: str):
    module = importlib.import_module(f"cae_{service}.entrypoints.service")
    for value in vars(module).values():
        if isinstance(value, type) and getattr(value, "name", None) == service:
            return value
    raise SystemExit(f"cae_{service}.entrypoints.service defines no service named {service!r}")


def progress_bar(done: int, total: int, suffix: str = "", *, out=sys.stderr,
                 width: int = 40) -> None:
    """``[#####.....] done/total<suffix>`` over the same line of ``out`` (the commands'
    long work: an import, a payroll run)."""
    filled = width * done // total if total else width
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}{suffix}")
    out.flush()


def _settings(service: str):
    from caekit.config import Settings
    from caekit.logs import configure

    settings = Settings.from_env(service)
    configure(service, settings.log_level)
    return settings


def cmd_run(args) -> int:
    import eventlet
    from nameko.runners import ServiceRunner

    settings = _settings(args.service)
    if args.port:
        from dataclasses import replace

        settings = replace(settings, http_port=args.port)
    runner = ServiceRunner(settings.nameko_config())
    runner.add_service(load_service(args.service))

    def _shutdown(*_):
        eventlet.spawn(runner.stop)

    signal.signal(signal.SIGTERM, _shutdown)
    signal.signal(signal.SIGINT, _shutdown)
    runner.start()
    # what startup built (modules, mappers, schemas) lives as long as the process: out of
    # the garbage collector's sight, a full collection does not walk it again and again
    gc.collect()
    gc.freeze()
    print(json.dumps({"service": args.service, "http": f"http://127.0.0.1:{settings.http_port}",
                      "relay_in_process": settings.relay_in_process}), file=sys.stderr, flush=True)
    runner.wait()
    return 0


def cmd_relay(args) -> int:
    import threading

    from caekit.db import make_engine, make_session_factory
    from caekit.relay import Relay

    settings = _settings(args.service)
    engine = make_engine(settings.database_url)
    relay = Relay(args.service, make_session_factory(engine), settings.amqp_uri,
                  batch=settings.relay_batch,
                  unroutable_retry_seconds=settings.relay_unroutable_retry_seconds)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if settings.http_port:
        _serve_relay_health(relay, settings.http_port)
    print(json.dumps({"relay": args.service, "pid": os.getpid(),
                      "http": settings.http_port or None}), file=sys.stderr, flush=True)
    relay.run(stop, settings.relay_poll_seconds)
    engine.dispose()
    return 0


def _serve_relay_health(relay, port: int) -> None:
    """/health/live, /health/ready and /metrics for a relay running as its own process."""
    import eventlet
    from eventlet import wsgi

    from caekit import metrics, outbox

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            payload, content_type = metrics.exposition()
            start_response("200 OK", [("Content-Type", content_type)])
            return [payload]
        if path == "/health/live":
            status, body = "200 OK", {"status": "ok", "relay": relay.service}
        elif path == "/health/ready":
            try:
                with relay.session_factory() as session:
                    database, backlog = {"ok": True}, outbox.backlog(session)
            except Exception as exc:  # noqa: BLE001 - reported
                database, backlog = {"ok": False, "error": str(exc)[:300]}, None
            checks = {"database": database, "broker": {"ok": relay.connected},
                      "outbox": {"ok": backlog is not None, "backlog": backlog}}
            ok = database["ok"]
            status = "200 OK" if ok else "503 Service Unavailable"
            body = {"status": ("ok" if relay.connected else "degraded") if ok else "unavailable",
                    "relay": relay.service, "checks": checks}
        else:
            status, body = "404 Not Found", {"type": "about:blank", "title": "Not found",
                                             "status": 404, "detail": f"no resource at {path}"}
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    eventlet.spawn(wsgi.server, eventlet.listen(("0.0.0.0", port)), app, log_output=False)


def cmd_migrate(args) -> int:
    from caekit.migrations import upgrade

    settings = _settings(args.service)
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    if settings.database_url.startswith("sqlite:///"):
        directory = os.path.dirname(settings.database_url[len("sqlite:///"):])
        if directory:
            os.makedirs(directory, exist_ok=True)
    upgrade(args.service, settings.database_url)
    print(f"{args.service}: migrated to head", file=sys.stderr)
    return 0


def cmd_prune(args) -> int:
    from datetime import UTC, datetime, timedelta

    from caekit.db import make_engine, make_session_factory
    from caekit.outbox import prune

    settings = _settings(args.service)
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session, session.begin():
        sent, handled, keys = prune(session, datetime.now(UTC) - timedelta(days=args.days))
    engine.dispose()
    print(f"{args.service}: pruned {sent} outbox and {handled} inbox rows and {keys} idempotency "
          f"keys older than {args.days} days")
    return 0


def cmd_token(args) -> int:
    from caekit.auth import mint
    from caekit.config import Settings

    settings = Settings.from_env("cli")
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    try:
        print(mint(args.sub, roles=roles, cooperative_id=args.coop, settings=settings,
                   ttl_seconds=args.ttl))
    except ValueError as exc:
        print(f"cae token: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_dlq(args) -> int:
    from caekit import dlq
    from caekit.config import Settings

    uri = Settings.from_env("cli").amqp_uri
    ids = set(args.id) if args.id else None
    if args.action == "queues":
        for name, count in dlq.dead_letter_queues(uri, args.management):
            print(f"{count:8d}  {name}")
        return 0
    if not args.queue:
        print("cae dlq: name a queue (see `cae dlq queues`)", file=sys.stderr)
        return 2
    if args.action in ("list", "show"):
        for parked in dlq.list_parked(uri, args.queue):
            if ids is not None and parked.event_id not in ids:
                continue
            if args.action == "list":
                print(json.dumps(parked.summary()))
            else:
                try:
                    event = json.loads(parked.body)
                except ValueError:
                    event = parked.body  # a poison message may not be JSON at all
                print(json.dumps({**parked.summary(), "error": parked.error, "event": event},
                                 indent=2))
        return 0
    if args.action == "replay":
        print(f"replayed {dlq.replay(uri, args.queue, ids)} message(s)")
        return 0
    if args.action == "purge":
        if ids is None and not args.all:
            print("cae dlq purge: pass --id EVENT_ID or --all", file=sys.stderr)
            return 2
        print(f"purged {dlq.purge(uri, args.queue, ids)} message(s)")
        return 0
    return 2


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SERVICES:  # a service's own commands: cae <service> ...
        try:
            module = importlib.import_module(f"cae_{argv[0]}.entrypoints.cli")
        except ModuleNotFoundError:
            print(f"cae: the {argv[0]} service has no commands", file=sys.stderr)
            return 2
        return module.main(argv[1:])
    parser = argparse.ArgumentParser(prog="cae", description="CAE platform operations")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run a service")
    p.add_argument("service", choices=SERVICES)
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("relay", help="run a service's outbox relay alone")
    p.add_argument("service", choices=SERVICES)
    p.set_defaults(func=cmd_relay)
    p = sub.add_parser("migrate", help="apply a service's migrations")
    p.add_argument("service", choices=SERVICES)
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("prune", help="delete confirmed outbox rows and old inbox rows")
    p.add_argument("service", choices=SERVICES)
    p.add_argument("--days", type=int, default=30, help="keep this many days (default 30)")
    p.set_defaults(func=cmd_prune)
    p = sub.add_parser("token", help="mint a development token")
    p.add_argument("--sub", required=True, help="the caller (a member id, a staff login...)")
    p.add_argument("--roles", required=True, help="comma-separated: entrepreneur,staff,admin,network_operator")
    p.add_argument("--coop", help="the caller's cooperative id")
    p.add_argument("--ttl", type=int, default=12 * 3600, help="seconds (default 12 h)")
    p.set_defaults(func=cmd_token)
    p = sub.add_parser("dlq", help="inspect and replay parked events")
    p.add_argument("action", choices=("queues", "list", "show", "replay", "purge"))
    p.add_argument("queue", nargs="?", help="a consumer queue or its --dead queue")
    p.add_argument("--id", action="append", help="an event id (repeatable)")
    p.add_argument("--all", action="store_true", help="with purge: every parked message")
    p.add_argument("--management", help="management API base URL (default http://<host>:15672)")
    p.set_defaults(func=cmd_dlq)
    args = parser.parse_args(argv)
    if args.command in ("run", "relay"):
        import eventlet

        eventlet.monkey_patch()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
