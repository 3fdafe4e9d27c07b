"""``cae ledger ...``: the ledger service's operator commands."""

from __future__ import annotations

import argparse
import os
import sys

from caekit.period import FIRST_YEAR, LAST_YEAR


def _year(text: str) -> int:
    """A fiscal year from 1900 to 2200 (the platform's range)."""
    if not text.isascii() or not text.isdigit() or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"a year from {FIRST_YEAR} to {LAST_YEAR}, not {text!r}")
    return int(text)


def main(argv) -> int:
    parser = argparse.ArgumentParser(prog="cae ledger")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fec", help="export a fiscal year's FEC (LPF A47 A-1)")
    p.add_argument("--cooperative", required=True, help="the cooperative's id")
    p.add_argument("--year", type=_year, required=True,
                   help=f"the fiscal (calendar) year, {FIRST_YEAR} to {LAST_YEAR}")
    p.add_argument("--separator", choices=("pipe", "tab"), default="pipe")
    p.add_argument("--output", help="file or directory (default: <SIREN>FEC<date>.txt here)")
    args = parser.parse_args(argv)

    from cae_ledger.usecases import export
    from caekit.config import Settings
    from caekit.db import acting_session, make_engine, make_session_factory

    settings = Settings.from_env("ledger")
    engine = make_engine(settings.database_url)
    try:
        with acting_session(make_session_factory(engine), args.cooperative,
                            "fec-export") as session:
            name = export.file_name(session, args.cooperative, args.year, unknown_siren="000000000")
            path = args.output or name
            if os.path.isdir(path):
                path = os.path.join(path, name)
            partial = f"{path}.partial"  # a failed export leaves no file that looks complete
            with open(partial, "w", encoding="utf-8", newline="") as out:
                lines = export.write_year(session, args.year, out,
                                          "|" if args.separator == "pipe" else "\t")
            os.replace(partial, path)
    finally:
        engine.dispose()
    print(f"{path}: {lines} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
