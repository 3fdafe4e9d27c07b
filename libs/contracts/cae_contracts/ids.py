"""Identifiers of records made by the hundred thousand: UUID version 7 (RFC 9562).

Events, payslips, runs and entries are written in bulk and indexed by their id. A
random UUID (version 4) lands each new key on a random page of its index; a version 7
UUID begins with the Unix time in milliseconds, so the keys of a run land on the last
pages, which stay in memory and are logged once per checkpoint rather than once per
row. It reveals when it was made, to the millisecond: use it only for records that
carry their creation time anyway.
"""

from __future__ import annotations

import os
import time

_VERSION_AND_VARIANT = (0x7 << 76) | (0x2 << 62)
_RANDOM = ((1 << 80) - 1) & ~(0xF << 76) & ~(0x3 << 62)  # 74 random bits below the time


def new_id() -> str:
    """A new UUID version 7, in its canonical form (lower case, hyphens)."""
    value = ((time.time_ns() // 1_000_000) << 80
             | int.from_bytes(os.urandom(10)) & _RANDOM | _VERSION_AND_VARIANT)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
