"""Failpoints: named places where a test makes the process fail on purpose.

``CAE_FAILPOINTS="relay.after_fetch=kill,relay.after_publish=kill"`` makes the
process SIGKILL itself when it reaches those points; ``handler.before_commit=kill@3``
on the third time it reaches it (mid-stream, after two batches committed). Unset
in production, a failpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_points: dict[str, str] | None = None
_hits: dict[str, int] = {}


def _load() -> dict[str, str]:
    spec = os.environ.get("CAE_FAILPOINTS", "")
    points = {}
    for item in spec.split(","):
        if "=" in item:
            name, action = item.split("=", 1)
            points[name.strip()] = action.strip()
    return points


def hit(name: str) -> None:
    global _points
    if _points is None:
        _points = _load()
    action = _points.get(name)
    if action is None:
        return
    if action.startswith("kill@"):
        _hits[name] = _hits.get(name, 0) + 1
        action = "kill" if _hits[name] >= int(action[5:]) else None
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "raise":
        raise RuntimeError(f"failpoint {name}")
