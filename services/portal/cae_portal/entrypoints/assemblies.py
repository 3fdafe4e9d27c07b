"""The assemblies (governance service): convocations, proxies, votes, minutes; the entrepreneur's and the support staff's pages.

The entrepreneur who is an associate (``/assemblees``): the assemblies they are convened
to, the convocation (date, place, agenda, documents), their proxy given to another
associate and revoked, their vote on an open resolution (a secret ballot shows its
receipt code, found later in the published ballots of the closed poll), the minutes.

The support staff (``/equipe/<cooperative>/assemblees``): convene an assembly, sign the
associates in and see the quorum live (``assemblies-quorum.js`` polls the page's JSON),
open it, close each vote and see its result, close the assembly, read its minutes. The
attendance sheet and the quorum are the governance service's (``GET .../sign-ins``):
every staff member sees the associates signed in by any other, in any browser.

Every form carries the CSRF token and an idempotency key (``cle``); a refusal is shown next
to the field it names, in French, or above the page when that field is not on it (the
assembly's state moved on). A refusal that only says someone else acted first (``MOVED_ON``:
the assembly opened, the vote closed, the ballot already cast) goes back to the page with a
notice saying what happened.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, redirect, request, session, url_for

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
from cae_portal.entrypoints.staff import MESSAGES as STAFF_MESSAGES
from cae_portal.entrypoints.staff import staff_only
from cae_portal.usecases import governance as usecases
from cae_portal.usecases.gateway import FieldErrors

blueprint = Blueprint("assemblies", __name__)

# menu entries by role: (endpoint, label msgid), after the first ones (app.NAVIGATION)
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "entrepreneur": [("assemblies.list", "Assemblies")],
    "staff": [("assemblies.staff_list", "Assemblies")],
}

PARIS = ZoneInfo("Europe/Paris")
STAFF_PREFIX = "/equipe/<uuid:coop>/assemblees"


@blueprint.url_defaults
def _own_cooperative(endpoint, values):
    """``url_for('assemblies.staff_x')`` names the viewer's cooperative unless told another."""
    if endpoint.startswith("assemblies.staff_") and "coop" not in values:
        viewer = current_viewer()
        if viewer and viewer.cooperative_id:
            values["coop"] = viewer.cooperative_id


# -- words ------------------------------------------------------------------------------------

KINDS = {"ordinary": "Ordinary general assembly", "extraordinary": "Extraordinary general assembly",
         "combined": "Combined general assembly (ordinary and extraordinary)"}
RESOLUTION_KINDS = {"ordinary": "Ordinary", "extraordinary": "Extraordinary",
                    "election": "Election"}
STATUS = {"convened": "Convened", "open": "In session", "quorum_lacking": "Quorum lacking",
          "closed": "Closed (assembly)"}
RESOLUTION_STATUS = {"pending": "Not yet put to the vote", "open": "Vote open",
                     "adopted": "Adopted", "rejected": "Rejected",
                     "not_deliberated": "Not deliberated (quorum lacking)"}
QUORUM_KINDS = {"ordinary": "Ordinary resolutions", "extraordinary": "Extraordinary resolutions",
                "election": "Elections"}
QUORUM_STATE = {True: "reached", False: "not reached"}
SIGNED_MODES = {"in_person": "Present", "remote": "Remote"}
CHOICES = {"for": "For", "against": "Against", "abstain": "Abstain", "blank": "Blank"}
RULES = {
    "convocation.too_late": "Too soon: the statutes require a longer delay between the "
                            "convocation and the assembly. Choose a later date.",
    "convocation.future": "A convocation is recorded once sent: its date cannot be after "
                          "today.",
    "record_date.out_of_range": "The associates are counted between a year before the "
                                "convocation and the assembly's day.",
    "date.out_of_range": "This date is outside the platform's range.",
    "assembly.where": "Give the place of the assembly, or its video link.",
    "attendance.remote_not_allowed": "The statutes do not allow taking part remotely.",
    "electorate.empty": "The cooperative has no associate on this date: nobody to convene.",
    "resolution.kind": "This kind of assembly does not decide this kind of resolution: an "
                       "ordinary assembly decides ordinary resolutions and elections, an "
                       "extraordinary one extraordinary resolutions.",
    "resolution.effect_kind": "An election names its office, its seats and its candidates.",
    "resolution.secret_ballot_required": "The statutes require a secret ballot for "
                                         "elections.",
    "agenda.empty": "An assembly has at least one resolution: give its title.",
    "proxy.holder_missing": "Choose the associate who will vote for you.",
    "proxy.giver_not_associate": "Only an associate of this assembly gives a proxy.",
    "proxy.holder_not_associate": "A proxy goes to another associate of this assembly.",
    "proxy.to_self": "A proxy goes to another associate, not to yourself.",
    "proxy.blank_not_allowed": "The statutes do not allow blank proxies.",
    "proxy.already_given": "You have already given your proxy: revoke it first.",
    "proxy.chain": "This associate has given their own proxy: they cannot hold yours.",
    "proxy.cap_exceeded": "This associate already holds as many proxies as the law allows: "
                          "choose another one.",
    "proxy.assembly_open": "The assembly has opened: proxies can no longer change.",
    "proxy.giver_takes_part": "You have signed in or voted by post: you take part yourself.",
    "proxy.unknown": "You have no proxy in force to revoke.",
    "vote.choice_missing": "Choose for, against, abstain or blank.",
    "vote.choice": "Choose for, against, abstain or blank.",
    "vote.twice": "You have already voted on this resolution.",
    "poll.closed": "The vote on this resolution is not open.",
    "vote.not_participating": "You do not take part in this assembly: only the associates "
                              "present or represented at its opening vote.",
    "vote.not_represented": "You hold no proxy that counts for this associate.",
    "vote.blank_proxy": "A blank proxy votes by the statutes' rule: nobody casts it.",
    "vote.postal_form": "This associate voted by post.",
    "resolution.unknown": "No such resolution in this assembly.",
    "attendance.twice": "This associate has already signed in.",
    "attendance.closed": "The attendance is fixed at the opening: nobody signs in after it.",
    "attendance.not_associate": "This person is not an associate of this assembly.",
    "assembly.too_early": "The assembly opens at its convened time, not before.",
    "assembly.opened": "The assembly is already open.",
    "assembly.polls_open": "Close the vote on every resolution first.",
    "assembly.not_open": "An assembly is closed once it was opened.",
    "field.required": "This field is required.",
}
# the refusals that say the assembly's state moved on (someone else acted first): back to the
# page (303), with what happened in a notice
MOVED_ON = {
    "attendance.closed": "The assembly was opened in the meantime: the attendance sheet is "
                         "fixed.",
    "assembly.opened": "The assembly was opened in the meantime: its attendance and quorum "
                       "are fixed.",
    "poll.closed": "The vote on this resolution was closed in the meantime: nothing more was "
                   "recorded; its result is on the page.",
    "vote.twice": "This ballot was already cast in the meantime: the first one counts.",
    "proxy.assembly_open": "The assembly was opened in the meantime: proxies can no longer "
                           "change.",
}
MESSAGES = {**STAFF_MESSAGES,
            "Not a valid datetime.": "A date and a time.",
            "Not a valid URL.": "A web address starting with https://.",
            "Shorter than minimum length 1.": "This field is required.",
            "Must be one of: ordinary, extraordinary, combined.": "Choose the kind of assembly.",
            "Must be one of: ordinary, extraordinary, election.":
                "Choose the kind of resolution."}
RESOLUTION_LINES = 3  # the convocation form's resolution lines
# an election names its office, seats and candidates (the service's API): not this form's
FORM_RESOLUTION_KINDS = ("ordinary", "extraordinary")


def _french(refused: FieldErrors) -> dict[str, list[str]]:
    return refusal_in_words(refused, RULES, lambda **_: "", MESSAGES)


def _page(template: str, status: int = 200, **values):
    return render_page(template, status, words=WORDS, when=when,
                       warning=session.pop(WARNING, None), **values)


WARNING = "avis_assemblee"  # the session's key of the neutral notice (not a success)


def _moved_back(refused: FieldErrors, url: str):
    """When the refusal only says the assembly's state moved on (``MOVED_ON``): back to the
    page (303), its words in the neutral notice; else None."""
    for code in refused.codes.values():
        if code in MOVED_ON:
            session[WARNING] = t(MOVED_ON[code])
            return redirect(url, 303)
    return None


def when(iso: str | None) -> str:
    """An ISO date and time as Paris shows it: ``07/12/2026 à 14:30``."""
    if not iso:
        return "\N{EM DASH}"
    moment = datetime.fromisoformat(str(iso)).astimezone(PARIS)
    return t("%(day)s at %(time)s", day=moment.strftime("%d/%m/%Y"),
             time=moment.strftime("%H:%M"))


class _Words:
    """The services' codes in the page's words (templates: ``words.kind(a.kind)``...)."""

    @staticmethod
    def kind(code: str) -> str:
        return t(KINDS[code]) if code in KINDS else code

    @staticmethod
    def resolution_kind(code: str) -> str:
        return t(RESOLUTION_KINDS[code]) if code in RESOLUTION_KINDS else code

    @staticmethod
    def status(code: str) -> str:
        return t(STATUS[code]) if code in STATUS else code

    @staticmethod
    def resolution_status(code: str) -> str:
        return t(RESOLUTION_STATUS[code]) if code in RESOLUTION_STATUS else code

    @staticmethod
    def choice(code: str) -> str:
        return t(CHOICES[code]) if code in CHOICES else code


WORDS = _Words()


EXTENSIONS = {"application/pdf": ".pdf", "text/plain": ".txt", "text/csv": ".csv",
              "image/png": ".png", "image/jpeg": ".jpg",
              "application/vnd.oasis.opendocument.text": ".odt",
              "application/vnd.oasis.opendocument.spreadsheet": ".ods",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx"}


def _document_response(described: dict, content: bytes) -> Response:
    """A document of the convocation, downloaded as the service keeps it (never shown
    inline: its type is the sender's)."""
    media = described["media_type"]
    name = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-"
                   for c in described["title"]).strip("-")[:60] or "document"
    return Response(content, mimetype=media, headers={
        "Content-Disposition": f'attachment; filename="{name}{EXTENSIONS.get(media, "")}"',
        "X-Content-Type-Options": "nosniff"})


def _minutes_html(body: bytes) -> Response:
    # the governance service's own page, as it laid it out (its inline style only)
    return Response(body, mimetype="text/html", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                   "img-src data:; frame-ancestors 'none'; base-uri 'none'; "
                                   "form-action 'none'; sandbox"})


def _minutes_pdf(body: bytes, assembly_id) -> Response:
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="proces-verbal-{assembly_id}.pdf"'})


# -- the entrepreneur's pages ------------------------------------------------------------------

@blueprint.get("/assemblees", endpoint="list")
@signed_in
def assemblies_list(viewer):
    found = usecases.assemblies(gateway_for_viewer(), viewer)
    return _page("assemblies/list.html", found=found)


def _assembly_page(viewer, assembly_id, status=200, errors=None, which=None):
    page = usecases.assembly_page(gateway_for_viewer(), viewer, str(assembly_id))
    receipts = session.get("recus", {})
    if which and not _on_assembly_page(page, which):
        which = "haut"  # the form is no longer on the page: its refusal above it
    return _page("assemblies/assembly.html", status, page=page, a=page.assembly,
                 errors=errors or {}, which=which, receipts=receipts,
                 holders=[(p["member_id"], p["name"]) for p in page.associates])


def _on_assembly_page(page: usecases.AssemblyPage, which: str) -> bool:
    """Whether the form ``which`` names is on the associate's page (its state now)."""
    if which == "procuration":
        return page.assembly["status"] == "convened" and page.elector
    rid, _, giver = which.partition(":")
    if not any(r["id"] == rid and r["status"] == "open" for r in page.assembly["resolutions"]):
        return False
    if giver:
        return any(p["giver"] == giver for p in page.to_cast(rid))
    return rid not in page.voted


def _assembly_url(assembly_id, anchor: str) -> str:
    return url_for("assemblies.assembly", assembly_id=assembly_id) + anchor


@blueprint.get("/assemblees/<uuid:assembly_id>")
@signed_in
def assembly(viewer, assembly_id):
    return _assembly_page(viewer, assembly_id)


@blueprint.post("/assemblees/<uuid:assembly_id>/procuration")
@signed_in
def give_proxy(viewer, assembly_id):
    holder = request.form.get("mandataire", "").strip()
    try:
        usecases.give_proxy(gateway_for_viewer(), viewer, str(assembly_id), holder, form_key())
    except FieldErrors as refused:
        back = _moved_back(refused, _assembly_url(assembly_id, "#procuration"))
        if back:
            return back
        return _assembly_page(viewer, assembly_id, 422, _french(refused), "procuration")
    keep_notice(t("Your proxy is given: this associate will vote for you."))
    return redirect(_assembly_url(assembly_id, "#procuration"), 303)


@blueprint.post("/assemblees/<uuid:assembly_id>/procuration/revocation")
@signed_in
def revoke_proxy(viewer, assembly_id):
    try:
        usecases.revoke_proxy(gateway_for_viewer(), viewer, str(assembly_id), form_key())
    except FieldErrors as refused:
        back = _moved_back(refused, _assembly_url(assembly_id, "#procuration"))
        if back:
            return back
        return _assembly_page(viewer, assembly_id, 422, _french(refused), "procuration")
    keep_notice(t("Your proxy is revoked: you will vote yourself, or give it again."))
    return redirect(_assembly_url(assembly_id, "#procuration"), 303)


@blueprint.post("/assemblees/<uuid:assembly_id>/resolutions/<uuid:resolution_id>/vote")
@signed_in
def vote(viewer, assembly_id, resolution_id):
    """The viewer's ballot, or (``pour``) that of an associate whose proxy they hold."""
    choice = request.form.get("choix", "")
    giver = request.form.get("pour", "").strip() or None
    which = f"{resolution_id}:{giver}" if giver else str(resolution_id)
    if giver:
        giver = form_id(giver)
        if giver is None:  # not an associate's id
            words = RULES["vote.not_represented"]
            return _assembly_page(viewer, assembly_id, 422, {"choix": [t(words)]}, which)
    try:
        voted = usecases.vote(gateway_for_viewer(), viewer, str(assembly_id),
                              str(resolution_id), choice, giver)
    except FieldErrors as refused:
        back = _moved_back(refused, _assembly_url(assembly_id, f"#resolution-{resolution_id}"))
        if back:
            return back
        # the ballot shows its one field's messages: every message of the refusal there
        said = [m for messages in _french(refused).values() for m in messages]
        return _assembly_page(viewer, assembly_id, 422, {"choix": said}, which)
    name = request.form.get("nom", "")
    if giver and voted.receipt:
        keep_notice(t("The secret ballot of %(name)s is recorded. Its receipt code: %(receipt)s.",
                      name=name, receipt=voted.receipt))
    elif giver:
        keep_notice(t("The vote of %(name)s is recorded.", name=name))
    elif voted.secret and voted.receipt:
        # shown to them alone, in their session: the service links no voter to it
        session["recus"] = {**session.get("recus", {}), voted.resolution_id: voted.receipt}
        keep_notice(t("Your secret ballot is recorded. Your receipt code: %(receipt)s. Note it: "
                      "when the vote closes, find it in the published ballots.",
                      receipt=voted.receipt))
    else:
        keep_notice(t("Your vote is recorded."))
    return redirect(_assembly_url(assembly_id, f"#resolution-{resolution_id}"), 303)


@blueprint.get("/assemblees/<uuid:assembly_id>/resolutions/<uuid:resolution_id>/bulletins")
@signed_in
def ballots(viewer, assembly_id, resolution_id):
    asked = request.args.get("recu")
    if asked is None:
        asked = session.get("recus", {}).get(str(resolution_id), "")
    found = usecases.published_ballots(gateway_for_viewer(), viewer, str(assembly_id),
                                       str(resolution_id), asked)
    return _page("assemblies/ballots.html", found=found, asked=asked)


@blueprint.get("/assemblees/<uuid:assembly_id>/documents/<uuid:document_id>")
@signed_in
def document(viewer, assembly_id, document_id):
    described, content = usecases.document(gateway_for_viewer(), viewer, str(assembly_id),
                                           str(document_id))
    return _document_response(described, content)


@blueprint.get("/assemblees/<uuid:assembly_id>/proces-verbal")
@signed_in
def minutes(viewer, assembly_id):
    found = usecases.minutes_page(gateway_for_viewer(), viewer, str(assembly_id))
    return _page("assemblies/minutes.html", a=found, staff=False)


@blueprint.get("/assemblees/<uuid:assembly_id>/proces-verbal/document")
@signed_in
def minutes_html(viewer, assembly_id):
    return _minutes_html(usecases.minutes_document(gateway_for_viewer(), viewer,
                                                   str(assembly_id), "html"))


@blueprint.get("/assemblees/<uuid:assembly_id>/proces-verbal/pdf")
@signed_in
def minutes_pdf(viewer, assembly_id):
    return _minutes_pdf(usecases.minutes_document(gateway_for_viewer(), viewer,
                                                  str(assembly_id), "pdf"), assembly_id)


# -- the support staff's pages ---------------------------------------------------------------

@blueprint.get(STAFF_PREFIX)
@staff_only
def staff_list(viewer, coop):
    found = usecases.staff_assemblies(gateway_for_viewer(), viewer, coop)
    return _page("assemblies/staff_list.html", assemblies=found)


def _convene_defaults() -> dict:
    day = today()
    form = {"type": "ordinary", "jour": (day + timedelta(days=30)).isoformat(),
            "heure": "18:00", "convoquee_le": day.isoformat()}
    form.update({f"r{n}_type": "ordinary" for n in range(1, RESOLUTION_LINES + 1)})
    return form


def _convene_page(status=200, form=None, errors=None):
    return _page("assemblies/convene.html", status, form=form or _convene_defaults(),
                 errors=errors or {}, lines=range(1, RESOLUTION_LINES + 1),
                 kinds=[(k, t(v)) for k, v in KINDS.items()],
                 resolution_kinds=[(k, t(RESOLUTION_KINDS[k])) for k in FORM_RESOLUTION_KINDS])


@blueprint.get(STAFF_PREFIX + "/nouvelle")
@staff_only
def staff_convene_form(viewer, coop):
    return _convene_page()


def _held_at(day: str, time: str) -> str | None:
    """The date and time typed, in Paris, with its offset."""
    try:
        moment = datetime.fromisoformat(f"{day}T{time}")
    except ValueError:
        return None
    return moment.replace(tzinfo=PARIS).isoformat()


@blueprint.post(STAFF_PREFIX + "/nouvelle")
@staff_only
def staff_convene(viewer, coop):
    names = ["titre", "type", "jour", "heure", "lieu", "lien", "convoquee_le"]
    for n in range(1, RESOLUTION_LINES + 1):
        names += [f"r{n}_titre", f"r{n}_texte", f"r{n}_type", f"r{n}_secret"]
    form = {name: request.form.get(name, "").strip() for name in names}
    errors: dict[str, list[str]] = {}
    if not form["titre"]:
        errors["titre"] = [t("This field is required.")]
    if form["type"] not in KINDS:
        errors["type"] = [t("Choose the kind of assembly.")]
    held_at = _held_at(form["jour"], form["heure"] or "00:00")
    if held_at is None:
        errors["jour"] = [t("A date and a time.")]
    if form["convoquee_le"]:
        try:
            date.fromisoformat(form["convoquee_le"])
        except ValueError:
            errors["convoquee_le"] = [t("A date, like 05/01/2026.")]
    lines = []
    for n in range(1, RESOLUTION_LINES + 1):
        if form[f"r{n}_titre"]:
            if form[f"r{n}_type"] not in FORM_RESOLUTION_KINDS:
                errors[f"r{n}_type"] = [t("Choose the kind of resolution.")]
            lines.append({"title": form[f"r{n}_titre"], "text": form[f"r{n}_texte"],
                          "kind": form[f"r{n}_type"], "secret": bool(form[f"r{n}_secret"])})
        elif form[f"r{n}_texte"]:
            errors[f"r{n}_titre"] = [t("Give the resolution's title.")]
    if not lines and "r1_titre" not in errors:
        empty = RULES["agenda.empty"]
        errors["r1_titre"] = [t(empty)]
    if not errors:
        try:
            convened = usecases.convene(gateway_for_viewer(), viewer, coop, usecases.ConveneForm(
                form["titre"], form["type"], held_at, form["lieu"], form["lien"],
                form["convoquee_le"], lines), form_key())
        except FieldErrors as refused:
            errors = _french(refused)
    if errors:
        return _convene_page(422, form, errors)
    keep_notice(t("The assembly is convened: %(count)s associate(s) make up its electorate.",
                  count=convened["electorate"]))
    return redirect(_staff_url(coop, convened["id"], ""), 303)


def _staff_page(viewer, coop, assembly_id, status=200, errors=None, form=None, which=None):
    found = usecases.staff_assembly(gateway_for_viewer(), viewer, coop, str(assembly_id))
    if which and not _on_staff_page(found, which):
        which = "haut"  # the form is no longer on the page: its refusal above it
    return _page("assemblies/staff_assembly.html", status, found=found, a=found.assembly,
                 p=found.presence, errors=errors or {}, form=form or {}, which=which,
                 quorum_text=quorum_text, signed_word=signed_word)


def _on_staff_page(found: usecases.StaffAssembly, which: str) -> bool:
    """Whether the form ``which`` names is on the staff's page (the assembly's state now)."""
    status = found.assembly["status"]
    if which == "emargement":
        return not found.presence.fixed
    if which == "ouverture":
        return status == "convened"
    if which == "cloture":
        return status in ("open", "quorum_lacking")
    return any(r["id"] == which and r["status"] == "open"
               for r in found.assembly["resolutions"])


def _staff_url(coop, assembly_id, anchor: str) -> str:
    return url_for("assemblies.staff_assembly", coop=coop, assembly_id=assembly_id) + anchor


def signed_word(mode: str) -> str:
    """How an associate on the attendance sheet takes part, in the page's words."""
    return t(SIGNED_MODES.get(mode, "Present"))


def quorum_text(q: dict, taking_part: int) -> str:
    kind = t(QUORUM_KINDS.get(q["kind"], q["kind"]))
    if not q.get("required"):
        return t("%(kind)s: no quorum required.", kind=kind)
    return t("%(kind)s: quorum %(required)s of the associates, %(needed)s needed, %(taking)s "
             "taking part: %(state)s.", kind=kind, required=q["required"], needed=q["needed"],
             taking=taking_part, state=t(QUORUM_STATE[bool(q["reached"])]))


@blueprint.get(STAFF_PREFIX + "/<uuid:assembly_id>")
@staff_only
def staff_assembly(viewer, coop, assembly_id):
    return _staff_page(viewer, coop, assembly_id)


@blueprint.get(STAFF_PREFIX + "/<uuid:assembly_id>/presence")
@staff_only
def staff_presence(viewer, coop, assembly_id):
    """The attendance and quorum as JSON, for the page's own script (assemblies-quorum.js)."""
    found = usecases.live_presence(gateway_for_viewer(), viewer, coop, str(assembly_id))
    shown = found.as_json()
    shown["text"] = t("%(present)s present, %(represented)s represented, %(postal)s by post: "
                      "%(taking)s taking part of %(electorate)s associate(s).",
                      present=found.present, represented=found.represented,
                      postal=found.postal, taking=found.taking_part,
                      electorate=found.electorate)
    shown["quorum_text"] = [quorum_text(q, found.taking_part) for q in found.quorum]
    shown["signed_text"] = {member: signed_word(mode) for member, mode in found.signed.items()}
    return jsonify(shown)


@blueprint.post(STAFF_PREFIX + "/<uuid:assembly_id>/emargements")
@staff_only
def staff_sign_in(viewer, coop, assembly_id):
    member = form_id(request.form.get("membre", ""))
    if member is None:
        return _staff_page(viewer, coop, assembly_id, 422,
                           {"membre": [t("Choose the associate.")]}, which="emargement")
    gateway = gateway_for_viewer()
    try:
        now = usecases.sign_in_associate(gateway, viewer, coop, str(assembly_id), member,
                                         form_key())
    except FieldErrors as refused:
        back = _moved_back(refused, _staff_url(coop, assembly_id, "#presence"))
        if back:
            return back
        return _staff_page(viewer, coop, assembly_id, 422, _french(refused),
                           which="emargement")
    # the name as the service knows it, never the form's
    name = usecases.associate_name(gateway, viewer, coop, str(assembly_id), member)
    if now:
        keep_notice(t("%(name)s has signed the attendance sheet.", name=name))
    else:
        keep_notice(t("%(name)s had already signed the attendance sheet: nothing changed.",
                      name=name))
    return redirect(_staff_url(coop, assembly_id, "#presence"), 303)


@blueprint.post(STAFF_PREFIX + "/<uuid:assembly_id>/ouverture")
@staff_only
def staff_open(viewer, coop, assembly_id):
    form = {"president": request.form.get("president", ""),
            "secretaire": request.form.get("secretaire", "")}
    try:
        opened = usecases.open_assembly(gateway_for_viewer(), viewer, coop, str(assembly_id),
                                        form["president"], form["secretaire"], form_key())
    except FieldErrors as refused:
        back = _moved_back(refused, _staff_url(coop, assembly_id, "#presence"))
        if back:
            return back
        return _staff_page(viewer, coop, assembly_id, 422, _french(refused), form, "ouverture")
    keep_notice(t("The assembly is open: its attendance and quorum are fixed.")
                if opened["status"] == "open" else
                t("The quorum is not reached: no resolution can be deliberated. Close the "
                  "assembly; a second convocation takes the resolutions."))
    return redirect(_staff_url(coop, assembly_id, "#resolutions"), 303)


@blueprint.post(STAFF_PREFIX + "/<uuid:assembly_id>/resolutions/<uuid:resolution_id>/cloture")
@staff_only
def staff_close_poll(viewer, coop, assembly_id, resolution_id):
    try:
        closed = usecases.close_poll(gateway_for_viewer(), viewer, coop, str(assembly_id),
                                     str(resolution_id), form_key())
    except FieldErrors as refused:
        back = _moved_back(refused, _staff_url(coop, assembly_id, f"#resolution-{resolution_id}"))
        if back:
            return back
        return _staff_page(viewer, coop, assembly_id, 422, _french(refused),
                           which=str(resolution_id))
    keep_notice(t("The vote on resolution %(code)s is closed: %(result)s.", code=closed["code"],
                  result=WORDS.resolution_status(closed["status"]).lower()))
    return redirect(_staff_url(coop, assembly_id, f"#resolution-{resolution_id}"), 303)


@blueprint.post(STAFF_PREFIX + "/<uuid:assembly_id>/cloture")
@staff_only
def staff_close(viewer, coop, assembly_id):
    form = {"debats": request.form.get("debats", "")}
    try:
        usecases.close_assembly(gateway_for_viewer(), viewer, coop, str(assembly_id),
                                form["debats"], form_key())
    except FieldErrors as refused:
        return _staff_page(viewer, coop, assembly_id, 422, _french(refused), form, "cloture")
    keep_notice(t("The assembly is closed: its minutes are drawn and published."))
    return redirect(url_for("assemblies.staff_minutes", coop=coop, assembly_id=assembly_id),
                    303)


@blueprint.get(STAFF_PREFIX + "/<uuid:assembly_id>/documents/<uuid:document_id>")
@staff_only
def staff_document(viewer, coop, assembly_id, document_id):
    described, content = usecases.document(gateway_for_viewer(), viewer, str(assembly_id),
                                           str(document_id), coop)
    return _document_response(described, content)


@blueprint.get(STAFF_PREFIX + "/<uuid:assembly_id>/proces-verbal")
@staff_only
def staff_minutes(viewer, coop, assembly_id):
    found = usecases.staff_minutes_page(gateway_for_viewer(), viewer, coop, str(assembly_id))
    return _page("assemblies/minutes.html", a=found, staff=True)


@blueprint.get(STAFF_PREFIX + "/<uuid:assembly_id>/proces-verbal/document")
@staff_only
def staff_minutes_html(viewer, coop, assembly_id):
    return _minutes_html(usecases.minutes_document(gateway_for_viewer(), viewer,
                                                   str(assembly_id), "html", coop))


@blueprint.get(STAFF_PREFIX + "/<uuid:assembly_id>/proces-verbal/pdf")
@staff_only
def staff_minutes_pdf(viewer, coop, assembly_id):
    return _minutes_pdf(usecases.minutes_document(gateway_for_viewer(), viewer,
                                                  str(assembly_id), "pdf", coop), assembly_id)
