"""The governance service's HTTP API, as methods of ``HttpGateway`` (``self._get``,
``self._post``, ``self._call``, ``self._all_pages``)."""

from __future__ import annotations


class GovernanceCalls:
    pass
