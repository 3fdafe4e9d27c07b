"""Sealed ballots: what keeps a secret ballot unreadable while its poll is open.

docs/adr/0013-sealed-ballots.md. Each secret poll gets a random 256-bit key when its
first ballot arrives; the store keeps that key only wrapped (AES-256-GCM) under the
service's **ballot key**, which the database never holds: ``CAE_GOVERNANCE_BALLOT_KEY``
(at least 32 characters; required in production, a fixed development key otherwise).
A ballot is sealed with the poll key (AES-256-GCM, a random 96-bit nonce, the poll's id
as associated data) after being padded to the poll's fixed length, so that the size of
a sealed ballot says nothing of the choice. At the poll's close the ballots are opened,
the voters dropped, and the key and the sealed rows deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from caekit.config import ConfigurationError

BALLOT_KEY_VARIABLE = "CAE_GOVERNANCE_BALLOT_KEY"
_DEVELOPMENT_KEY = "development-ballot-key-not-for-production"
_MIN_KEY_TEXT = 32


def ballot_key(production: bool, environ=None) -> bytes:
    """The service's ballot key (32 bytes, the SHA-256 of the variable's text)."""
    environ = os.environ if environ is None else environ
    text = environ.get(BALLOT_KEY_VARIABLE)
    if not text:
        if production:
            raise ConfigurationError(
                f"{BALLOT_KEY_VARIABLE} is not set: secret ballots need a key the database "
                "does not hold (at least 32 random characters)")
        text = _DEVELOPMENT_KEY
    elif len(text) < _MIN_KEY_TEXT or (production and text == _DEVELOPMENT_KEY):
        raise ConfigurationError(f"{BALLOT_KEY_VARIABLE} must be at least {_MIN_KEY_TEXT} "
                                 "random characters, and not the development key")
    return hashlib.sha256(text.encode()).digest()


def new_poll_key(master: bytes, poll: str) -> bytes:
    """A fresh poll key, wrapped under ``master``: nonce + ciphertext, to store."""
    nonce = os.urandom(12)
    return nonce + AESGCM(master).encrypt(nonce, AESGCM.generate_key(256), poll.encode())


def unwrap(master: bytes, poll: str, wrapped: bytes) -> bytes:
    return AESGCM(master).decrypt(wrapped[:12], wrapped[12:], poll.encode())


def padded_length(candidates: int) -> int:
    """The plaintext length of every ballot of a poll (fixed by the poll, not the choice)."""
    return 256 + 40 * candidates


def seal(poll_key: bytes, poll: str, ballot: dict, length: int) -> tuple[str, bytes]:
    """``ballot`` sealed: (the nonce in hex, the ciphertext)."""
    text = json.dumps(ballot, separators=(",", ":"), sort_keys=True).encode()
    if len(text) > length:
        raise ValueError(f"a ballot of {len(text)} bytes does not fit the poll's {length}")
    nonce = os.urandom(12)
    return nonce.hex(), AESGCM(poll_key).encrypt(nonce, text.ljust(length), poll.encode())


def open_sealed(poll_key: bytes, poll: str, nonce: str, sealed: bytes) -> dict:
    return json.loads(AESGCM(poll_key).decrypt(bytes.fromhex(nonce), sealed, poll.encode()))


_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U


def receipt_code() -> str:
    """A receipt code of 80 random bits: ``7KQ2-M9XD-4TR1-ZC8B``."""
    value = secrets.randbits(80)
    letters = "".join(_ALPHABET[(value >> (5 * i)) & 31] for i in range(16))
    return "-".join(letters[i:i + 4] for i in range(0, 16, 4))
