"""``cae members ...``: the members service's operator commands."""

from __future__ import annotations

import argparse
import sys


def progress_bar(done: int, total: int, *, out=sys.stderr, width: int = 40) -> None:
    """The import's progress on stderr, for files of 200 rows or more."""
    if total < 200 or (done % max(1, total // 100) and done != total):
        return
    filled = width * done // total
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        out.write("\n")
    out.flush()


def main(argv) -> int:
    parser = argparse.ArgumentParser(prog="cae members")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("import", help="import people, contracts and activities from a CSV file")
    p.add_argument("file")
    p.add_argument("--cooperative", required=True, help="the cooperative's id")
    p.add_argument("--dry-run", action="store_true", help="report every error, write nothing")
    args = parser.parse_args(argv)

    from cae_members.usecases import importer
    from caekit import context
    from caekit.config import Settings
    from caekit.db import make_engine, make_session_factory

    settings = Settings.from_env("members")
    try:
        with open(args.file, encoding="utf-8-sig") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        print(f"line 0, -: the file is not UTF-8 ({exc.reason} at byte {exc.start})")
        return 1
    engine = make_engine(settings.database_url)
    tokens = context.bind(tenant=args.cooperative,
                          who=context.Caller("import", args.cooperative, frozenset({"staff"})),
                          correlation=None)
    try:
        with make_session_factory(engine)() as session:
            report = importer.run(session, args.cooperative, text, dry_run=args.dry_run,
                                  progress=progress_bar)
    finally:
        context.unbind(tokens)
        engine.dispose()
    for line in report.lines():
        print(line)
    verb = "would create" if args.dry_run else "created"
    print(f"{report.rows} rows: {verb} {report.created}, skipped {report.skipped} already "
          f"imported, {len(report.errors)} error(s)" + ("" if args.dry_run or not report.errors
                                                        else "; nothing was written"))
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
