"""make bench-members: the daily associate-deadline scan and a cooperative's member listing,
at 10,000 and at 100,000 members (100 per cooperative: 100 and 1,000 cooperatives).

For each size it times, on the service's own code paths and a real database:
  scan     membership.scan_deadlines over every cooperative (alerts + outbox events);
  listing  each cooperative's member listing as the HTTP endpoint builds it
           (membership.list_members, tenant-scoped, + schema dump), for every cooperative
           in turn.
Times are reported per 10,000 members; the ratio of the 100k figure to the 10k figure
is 1.0 for linear growth (below 1.0 is better than linear). The last line is
ratio=<the larger of the two ratios>.

    .venv/bin/python bench/bench_members.py [--db postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from cae_members.adapters.schemas import MemberList
from cae_members.adapters.store import Cooperative, Member
from cae_members.usecases import membership
from caekit.db import make_engine, make_session_factory
from caekit.migrations import upgrade

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_kit import fresh_database  # noqa: E402

TODAY = date(2027, 6, 1)
PER_COOPERATIVE = 100


def populate(url: str, members: int) -> list[str]:
    engine = make_engine(url)
    rng = random.Random(42)
    now = datetime.now(UTC)
    cooperatives = [str(uuid.uuid4()) for _ in range(members // PER_COOPERATIVE)]
    with engine.begin() as conn:
        conn.execute(insert(Cooperative), [
            {"id": c, "name": f"CAE {i}", "siren": f"{i:09d}", "legal_form": "SCOP-SA",
             "registered_at": now, "registered_by": "bench"} for i, c in enumerate(cooperatives)])
        rows = []
        for coop in cooperatives:
            for n in range(PER_COOPERATIVE):
                signed = TODAY - timedelta(days=rng.randint(0, 3 * 365))
                rows.append({
                    "id": str(uuid.uuid4()), "cooperative_id": coop, "first_name": f"P{n}",
                    "last_name": f"Name{rng.randint(0, 10**6):07d}", "email": "p@example.org",
                    "joined_on": signed, "created_at": now, "created_by": "bench",
                    # a CESA signed in the last three years: the deadline three years later
                    "associate_deadline": signed + timedelta(days=3 * 365),
                    "associate_on": signed + timedelta(days=400) if n % 3 == 0 else None})
                if len(rows) == 5000:
                    conn.execute(insert(Member), rows)
                    rows = []
        if rows:
            conn.execute(insert(Member), rows)
    engine.dispose()
    return cooperatives


def measure(url: str, cooperatives: list[str]) -> tuple[float, float, int]:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        started = time.perf_counter()
        published = membership.scan_deadlines(session, TODAY)
        session.commit()
        scan = time.perf_counter() - started
    started = time.perf_counter()
    for coop in cooperatives:
        with sessions() as session:
            session.info["tenant_id"] = coop
            rows = membership.list_members(session, coop)
            assert len(MemberList().dump({"items": rows})["items"]) == PER_COOPERATIVE
    listing = time.perf_counter() - started
    engine.dispose()
    return scan, listing, published


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"),
                        default=os.environ.get("BENCH_DB", "postgresql"))
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="cae-bench-members-")
    results = {}
    for size in (10_000, 100_000):
        url = fresh_database(args.db, f"cae_bench_members_{size}", tmp)
        upgrade("members", url)
        cooperatives = populate(url, size)
        scan, listing, published = measure(url, cooperatives)
        per = size / 10_000
        results[size] = (scan / per, listing / per)
        print(f"{size:>7} members in {len(cooperatives):>5} cooperatives: scan {scan:6.2f} s "
              f"({published} alerts), listing every cooperative {listing:6.2f} s; "
              f"per 10,000 members: scan {scan / per:.3f} s, listing {listing / per:.3f} s",
              flush=True)
    scan_ratio = results[100_000][0] / results[10_000][0]
    listing_ratio = results[100_000][1] / results[10_000][1]
    print(f"scan_ratio={scan_ratio:.2f} listing_ratio={listing_ratio:.2f} (1.0 = linear)")
    print(f"ratio={max(scan_ratio, listing_ratio):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
