"""What the members service publishes: every event type, in one place.

Each event is added to the transaction of the change it reports (outbox) and goes to the
``members.events`` exchange; its schema is in ``cae_contracts.members``. One event per fact:
``member_joined.v1``, which also carried the activity a person starts with, is retired
(registered still, so that queued or parked copies validate and replay).
"""

from __future__ import annotations

COOPERATIVE_REGISTERED = "cae.members.cooperative_registered.v1"
COOPERATIVE_UPDATED = "cae.members.cooperative_updated.v1"
MEMBER_JOINED = "cae.members.member_joined.v2"  # the person
CONTRACT_SIGNED = "cae.members.contract_signed.v1"  # also a CAPE's renewal
CONTRACT_ENDED = "cae.members.contract_ended.v1"
MEMBER_BECAME_ASSOCIATE = "cae.members.member_became_associate.v1"
DEADLINE_APPROACHING = "cae.members.associate_deadline_approaching.v1"
DEADLINE_MISSED = "cae.members.associate_deadline_missed.v1"
ACTIVITY_OPENED = "cae.members.activity_opened.v1"
ACTIVITY_CLOSED = "cae.members.activity_closed.v1"
MEMBER_LEFT = "cae.members.member_left.v1"

#: What registering a person publishes (``membership.register_member``), in this order, in
#: the registration's transaction: the person; and, when they start with an activity, its
#: opening (the only event that carries that activity).
ON_JOINING = (MEMBER_JOINED, ACTIVITY_OPENED)

#: Retired types: registered, no longer published.
RETIRED = ("cae.members.member_joined.v1",)

#: Every event type the service publishes.
PUBLISHED = (COOPERATIVE_REGISTERED, COOPERATIVE_UPDATED, MEMBER_JOINED,
             CONTRACT_SIGNED, CONTRACT_ENDED, MEMBER_BECAME_ASSOCIATE, DEADLINE_APPROACHING,
             DEADLINE_MISSED, ACTIVITY_OPENED, ACTIVITY_CLOSED, MEMBER_LEFT)
