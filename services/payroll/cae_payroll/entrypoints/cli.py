"""``cae payroll ...``: start or resume a month's run and follow it with a progress bar.

The command writes the run and its work items in the payroll database (their events
leave through the outbox relay of the running payroll service); the payroll workers
(``cae run payroll`` processes) do the work; the bar follows the run's counters.
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv) -> int:
    parser = argparse.ArgumentParser(prog="cae payroll")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="start a cooperative's run for a month, and follow it")
    p.add_argument("--period", required=True, help="YYYY-MM")
    p = sub.add_parser("resume", help="ask again for a run's missing payslips, and follow it")
    p.add_argument("--run", required=True)
    p = sub.add_parser("progress", help="follow a run")
    p.add_argument("--run", required=True)
    for name in ("run", "resume", "progress"):
        sub.choices[name].add_argument("--cooperative", required=True, help="the cooperative's id")
        sub.choices[name].add_argument("--no-wait", action="store_true", help="do not follow it")
    args = parser.parse_args(argv)

    from cae_payroll.adapters.store import Run
    from cae_payroll.usecases import runs
    from caekit.cli import progress_bar
    from caekit.config import Settings
    from caekit.db import acting_session, make_engine, make_session_factory
    from caekit.period import Period
    from caekit.rules import RuleViolation, UnknownRecord

    settings = Settings.from_env("payroll")
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    try:
        with acting_session(sessions, args.cooperative, "cli") as session:
            if args.command == "run":
                try:
                    run = runs.start_run(session, args.cooperative, Period.parse(args.period))
                except RuleViolation as exc:
                    print(f"cae payroll: {exc.message}", file=sys.stderr)
                    return 1
                session.commit()
                print(f"run {run.id}: {run.expected} payslips to issue", file=sys.stderr)
            else:
                try:
                    run = runs.get_run(session, args.run)
                except UnknownRecord:
                    print(f"cae payroll: no run {args.run} in this cooperative", file=sys.stderr)
                    return 1
                if args.command == "resume":
                    try:
                        again = runs.resume_run(session, run)
                    except RuleViolation as exc:
                        print(f"cae payroll: {exc.message}", file=sys.stderr)
                        return 1
                    print(f"run {run.id}: {again} payslips asked again", file=sys.stderr)
                    session.commit()
            run_id = run.id
        if args.no_wait:
            print(run_id)
            return 0
        started, first = time.monotonic(), None
        while True:
            with acting_session(sessions, args.cooperative, "cli") as session:
                run = session.get(Run, run_id)
            first = run.issued if first is None else first
            elapsed = time.monotonic() - started
            rate = (run.issued - first) / elapsed if elapsed else 0.0
            progress_bar(run.issued, run.expected, f" payslips  {rate:,.0f}/s ")
            if run.status == "completed":
                sys.stderr.write("\n")
                print(run_id)
                return 0
            if run.status == "cancelled":
                sys.stderr.write("\n")
                print(f"cae payroll: the run was cancelled ({run.cancel_reason})",
                      file=sys.stderr)
                return 1
            time.sleep(0.5)
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
