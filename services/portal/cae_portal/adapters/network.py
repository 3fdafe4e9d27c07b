"""The network operator's calls (members' cooperatives, payroll's network run, each
service's health), as methods of ``HttpGateway`` (``self._get``, ``self._post``,
``self._call``)."""

from __future__ import annotations


class NetworkCalls:
    pass
