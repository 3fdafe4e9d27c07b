"""``cae matching ...``: the matching service's operator commands.

    cae matching import-esco DIR [--language fr] [--source TEXT]
        import (or import again) an official ESCO CSV download: skills, skill groups,
        occupations, ISCO groups, their labels, broader relations and occupation skills
    cae matching load-taxonomy [--force]
        import the French ESCO subset shipped with the service, when the taxonomy is empty
        (``--force``: again, over what is there); ``cae migrate matching`` does it too
    cae matching erase-expired [--today YYYY-MM-DD]
        erase the profiles of members gone longer than their cooperative's retention delay

Each command is one transaction of the store ``cae migrate matching`` made, run for the
whole network (no cooperative). A refusal (an unreadable ESCO file...) is one line on
stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

_COUNT_NAMES = (("skill", "skills"), ("skill_group", "skill groups"),
                ("occupation", "occupations"), ("isco_group", "ISCO groups"),
                ("labels", "labels"), ("broader", "broader relations"),
                ("occupation_skills", "occupation skills"), ("skipped", "skipped"))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a date YYYY-MM-DD, not {text!r}") from None


def describe(counts: dict[str, int]) -> str:
    """``12 skills, 3 skill groups, ...``: what an import wrote."""
    return ", ".join(f"{counts.get(key, 0):,} {name}" for key, name in _COUNT_NAMES)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cae matching")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("import-esco", help="import an official ESCO CSV download (a directory)")
    p.add_argument("directory", help="the unzipped download: skills_fr.csv, occupations_fr.csv ...")
    p.add_argument("--language", help="the files' language suffix (default: the one they carry)")
    p.add_argument("--source", help="stored with each concept (default: ESCO v<version> "
                   "(<language>) when the directory's name states the version)")
    p = sub.add_parser("load-taxonomy", help="import the French ESCO subset shipped here")
    p.add_argument("--force", action="store_true", help="import it even over a taxonomy")
    p = sub.add_parser("erase-expired", help="erase the profiles past their retention delay")
    p.add_argument("--today", type=_day, default=None, help="the day to count from (default: today)")
    return parser


def main(argv) -> int:
    args = build_parser().parse_args(argv)

    from cae_matching.usecases import profiles, taxonomy
    from caekit.config import Settings
    from caekit.db import acting_session, make_engine, make_session_factory
    from caekit.rules import RuleViolation

    settings = Settings.from_env("matching")
    engine = make_engine(settings.database_url)
    started = time.monotonic()
    try:
        subject = "erase-expired" if args.command == "erase-expired" else "esco-import"
        with acting_session(make_session_factory(engine), None, subject) as session:
            if args.command == "import-esco":
                counts = taxonomy.import_directory(session, args.directory, args.language,
                                                   source=args.source)
                message = f"{args.directory}: {describe(counts)}"
            elif args.command == "load-taxonomy":
                counts = taxonomy.load_shipped(session, force=args.force)
                message = (f"shipped ESCO subset: {describe(counts)}" if counts else
                           "the taxonomy holds concepts already: nothing loaded (--force to "
                           "load the shipped subset over them)")
            else:
                erased = profiles.erase_expired(session, args.today or date.today())
                message = f"{erased} profiles erased"
            session.commit()
    except RuleViolation as exc:
        print(f"cae: {exc.message} ({exc.rule})", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"{message} ({time.monotonic() - started:.1f} s)")
    return 0


def after_migrate(url: str) -> None:
    """Called by ``cae migrate matching`` (``caekit.migrations.upgrade``): the shipped
    taxonomy is loaded into an empty store, so that a new install has its skills. On
    PostgreSQL under an advisory lock: two migrations at once load it once."""
    from sqlalchemy import text

    from cae_matching.usecases import taxonomy
    from caekit.db import acting_session, make_engine, make_session_factory

    engine = make_engine(url)
    try:
        with acting_session(make_session_factory(engine), None, "migrate") as session:
            if engine.dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(hashtext('cae_matching_taxonomy'))"))
            taxonomy.load_shipped(session)
            session.commit()
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
