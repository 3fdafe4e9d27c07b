"""Operator tools for parked (dead-lettered) events: list, show, replay, purge.

Reading a parking queue takes its messages without acknowledging them and
closes the channel, which puts them back: listing never loses a message.
Replaying republishes a message (publisher confirm) to its consumer queue with
its attempt counter reset, then acknowledges the parked copy; the consumer's
inbox makes a replay of an already handled event a no-op.

Every function works in the vhost of the AMQP URI it is given (the services' own,
``CAE_AMQP_URI``); what stops it (the broker unreachable, no such vhost or queue) is
raised as ``DlqError`` with a one-line message naming the vhost.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import amqp
from kombu import Connection

from caekit import topology

REPLAYED_HEADER = "x-cae-replayed"


class DlqError(RuntimeError):
    """What stops an operator's command, in one line (no broker, vhost or queue)."""


def vhost_of(amqp_uri: str) -> str:
    """The vhost an AMQP URI names ('/' when it names none)."""
    return unquote(urlsplit(amqp_uri).path[1:]) or "/"


def shown(amqp_uri: str) -> str:
    """The AMQP URI without its password."""
    parts = urlsplit(amqp_uri)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path or '/'}"


@dataclass
class ParkedMessage:
    event_id: str
    event_type: str
    tenant_id: str
    attempts: int
    error: str
    failed_at: str
    queue: str
    body: str

    def summary(self) -> dict:
        last_line = self.error.strip().splitlines()[-1] if self.error.strip() else ""
        return {"event_id": self.event_id, "event_type": self.event_type,
                "tenant_id": self.tenant_id, "attempts": self.attempts,
                "failed_at": self.failed_at, "error": last_line}


@contextmanager
def _channel(amqp_uri: str):
    conn = Connection(amqp_uri, connect_timeout=5)
    try:
        conn.connect()
    except Exception as exc:  # noqa: BLE001 - refused, unknown vhost, bad credentials
        conn.release()
        raise DlqError(f"cannot reach vhost {vhost_of(amqp_uri)!r} at {shown(amqp_uri)}: "
                       f"{' '.join(str(exc).split()) or type(exc).__name__}") from None
    channel = conn.connection.channel()
    try:
        yield channel
    except amqp.exceptions.NotFound as exc:
        raise DlqError(f"{exc.reply_text or 'not found'} "
                       "(`cae dlq queues` lists the parking queues)") from None
    finally:
        try:
            channel.close()  # unacknowledged messages go back to the queue
        except Exception:  # noqa: BLE001 - a channel the broker already closed (not found)
            pass
        finally:
            conn.release()


def _parked(message, queue: str) -> ParkedMessage:
    headers = message.properties.get("application_headers") or {}
    body = message.body.decode() if isinstance(message.body, bytes) else message.body
    try:
        tenant = json.loads(body).get("tenantid", "")
    except (ValueError, AttributeError):
        tenant = ""
    return ParkedMessage(
        event_id=message.properties.get("message_id") or "",
        event_type=message.properties.get("type") or "",
        tenant_id=tenant,
        attempts=int(headers.get(topology.ATTEMPT_HEADER, 1)) - 1,
        error=str(headers.get(topology.ERROR_HEADER, "")),
        failed_at=str(headers.get(topology.FAILED_AT_HEADER, "")),
        queue=str(headers.get(topology.QUEUE_HEADER) or queue.removesuffix("--dead")),
        body=body,
    )


def _take(channel, queue: str, limit: int):
    taken = []
    while len(taken) < limit:
        message = channel.basic_get(queue, no_ack=False)
        if message is None:
            break
        taken.append(message)
    return taken


def dead_letter_queue_of(name: str) -> str:
    return name if name.endswith("--dead") else topology.dead_letter_queue(name)


def list_parked(amqp_uri: str, queue: str, limit: int = 10_000) -> list[ParkedMessage]:
    queue = dead_letter_queue_of(queue)
    with _channel(amqp_uri) as channel:
        return [_parked(m, queue) for m in _take(channel, queue, limit)]


def replay(amqp_uri: str, queue: str, event_ids: set[str] | None = None) -> int:
    """Move parked messages (all, or those with the given event ids) back to their queue."""
    queue = dead_letter_queue_of(queue)
    replayed, existing = 0, set()
    with _channel(amqp_uri) as channel:
        channel.confirm_select()
        for message in _take(channel, queue, 1_000_000):
            parked = _parked(message, queue)
            if event_ids is not None and parked.event_id not in event_ids:
                continue
            headers = dict(message.properties.get("application_headers") or {})
            headers[topology.ATTEMPT_HEADER] = 1
            headers[REPLAYED_HEADER] = int(headers.get(REPLAYED_HEADER, 0)) + 1
            properties = {k: v for k, v in message.properties.items() if k != "application_headers"}
            copy = amqp.Message(message.body, application_headers=headers, **properties)
            if parked.queue not in existing:
                channel.queue_declare(parked.queue, passive=True)  # raises if it is gone
                existing.add(parked.queue)
            channel.basic_publish_confirm(copy, "", parked.queue, mandatory=True,
                                          confirm_timeout=30)
            channel.basic_ack(message.delivery_tag)
            replayed += 1
    return replayed


def purge(amqp_uri: str, queue: str, event_ids: set[str] | None = None) -> int:
    """Drop parked messages (all, or those with the given event ids)."""
    queue = dead_letter_queue_of(queue)
    with _channel(amqp_uri) as channel:
        if event_ids is None:
            return channel.queue_purge(queue) or 0
        purged = 0
        for message in _take(channel, queue, 1_000_000):
            if (message.properties.get("message_id") or "") in event_ids:
                channel.basic_ack(message.delivery_tag)
                purged += 1
        return purged


def management_url(amqp_uri: str, management: str | None = None) -> tuple[str, str, str, str]:
    """(base url, vhost, user, password) of the management API for an AMQP URI."""
    parts = urlsplit(amqp_uri)
    base = management or f"http://{parts.hostname or '127.0.0.1'}:15672"
    return (base.rstrip("/"), quote(vhost_of(amqp_uri), safe=""), unquote(parts.username or "guest"),
            unquote(parts.password or "guest"))


def dead_letter_queues(amqp_uri: str, management: str | None = None) -> list[tuple[str, int]]:
    """Every parking queue of the vhost (listed by the management API) with its message count."""
    import base64
    import urllib.error
    import urllib.request

    base, vhost, user, password = management_url(amqp_uri, management)
    request = urllib.request.Request(f"{base}/api/queues/{vhost}?columns=name,messages")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            names = sorted(q["name"] for q in json.load(response) if q["name"].endswith("--dead"))
    except urllib.error.HTTPError as exc:
        why = "no such vhost" if exc.code == 404 else f"HTTP {exc.code} {exc.reason}"
        raise DlqError(f"the management API at {base} cannot list vhost "
                       f"{vhost_of(amqp_uri)!r}: {why}") from None
    except (OSError, ValueError) as exc:
        raise DlqError(f"cannot reach the RabbitMQ management API at {base} "
                       f"({' '.join(str(exc).split())}); pass --management URL") from None
    # the management API's counts lag by its statistics interval: ask the queues themselves
    with _channel(amqp_uri) as channel:
        return [(name, channel.queue_declare(name, passive=True).message_count) for name in names]
