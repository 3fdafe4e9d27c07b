"""Test-only services of the kit: a writer that publishes through the outbox, and a probe
that also consumes what it publishes and records one row per handled event, so a doubled
effect shows as two rows (a real service's handler may be idempotent by itself, which
would hide a broken inbox). The kit's tests use these, never a real service."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate
from nameko.rpc import RpcProxy, rpc
from sqlalchemy import Integer, String, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from caekit import context, outbox
from caekit.db import TenantScoped
from caekit.handlers import reliable_handler
from caekit.http import api
from caekit.rules import RuleViolation
from caekit.service import ServiceBase


class Base(DeclarativeBase):
    pass


class Effect(TenantScoped, Base):
    __tablename__ = "effects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))
    first_name: Mapped[str] = mapped_column(String(100))


class Thing(TenantScoped, Base):
    __tablename__ = "things"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    label: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)


class ThingIn(Schema):
    class Meta:
        unknown = RAISE

    label = fields.String(required=True, validate=validate.Length(min=1, max=100))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class Refused(RuleViolation):
    """A rule of the probe's domain refuses the event (the same on every attempt)."""

    def __init__(self, message: str) -> None:
        super().__init__("probe.refused", message)


class Switches:
    """What the probe's handler does; tests flip these."""

    failures_left = 0  # raise this many more times
    always_fail = False
    database_down = False  # raise what SQLAlchemy raises when the database is unreachable
    refused_names: frozenset = frozenset()  # first names the handler refuses


def _unreachable():
    return OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))


class WriterService(ServiceBase):
    """Writes things and publishes a member_joined.v1 for each, consuming nothing."""

    name = "writer"
    test_metadata = Base.metadata

    @api("POST", "/cooperatives/<cooperative_id>/things", roles={"staff", "admin"}, schema=ThingIn)
    def add_thing(self, request, cooperative_id, body):
        if Switches.database_down:
            raise _unreachable()
        thing = Thing(cooperative_id=cooperative_id, **body)
        self.db.add(thing)
        self.db.flush()
        outbox.publish(self.db, "cae.members.member_joined.v1", {
            "member_id": f"00000000-0000-4000-8000-{thing.id:012d}",
            "cooperative_id": cooperative_id, "first_name": body["label"],
            "last_name": "Thing", "joined_on": "2026-01-01",
        })
        self.db.commit()
        return 201, {"id": thing.id}

    @api("PUT", "/cooperatives/<cooperative_id>/things", roles={"staff", "admin"}, schema=ThingIn,
         idempotency_required=True)
    def put_thing(self, request, cooperative_id, body):
        """The same write, with the key required (as the ledger's writes will be)."""
        return self.add_thing(request, cooperative_id, body=body)

    @api("PATCH", "/cooperatives/<cooperative_id>/things", roles={"staff", "admin"},
         schema=ThingIn, unrecorded=True)
    def add_unrecorded_thing(self, request, cooperative_id, body):
        """The same write, of which nothing is recorded (as a secret ballot's)."""
        return self.add_thing(request, cooperative_id, body=body)

    @api("GET", "/cooperatives/<cooperative_id>/things", roles={"staff", "admin", "entrepreneur"})
    def count_things(self, request, cooperative_id):
        return {"count": self.db.scalar(select(func.count()).select_from(Thing))}


class ProbeService(WriterService):
    """The writer, consuming what it publishes."""

    name = "probe"

    @reliable_handler("cae.members.member_joined.v1", refusals=(Refused,))
    def on_member_joined(self, event):
        if event.data["first_name"] in Switches.refused_names:
            raise Refused(f"{event.data['first_name']} is refused")
        if Switches.database_down:
            raise _unreachable()
        if Switches.always_fail:
            raise RuntimeError("the probe handler is switched to fail")
        if Switches.failures_left > 0:
            Switches.failures_left -= 1
            raise RuntimeError("the probe handler fails this time")
        self.db.add(Effect(cooperative_id=event.tenant_id, event_id=event.id,
                           first_name=event.data["first_name"]))

    @rpc
    def whoami(self):
        """What the kit bound for this RPC worker, from the caller's nameko context data."""
        who = context.caller.get()
        return {"tenant": context.tenant_id.get(), "caller": who.subject,
                "roles": sorted(who.roles), "correlation_id": context.correlation_id.get()}


class AskingService(ServiceBase):
    """Calls the probe over RPC from inside an HTTP request."""

    name = "asking"
    test_metadata = Base.metadata
    probe = RpcProxy("probe")

    @api("GET", "/cooperatives/<cooperative_id>/whoami", roles={"staff"})
    def ask(self, request, cooperative_id):
        return self.probe.whoami()
