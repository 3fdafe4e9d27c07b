"""`cae prune` deletes only confirmed outbox rows, old inbox rows and old idempotency keys,
on a real database."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from caekit.db import make_engine
from caekit.tables import idempotency_table, inbox_table, outbox_table
from caekit.testing import count_rows


def test_prune_keeps_pending_events_and_recent_rows(database_url):
    url = database_url("members")
    old, recent = datetime.now(UTC) - timedelta(days=40), datetime.now(UTC)
    engine = make_engine(url)
    with engine.begin() as conn:
        for i, (sent_at, created) in enumerate([(old, old), (recent, recent), (None, old)]):
            conn.execute(insert(outbox_table).values(
                event_id=f"00000000-0000-4000-8000-00000000000{i}", event_type="t",
                exchange="members.events", tenant_id="c", body="{}", created_at=created,
                sent_at=sent_at, attempts=0))
        conn.execute(insert(inbox_table), [
            {"consumer": "x", "event_id": "old", "event_type": "t", "handled_at": old},
            {"consumer": "x", "event_id": "new", "event_type": "t", "handled_at": recent}])
        conn.execute(insert(idempotency_table), [
            {"caller": "alice", "key": key, "request_hash": "h", "status": 201,
             "content_type": "application/json", "response": "{}", "created_at": when}
            for key, when in (("old", old), ("new", recent))])
    engine.dispose()
    result = subprocess.run([sys.executable, "-m", "caekit.cli", "prune", "members", "--days", "30"],
                            env={"CAE_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "pruned 1 outbox and 1 inbox rows and 1 idempotency keys" in result.stdout
    assert count_rows(url, "outbox") == 2  # the recent confirmed one and the pending old one
    assert count_rows(url, "outbox", "WHERE sent_at IS NULL") == 1
    assert count_rows(url, "inbox") == 1
    assert count_rows(url, "idempotency_keys") == 1
