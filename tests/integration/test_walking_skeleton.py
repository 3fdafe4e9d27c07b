"""members -> activity_opened (outbox) -> ledger opens the activity's accounts, over real I/O."""

from cae_ledger.entrypoints.service import LedgerService
from cae_members.entrypoints.service import MembersService
from caekit.testing import bearer, eventually

VALID_SIREN = "732829320"


def register_cooperative(http, members, token, siren=VALID_SIREN, name="Coopaname"):
    response = http.post(f"{members.url}/cooperatives",
                         json={"name": name, "siren": siren, "legal_form": "SCOP-SA"},
                         headers=bearer(token("ops", "network_operator")))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_a_member_joining_with_an_activity_opens_its_accounts(start_service, http, token):
    ledger = start_service(LedgerService)
    members = start_service(MembersService)
    coop = register_cooperative(http, members, token)
    staff = bearer(token("alice", "staff", coop))

    response = http.post(f"{members.url}/cooperatives/{coop}/members", headers=staff, json={
        "first_name": "Léa", "last_name": "Martin", "email": "lea@example.org",
        "joined_on": "2026-01-05", "activity_code": "BOULANGE", "activity_name": "Boulangerie Léa",
    })
    assert response.status_code == 201, response.text
    member = response.json()
    assert http.get(f"{members.url}/cooperatives/{coop}/members/{member['id']}",
                    headers=staff).json()["activity_code"] == "BOULANGE"

    activity = eventually(lambda: http.get(
        f"{ledger.url}/cooperatives/{coop}/activities/BOULANGE", headers=staff).json()
        if http.get(f"{ledger.url}/cooperatives/{coop}/activities/BOULANGE", headers=staff).ok
        else None)
    assert activity["member_id"] == member["id"]
    assert [a["number"] for a in activity["accounts"]] == [
        "401-BOULANGE", "411-BOULANGE", "421-BOULANGE", "425-BOULANGE"]
    # the entrepreneur reads their own activity, not a colleague's
    own = bearer(token(member["id"], "entrepreneur", coop))
    assert http.get(f"{ledger.url}/cooperatives/{coop}/activities/BOULANGE", headers=own).ok
    other = bearer(token("someone-else", "entrepreneur", coop))
    assert http.get(f"{ledger.url}/cooperatives/{coop}/activities/BOULANGE",
                    headers=other).status_code == 403
    # the chart of accounts was seeded from cooperative.registered
    numbers = {a["number"] for a in http.get(f"{ledger.url}/cooperatives/{coop}/accounts",
                                             headers=staff).json()["items"]}
    assert {"411", "512", "706", "44571"} <= numbers
