"""The platform as in production, on this machine: every service and every outbox relay a
process of its own (``cae run <service>`` with ``CAE_RELAY_IN_PROCESS=false``, ``cae relay
<service>``), on the real RabbitMQ and PostgreSQL; and the faults the e2e suite causes in
them: ``kill -9`` of a process (restarted a second later, as the kubelet would), a RabbitMQ
restart, a PostgreSQL restart, each timed until the platform answers again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

SERVICES = ("members", "ledger", "payroll", "governance", "matching")
# as deploy/base's cae-config, but quicker: a test waits for the relays' rounds
SETTINGS = {
    "CAE_RELAY_IN_PROCESS": "false",
    "CAE_RELAY_POLL_SECONDS": "0.2",
    "CAE_LOG_LEVEL": "WARNING",
    "CAE_HANDLER_MAX_WAIT_MS": "20",
}
RESTART_AFTER = 1.0  # seconds between a kill and the restart (a kubelet's back-off, shortened)


@dataclass
class Process:
    """One long-running process of the platform: a service (``run``) or a relay."""

    service: str
    command: str  # run | relay
    port: int
    env: dict
    log: Path
    popen: subprocess.Popen | None = None
    starts: int = 0

    @property
    def name(self) -> str:
        return self.service if self.command == "run" else f"{self.service}-relay"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        with open(self.log, "a", encoding="utf-8") as log:
            log.write(f"\n--- start {self.starts} at {time.strftime('%H:%M:%S')}\n")
            log.flush()
            self.popen = subprocess.Popen(
                [sys.executable, "-W", "ignore", "-m", "caekit.cli", self.command, self.service],
                env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        """``kill -9``: no shutdown, no flush, whatever it was doing."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def exited_by_itself(self) -> bool:
        return self.popen is not None and self.popen.poll() is not None

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self.log.read_text(encoding="utf-8", errors="replace")
                         .splitlines()[-lines:])

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=30)

    def health(self) -> dict | None:
        """The body of /health/ready when it answers 200, else None."""
        try:
            response = requests.get(f"{self.url}/health/ready", timeout=2)
        except requests.RequestException:
            return None
        return response.json() if response.status_code == 200 else None

    def ready(self, broker: bool = False) -> bool:
        body = self.health()
        if body is None:
            return False
        return not broker or body.get("checks", {}).get("broker", {}).get("ok") is True


@dataclass
class Fault:
    what: str
    started: float
    recovered: float | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.recovered is None else self.recovered - self.started


@dataclass
class Platform:
    """The ten processes; ``faults`` records what was caused and how long recovery took."""

    amqp_uri: str
    databases: dict  # service -> URL
    ports: list
    logs: Path
    processes: dict = field(default_factory=dict)  # name -> Process
    faults: list = field(default_factory=list)
    crashes: list = field(default_factory=list)  # (name, log tail) of processes that exited
    _threads: list = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _restarting: set = field(default_factory=set)  # names killed by a fault, not crashed

    def __post_init__(self) -> None:
        ports = iter(self.ports)
        for service in SERVICES:
            for command in ("run", "relay"):
                env = {**SETTINGS, "CAE_DATABASE_URL": self.databases[service],
                       "CAE_AMQP_URI": self.amqp_uri, "CAE_HTTP_PORT": str(next(ports))}
                process = Process(service, command, int(env["CAE_HTTP_PORT"]), env,
                                  self.logs / f"{service}-{command}.log")
                self.processes[process.name] = process

    def url(self, service: str) -> str:
        return self.processes[service].url

    def start(self, timeout: float = 90) -> None:
        for process in self.processes.values():
            process.start()
        self.wait_ready(timeout, broker=True)
        threading.Thread(target=self._supervise, name="supervisor", daemon=True).start()

    def _supervise(self) -> None:
        """As the kubelet would: a process that exits by itself (not killed by a fault) is
        restarted; the test then fails with its log, since none should."""
        while not self._stopping.wait(0.5):
            for process in list(self.processes.values()):
                if process.name not in self._restarting and process.exited_by_itself():
                    self.crashes.append((process.name, process.popen.returncode,
                                         process.log_tail()))
                    process.start()

    def wait_ready(self, timeout: float, broker: bool = False) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(self.processes.values())
        while waiting:
            waiting = [p for p in waiting if not p.ready(broker)]
            if waiting and time.monotonic() > deadline:
                raise AssertionError(f"not ready after {timeout:.0f} s: "
                                     f"{[p.name for p in waiting]} (logs in {self.logs})")
            time.sleep(0.2)

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=180)
        for process in self.processes.values():
            process.stop()

    # -- faults ----------------------------------------------------------------------------
    def _in_background(self, fault: Fault, work) -> None:
        def run():
            work()
            fault.recovered = time.monotonic()

        thread = threading.Thread(target=run, name=fault.what, daemon=True)
        self._threads.append(thread)
        thread.start()

    def kill(self, name: str) -> Fault:
        """``kill -9`` of one process; it is restarted a second later, in the background."""
        process = self.processes[name]
        fault = Fault(f"kill -9 {name}", time.monotonic())
        self._restarting.add(name)
        process.kill()
        self.faults.append(fault)

        def restart():
            time.sleep(RESTART_AFTER)
            process.start()
            self._restarting.discard(name)
            _until(lambda: process.ready(), 120, f"{name} did not come back after kill -9")

        self._in_background(fault, restart)
        return fault

    def restart_rabbitmq(self, down_for: float = 3.0) -> Fault:
        """The broker stops (every connection dropped, queues from disk at start) and starts."""
        fault = Fault("RabbitMQ restart", time.monotonic())
        self.faults.append(fault)

        def restart():
            _run(["rabbitmqctl", "stop_app"])
            time.sleep(down_for)
            _run(["rabbitmqctl", "start_app"])
            _run(["rabbitmqctl", "await_startup"])
            for process in self.processes.values():
                _until(lambda p=process: p.ready(broker=True), 120,
                       f"{process.name} did not reconnect to RabbitMQ")

        self._in_background(fault, restart)
        return fault

    def restart_postgresql(self, down_for: float = 3.0) -> Fault:
        """The database server stops (fast: every connection cut) and starts again."""
        fault = Fault("PostgreSQL restart", time.monotonic())
        self.faults.append(fault)
        version = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(x) for x in
                                                                         v.split(".")])[-1]

        def restart():
            _run(["pg_ctlcluster", "--skip-systemctl-redirect", "-m", "fast", version, "main",
                  "stop"])
            time.sleep(down_for)
            _run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"])
            for process in self.processes.values():
                _until(lambda p=process: p.ready(), 120,
                       f"{process.name} did not reconnect to PostgreSQL")

        self._in_background(fault, restart)
        return fault

    def settle(self) -> None:
        """Wait for every fault's recovery (they run in the background)."""
        for thread in self._threads:
            thread.join(timeout=300)
        unrecovered = [f.what for f in self.faults if f.recovered is None]
        assert not unrecovered, f"no recovery from {unrecovered} (logs in {self.logs})"


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=180)


def _until(predicate, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.1)
