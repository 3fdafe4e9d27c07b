"""Time-ordered identifiers (UUID version 7)."""

from __future__ import annotations

import time
import uuid

from cae_contracts.ids import new_id


def test_a_new_id_is_a_canonical_version_7_uuid_of_now():
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    parsed = uuid.UUID(made)
    assert str(parsed) == made  # canonical: lower case, hyphens
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    assert before <= parsed.int >> 80 <= after  # the first 48 bits: Unix time in ms


def test_ids_are_unique_and_ordered_by_the_millisecond_they_were_made_in():
    made = [new_id() for _ in range(20_000)]
    assert len(set(made)) == len(made)
    milliseconds = [uuid.UUID(m).int >> 80 for m in made]
    assert milliseconds == sorted(milliseconds)
    # the 74 other bits are random: the version and variant bits never vary
    randomness = {uuid.UUID(m).int & ((1 << 80) - 1) for m in made}
    assert len(randomness) == len(made)
