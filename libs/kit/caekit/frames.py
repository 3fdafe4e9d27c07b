"""AMQP 0-9-1 ``basic.publish`` frames for a batch of messages, in one buffer.

py-amqp serialises a message's method, header and body frames in Python and writes
them with one socket call per message: ~100 us a message, most of the relay's work.
The relay publishes hundreds of messages with the same few properties at a time, so it
builds their frames here, byte for byte what py-amqp would write (``test_units.py``
compares the two), and writes the batch in one call. Confirms, returns and everything
the broker sends back still go through py-amqp's channel.
"""

from __future__ import annotations

from struct import Struct

_FRAME_END = b"\xce"
_FRAME_HEAD = Struct(">BHI")  # type, channel, payload size
_PUBLISH_HEAD = Struct(">HHH")  # class basic (60), method publish (40), reserved
_CONTENT_HEAD = Struct(">HHQH")  # class basic, weight, body size, property flags
# the properties the relay sets, with their flag bits (AMQP 0-9-1, basic class)
_CONTENT_TYPE, _CONTENT_ENCODING, _DELIVERY_MODE, _MESSAGE_ID, _TYPE = (
    1 << 15, 1 << 14, 1 << 12, 1 << 7, 1 << 5)


def _short_string(text: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > 255:
        raise ValueError(f"AMQP short string longer than 255 bytes: {text[:40]!r}...")
    return bytes((len(raw),)) + raw


def _frame(kind: int, channel: int, payload: bytes) -> bytes:
    return _FRAME_HEAD.pack(kind, channel, len(payload)) + payload + _FRAME_END


def publish_frames(channel: int, frame_max: int, exchange: str, routing_key: str, body: str,
                   *, content_type: str, message_id: str, type_: str,
                   mandatory: bool = True, persistent: bool = True) -> bytes:
    """The frames py-amqp writes for ``channel.basic_publish(amqp.Message(body,
    content_type=..., delivery_mode=2, message_id=..., type=...), exchange, routing_key,
    mandatory=...)`` (a str body is sent as UTF-8, with that content encoding)."""
    method = (_PUBLISH_HEAD.pack(60, 40, 0) + _short_string(exchange)
              + _short_string(routing_key) + bytes((1 if mandatory else 0,)))
    raw = body.encode("utf-8")
    flags = _CONTENT_TYPE | _CONTENT_ENCODING | _MESSAGE_ID | _TYPE
    properties = _short_string(content_type) + _short_string("utf-8")
    if persistent:
        flags |= _DELIVERY_MODE
        properties += b"\x02"
    properties += _short_string(message_id) + _short_string(type_)
    header = _CONTENT_HEAD.pack(60, 0, len(raw), flags) + properties
    parts = [_frame(1, channel, method), _frame(2, channel, header)]
    chunk = frame_max - 8
    parts.extend(_frame(3, channel, raw[i:i + chunk]) for i in range(0, len(raw), chunk))
    return b"".join(parts)
