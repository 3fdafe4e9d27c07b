"""``cae``: the operators' command line (``cae --help`` lists every command).

    cae run <service>                 run a service (HTTP, handlers, in-process relay)
    cae run portal [--port P]         run the web portal (cae_portal, when installed)
    cae relay <service>               run a service's outbox relay as its own process
    cae migrate <service>             apply the service's database migrations (creates the store)
    cae prune <service> [--days 30]   delete confirmed outbox rows and old inbox rows
    cae token --sub S --roles R [--coop C]   mint a development token (HS256)
    cae dlq queues                    parking queues and their message counts
    cae dlq list|show|replay|purge QUEUE [--id EVENT_ID ...]
    cae <service> ...                 the service's own commands (cae members import FILE ...)

Settings come from the ``CAE_*`` variables (``caekit.config``). When a demo runs here
(``make demo``), the command line also reads the environment file the demo writes,
``var/demo/demo.env``, looked for in the current directory, then in the checkout whose
``.venv`` runs ``cae`` (``CAE_ENV_FILE=PATH`` names another file, ``CAE_ENV_FILE=`` none).
A setting the environment gives, in its shared or its service's form, wins over the file.

Only ``cae migrate`` creates a store: every other command refuses a store that does not
exist or has no tables, in one line, with exit code 2.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import json
import os
import re
import shlex
import signal
import socket
import sys
import textwrap

SERVICES = ("members", "ledger", "payroll", "governance", "matching")

# what `cae <service> ...` does, for `cae --help` (listed even when the service is not
# installed here; `cae <service> --help` lists its commands and their options)
SERVICE_COMMANDS = {
    "members": "members' commands: import people, contracts, activities (CSV)",
    "ledger": "ledger's commands: export a cooperative's FEC for a year",
    "payroll": "payroll's commands: start, resume or follow a month's run",
    "governance": "governance's commands",
    "matching": "matching's commands: import the ESCO taxonomy, erase expired profiles",
}

DEMO_ENV_FILE = os.path.join("var", "demo", "demo.env")
ENV_FILE_VARIABLE = "CAE_ENV_FILE"
_VARIABLE = re.compile(r"^CAE_[A-Z0-9_]+$")


class CommandError(Exception):
    """A one-line refusal of a command: printed as ``cae: <message>``, exit code 2."""


# -- the demo's environment file ----------------------------------------------------
def checkout_root() -> str | None:
    """The directory holding the virtual environment ``cae`` runs in (``<checkout>/.venv``),
    None outside a virtual environment."""
    if sys.prefix == getattr(sys, "base_prefix", sys.prefix):
        return None
    return os.path.dirname(os.path.abspath(sys.prefix))


def environment_file(environ=None) -> str | None:
    """The environment file to read: ``$CAE_ENV_FILE`` when set (empty: none), else the
    demo's ``var/demo/demo.env`` of the current directory, else of the checkout."""
    environ = os.environ if environ is None else environ
    if ENV_FILE_VARIABLE in environ:
        return environ[ENV_FILE_VARIABLE] or None
    for root in (os.getcwd(), checkout_root()):
        if root and os.path.isfile(os.path.join(root, DEMO_ENV_FILE)):
            return os.path.join(root, DEMO_ENV_FILE)
    return None


def read_environment_file(path: str) -> dict[str, str]:
    """``CAE_NAME=value`` lines (shell quoting, ``export`` and ``#`` comments allowed)."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise CommandError(f"cannot read the environment file {path}: {exc.strerror}") from None
    values = {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.removeprefix("export ").partition("=")
        name = name.strip()
        try:
            words = shlex.split(value, comments=True)
        except ValueError as exc:
            words, equals = [], f"{exc}"
        if equals != "=" or not _VARIABLE.match(name) or len(words) > 1:
            raise CommandError(f"{path}, line {number}: expected CAE_NAME=value "
                               "(quote a value with spaces)")
        values[name] = words[0] if words else ""
    return values


def overridden(name: str, environ) -> bool:
    """Whether the environment already gives the setting ``name`` stands for: the same
    variable or, for a service's variable (``CAE_LEDGER_DATABASE_URL``), the shared one
    (``CAE_DATABASE_URL``), which the environment means for every service."""
    if name in environ:
        return True
    for service in SERVICES:
        prefix = f"CAE_{service.upper()}_"
        if name.startswith(prefix) and f"CAE_{name[len(prefix):]}" in environ:
            return True
    return False


def apply_environment_file(environ=None) -> tuple[str | None, dict[str, str]]:
    """Fill ``environ`` (``os.environ``) from the environment file, if any, without
    overriding any setting it gives: (the file, the variables taken from it)."""
    environ = os.environ if environ is None else environ
    path = environment_file(environ)
    if path is None:
        return None, {}
    if not os.path.isfile(path):
        raise CommandError(f"{ENV_FILE_VARIABLE}={path}: no such file")
    taken = {name: value for name, value in read_environment_file(path).items()
             if not overridden(name, environ)}
    environ.update(taken)
    return path, taken


# -- helpers --------------------------------------------------------------------------
def load_service(service: str):
    module = importlib.import_module(f"cae_{service}.entrypoints.service")
    for value in vars(module).values():
        if isinstance(value, type) and getattr(value, "name", None) == service:
            return value
    raise SystemExit(f"cae_{service}.entrypoints.service defines no service named {service!r}")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _require_installed(service: str) -> None:
    if not _installed(f"cae_{service}.entrypoints.service"):
        raise CommandError(f"the {service} service is not installed here (no cae_{service} "
                           "package in this environment)")


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


def _port_in_use(port: int) -> bool:
    """Whether another process listens on ``port`` (a service binds with SO_REUSEPORT:
    a second one on the same port would share it silently)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return True
    return False


def _free_port_or_refuse(service: str, port: int, variable: str) -> None:
    if port and _port_in_use(port):
        raise CommandError(f"port {port} is in use (another process listens there): pass "
                           f"--port N or set {variable}")


# -- commands ---------------------------------------------------------------------------
def cmd_run(args) -> int:
    import eventlet
    from nameko.runners import ServiceRunner

    from caekit.db import check_store

    _require_installed(args.service)
    settings = _settings(args.service)
    if args.port:
        from dataclasses import replace

        settings = replace(settings, http_port=args.port)
    check_store(settings.database_url, args.service)
    _free_port_or_refuse(args.service, settings.http_port, f"CAE_{args.service.upper()}_HTTP_PORT")
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
    if settings.http_port:
        _free_port_or_refuse(args.service, settings.http_port,
                             f"CAE_{args.service.upper()}_HTTP_PORT (0: no health endpoint)")
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

    _require_installed(args.service)
    settings = _settings(args.service)
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    if settings.database_url.startswith("sqlite:///"):
        directory = os.path.dirname(settings.database_url[len("sqlite:///"):])
        if directory:
            os.makedirs(directory, exist_ok=True)
    upgrade(args.service, settings.database_url)
    print(f"{args.service}: migrated to head", file=sys.stderr)
    if args.queues:
        import amqp

        from caekit.handlers import declare_consumer_queues

        try:
            queues = declare_consumer_queues(load_service(args.service), settings)
        except (OSError, amqp.exceptions.AMQPError) as exc:
            raise CommandError(f"{args.service}: migrated, but its queues could not be declared "
                               f"({exc}); run it again once RabbitMQ answers, or pass "
                               "--no-queues") from exc
        print(f"{args.service}: {len(queues)} consumer queue(s) declared", file=sys.stderr)
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


def _amqp_uri_of_queue(queue: str) -> str:
    """The AMQP URI of the service whose queue it is (``ledger--...``: the ledger's
    ``CAE_LEDGER_AMQP_URI`` or ``CAE_AMQP_URI``), the shared one for another queue."""
    from caekit.config import Settings

    owner = queue.split("--", 1)[0]
    return Settings.from_env(owner if owner in SERVICES else "cli").amqp_uri


def cmd_dlq(args) -> int:
    from caekit import dlq
    from caekit.config import Settings

    ids = set(args.id) if args.id else None
    if args.action == "queues":
        # the vhosts the services use: one, unless a service has an AMQP URI of its own
        uris = list(dict.fromkeys([Settings.from_env("cli").amqp_uri]
                                  + [Settings.from_env(s).amqp_uri for s in SERVICES]))
        for uri in uris:
            queues = dlq.dead_letter_queues(uri, args.management)
            for name, count in queues:
                print(f"{count:8d}  {name}")
            parked = sum(count for _, count in queues)
            where = f"vhost {dlq.vhost_of(uri)!r} ({dlq.shown(uri)})"
            if not queues:
                print(f"no parking queue in {where}: no service has declared its queues there")
            else:
                print(f"{parked} parked event(s) in {len(queues)} parking queue(s) of {where}")
        return 0
    if not args.queue:
        raise CommandError(f"dlq {args.action}: name a queue (see `cae dlq queues`)")
    uri = _amqp_uri_of_queue(args.queue)
    queue = dlq.dead_letter_queue_of(args.queue)
    if args.action in ("list", "show"):
        shown = 0
        for parked in dlq.list_parked(uri, args.queue):
            if ids is not None and parked.event_id not in ids:
                continue
            shown += 1
            if args.action == "list":
                print(json.dumps(parked.summary()))
            else:
                try:
                    event = json.loads(parked.body)
                except ValueError:
                    event = parked.body  # a poison message may not be JSON at all
                print(json.dumps({**parked.summary(), "error": parked.error, "event": event},
                                 indent=2))
        if not shown:  # stdout stays JSON; the operator still reads a line
            print(f"cae dlq: no parked event{' with these ids' if ids else ''} in {queue} "
                  f"(vhost {dlq.vhost_of(uri)!r})", file=sys.stderr)
        return 0
    if args.action == "replay":
        print(f"replayed {dlq.replay(uri, args.queue, ids)} message(s) from {queue}")
        return 0
    if args.action == "purge":
        if ids is None and not args.all:
            raise CommandError("dlq purge: pass --id EVENT_ID or --all")
        print(f"purged {dlq.purge(uri, args.queue, ids)} message(s) from {queue}")
        return 0
    return 2


# -- the parser -------------------------------------------------------------------------
class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=30)


def _service_help(service: str) -> str:
    summary = SERVICE_COMMANDS.get(service, f"the {service} service's commands")
    if _installed(f"cae_{service}.entrypoints.cli"):
        return summary
    if _installed(f"cae_{service}"):
        return f"{summary} [none yet: cae_{service} has no command line]"
    return f"{summary} [not installed here: no cae_{service} package]"


EPILOG = f"""\
`cae COMMAND --help` describes each command (`cae members --help`: the service's own).

settings:
  CAE_* variables (libs/kit/caekit/config.py): CAE_<SERVICE>_DATABASE_URL or
  CAE_DATABASE_URL, CAE_AMQP_URI (its vhost is the services'), CAE_JWT_SECRET...
  While `make demo` runs, cae also reads the demo's {DEMO_ENV_FILE} (from the current
  directory, else from the checkout of this .venv): a setting given by the environment
  wins over the file; CAE_ENV_FILE=PATH reads another file, CAE_ENV_FILE= none.

stores:
  only `cae migrate <service>` creates a store; every other command refuses one that
  does not exist or has no tables (exit code 2).

examples:
  cae token --sub alice --roles staff --coop <cooperative id>
  cae members import var/demo/people.csv --cooperative <id> --dry-run
  cae ledger fec --cooperative <id> --year 2026
  cae payroll run --cooperative <id> --period 2026-04
  cae dlq queues
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cae", formatter_class=_Formatter, epilog=EPILOG,
        description="Operate the CAE platform: run its services and relays, migrate and prune\n"
                    "their stores, mint development tokens, inspect and replay parked events;\n"
                    "and each service's own commands.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title="commands")

    def command(name, summary, description, epilog=None):
        head, _, table = description.partition("\n")  # a first paragraph, then lines as they are
        description = textwrap.fill(head, 78) + (f"\n{table}" if table else "")
        return sub.add_parser(name, help=summary, description=description, epilog=epilog,
                              formatter_class=_Formatter)

    p = command("run", "run a service: HTTP API, event handlers, in-process relay",
                "Run one service in the foreground until SIGTERM or Ctrl-C: its HTTP API (port "
                "CAE_<SERVICE>_HTTP_PORT or CAE_HTTP_PORT, default 8000), its event handlers "
                "and, unless CAE_RELAY_IN_PROCESS=false, its outbox relay. Once started it "
                "prints one JSON line on stderr; logs follow as JSON lines.",
                "example:\n  cae run members --port 8010")
    p.add_argument("service", choices=SERVICES)
    p.add_argument("--port", type=int, help="HTTP port (default: the configured one, 8000)")
    p.set_defaults(func=cmd_run)
    p = command("relay", "run a service's outbox relay as its own process",
                "Publish a service's outbox (events committed with its changes) with publisher "
                "confirms until SIGTERM or Ctrl-C; for a service run with "
                "CAE_RELAY_IN_PROCESS=false. Serves /health/* and /metrics on the service's "
                "HTTP port (CAE_<SERVICE>_HTTP_PORT=0: none). Prints one JSON line on stderr "
                "once started.", "example:\n  CAE_MEMBERS_HTTP_PORT=8011 cae relay members")
    p.add_argument("service", choices=SERVICES)
    p.set_defaults(func=cmd_relay)
    p = command("migrate", "apply a service's migrations (the only one to create a store)",
                "Bring a service's store to the head of its Alembic migrations, creating it "
                "(an SQLite file and its directory) if needed: a separate step, a Job in "
                "Kubernetes. Running it again is harmless. It also declares the queues the "
                "service consumes (with their delay and parking queues), so that no event "
                "published before the service first runs is missed (ADR 0012).",
                "example:\n  cae migrate ledger")
    p.add_argument("service", choices=SERVICES)
    p.add_argument("--no-queues", dest="queues", action="store_false",
                   help="migrate the store only, without declaring the consumer queues")
    p.set_defaults(func=cmd_migrate)
    p = command("prune", "delete sent outbox rows, old inbox rows and idempotency keys",
                "Delete the outbox rows the broker confirmed, the inbox rows and the "
                "idempotency keys older than --days days. Pending outbox rows are kept.",
                "example:\n  cae prune ledger --days 30")
    p.add_argument("service", choices=SERVICES)
    p.add_argument("--days", type=int, default=30, help="keep this many days (default 30)")
    p.set_defaults(func=cmd_prune)
    p = command("token", "mint a development token (HS256, the configured secret)",
                "Print a signed JWT for the HTTP APIs (Authorization: Bearer <token>), signed "
                "with CAE_JWT_SECRET: for development and the demo, not production.",
                "examples:\n  cae token --sub alice --roles staff --coop <cooperative id>\n"
                "  cae token --sub network-ops --roles network_operator")
    p.add_argument("--sub", required=True, help="the caller (a member id, a staff login...)")
    p.add_argument("--roles", required=True, help="comma-separated: entrepreneur,staff,admin,network_operator")
    p.add_argument("--coop", help="the caller's cooperative id")
    p.add_argument("--ttl", type=int, default=12 * 3600, help="seconds (default 12 h)")
    p.set_defaults(func=cmd_token)
    p = command("dlq", "inspect, replay and purge parked (dead-lettered) events",
                "Parked events, in the vhost the services use (CAE_AMQP_URI, or the service's "
                "own CAE_<SERVICE>_AMQP_URI for its queues <service>--...):\n"
                "  queues                 every parking queue and its count, then a total line\n"
                "  list QUEUE             one JSON line per parked event (a summary)\n"
                "  show QUEUE             each parked event in full, with its error\n"
                "  replay QUEUE           send them back to their queue (the inbox skips done ones)\n"
                "  purge QUEUE            drop them (--id EVENT_ID ... or --all)\n"
                "QUEUE is a consumer queue (ledger--cae.members.activity_opened.v1) or its "
                "--dead queue.",
                "examples:\n  cae dlq queues\n  cae dlq list ledger--cae.members.activity_opened.v1\n"
                "  cae dlq replay ledger--cae.members.activity_opened.v1 --id <event id>")
    p.add_argument("action", choices=("queues", "list", "show", "replay", "purge"))
    p.add_argument("queue", nargs="?", help="a consumer queue or its --dead queue")
    p.add_argument("--id", action="append", help="an event id (repeatable)")
    p.add_argument("--all", action="store_true", help="with purge: every parked message")
    p.add_argument("--management", help="management API base URL (default http://<host>:15672)")
    p.set_defaults(func=cmd_dlq)
    for service in SERVICES:  # dispatched before parsing (main); listed here for --help
        sub.add_parser(service, help=_service_help(service), add_help=False)
    return parser


def _service_main(service: str, argv) -> int:
    try:
        module = importlib.import_module(f"cae_{service}.entrypoints.cli")
    except ModuleNotFoundError as exc:
        if exc.name not in (f"cae_{service}", f"cae_{service}.entrypoints",
                            f"cae_{service}.entrypoints.cli"):
            raise  # the service is there but one of its own imports is missing
        state = "is not installed here" if not _installed(f"cae_{service}") else "has no commands"
        raise CommandError(f"the {service} service {state} (cae --help lists the commands)") from None
    return module.main(argv)


def _portal_main(argv) -> int:
    """``cae run portal``: the web portal's server (imported by name: the kit imports no
    service or portal)."""
    if not _installed("cae_portal"):
        raise CommandError("the portal is not installed here (no cae_portal package)")
    return importlib.import_module("cae_portal.entrypoints.server").main(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ("run", "relay"):
        import warnings

        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
        import eventlet  # before anything else imports threading, sockets (stack.md pitfall 1)

        eventlet.monkey_patch()
    from caekit.db import MissingStore, existing_stores_only
    from caekit.dlq import DlqError

    taken = {}
    try:
        path, taken = apply_environment_file()
        if taken and sys.stderr.isatty():
            print(f"cae: settings from {path} (the demo's; variables set here win)",
                  file=sys.stderr)
        if argv[:2] == ["run", "portal"]:  # the portal is no nameko service: its own server
            return _portal_main(argv[2:])
        if argv and argv[0] in SERVICES:  # a service's own commands: cae <service> ...
            with existing_stores_only(argv[0]):
                return _service_main(argv[0], argv[1:])
        args = build_parser().parse_args(argv)
        if args.command == "migrate":
            return args.func(args)
        with existing_stores_only(getattr(args, "service", None)):
            return args.func(args)
    except (CommandError, MissingStore, DlqError) as exc:
        print(f"cae: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `cae dlq show QUEUE | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a file named on the command line (cae members import FILE)
        if exc.filename is None:
            raise
        print(f"cae: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except ValueError as exc:  # a setting the configuration refuses (caekit.config)
        if type(exc).__name__ != "ConfigurationError":
            raise
        print(f"cae: {exc}", file=sys.stderr)
        return 2
    finally:
        for name in taken:  # the process ends here; a caller in the same process (a test)
            os.environ.pop(name, None)  # gets its environment back


if __name__ == "__main__":
    sys.exit(main())
