"""HTTP request, query and response schemas of the governance service (marshmallow 4)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from caekit import fields as bounded
from caekit.fields import CURSOR_TEXT, MAX_CURSOR, WholeRegexp, decode_cursor

MAX_DOCUMENT_BYTES = 512 * 1024
KINDS = ("ordinary", "extraordinary", "combined")
RESOLUTION_KINDS = ("ordinary", "extraordinary", "election")
CHOICES = ("for", "against", "abstain", "blank")
FRACTION = WholeRegexp(r"^[1-9][0-9]{0,3}/[1-9][0-9]{0,3}$",
                       error="a fraction such as 2/5 (numerator/denominator)")
# the documents an assembly puts at the associates' disposal: each served as it was sent
DOCUMENT_TYPES = (
    "application/pdf", "text/plain", "text/csv", "image/png", "image/jpeg",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class _In(Schema):
    class Meta:
        unknown = RAISE


def _uuid(description: str, **kwargs) -> fields.UUID:
    return fields.UUID(metadata={"description": description}, **kwargs)


# -- settings -----------------------------------------------------------------------------
class OverridesIn(_In):
    convocation_days = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0, max=365),
        metadata={"description": "days between the convocation and the assembly (not below the "
                                 "law's floor: profile.convocation_days)"})
    count_abstentions = fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "abstentions count in the base of a majority of those present or "
                       "represented"})
    blank_proxies = fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "blank proxies accepted: for the managers' resolutions, against others"})
    remote_participation = fields.Boolean(load_default=None, allow_none=True)
    postal_votes = fields.Boolean(load_default=None, allow_none=True)
    secret_ballot_for_elections = fields.Boolean(load_default=None, allow_none=True)


class CollegeIn(_In):
    code = bounded.line(40, required=True)
    weight = fields.String(required=True, validate=FRACTION, metadata={
        "description": "the college's share of the votes, 1/10 to 1/2 (loi 47-1775 art. 19 "
                       "octies); together 1", "examples": ["2/5"]})


class SettingsIn(_In):
    overrides = fields.Nested(OverridesIn, load_default=dict)
    colleges = fields.List(fields.Nested(CollegeIn), load_default=list,
                           validate=validate.Length(max=10),
                           metadata={"description": "SCIC voting colleges (a SCOP has none)"})
    non_associates_attend = fields.Boolean(load_default=False, metadata={
        "description": "entrepreneurs who are not associates may see the assemblies and "
                       "attend without a vote"})
    head_office = bounded.line(300, load_default=None, allow_none=True, metadata={
        "description": "the registered office (siège social), printed on the minutes"})


class ProfileRuleOut(Schema):
    kind = fields.String(required=True)
    convocation = fields.Integer(required=True)
    quorum = fields.String(required=True, allow_none=True)
    majority = fields.String(required=True)
    source = fields.String(required=True)


class SettingsOut(Schema):
    profile = fields.String(required=True, metadata={"description": "scop-sarl, scop-sa or scic"})
    overrides = fields.Dict(required=True)
    colleges = fields.List(fields.Dict(), required=True)
    non_associates_attend = fields.Boolean(required=True)
    head_office = fields.String(required=True, allow_none=True)
    convocation_days = fields.Integer(required=True)
    count_abstentions = fields.Boolean(required=True)
    blank_proxies = fields.Boolean(required=True)
    remote_participation = fields.Boolean(required=True)
    postal_votes = fields.Boolean(required=True)
    secret_ballot_for_elections = fields.Boolean(required=True)
    rules = fields.List(fields.Nested(ProfileRuleOut), required=True)
    notes = fields.List(fields.String(), required=True)


class CollegeOfIn(_In):
    college = bounded.line(40, required=True, allow_none=True)


class CollegeOut(Schema):
    member_id = fields.String(required=True)
    college = fields.String(required=True, allow_none=True)


class AssociateOut(Schema):
    member_id = fields.String(required=True)
    name = fields.String(required=True)
    associate_on = fields.Date(required=True)
    college = fields.String(required=True, allow_none=True)
    manager = fields.Boolean(required=True)


class AssociateList(Schema):
    on = fields.Date(required=True)
    items = fields.List(fields.Nested(AssociateOut), required=True)


class AssociatesQuery(_In):
    on = bounded.day(metadata={"description": "the day (default: today)"})


# -- convening ------------------------------------------------------------------------------
class BandIn(_In):
    from_cents = bounded.cents(required=True, metadata={"description": "yearly revenue HT"})
    rate = fields.Decimal(required=True, as_string=True, places=4,
                          validate=validate.Range(min=0, max=1),
                          metadata={"description": "share of the revenue, e.g. 0.1100"})


class EffectIn(_In):
    """What an adopted resolution does; the fields its ``type`` needs."""

    type = fields.String(required=True, validate=validate.OneOf(
        ("none", "contribution_schedule", "associate_admission", "managers_election",
         "accounts_approval")))
    # contribution_schedule
    effective_on = bounded.day(metadata={"description": "contribution_schedule, "
                                         "managers_election: in force from (default: the "
                                         "assembly's day for an election)"})
    bands = fields.List(fields.Nested(BandIn), validate=validate.Length(min=1, max=20))
    monthly_minimum_cents = bounded.cents()
    activity_code = fields.String(allow_none=True, validate=WholeRegexp(
        r"^[A-Z0-9][A-Z0-9_-]{0,19}$", error="an activity code"))
    # associate_admission
    member_id = _uuid("associate_admission: the member admitted")
    associate_on = bounded.day(metadata={"description": "associate_admission: from "
                                         "(default: the assembly's day)"})
    # managers_election
    office = fields.String(validate=validate.OneOf(("managers", "board")))
    seats = fields.Integer(strict=True, validate=validate.Range(min=1, max=50))
    candidates = fields.List(fields.UUID(), validate=validate.Length(min=1, max=100))
    # accounts_approval
    fiscal_year = bounded.year()

    _NEEDS = {"contribution_schedule": ("effective_on", "bands"),
              "associate_admission": ("member_id",),
              "managers_election": ("office", "seats", "candidates"),
              "accounts_approval": ("fiscal_year",), "none": ()}
    _OPTIONAL = {"contribution_schedule": ("monthly_minimum_cents", "activity_code"),
                 "associate_admission": ("associate_on",),
                 "managers_election": ("effective_on",)}

    @validates_schema
    def _fields_of_type(self, data, **_):
        kind = data["type"]
        needed = self._NEEDS[kind]
        allowed = {"type", *needed, *self._OPTIONAL.get(kind, ())}
        errors = {name: ["required by this effect type"] for name in needed if name not in data}
        errors.update({name: [f"not a field of an effect of type {kind}"]
                       for name in data if name not in allowed})
        if errors:
            raise ValidationError(errors)


class ResolutionIn(_In):
    title = bounded.line(300, required=True)
    text = bounded.text(20000, required=True, metadata={"description": "the resolution's full "
                                                        "text"})
    kind = fields.String(required=True, validate=validate.OneOf(RESOLUTION_KINDS))
    from_managers = fields.Boolean(load_default=False, metadata={
        "description": "presented or approved by the managers: blank proxies vote for it"})
    secret = fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "null: the statutes' rule (secret for elections where required)"})
    effect = fields.Nested(EffectIn, load_default=None, allow_none=True)


class Base64(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            content = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("base64 text") from None
        if not content or len(content) > MAX_DOCUMENT_BYTES:
            raise ValidationError(f"from 1 byte to {MAX_DOCUMENT_BYTES} bytes")
        return content


class DocumentIn(_In):
    title = bounded.line(300, required=True)
    media_type = fields.String(required=True, validate=validate.OneOf(DOCUMENT_TYPES))
    content = Base64(required=True, validate=validate.Length(max=(MAX_DOCUMENT_BYTES * 4) // 3 + 4),
                     metadata={"description": "the file, base64 (at most 512 KiB once decoded)"})


class ConveneIn(_In):
    title = bounded.line(300, required=True, metadata={"examples": ["Assemblée générale "
                                                                    "ordinaire annuelle"]})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    held_at = fields.AwareDateTime(required=True, metadata={"description": "date and time, "
                                                            "with its UTC offset"})
    place = bounded.line(300, load_default=None, allow_none=True)
    video_link = fields.Url(load_default=None, allow_none=True, schemes={"https"},
                            validate=validate.Length(max=500))
    convened_on = bounded.day(load_default=None, allow_none=True, metadata={
        "description": "the day the convocation was sent (default: today; not after today)"})
    record_date = bounded.day(load_default=None, allow_none=True, metadata={
        "description": "the electorate is fixed on this day (default: convened_on)"})
    resolutions = fields.List(fields.Nested(ResolutionIn), required=True,
                              validate=validate.Length(min=1, max=100))
    documents = fields.List(fields.Nested(DocumentIn), load_default=list,
                            validate=validate.Length(max=20))


class SecondConvocationIn(_In):
    held_at = fields.AwareDateTime(required=True)
    place = bounded.line(300, load_default=None, allow_none=True, metadata={
        "description": "default, with the video link: the first convocation's"})
    video_link = fields.Url(load_default=None, allow_none=True, schemes={"https"},
                            validate=validate.Length(max=500))
    convened_on = bounded.day(load_default=None, allow_none=True)


class AddedResolutionIn(ResolutionIn):
    requesters = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1,
                                                                                   max=10000),
                             metadata={"description": "the associates asking for it (the "
                                                      "caller among them unless staff)"})


# -- before and during the assembly ---------------------------------------------------------
class ProxyIn(_In):
    giver = _uuid("staff recording a paper proxy: the giver (default: the caller)",
                  load_default=None, allow_none=True)
    holder = _uuid("the associate holding it; null: a blank proxy", required=True,
                   allow_none=True)


class RevokeIn(_In):
    giver = _uuid("staff: the giver (default: the caller)", load_default=None, allow_none=True)


class ProxyOut(Schema):
    giver = fields.String(required=True)
    holder = fields.String(required=True, allow_none=True)
    given_at = fields.AwareDateTime(required=True)
    revoked_at = fields.AwareDateTime(required=True, allow_none=True)


class ProxyList(Schema):
    items = fields.List(fields.Nested(ProxyOut), required=True)
    cap = fields.Integer(required=True, metadata={"description": "proxies one holder may hold"})
    cap_rule = fields.String(required=True)


class SignInIn(_In):
    member_id = _uuid("the associate (default: the caller)", load_default=None, allow_none=True)
    mode = fields.String(required=True, validate=validate.OneOf(("in_person", "remote")))


class SignInOut(Schema):
    member_id = fields.String(required=True)
    mode = fields.String(required=True)
    signed_at = fields.AwareDateTime(required=True)


class SignInsQuery(_In):
    """A page of the attendance sheet: ``limit`` lines after the ``cursor``."""

    limit = bounded.limit(metadata={"description": "how many lines at most, 1 to 1000"})
    cursor = fields.String(
        validate=[validate.Length(min=1, max=MAX_CURSOR),
                  WholeRegexp(r"^[A-Za-z0-9_-]+$", error=CURSOR_TEXT)],
        metadata={"description": "where the page starts: the `next_cursor` of the previous "
                                 "page (absent for the first page)"})

    @post_load
    def _position(self, data, **_):
        cursor = data.pop("cursor", None)  # (signed_at, member_id) of the last line shown
        data["after"] = None if cursor is None else decode_cursor(cursor, (datetime, str))
        return data


class HeldProxyOut(Schema):
    giver = fields.String(required=True, metadata={"description": "the associate represented"})
    name = fields.String(required=True, allow_none=True)


class SignedInOut(Schema):
    member_id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True, metadata={
        "description": "as members told governance; null when it does not know it"})
    mode = fields.String(required=True, metadata={"description": "in_person or remote"})
    signed_at = fields.AwareDateTime(required=True)
    proxies_held = fields.List(fields.Nested(HeldProxyOut), required=True, metadata={
        "description": "the proxies in force this associate holds (a blank proxy has no "
                       "holder: counted in blank_proxies)"})


class SheetQuorumOut(Schema):
    kind = fields.String(required=True)
    required = fields.String(required=True, allow_none=True, metadata={
        "description": "the statutes' fraction of the associates; null: no quorum"})
    needed = fields.Integer(required=True)
    taking_part = fields.Integer(required=True)
    associates = fields.Integer(required=True)
    reached = fields.Boolean(required=True)
    formula = fields.String(required=True)


class AttendanceSheetOut(Schema):
    """The attendance sheet and the quorum: before the opening as the opening would fix
    them now, afterwards as fixed then (the assembly's own ``attendance`` and
    ``quorum``)."""

    assembly_id = fields.String(required=True)
    status = fields.String(required=True, metadata={
        "description": "convened, open, quorum_lacking, closed"})
    fixed = fields.Boolean(required=True, metadata={
        "description": "true once the opening fixed the attendance and the quorum"})
    electorate = fields.Integer(required=True, metadata={"description": "the associates"})
    signed_in = fields.Integer(required=True, metadata={
        "description": "lines on the attendance sheet (every page)"})
    in_person = fields.Integer(required=True)
    remote = fields.Integer(required=True)
    postal = fields.Integer(required=True, metadata={
        "description": "postal forms received that count (a form of an associate who signed "
                       "in is set aside)"})
    represented = fields.Integer(required=True, metadata={
        "description": "associates represented by a proxy that counts: its holder signed "
                       "in (or a blank proxy), its giver did not"})
    blank_proxies = fields.Integer(required=True)
    proxies = fields.Integer(required=True, metadata={"description": "proxies in force"})
    taking_part = fields.Integer(required=True, metadata={
        "description": "in person + remote + postal + represented"})
    text = fields.String(required=True)
    quorum = fields.List(fields.Nested(SheetQuorumOut), required=True, metadata={
        "description": "for each kind of resolution on the agenda"})
    items = fields.List(fields.Nested(SignedInOut), required=True, metadata={
        "description": "the lines of this page, in the order they were signed"})
    next_cursor = fields.String(required=True, allow_none=True, metadata={
        "description": "pass it as `cursor` for the next page; null on the last page"})


class ChoiceIn(_In):
    choice = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(CHOICES),
                           metadata={"description": "for, against, abstain, blank; an "
                                                    "election: abstain or blank, or candidates"})
    candidates = fields.List(fields.UUID(), load_default=None, allow_none=True,
                             validate=validate.Length(max=50),
                             metadata={"description": "an election: the candidates chosen"})


class PostalChoiceIn(ChoiceIn):
    resolution_id = fields.UUID(required=True)


class PostalIn(_In):
    member_id = _uuid("staff recording a paper form: the associate (default: the caller)",
                      load_default=None, allow_none=True)
    choices = fields.List(fields.Nested(PostalChoiceIn), required=True,
                          validate=validate.Length(min=1, max=100))


class ReceiptOut(Schema):
    resolution_id = fields.String(required=True)
    receipt = fields.String(required=True, allow_none=True, metadata={
        "description": "a secret ballot's receipt code: find it in the published list"})


class PostalOut(Schema):
    member_id = fields.String(required=True)
    receipts = fields.List(fields.Nested(ReceiptOut), required=True)


class VoteIn(ChoiceIn):
    on_behalf_of = _uuid("the associate whose proxy the caller holds (default: the caller)",
                         load_default=None, allow_none=True)


class VoteOut(Schema):
    resolution_id = fields.String(required=True)
    voter = fields.String(required=True)
    secret = fields.Boolean(required=True)
    receipt = fields.String(required=True, allow_none=True)


class OpenIn(_In):
    chair = bounded.line(200, required=True, metadata={"description": "président de séance"})
    secretary = bounded.line(200, required=True)


class CloseIn(_In):
    debate_summary = bounded.text(50000, required=True, metadata={
        "description": "the summary of the debates, entered by the secretary"})


# -- reading --------------------------------------------------------------------------------
class CountsOut(Schema):
    for_votes = fields.Integer(required=True)
    against = fields.Integer(required=True)
    abstain = fields.Integer(required=True)
    blank = fields.Integer(required=True)
    not_voted = fields.Integer(required=True)


class ResultOut(Schema):
    counts = fields.Nested(CountsOut, required=True)
    base = fields.Integer(required=True)
    majority = fields.String(required=True)
    formula = fields.String(required=True)
    share_for = fields.String(required=True, allow_none=True)
    tie = fields.Boolean(required=True)
    adopted = fields.Boolean(required=True)
    source = fields.String(required=True)
    colleges = fields.List(fields.Dict(), required=True)
    candidates = fields.List(fields.Dict())
    elected = fields.List(fields.String())
    vacant = fields.Integer()


class ResolutionOut(Schema):
    id = fields.String(required=True)
    code = fields.String(required=True)
    title = fields.String(required=True)
    text = fields.String(required=True)
    kind = fields.String(required=True)
    from_managers = fields.Boolean(required=True)
    secret = fields.Boolean(required=True)
    effect = fields.Dict(required=True)
    proposed_by = fields.List(fields.String(), required=True)
    status = fields.String(required=True, metadata={
        "description": "pending, open, adopted, rejected, not_deliberated"})
    result = fields.Nested(ResultOut, required=True, allow_none=True)
    decided_at = fields.AwareDateTime(required=True, allow_none=True)


class DocumentOut(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    media_type = fields.String(required=True)
    sha256 = fields.String(required=True)


class QuorumOut(Schema):
    kind = fields.String(required=True)
    required = fields.String(required=True, allow_none=True)
    needed = fields.Integer(required=True)
    reached = fields.Boolean(required=True)
    formula = fields.String(required=True)


class AssemblySummaryOut(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    convocation = fields.Integer(required=True)
    first_assembly_id = fields.String(required=True, allow_none=True)
    held_at = fields.AwareDateTime(required=True)
    place = fields.String(required=True, allow_none=True)
    video_link = fields.String(required=True, allow_none=True)
    convened_on = fields.Date(required=True)
    record_date = fields.Date(required=True)
    status = fields.String(required=True, metadata={
        "description": "convened, open, quorum_lacking, closed"})


class AssemblyOut(AssemblySummaryOut):
    profile = fields.String(required=True)
    electorate = fields.Integer(required=True)
    agenda_window = fields.Dict(required=True, metadata={
        "description": "first and last day associates may add resolutions"})
    opened_at = fields.AwareDateTime(required=True, allow_none=True)
    closed_at = fields.AwareDateTime(required=True, allow_none=True)
    chair = fields.String(required=True, allow_none=True)
    secretary = fields.String(required=True, allow_none=True)
    debate_summary = fields.String(required=True, allow_none=True)
    attendance = fields.Dict(required=True, allow_none=True)
    quorum = fields.List(fields.Nested(QuorumOut), required=True)
    resolutions = fields.List(fields.Nested(ResolutionOut), required=True)
    documents = fields.List(fields.Nested(DocumentOut), required=True)
    minutes_sha256 = fields.String(required=True, allow_none=True)


class AssemblyList(Schema):
    items = fields.List(fields.Nested(AssemblySummaryOut), required=True)


class AssembliesQuery(_In):
    year = bounded.year(metadata={"description": "the assemblies held in this year"})
    limit = bounded.limit()


class BallotOut(Schema):
    receipt = fields.String(required=True)
    college = fields.String(required=True, allow_none=True)
    choice = fields.String(required=True)


class BallotList(Schema):
    resolution_id = fields.String(required=True)
    items = fields.List(fields.Nested(BallotOut), required=True, metadata={
        "description": "every ballot of the secret poll, in receipt order"})
    counts = fields.Dict(required=True, metadata={"description": "the list recounted"})


class VoterOut(Schema):
    voter = fields.String(required=True)
    name = fields.String(required=True)
    cast_by = fields.String(required=True, allow_none=True)
    postal = fields.Boolean(required=True)


class VoterList(Schema):
    items = fields.List(fields.Nested(VoterOut), required=True)


class MinutesQuery(_In):
    format = fields.String(validate=validate.OneOf(("html", "pdf")))
