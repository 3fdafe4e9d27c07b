"""Matching: profiles and consents, the directory, calls for tenders, proposals and groups; the entrepreneur's and the support staff's pages.

The entrepreneur (``signed_in``): their profile and what the network's other cooperatives
see of it (/profil), the directory and a person's card (/annuaire), the calls for tenders
and the teams proposed to them, to accept or decline (/appels-d-offres). The support staff
(``staff_only``, under /equipe/<cooperative>/): calls for tenders (write one, publish it,
ask the matching for a team, see the answers, close it) and professional groups.

Every form carries the CSRF token and an idempotency key (``cle``); a refusal is shown next
to the field it names, in French (``RULES``).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    jsonify,
    redirect,
    request,
    url_for,
)

from cae_portal.entrypoints.app import (
    current_viewer,
    form_id,
    form_key,
    gateway_for_viewer,
    keep_notice,
    refusal_in_words,
    render_page,
    t,
    today,
)
from cae_portal.entrypoints.entrepreneur import signed_in
from cae_portal.entrypoints.staff import staff_only
from cae_portal.usecases import matching as usecases
from cae_portal.usecases.gateway import FieldErrors

blueprint = Blueprint("matching", __name__)

# menu entries by role: (endpoint, label msgid), after the first ones (app.NAVIGATION)
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "entrepreneur": [("matching.profile", "My profile"), ("matching.directory", "Directory"),
                     ("matching.calls", "Calls for tenders")],
    "staff": [("matching.staff_calls", "Calls for tenders"), ("matching.groups", "Groups")],
}
STAFF_PAGES = {"matching.staff_calls", "matching.staff_call_form", "matching.staff_call_create",
               "matching.staff_call", "matching.staff_publish", "matching.staff_propose",
               "matching.staff_close", "matching.groups", "matching.group_create",
               "matching.group", "matching.group_add", "matching.group_remove"}


@blueprint.url_defaults
def _own_cooperative(endpoint, values):
    """``url_for('matching.staff_calls')`` names the viewer's cooperative unless told
    another (the staff's pages only)."""
    if endpoint in STAFF_PAGES and "coop" not in values:
        viewer = current_viewer()
        if viewer and viewer.cooperative_id:
            values["coop"] = viewer.cooperative_id


def _page(template: str, status: int = 200, **values):
    return render_page(template, status, levels=LEVELS, statuses=CALL_STATUSES,
                       answers=ANSWERS, **values)


# -- French words ---------------------------------------------------------------------------

LEVELS = {1: "Beginner", 2: "Independent", 3: "Experienced", 4: "Expert"}
FIELD_NAMES = {"identity": "My name and cooperative", "presentation": "My presentation",
               "skills": "My skills", "trades": "My trades", "languages": "My languages",
               "place": "My place and travel radius", "day_rate": "My day rate",
               "availability": "My availability", "references": "My references"}
CALL_STATUSES = {"draft": "Draft", "published": "Published", "proposed": "Team proposed",
                 "staffed": "Team formed", "closed": "Closed"}
PROPOSAL_STATUSES = {"proposed": "Waiting for answers", "accepted": "Accepted",
                     "declined": "Declined", "superseded": "Superseded"}
ANSWERS = {"pending": "No answer yet", "accepted": "Accepted", "declined": "Declined",
           **{f"status.{k}": v for k, v in PROPOSAL_STATUSES.items()}}
SCOPES = {"cooperative": "The cooperative's members", "network": "The whole network"}
OBJECTIVES = {"smallest": "The smallest team", "cheapest": "The cheapest team"}

RULES = {
    # what the portal reads itself, or the service's schema refuses (by the form's field)
    "form.libelle": "Name the skill, like \u00ab menuiserie \u00bb.",
    "form.competence": "Name the skill, like \u00ab menuiserie \u00bb.",
    "form.competences": "Each skill once, at most 50.",
    "form.niveau": "Choose a level from 1 (notions) to 4 (expert).",
    "form.annees": "A number of years, from 0 to 60.",
    "form.commune": "Name the commune (up to 200 characters).",
    "form.commune_unknown": "The portal does not know this commune: choose one from the "
                            "list, or give its latitude and longitude.",
    "form.latitude": "A latitude in degrees, from -90 to 90, like 45,7673.",
    "form.longitude": "A longitude in degrees, from -180 to 180, like 4,8343.",
    "form.degrees": "Degrees, like 45,7673.",
    "form.rayon": "A distance in kilometres, from 0 to 1,000.",
    "form.amount": "An amount in euros, like 450 or 450,50.",
    "form.tarif_min": "An amount in euros a day, up to 100,000.",
    "form.tarif_max": "An amount in euros a day, up to 100,000, not below the minimum.",
    "form.budget": "An amount in euros, like 24 000.",
    "form.debut": "A date, like 05/01/2026.",
    "form.fin": "A date on or after the first day.",
    "form.date": "A date, like 05/01/2026.",
    "form.date_limite": "A date, like 05/01/2026.",
    "form.jours": "From 1 to 7 days a week.",
    "form.presentation": "At most 4,000 characters.",
    "form.metiers": "At most 20 trades of 100 characters each.",
    "form.disponibilites": "At most 50 periods.",
    "form.titre": "Give the call a title (up to 300 characters).",
    "form.required": "This field is required.",
    "form.acheteur": "At most 200 characters.",
    "form.description": "At most 20,000 characters.",
    "form.personnes": "From 1 to 50 people.",
    "form.exigences": "Name at least one skill the team needs (at most 50).",
    "form.portee": "Choose the cooperative or the whole network.",
    "form.objectif": "Choose the smallest or the cheapest team.",
    "form.nom": "A name of at most 200 characters.",
    "form.theme": "A topic of at most 300 characters.",
    "form.membre": "Choose a member of the cooperative.",
    "form.q": "A skill or a trade, in at most 12 words.",
    "form.partage": "These choices could not be saved.",
    # the matching service's rules
    "skill.level": "Choose a level from 1 (notions) to 4 (expert).",
    "skill.years": "A number of years, from 0 to 60.",
    "skill.label": "Name the skill, like \u00ab menuiserie \u00bb.",
    "skill.duplicate": "Each skill once: this one is already listed.",
    "concept.unknown": "This skill is not in the taxonomy.",
    "place.latitude": "A latitude in degrees, from -90 to 90, like 45,7673.",
    "place.longitude": "A longitude in degrees, from -180 to 180, like 4,8343.",
    "place.travel_radius_km": "A distance in kilometres, from 0 to 1,000.",
    "day_rate.order": "The maximum is not below the minimum.",
    "amount.out_of_range": "At most 100,000 euros a day.",
    "period.order": "A date on or after the first day.",
    "date.out_of_range": "A date between 1900 and 2200.",
    "availability.days_per_week": "From 1 to 7 days a week.",
    "consent.no_profile": "Save your profile first: then choose what the network sees.",
    "consent.field": "These choices could not be saved.",
    "search.text": "A skill or a trade, in at most 12 words.",
    "search.radius": "A distance in kilometres, from 1 to 1,000.",
    "call.title": "Give the call a title (up to 300 characters).",
    "call.place": "A place has a latitude and a longitude, or neither (remote work).",
    "call.requirements": "Name at least one skill the team needs (at most 50).",
    "requirement.duplicate": "Each skill once.",
    "requirement.label": "Name the skill, like \u00ab menuiserie \u00bb.",
    "requirement.skill": "Name the skill, like \u00ab menuiserie \u00bb.",
    "requirement.level": "Choose a level from 1 (notions) to 4 (expert).",
    "requirement.people": "From 1 to 50 people.",
    "call.deadline_passed": "The deadline has passed: change it before publishing the call.",
    "call.not_draft": "This call is no longer a draft.",
    "call.closed": "This call is closed already.",
    "call.not_open": "A team is proposed only for a published call, not staffed nor closed.",
    "proposal.answered": "You have already answered this proposal otherwise.",
    "proposal.not_open": "This proposal takes no more answers.",
    "proposal.engaged": "You are already in a team of another call at these dates.",
    "proposal.unknown": "This proposal does not name you.",
    "group.name_taken": "The cooperative already has a group of this name.",
    "group.name": "A name of at most 200 characters.",
    "group.topic": "A topic of at most 300 characters.",
    "group.description": "At most 5,000 characters.",
    "member.unknown": "This person is not a member of the cooperative, or has left.",
    "group.not_member": "This person is not in the group.",
}


def _french(refused: FieldErrors) -> dict[str, list[str]]:
    for name in refused.fields:  # a value the schema refused: the words of its field
        if name not in refused.codes or refused.codes[name] not in RULES:
            refused.codes[name] = f"form.{usecases.kind_of(name)}"
    return refusal_in_words(refused, RULES, lambda **_: "", None)


# -- the entrepreneur: profile and consents -----------------------------------------------------

@blueprint.get("/profil")
@signed_in
def profile(viewer):
    return redirect(url_for("matching.profile_form", member_id=viewer.subject))


def _profile_page(viewer, member_id: str, status: int = 200, form=None, errors=None,
                  which=None):
    page = usecases.profile_page(gateway_for_viewer(), viewer, member_id)
    sent = form is not None  # a refused form: its lines as they were sent, no more
    form = form if sent else usecases.profile_form(page.profile)
    return _page("matching/profile.html", status, page=page, form=form, errors=errors or {},
                 which=which, member_id=member_id, fields=FIELD_NAMES, places=usecases.PLACES,
                 skill_lines=usecases.line_count(form, "competence",
                                                 0 if sent else usecases.SKILL_ROWS) or 1,
                 period_lines=usecases.line_count(form, "dispo",
                                                  0 if sent else usecases.PERIOD_ROWS) or 1,
                 today_iso=today().isoformat())


@blueprint.get("/profils/<uuid:member_id>/modifier")
@signed_in
def profile_form(viewer, member_id):
    return _profile_page(viewer, str(member_id))


@blueprint.post("/profils/<uuid:member_id>/modifier")
@signed_in
def save_profile(viewer, member_id):
    member_id = str(member_id)
    form = {k: v for k, v in request.form.items() if k not in ("csrf", "cle")}
    gateway = gateway_for_viewer()
    current = usecases.profile_page(gateway, viewer, member_id).profile
    try:
        usecases.save_profile(gateway, viewer, member_id, form, current, form_key())
    except FieldErrors as refused:
        return _profile_page(viewer, member_id, 422, form, _french(refused), "profil")
    keep_notice(t("Your profile is saved."))
    return redirect(url_for("matching.profile_form", member_id=member_id), 303)


@blueprint.post("/profils/<uuid:member_id>/partage")
@signed_in
def save_consents(viewer, member_id):
    member_id = str(member_id)
    shared = set(request.form.getlist("partage")) & set(usecases.FIELDS)
    try:
        usecases.save_consents(gateway_for_viewer(), viewer, member_id, shared, form_key())
    except FieldErrors as refused:
        return _profile_page(viewer, member_id, 422, errors=_french(refused), which="partage")
    keep_notice(t("Your choices are saved: the network's other cooperatives see what you "
                  "ticked."))
    return redirect(url_for("matching.profile_form", member_id=member_id) + "#partage", 303)


# -- the directory ------------------------------------------------------------------------------

@blueprint.get("/annuaire")
@signed_in
def directory(viewer):
    form = {k: request.args.get(k, "").strip() for k in ("q", "commune", "rayon", "portee")}
    found, errors = usecases.Search(False), {}
    try:
        found = usecases.search_directory(gateway_for_viewer(), viewer, form)
    except FieldErrors as refused:
        errors = _french(refused)
    return _page("matching/directory.html", 422 if errors else 200, form=form, errors=errors,
                 found=found, places=usecases.PLACES, scopes=SCOPES)


@blueprint.get("/annuaire/<uuid:member_id>")
@signed_in
def card(viewer, member_id):
    person = usecases.card(gateway_for_viewer(), viewer, str(member_id))
    own = person.get("cooperative_id") == viewer.cooperative_id
    return _page("matching/card.html", person=person, own=own, fields=FIELD_NAMES)


@blueprint.get("/competences/suggestions")
def skill_suggestions():
    """The autocomplete of the skill fields (matching.js): labels of the taxonomy, as JSON,
    for the signed-in entrepreneurs and support staff."""
    viewer = current_viewer()
    if viewer is None:
        abort(401)
    labels = usecases.suggest_skills(gateway_for_viewer(), viewer, request.args.get("q", ""))
    return jsonify(labels)


# -- calls for tenders and proposals -------------------------------------------------------------

@blueprint.get("/appels-d-offres")
@signed_in
def calls(viewer):
    return _calls_page(viewer)


def _calls_page(viewer, status=200, errors=None):
    page = usecases.calls_page(gateway_for_viewer(), viewer)
    return _page("matching/calls.html", status, page=page, errors=errors or {},
                 proposal_statuses=PROPOSAL_STATUSES)


@blueprint.get("/appels-d-offres/<uuid:call_id>")
@signed_in
def call(viewer, call_id):
    page = usecases.call_page(gateway_for_viewer(), viewer, str(call_id))
    return _page("matching/call.html", page=page, errors={}, objectives=OBJECTIVES,
                 scopes=SCOPES, proposal_statuses=PROPOSAL_STATUSES)


@blueprint.post("/propositions/<uuid:proposal_id>/reponse")
@signed_in
def answer(viewer, proposal_id):
    choice = request.form.get("reponse")
    if choice not in ("accepter", "refuser"):
        abort(400)
    try:
        usecases.answer(gateway_for_viewer(), viewer, str(proposal_id), choice == "accepter",
                        form_key())
    except FieldErrors as refused:
        words = _french(refused)
        return _calls_page(viewer, 409, {str(proposal_id): [m for ms in words.values()
                                                              for m in ms]})
    keep_notice(t("You accepted to take part in the team.") if choice == "accepter"
                  else t("You declined to take part in the team."))
    return redirect(url_for("matching.calls") + f"#proposition-{proposal_id}", 303)


# -- the support staff: calls for tenders ---------------------------------------------------------

STAFF = "/equipe/<uuid:coop>"


@blueprint.get(STAFF + "/appels-d-offres")
@staff_only
def staff_calls(viewer, coop):
    listed = usecases.staff_calls(gateway_for_viewer(), viewer, coop)
    return _page("matching/staff_calls.html", calls=listed)


def _call_form(status=200, form=None, errors=None):
    form = form or {"portee": "cooperative", **{f"exigence-{n}-personnes": "1"
                                               for n in range(usecases.REQUIREMENT_ROWS)}}
    return _page("matching/staff_call_form.html", status, form=form,
                 errors=errors or {}, places=usecases.PLACES, scopes=SCOPES,
                 objectives=OBJECTIVES,
                 lines=usecases.line_count(form, "exigence", 0) or usecases.REQUIREMENT_ROWS)


@blueprint.get(STAFF + "/appels-d-offres/nouveau")
@staff_only
def staff_call_form(viewer, coop):
    return _call_form()


@blueprint.post(STAFF + "/appels-d-offres/nouveau")
@staff_only
def staff_call_create(viewer, coop):
    form = {k: v for k, v in request.form.items() if k not in ("csrf", "cle")}
    try:
        created = usecases.create_call(gateway_for_viewer(), viewer, coop, form, form_key())
    except FieldErrors as refused:
        return _call_form(422, form, _french(refused))
    keep_notice(t("The call \u00ab %(title)s \u00bb is written: a draft until you publish it.",
                  title=created["title"]))
    return redirect(url_for("matching.staff_call", coop=coop, call_id=created["id"]), 303)


def _staff_call_page(viewer, coop, call_id, status=200, errors=None):
    found = usecases.staff_call(gateway_for_viewer(), viewer, coop, str(call_id))
    return _page("matching/staff_call.html", status, found=found, errors=errors or {},
                 objectives=OBJECTIVES, scopes=SCOPES, proposal_statuses=PROPOSAL_STATUSES)


@blueprint.get(STAFF + "/appels-d-offres/<uuid:call_id>")
@staff_only
def staff_call(viewer, coop, call_id):
    return _staff_call_page(viewer, coop, call_id)


@blueprint.post(STAFF + "/appels-d-offres/<uuid:call_id>/publication")
@staff_only
def staff_publish(viewer, coop, call_id):
    try:
        usecases.publish_call(gateway_for_viewer(), viewer, coop, str(call_id), form_key())
    except FieldErrors as refused:
        return _staff_call_page(viewer, coop, call_id, 422, _french(refused))
    keep_notice(t("The call is published: you may now ask the matching for a team."))
    return redirect(url_for("matching.staff_call", coop=coop, call_id=call_id), 303)


@blueprint.post(STAFF + "/appels-d-offres/<uuid:call_id>/propositions")
@staff_only
def staff_propose(viewer, coop, call_id):
    try:
        found = usecases.propose_team(gateway_for_viewer(), viewer, coop, str(call_id), form_key())
    except FieldErrors as refused:
        return _staff_call_page(viewer, coop, call_id, 422, _french(refused))
    if found.teams:
        keep_notice(t("%(count)s team(s) proposed: each member is asked to answer.",
                      count=found.teams))
    else:
        keep_notice(t("No team could be proposed: nobody available holds %(skills)s.",
                      skills=", ".join(f"\u00ab {s} \u00bb" for s in found.uncovered) or "\u2014"))
    return redirect(url_for("matching.staff_call", coop=coop, call_id=call_id) + "#equipes",
                    303)


@blueprint.post(STAFF + "/appels-d-offres/<uuid:call_id>/cloture")
@staff_only
def staff_close(viewer, coop, call_id):
    try:
        usecases.close_call(gateway_for_viewer(), viewer, coop, str(call_id), form_key())
    except FieldErrors as refused:
        return _staff_call_page(viewer, coop, call_id, 422, _french(refused))
    keep_notice(t("The call is closed."))
    return redirect(url_for("matching.staff_call", coop=coop, call_id=call_id), 303)


# -- the support staff: professional groups -------------------------------------------------------

def _groups_page(viewer, coop, status=200, form=None, errors=None):
    listed = usecases.groups(gateway_for_viewer(), viewer, coop)
    return _page("matching/groups.html", status, groups=listed, form=form or {},
                 errors=errors or {})


@blueprint.get(STAFF + "/groupes")
@staff_only
def groups(viewer, coop):
    return _groups_page(viewer, coop)


@blueprint.post(STAFF + "/groupes")
@staff_only
def group_create(viewer, coop):
    form = {k: request.form.get(k, "") for k in ("nom", "theme", "description")}
    try:
        created = usecases.create_group(gateway_for_viewer(), viewer, coop, form, form_key())
    except FieldErrors as refused:
        return _groups_page(viewer, coop, 422, form, _french(refused))
    keep_notice(t("The group \u00ab %(name)s \u00bb is created: add its members.",
                  name=created["name"]))
    return redirect(url_for("matching.group", coop=coop, group_id=created["id"]), 303)


def _group_page(viewer, coop, group_id, status=200, errors=None):
    found = usecases.group_page(gateway_for_viewer(), viewer, coop, str(group_id))
    return _page("matching/group.html", status, found=found, errors=errors or {})


@blueprint.get(STAFF + "/groupes/<uuid:group_id>")
@staff_only
def group(viewer, coop, group_id):
    return _group_page(viewer, coop, group_id)


@blueprint.post(STAFF + "/groupes/<uuid:group_id>/membres")
@staff_only
def group_add(viewer, coop, group_id):
    member_id = form_id(request.form.get("membre", ""))
    if member_id is None:  # not a member's id: it would name another path of the service
        words = RULES["form.membre"]
        return _group_page(viewer, coop, group_id, 422, {"membre": [t(words)]})
    try:
        found = usecases.add_to_group(gateway_for_viewer(), viewer, coop, str(group_id),
                                      member_id, form_key())
    except FieldErrors as refused:
        return _group_page(viewer, coop, group_id, 422, _french(refused))
    name = next((m["name"] for m in found["members"] if m["member_id"] == member_id), "")
    keep_notice(t("%(name)s is in the group.", name=name))
    return redirect(url_for("matching.group", coop=coop, group_id=group_id), 303)


@blueprint.post(STAFF + "/groupes/<uuid:group_id>/membres/<uuid:member_id>/retrait")
@staff_only
def group_remove(viewer, coop, group_id, member_id):
    try:
        usecases.remove_from_group(gateway_for_viewer(), viewer, coop, str(group_id),
                                   str(member_id), form_key())
    except FieldErrors as refused:
        return _group_page(viewer, coop, group_id, 422, _french(refused))
    keep_notice(t("The member is no longer in the group."))
    return redirect(url_for("matching.group", coop=coop, group_id=group_id), 303)
