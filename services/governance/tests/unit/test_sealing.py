"""Sealed ballots (docs/adr/0013-sealed-ballots.md): unreadable without the poll key, all
of one size in a poll, and the ballot key required in production."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from cae_governance.adapters import sealing
from caekit.config import ConfigurationError

MASTER = sealing.ballot_key(False, {})


def test_a_sealed_ballot_opens_only_with_its_poll_key_and_poll():
    wrapped = sealing.new_poll_key(MASTER, "poll-1")
    key = sealing.unwrap(MASTER, "poll-1", wrapped)
    ballot = {"voter": "v1", "cast_by": None, "postal": False, "receipt": "R", "choice": "for"}
    nonce, sealed = sealing.seal(key, "poll-1", ballot, sealing.padded_length(0))
    assert b"v1" not in sealed and b"for" not in sealed
    assert sealing.open_sealed(key, "poll-1", nonce, sealed) == ballot
    with pytest.raises(InvalidTag):
        sealing.open_sealed(key, "poll-2", nonce, sealed)  # another poll's ballot
    other = sealing.unwrap(MASTER, "poll-9", sealing.new_poll_key(MASTER, "poll-9"))
    with pytest.raises(InvalidTag):
        sealing.open_sealed(other, "poll-1", nonce, sealed)
    with pytest.raises(InvalidTag):
        sealing.unwrap(sealing.ballot_key(False, {sealing.BALLOT_KEY_VARIABLE: "x" * 40}),
                       "poll-1", wrapped)


def test_every_ballot_of_a_poll_has_the_same_size_whatever_the_choice():
    key = sealing.unwrap(MASTER, "p", sealing.new_poll_key(MASTER, "p"))
    length = sealing.padded_length(3)
    sizes = {len(sealing.seal(key, "p", {"voter": "a" * 36, "cast_by": "b" * 36, "postal": True,
                                         "receipt": sealing.receipt_code(), "choice": choice},
                              length)[1])
             for choice in ("for", "against", "abstain", "blank", ",".join(["c" * 36] * 3))}
    assert len(sizes) == 1


def test_receipt_codes_are_random_and_readable():
    codes = {sealing.receipt_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == 19 and code.count("-") == 3 for code in codes)
    assert not set("ILOU") & set("".join(codes))


def test_production_needs_a_ballot_key_of_its_own():
    with pytest.raises(ConfigurationError, match=sealing.BALLOT_KEY_VARIABLE):
        sealing.ballot_key(True, {})
    with pytest.raises(ConfigurationError):
        sealing.ballot_key(True, {sealing.BALLOT_KEY_VARIABLE: "too short"})
    assert len(sealing.ballot_key(True, {sealing.BALLOT_KEY_VARIABLE: "k" * 32})) == 32
