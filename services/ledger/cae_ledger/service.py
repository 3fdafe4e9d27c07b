"""The ledger nameko service: a thin shell over the store and the kit."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from cae_contracts import Event
from cae_ledger.domain import ACTIVITY_AUXILIARY_ACCOUNTS, CHART_OF_ACCOUNTS, auxiliary_account
from cae_ledger.schemas import AccountList, ActivityList, ActivityOut
from cae_ledger.store import Activity, LedgerAccount
from caekit import context, outbox
from caekit.handlers import reliable_handler
from caekit.http import api
from caekit.problems import Forbidden, NotFound
from caekit.service import ServiceBase

STAFF = {"staff", "admin"}


class LedgerService(ServiceBase):
    name = "ledger"

    @reliable_handler("cae.members.cooperative_registered.v1")
    def on_cooperative_registered(self, event: Event):
        self._ensure_chart(str(event.data["cooperative_id"]))

    @reliable_handler("cae.members.member_joined.v1")
    def on_member_joined(self, event: Event):
        if event.data["activity_code"]:  # else its accounts open with activity.opened
            self._open_activity(str(event.data["cooperative_id"]), event.data["activity_code"],
                                event.data.get("activity_name"), str(event.data["member_id"]),
                                event.id)

    @reliable_handler("cae.members.activity_opened.v1")
    def on_activity_opened(self, event: Event):
        self._open_activity(str(event.data["cooperative_id"]), event.data["code"],
                            event.data["name"], str(event.data["member_ids"][0]), event.id)

    def _open_activity(self, cooperative_id, code, name, member_id, event_id) -> None:
        """Open an activity's auxiliary accounts once, whichever event names it first."""
        if self.db.scalar(select(Activity.id).where(Activity.code == code)):
            return
        self._ensure_chart(cooperative_id)
        now = datetime.now(UTC)
        self.db.add(Activity(cooperative_id=cooperative_id, code=code, member_id=member_id,
                             name=name, opened_at=now, opened_by_event=event_id))
        numbers = []
        for general in ACTIVITY_AUXILIARY_ACCOUNTS:
            label, type_ = CHART_OF_ACCOUNTS[general]
            number = auxiliary_account(general, code)
            numbers.append(number)
            self.db.add(LedgerAccount(cooperative_id=cooperative_id, number=number,
                                      label=f"{label} - {code}", type=type_,
                                      general_account=general, activity_code=code, opened_at=now))
        outbox.publish(self.db, "cae.ledger.activity_accounts_opened.v1", {
            "cooperative_id": cooperative_id, "activity_code": code,
            "member_id": member_id, "accounts": numbers,
        })

    def _ensure_chart(self, cooperative_id: str) -> None:
        if self.db.scalar(select(LedgerAccount.id).where(LedgerAccount.activity_code.is_(None)).limit(1)):
            return
        now = datetime.now(UTC)
        for number, (label, type_) in CHART_OF_ACCOUNTS.items():
            self.db.add(LedgerAccount(cooperative_id=cooperative_id, number=number, label=label,
                                      type=type_, general_account=number, opened_at=now))

    @api("GET", "/cooperatives/<cooperative_id>/accounts", roles=STAFF)
    def list_accounts(self, request, cooperative_id):
        rows = self.db.scalars(select(LedgerAccount).order_by(LedgerAccount.number)).all()
        return AccountList().dump({"items": rows})

    @api("GET", "/cooperatives/<cooperative_id>/activities", roles=STAFF)
    def list_activities(self, request, cooperative_id):
        rows = self.db.scalars(select(Activity).order_by(Activity.code)).all()
        by_activity: dict[str, list] = {}
        for account in self.db.scalars(  # one query for every activity's accounts
                select(LedgerAccount).where(LedgerAccount.activity_code.is_not(None))
                .order_by(LedgerAccount.number)):
            by_activity.setdefault(account.activity_code, []).append(account)
        return ActivityList().dump(
            {"items": [self._with_accounts(a, by_activity.get(a.code, [])) for a in rows]})

    @api("GET", "/cooperatives/<cooperative_id>/activities/<code>",
         roles=STAFF | {"entrepreneur"})
    def get_activity(self, request, cooperative_id, code):
        activity = self.db.scalar(select(Activity).where(Activity.code == code))
        who = context.caller.get()
        if activity is None:
            raise NotFound(f"no activity {code} in this cooperative")
        if not who.has_any(STAFF) and who.subject != activity.member_id:
            raise Forbidden("an entrepreneur reads only their own activity")
        return ActivityOut().dump(self._with_accounts(activity))

    def _with_accounts(self, activity: Activity, accounts: list | None = None) -> dict:
        if accounts is None:
            accounts = self.db.scalars(
                select(LedgerAccount).where(LedgerAccount.activity_code == activity.code)
                .order_by(LedgerAccount.number)).all()
        return {"code": activity.code, "name": activity.name, "member_id": activity.member_id,
                "opened_at": activity.opened_at, "accounts": accounts}


# the success response of each endpoint, for the OpenAPI document (caekit.openapi)

RESPONSES = {
    "list_accounts": (200, AccountList, "The cooperative's accounts, by number."),
    "list_activities": (200, ActivityList, "The cooperative's activities, by code."),
    "get_activity": (
        200,
        ActivityOut,
        "The activity and its auxiliary accounts.",
        {403: "An entrepreneur reads only their own activity."},
    ),
}
