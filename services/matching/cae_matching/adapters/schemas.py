"""HTTP request, query and response schemas of the matching service (marshmallow 4).

Ranges: levels 1 to 4; years practised 0 to 60; travel radius 0 to 1,000 km; a search
radius 1 to 1,000 km; latitudes -90 to 90 and longitudes -180 to 180 degrees, given as
decimal strings or numbers of at most 6 decimals; day rates in integer cents, 0 to
10,000,000; dates 1900-01-01 to 2200-12-31; a team of 1 to 50 people per requirement and
1 to 50 requirements per call.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from caekit import fields as bounded
from caekit.fields import WholeRegexp

FIELDS = ("identity", "presentation", "skills", "trades", "languages", "place", "day_rate",
          "availability", "references")
LANGUAGE_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2", "native")
CONCEPT_URI = WholeRegexp(r"^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]{1,190}$",
                          error="a concept URI, e.g. http://data.europa.eu/esco/skill/...")


class _In(Schema):
    class Meta:
        unknown = RAISE


def _level(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=4), metadata={
        "description": "1 notions, 2 autonome, 3 confirmé, 4 expert"}, **kwargs)


def _coordinate(what: str, bound: int, **kwargs) -> fields.Decimal:
    return fields.Decimal(places=None, as_string=True, metadata={
        "description": f"{what} in degrees, {-bound} to {bound}, 6 decimals at most"}, **kwargs)


# -- profiles -----------------------------------------------------------------------------
class SkillIn(_In):
    concept_uri = fields.String(load_default=None, allow_none=True, validate=CONCEPT_URI,
                                metadata={"description": "an ESCO concept of the taxonomy"})
    label = bounded.line(200, load_default=None, allow_none=True, metadata={
        "description": "the skill in your words; mapped to a concept when one has this label"})
    level = _level(required=True)
    years = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=60),
                           metadata={"description": "years practised"})

    @validates_schema
    def _named(self, data, **kwargs):
        if not data.get("concept_uri") and not data.get("label"):
            raise ValidationError("a skill names a concept_uri or has a label", "label")


class LanguageIn(_In):
    code = fields.String(required=True, validate=WholeRegexp(r"^[a-z]{2}$", error="an ISO "
                         "639-1 code such as fr, en, de"))
    level = fields.String(required=True, validate=validate.OneOf(LANGUAGE_LEVELS))


class PlaceIn(_In):
    commune = bounded.line(200, required=True)
    commune_code = fields.String(load_default=None, allow_none=True, validate=WholeRegexp(
        r"^(\d{5}|2[AB]\d{3})$", error="a commune's INSEE code, e.g. 69123 or 2A004"))
    latitude = _coordinate("latitude", 90, required=True)
    longitude = _coordinate("longitude", 180, required=True)
    travel_radius_km = fields.Integer(strict=True, load_default=0,
                                      validate=validate.Range(min=0, max=1000))

    @validates_schema
    def _degrees(self, data, **kwargs):
        for name, bound in (("latitude", 90), ("longitude", 180)):
            value = data.get(name)
            if value is None:
                continue
            if not -bound <= value <= bound:
                raise ValidationError(f"from {-bound} to {bound} degrees", name)
            if value.as_tuple().exponent < -6:
                raise ValidationError("at most 6 decimals", name)


class DayRateIn(_In):
    min_cents = bounded.cents(maximum=10_000_000, required=True)
    max_cents = bounded.cents(maximum=10_000_000, required=True)

    @validates_schema
    def _order(self, data, **kwargs):
        if data["min_cents"] > data["max_cents"]:
            raise ValidationError("the minimum is at most the maximum", "max_cents")


class PeriodIn(_In):
    starts_on = bounded.day(required=True)
    ends_on = bounded.day(required=True)
    days_per_week = fields.Integer(strict=True, load_default=5,
                                   validate=validate.Range(min=1, max=7))

    @validates_schema
    def _order(self, data, **kwargs):
        if data["ends_on"] < data["starts_on"]:
            raise ValidationError("a period ends on or after the day it starts", "ends_on")


class ReferenceIn(_In):
    title = bounded.line(200, required=True)
    client = bounded.line(200, load_default=None, allow_none=True)
    year = bounded.year(load_default=None, allow_none=True)
    description = bounded.text(2000, load_default=None, allow_none=True)


class ProfileIn(_In):
    presentation = bounded.text(4000, load_default=None, allow_none=True)
    skills = fields.List(fields.Nested(SkillIn), load_default=list,
                         validate=validate.Length(max=50))
    trades = fields.List(bounded.line(100), load_default=list, validate=validate.Length(max=20))
    languages = fields.List(fields.Nested(LanguageIn), load_default=list,
                            validate=validate.Length(max=20))
    place = fields.Nested(PlaceIn, load_default=None, allow_none=True)
    day_rate = fields.Nested(DayRateIn, load_default=None, allow_none=True)
    availability = fields.List(fields.Nested(PeriodIn), load_default=list,
                               validate=validate.Length(max=50))
    references = fields.List(fields.Nested(ReferenceIn), load_default=list,
                             validate=validate.Length(max=20))


class IdentityOut(Schema):
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)


class SkillOut(Schema):
    concept_uri = fields.String(required=True, allow_none=True)
    label = fields.String(required=True)
    level = fields.Integer(required=True)
    years = fields.Integer(required=True)


class PlaceOut(Schema):
    commune = fields.String(required=True)
    commune_code = fields.String(required=True, allow_none=True)
    latitude = fields.String(required=True)
    longitude = fields.String(required=True)
    travel_radius_km = fields.Integer(required=True)


class DayRateOut(Schema):
    min_cents = fields.Integer(required=True, allow_none=True)
    max_cents = fields.Integer(required=True, allow_none=True)


class PeriodOut(Schema):
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    days_per_week = fields.Integer(required=True)


class ReferenceOut(Schema):
    title = fields.String(required=True)
    client = fields.String(allow_none=True)
    year = fields.Integer(allow_none=True)
    description = fields.String(allow_none=True)


class LanguageOut(Schema):
    code = fields.String(required=True)
    level = fields.String(required=True)


class ProfileOut(Schema):
    """A profile as the caller's cooperative may see it: a field another cooperative's
    member did not share with the network is absent."""

    member_id = fields.String(required=True)
    cooperative_id = fields.String(required=True)
    cooperative_name = fields.String(allow_none=True)
    identity = fields.Nested(IdentityOut)
    presentation = fields.String(allow_none=True)
    skills = fields.List(fields.Nested(SkillOut))
    trades = fields.List(fields.String())
    languages = fields.List(fields.Nested(LanguageOut))
    place = fields.Nested(PlaceOut, allow_none=True)
    day_rate = fields.Nested(DayRateOut, allow_none=True)
    availability = fields.List(fields.Nested(PeriodOut))
    references = fields.List(fields.Nested(ReferenceOut))
    groups = fields.List(fields.Dict())
    updated_at = fields.AwareDateTime(allow_none=True)


# -- consent ------------------------------------------------------------------------------
class ConsentIn(_In):
    """The fields to show to (true) or hide from (false) the other cooperatives of the
    network; fields left out are unchanged."""

    identity = fields.Boolean(metadata={"description": "name and cooperative: without it, "
                                                       "nothing is visible to the network"})
    presentation = fields.Boolean()
    skills = fields.Boolean()
    trades = fields.Boolean()
    languages = fields.Boolean()
    place = fields.Boolean()
    day_rate = fields.Boolean()
    availability = fields.Boolean()
    references = fields.Boolean()

    @validates_schema
    def _some(self, data, **kwargs):
        if not data:
            raise ValidationError("name at least one field", "identity")


class ConsentChangeOut(Schema):
    field = fields.String(required=True)
    network = fields.Boolean(required=True)
    changed_at = fields.AwareDateTime(required=True)
    changed_by = fields.String(required=True)


class ConsentOut(Schema):
    member_id = fields.String(required=True)
    network = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    history = fields.List(fields.Nested(ConsentChangeOut), required=True)


# -- settings -----------------------------------------------------------------------------
class SettingsIn(_In):
    retention_days = fields.Integer(strict=True, required=True,
                                    validate=validate.Range(min=0, max=3650), metadata={
                                        "description": "days a departed member's profile is "
                                                       "kept before it is erased"})


class SettingsOut(Schema):
    cooperative_id = fields.String(required=True)
    retention_days = fields.Integer(required=True)


# -- the directory ------------------------------------------------------------------------
class DirectoryQuery(_In):
    scope = fields.String(load_default="cooperative",
                          validate=validate.OneOf(("cooperative", "network")), metadata={
                              "description": "cooperative: its own members; network: also "
                                             "the other cooperatives' members, with what "
                                             "they shared"})
    concept = fields.String(validate=CONCEPT_URI, metadata={
        "description": "a skill concept of the taxonomy: profiles holding it or a narrower one"})
    q = bounded.line(300, metadata={"description": "French free text (accents and plurals "
                                                   "do not matter), 12 words at most"})
    latitude = _coordinate("latitude of the place searched around", 90)
    longitude = _coordinate("longitude of the place searched around", 180)
    radius_km = bounded.AsciiInteger(validate=validate.Range(min=1, max=1000), metadata={
        "description": "with latitude and longitude: profiles within this distance, 1 to 1,000 km"})
    place_label = bounded.line(200, metadata={"description": "the place's name, for the reasons"})
    starts_on = bounded.day(metadata={"description": "with ends_on: available in this window"})
    ends_on = bounded.day(metadata={"description": "the window's last day (731 days at most)"})
    min_level = bounded.AsciiInteger(load_default=1, validate=validate.Range(min=1, max=4),
                                     metadata={"description": "with concept: the lowest level"})
    limit = bounded.AsciiInteger(load_default=20, validate=validate.Range(min=1, max=100),
                                 metadata={"description": "hits per page, 1 to 100"})
    cursor = fields.String(validate=[validate.Length(min=1, max=2000),
                                     WholeRegexp(r"^[A-Za-z0-9_=-]+$", error="not a cursor of "
                                                 "this search: pass next_cursor as is")],
                           metadata={"description": "the next_cursor of the previous page"})

    @validates_schema
    def _together(self, data, **kwargs):
        place = [name for name in ("latitude", "longitude", "radius_km") if name in data]
        if place and len(place) != 3:
            missing = next(n for n in ("latitude", "longitude", "radius_km") if n not in data)
            raise ValidationError("latitude, longitude and radius_km go together", missing)
        for name, bound in (("latitude", 90), ("longitude", 180)):
            if name in data and not -bound <= data[name] <= bound:
                raise ValidationError(f"from {-bound} to {bound} degrees", name)
        if ("starts_on" in data) != ("ends_on" in data):
            raise ValidationError("starts_on and ends_on go together",
                                  "ends_on" if "starts_on" in data else "starts_on")
        if "starts_on" in data and data["ends_on"] < data["starts_on"]:
            raise ValidationError("the window ends on or after the day it starts", "ends_on")


class ReasonOut(Schema):
    criterion = fields.String(required=True, metadata={
        "description": "concept, text, place or availability"})
    field = fields.String(required=True, metadata={"description": "the profile field it read"})
    detail = fields.String(required=True, metadata={"description": "why, in French"})


class HitOut(Schema):
    member_id = fields.String(required=True)
    cooperative_id = fields.String(required=True)
    rank = fields.Integer(required=True)
    score = fields.Integer(required=True)
    reasons = fields.List(fields.Nested(ReasonOut), required=True)
    profile = fields.Nested(ProfileOut, required=True)


class DirectoryPage(Schema):
    items = fields.List(fields.Nested(HitOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


# -- the taxonomy --------------------------------------------------------------------------
class ConceptsQuery(_In):
    q = bounded.line(200, required=True, metadata={"description": "the start of a label"})
    kind = fields.String(validate=validate.OneOf(("skill", "skill_group", "occupation",
                                                  "isco_group")))
    limit = bounded.AsciiInteger(load_default=20, validate=validate.Range(min=1, max=100))


class ConceptQuery(_In):
    uri = fields.String(required=True, validate=CONCEPT_URI)


class ConceptBriefOut(Schema):
    uri = fields.String(required=True)
    kind = fields.String(required=True)
    label = fields.String(required=True)


class ConceptHitOut(ConceptBriefOut):
    skill_type = fields.String(allow_none=True)
    matched_label = fields.String()
    label_kind = fields.String()
    exact = fields.Boolean()


class ConceptList(Schema):
    items = fields.List(fields.Nested(ConceptHitOut), required=True)


class OccupationSkillOut(Schema):
    uri = fields.String(required=True)
    label = fields.String(required=True)
    relation = fields.String(required=True, metadata={"description": "essential or optional"})


class ConceptOut(ConceptBriefOut):
    language = fields.String(required=True)
    skill_type = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    source = fields.String(required=True)
    alt_labels = fields.List(fields.String(), required=True)
    broader = fields.List(fields.Nested(ConceptBriefOut), required=True)
    narrower = fields.List(fields.Nested(ConceptBriefOut), required=True)
    skills = fields.List(fields.Nested(OccupationSkillOut))
