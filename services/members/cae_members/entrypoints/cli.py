"""``cae members ...``: the members service's operator commands."""

from __future__ import annotations

import argparse
import sys

from caekit.cli import progress_bar


def import_progress(done: int, total: int, *, out=sys.stderr) -> None:
    """The import's progress on stderr, every 1 %, for files of 200 rows or more."""
    if total < 200 or (done % max(1, total // 100) and done != total):
        return
    progress_bar(done, total, "\n" if done == total else "", out=out)


def main(argv) -> int:
    from cae_members.usecases import importer

    parser = argparse.ArgumentParser(prog="cae members")
    sub = parser.add_subparsers(dest="command", required=True)
    summary = "import people, contracts and activities from a CSV file"
    p = sub.add_parser("import", help=summary, description=summary + ".",
                       epilog=importer.help_text(),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="the CSV file (its format and columns below)")
    p.add_argument("--cooperative", required=True, help="the cooperative's id")
    p.add_argument("--dry-run", action="store_true", help="report every error, write nothing")
    args = parser.parse_args(argv)

    from caekit.config import Settings
    from caekit.db import acting_session, make_engine, make_session_factory

    settings = Settings.from_env("members")
    try:
        with open(args.file, encoding="utf-8-sig") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        print(f"line 0, -: the file is not UTF-8 ({exc.reason} at byte {exc.start})")
        return 1
    except OSError as exc:
        print(f"line 0, -: cannot read {args.file}: {exc.strerror or exc}")
        return 1
    engine = make_engine(settings.database_url)
    try:
        with acting_session(make_session_factory(engine), args.cooperative, "import") as session:
            report = importer.run(session, args.cooperative, text, dry_run=args.dry_run,
                                  progress=import_progress)
    finally:
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
