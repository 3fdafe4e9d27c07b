"""The search's SQL: the index of searchable fields, the taxonomy's narrower concepts and
labels, and one ranked query over the whole network.

Consent is filtered here, in SQL: a profile of another cooperative is a hit only with
``share_identity``, each criterion only on a field shared with the network
(``share_skills`` for concepts and the taxonomy's widening, ``share_place``,
``share_availability``, ``share_<field>`` for the words found in a field's document),
and a member who left (``people.left_on``) or was erased never is, even in their own
cooperative. The use case checks every hit again with ``domain.profiles.visible_fields``.
Every session-level tenant filter is lifted (``all_tenants``): the scope is applied here.

The ranked query (``statement``), one statement whatever the criteria:

- each criterion but the place gives rows of one shape, gathered by ``UNION ALL``:
  concept, a row per skill on the concepts asked or narrower ones at the level asked
  (``ix_profile_skills_concept``); text, a row per query word and document holding it (one
  probe of the full-text index a word: PostgreSQL's GIN index on
  ``to_tsvector('cae_french', body)``, SQLite's FTS5 ``search_fts``; ``hit``: the word's
  bit in its field's group of bits) and a row per skill on a concept the whole query names
  or a narrower one; window, a row per availability period and absence overlapping it,
  with the days it adds to the union of those before it (a window function);
- one ``GROUP BY member_id`` over them, with what every criterion needs (a skill; every
  word in some document; days available); then the profile and the person by their
  primary keys, with the consent (which fields the viewer sees: the words found in the
  visible fields only), the scope and the place (the bounding box of
  ``ix_profiles_place``, then the great-circle distance); no join between aggregates that
  a misjudged plan could turn into a nested loop;
- the score, an integer: concept 20 x level + years (at most 20); text 55 + the weights of
  the fields it matched in (``FIELD_WEIGHT``, at most 45), 50 by a named concept only;
  place 100 at the point down to 0 at the radius; window, the percentage of its days
  available; ``ORDER BY score DESC, member_id`` from the keyset ``after``, one row more
  than a page (whether another follows). Without criteria: along the primary key.

Each criterion's rows are only those of the members the cheap criteria keep
(``narrowing``: the scope, the place's box, the concepts' skills), except the text's: a
document's ``to_tsvector`` is computed, not stored, and only the index finds them cheaply.

Query words (``query_words``): the stems of a word as ``text.terms`` makes them
(``unaccent`` then the Snowball French stemmer, as the ``cae_french`` configuration does)
and as the stemmer makes them from the accented word; then, because unaccenting before
stemming leaves a feminine "-ière"/"-ère" its "er" ("menuisières" -> ``menuisier``, while
"menuisier" -> ``menuisi``), a stem ending in "er" also without it, and a stem ending in
"i" or a consonant also with it. A word matches a document holding any of its stems.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache, reduce

import snowballstemmer
from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    and_,
    case,
    cast,
    column,
    delete,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    type_coerce,
    union_all,
)
from sqlalchemy import text as text_sql
from sqlalchemy.orm import Session

from cae_matching.adapters import text
from cae_matching.adapters.store import (
    Absence,
    Availability,
    ConceptBroader,
    ConceptLabel,
    Person,
    Profile,
    ProfileSkill,
    SearchDocument,
)
from cae_matching.domain.profiles import FIELDS, bounding_box, distance_km

P = Profile.__table__
PE = Person.__table__
S = ProfileSkill.__table__
D = SearchDocument.__table__
A = Availability.__table__
AB = Absence.__table__
CB = ConceptBroader.__table__
CL = ConceptLabel.__table__

SEARCHABLE = ("presentation", "skills", "trades", "languages", "references")
"""The fields with a search document, in the order of their bit in ``text_fields``."""
FIELD_BIT = {field: 1 << n for n, field in enumerate(SEARCHABLE)}
CONCEPT_BIT = 1 << len(SEARCHABLE)  # a skill whose concept the whole query names
FIELD_WEIGHT = {"skills": 25, "trades": 25, "presentation": 15, "references": 10,
                "languages": 10}
"""The text's points for each field it matched in (55 + at most 45)."""
PG_ONLY_STOP_WORDS = frozenset("""
seras serons serez serais serait serions seriez seraient furent sois soit soyons soyez soient
fusse fusses fussions fussiez fussent ayant ayante ayantes ayants eues auras aurons aurez
auront aurais aurait aurions auriez auraient avions aviez avaient eut eurent aie aies ait
ayons ayez aient eusse eusses eussions eussiez eussent
""".split())
"""Stop words of PostgreSQL's ``french`` dictionary that ``text.STOP_WORDS`` keeps: never a
query word (PostgreSQL indexes none of them)."""

_TOKEN = re.compile(r"[^\W_]+")
_STEM = re.compile(r"[0-9a-z]+")
_VOWELS = frozenset("aeiouy")
_stemmer = snowballstemmer.stemmer("french")
EPOCH = date(1970, 1, 1)


def _all(statement):
    return statement.execution_options(all_tenants=True)


# -- query words --------------------------------------------------------------------------
@dataclass(frozen=True)
class QueryWord:
    word: str  # as typed
    variants: tuple[str, ...]  # the stems, any of which matches


@lru_cache(maxsize=4096)
def _accented_stem(token: str) -> str:
    """The stem of the word as written, then unaccented."""
    return text.unaccent(_stemmer.stemWord(token)).replace("œ", "oe")


def _variants(token: str, plain: str) -> tuple[str, ...]:
    found = [text.terms(plain)]
    accented = _accented_stem(token)
    if token != plain and _STEM.fullmatch(accented):
        found.append(accented)
    for stem in list(found):
        if len(stem) < 4:
            continue
        if stem.endswith("er"):
            found.append(stem[:-2])
        elif len(stem) >= 5 and (stem.endswith("i") or stem[-1] not in _VOWELS):
            found.append(stem + "er")
    return tuple(dict.fromkeys(s for s in found if s))


def query_words(query: str) -> list[QueryWord]:
    """The words of a free-text query with their stems (stop words dropped; one entry per
    distinct stem, in the order typed)."""
    out: dict[str, QueryWord] = {}
    for token in _TOKEN.findall(query):
        lowered = token.lower()
        plains = [p for p in text.words(lowered) if p not in PG_ONLY_STOP_WORDS]
        for plain in plains:
            variants = _variants(lowered if len(plains) == 1 else plain, plain)
            if variants and variants[0] not in out:
                out[variants[0]] = QueryWord(token, variants)
    return list(out.values())


def stems_of(terms: str) -> set[str]:
    """The stems a document holds (its ``terms``), as ``QueryWord.variants`` name them."""
    return set(terms.split())


# -- the taxonomy ---------------------------------------------------------------------------
def narrower(session: Session, uris: Iterable[str]) -> set[str]:
    """The concepts ``uris`` and every concept narrower than one of them (a recursive CTE
    over ``concept_broader``, by ``ix_concept_broader_broader``; cycles are harmless)."""
    return set().union(*narrower_by_root(session, uris).values())


def narrower_by_root(session: Session, uris: Iterable[str]) -> dict[str, frozenset[str]]:
    """Each of ``uris`` with every concept narrower than it, itself included: one recursive
    CTE carrying each row's root (``UNION`` drops repeated rows: a cycle ends)."""
    roots = sorted({uri for uri in uris if isinstance(uri, str)})
    if not roots:
        return {}
    found = (select(CB.c.uri, CB.c.broader_uri.label("root"))
             .where(CB.c.broader_uri.in_(roots)).cte("narrower", recursive=True))
    found = found.union(select(CB.c.uri, found.c.root)
                        .join(found, CB.c.broader_uri == found.c.uri))
    closure = {root: {root} for root in roots}
    for uri, root in session.execute(select(found.c.uri, found.c.root)):
        closure[root].add(uri)
    return {root: frozenset(found) for root, found in closure.items()}


def lookup(session: Session, query: str) -> set[str]:
    """The concepts one of whose labels the whole query names: the same stems
    (``concept_labels.terms``, ``text.terms`` of the label), by ``ix_concept_labels_terms``."""
    words = query_words(query)
    if not words:
        return set()
    keys = {text.terms(query), " ".join(w.variants[0] for w in words)}
    return set(session.scalars(_all(select(CL.c.uri).where(CL.c.terms.in_(sorted(keys)))
                                     .distinct())))


def concept_labels(session: Session, uris: Iterable[str]) -> dict[str, list[str]]:
    """Every label of each concept: preferred first, then alternative and hidden ones."""
    uris = sorted(set(uris))
    if not uris:
        return {}
    order = case({"preferred": 0, "alt": 1}, value=CL.c.kind, else_=2)
    labels: dict[str, list[str]] = {}
    for uri, label in session.execute(_all(select(CL.c.uri, CL.c.label)
                                           .where(CL.c.uri.in_(uris))
                                           .order_by(CL.c.uri, order, CL.c.label))):
        labels.setdefault(uri, []).append(label)
    return labels


# -- the index ------------------------------------------------------------------------------
def write_documents(session: Session, member_id: str, cooperative_id: str,
                    bodies: dict[str, str]) -> None:
    """The member's documents become ``bodies`` (field -> text): changed rows updated,
    others deleted or added (SQLite's triggers keep ``search_fts`` in step)."""
    existing = {d.field: d for d in session.scalars(_all(
        select(SearchDocument).where(SearchDocument.member_id == member_id)))}
    for field, row in existing.items():
        if field not in bodies:
            session.delete(row)
        elif row.body != bodies[field]:
            row.body, row.terms = bodies[field], text.terms(bodies[field])
    session.flush()
    for field, body in bodies.items():
        if field not in existing:
            session.add(SearchDocument(member_id=member_id, cooperative_id=cooperative_id,
                                       field=field, body=body, terms=text.terms(body)))
    session.flush()


def delete_documents(session: Session, member_id: str) -> None:
    session.execute(_all(delete(SearchDocument).where(SearchDocument.member_id == member_id)))


def document_terms(session: Session, member_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """member -> field -> the stems of its document (``terms``)."""
    out: dict[str, dict[str, str]] = {}
    ids = sorted(set(member_ids))
    if ids:
        for member, field, terms in session.execute(_all(
                select(D.c.member_id, D.c.field, D.c.terms).where(D.c.member_id.in_(ids)))):
            out.setdefault(member, {})[field] = terms
    return out


def skills_with(session: Session, member_ids: Iterable[str], uris: Iterable[str],
                min_level: int = 1) -> dict[str, list]:
    """member -> their skills on one of ``uris`` at ``min_level`` or above, best first."""
    ids, uris = sorted(set(member_ids)), sorted(set(uris))
    out: dict[str, list] = {}
    if ids and uris:
        for row in session.execute(_all(
                select(S.c.member_id, S.c.concept_uri, S.c.label, S.c.level, S.c.years)
                .where(S.c.member_id.in_(ids), S.c.concept_uri.in_(uris),
                       S.c.level >= min_level)
                .order_by(S.c.member_id, S.c.level.desc(), S.c.years.desc(), S.c.position))):
            out.setdefault(row.member_id, []).append(row)
    return out


# -- the ranked search ----------------------------------------------------------------------
@dataclass(frozen=True)
class Ranking:
    """A search resolved for SQL. ``concepts``: the concepts asked and their narrower ones
    (None: no such criterion); ``widened``: the concepts the whole text names and their
    narrower ones; ``place``: latitude and longitude in micro-degrees and a radius in km;
    ``after``: the keyset (score, member) of the last hit of the previous page."""

    viewer: str
    network: bool
    concepts: frozenset[str] | None = None
    min_level: int = 1
    words: tuple[QueryWord, ...] = ()
    widened: frozenset[str] = frozenset()
    place: tuple[int, int, int] | None = None
    window: tuple[date, date] | None = None
    after: tuple[int, str] | None = None
    limit: int = 20


@dataclass(frozen=True)
class Ranked:
    member_id: str
    cooperative_id: str
    score: int
    shared: frozenset[str]  # the profile's fields shared with the network
    left: bool
    concept: int | None  # the criteria's points (None: not asked)
    text: int | None
    text_fields: frozenset[str]  # where the text matched ("concept": by a named concept)
    distance_km: int | None
    covered_days: int | None


def _least(dialect: str, *args):
    return func.least(*args) if dialect == "postgresql" else func.min(*args)


def _greatest(dialect: str, *args):
    return func.greatest(*args) if dialect == "postgresql" else func.max(*args)


def _day(dialect: str, col):
    """A date as a day number (days since 1970-01-01)."""
    if dialect == "postgresql":
        return type_coerce(col - literal_column("DATE '1970-01-01'"), Integer)
    return cast(func.julianday(col) - 2440587.5, Integer)


def _distance_e6(lat1: int, lon1: int, lat2: int, lon2: int) -> int:
    return distance_km(lat1 / 1_000_000, lon1 / 1_000_000, lat2 / 1_000_000,
                       lon2 / 1_000_000)


def _distance(dialect: str, session: Session, lat_col, lon_col, lat_e6: int, lon_e6: int):
    """The great-circle distance in whole km, as ``domain.profiles.distance_km`` computes it
    (on SQLite by that very function, registered on the connection)."""
    if dialect != "postgresql":
        raw = session.connection().connection.driver_connection
        raw.create_function("cae_distance_km", 4, _distance_e6, deterministic=True)
        return func.cae_distance_km(lat_col, lon_col, lat_e6, lon_e6)
    lat1 = func.radians(cast(lat_col, Float) / 1_000_000.0)
    lat2 = func.radians(literal(lat_e6 / 1_000_000, Float))
    dlon = func.radians(literal(lon_e6 / 1_000_000, Float) - cast(lon_col, Float) / 1_000_000.0)
    half_lat, half_lon = func.sin((lat2 - lat1) / 2), func.sin(dlon / 2)
    h = half_lat * half_lat + func.cos(lat1) * func.cos(lat2) * half_lon * half_lon
    return cast(func.floor(2 * 6371 * func.asin(func.least(1.0, func.sqrt(h))) + 0.5),
                Integer)


CONCEPT, TEXT, NAMED, WINDOW, PLACE = 1, 2, 4, 8, 16  # the kinds of rows (``_row``)
WORK_MEM = "32MB"
"""PostgreSQL's memory for the one aggregate of a search (``SET LOCAL``: its transaction
only): the default 4 MB spills to disk from some 100,000 rows."""
MAX_WORDS = 12
"""At most this many words a query: a member's matches are one integer, a group of 12
bits a searchable field (60 bits), a bit a word."""
WORDS_MASK = (1 << MAX_WORDS) - 1


def _word_bit(field: str, n: int) -> int:
    return 1 << (SEARCHABLE.index(field) * MAX_WORDS + n)


def _words_in(hits, field: str):
    """The words found in ``field`` (a bit each) of a member's ``hits``."""
    shift = literal_column(str(SEARCHABLE.index(field) * MAX_WORDS), Integer)
    return hits.op(">>")(shift).op("&")(literal_column(str(WORDS_MASK), BigInteger))


def _row(member_id, kind: int, *, points=0, hit=0, days=0, absent=0):
    return [member_id.label("member_id"), literal(kind).label("kind"),
            _as_column(points, "points"), cast(_as_column(hit, "hit"), BigInteger).label("hit"),
            _as_column(days, "days"), _as_column(absent, "absent")]


def _as_column(value, name: str):
    return (literal(value) if isinstance(value, int) else value).label(name)


def _concept_rows(dialect: str, q: Ranking, narrowing: list):
    """A row per skill on the concepts asked (or narrower) at the level asked."""
    return (select(*_row(S.c.member_id, CONCEPT,
                         points=20 * S.c.level + _least(dialect, S.c.years, 20)))
            .where(S.c.concept_uri.in_(sorted(q.concepts)), S.c.level >= q.min_level,
                   *[keep(S) for keep in narrowing]))


def _text_rows(dialect: str, q: Ranking, narrowing: list) -> list:
    """A row per query word and document holding it (one probe of the full-text index a
    word; ``hit``: the bit of the word in the field's group, ``_word_bit``), and a row per
    skill on a concept the whole query names. Whether the field is visible is decided per
    member, after grouping (``statement``)."""
    rows = []
    for n, w in enumerate(q.words):
        hit = case({f: _word_bit(f, n) for f in SEARCHABLE}, value=D.c.field, else_=0)
        probe = select(*_row(D.c.member_id, TEXT, hit=hit))
        if dialect == "postgresql":
            config = literal_column("'cae_french'::regconfig")
            words = func.plainto_tsquery(config, literal(w.word)).op("||")(
                func.to_tsquery(literal_column("'simple'::regconfig"),
                                literal(" | ".join(w.variants))))
            probe = probe.where(func.to_tsvector(config, D.c.body).op("@@")(words))
        else:
            fts = table("search_fts", column("rowid", Integer))
            match = " OR ".join(f'"{v}"' for v in w.variants)
            probe = (probe.select_from(fts.join(D, D.c.id == fts.c.rowid))
                     .where(literal_column("search_fts").op("MATCH")(literal(match))))
        rows.append(probe.where(*[keep(D) for keep in narrowing]))
    if q.widened:
        rows.append(select(*_row(S.c.member_id, NAMED))
                    .where(S.c.concept_uri.in_(sorted(q.widened)),
                           *[keep(S) for keep in narrowing]))
    return rows


def _window_rows(dialect: str, window: tuple[date, date], narrowing: list,
                 absent_narrowing: list):
    """A row per availability period and absence overlapping the window: ``days``, its
    days not covered by the periods before it (sorted by start) and, for an absence,
    ``absent``, the same among absences only. Summed by member: |A or B| and |B| (A: the
    availability, B: the absences, clipped to the window), so that the days available
    and not absent are |A minus B| = sum(days) - sum(absent)."""
    first, last = window
    start, end = (first - EPOCH).days, (last - EPOCH).days

    def periods(tbl, available: int, keeping: list):
        return (select(tbl.c.member_id.label("member_id"),
                       _greatest(dialect, _day(dialect, tbl.c.starts_on), start).label("opens"),
                       (_least(dialect, _day(dialect, tbl.c.ends_on), end) + 1).label("closes"),
                       literal(available).label("available"))
                .where(tbl.c.starts_on <= last, tbl.c.ends_on >= first,
                       *[keep(tbl) for keep in keeping]))

    spans = union_all(periods(A, 1, narrowing),
                      periods(AB, 0, absent_narrowing)).subquery("spans")
    before = {"partition_by": spans.c.member_id, "order_by": (spans.c.opens, spans.c.closes),
              "rows": (None, -1)}  # one sort for both
    reached_any = func.max(spans.c.closes).over(**before)
    reached_absent = func.max(case((spans.c.available == 0, spans.c.closes))).over(**before)

    def days(reached):
        return _greatest(dialect, 0, spans.c.closes - _greatest(
            dialect, spans.c.opens, func.coalesce(reached, spans.c.opens)))

    return select(*_row(spans.c.member_id, WINDOW, days=days(reached_any),
                        absent=case((spans.c.available == 0, days(reached_absent)),
                                    else_=0)))


def _int(value) -> int | None:
    return None if value is None else int(value)


def rank(session: Session, q: Ranking) -> tuple[list[Ranked], bool]:
    """One page of the search's hits, best first, from ``q.after`` on; and whether more
    follow."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text_sql(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    rows = session.execute(_all(statement(session, q))).mappings().all()
    hits = []
    for row in rows[:q.limit]:
        fields = int(row.get("text_fields") or 0)  # PostgreSQL's sum() of integers: numeric
        hits.append(Ranked(
            member_id=row["member_id"], cooperative_id=row["cooperative_id"],
            score=int(row["score"]),
            shared=frozenset(f for f in FIELDS if row[f"share_{f}"]),
            left=row["left_on"] is not None or bool(row["erased"]),
            concept=_int(row.get("concept_points")), text=_int(row.get("text_points")),
            text_fields=frozenset([f for f in SEARCHABLE if fields & FIELD_BIT[f]]
                                  + (["concept"] if fields & CONCEPT_BIT else [])),
            distance_km=_int(row.get("distance_km")), covered_days=_int(row.get("covered_days"))))
    return hits, len(rows) > q.limit


def statement(session: Session, q: Ranking):
    """The ranked query of one page and the first row of the next (for ``rank``; and to
    read its plan)."""
    dialect = session.get_bind().dialect.name
    own = P.c.cooperative_id == q.viewer

    def visible(field: str):
        return or_(own, P.c[f"share_{field}"]) if q.network else own

    # the members a criterion keeps, cheap to test: each criterion's rows are only theirs
    narrowing = [] if q.network else [lambda tbl: tbl.c.cooperative_id == q.viewer]
    where = [PE.c.left_on.is_(None), PE.c.erased.is_(false()), visible("identity")]
    if q.place is not None:
        lat, lon, radius = q.place
        south, north, west, east = bounding_box(lat / 1_000_000, lon / 1_000_000, radius)
        in_box = [P.c.latitude_e6.between(int(south * 1_000_000) - 1,
                                          int(north * 1_000_000) + 1)]
        if west >= -180 and east <= 180:
            in_box.append(P.c.longitude_e6.between(int(west * 1_000_000) - 1,
                                                   int(east * 1_000_000) + 1))
        in_place = select(P.c.member_id).where(*in_box)
        narrowing.append(lambda tbl: tbl.c.member_id.in_(in_place))
        distance = _distance(dialect, session, P.c.latitude_e6, P.c.longitude_e6, lat, lon)
        where += [*in_box, distance <= radius, visible("place")]
    sources = []

    def consenting(field: str) -> list:
        """``narrowing``, and on the network the members who show ``field`` to the viewer:
        for the rows of a criterion most members have (availability), not worth a scan of
        the profiles for those an index finds few of (skills)."""
        if not q.network:
            return narrowing
        shown = select(P.c.member_id).where(or_(own, and_(P.c.share_identity,
                                                          P.c[f"share_{field}"])))
        return [*narrowing, lambda tbl: tbl.c.member_id.in_(shown)]

    if q.concepts is not None:
        sources.append(_concept_rows(dialect, q, narrowing))
        having_skill = (select(S.c.member_id).where(S.c.concept_uri.in_(sorted(q.concepts)),
                                                    S.c.level >= q.min_level))
        narrowing = [*narrowing, lambda tbl: tbl.c.member_id.in_(having_skill)]
        where.append(visible("skills"))
    if q.words:  # by the index alone: a narrowing would cost a to_tsvector() a document
        sources += _text_rows(dialect, q, [] if q.network else narrowing[:1])
    # a window alone: its rows already hold every condition but the person's, so the page
    # is chosen among the members' aggregates, and only its rows join the profiles
    window_only = (q.window is not None and q.concepts is None and not q.words
                   and q.place is None)
    if q.window is not None:
        keeping = consenting("availability")
        if window_only:
            alive = select(PE.c.member_id).where(PE.c.left_on.is_(None),
                                                 PE.c.erased.is_(false()))
            keeping = [*keeping, lambda tbl: tbl.c.member_id.in_(alive)]
        sources.append(_window_rows(dialect, q.window, keeping,
                                    narrowing))  # absences: few, and only subtract
        where.append(visible("availability"))
    if q.place is not None and sources:
        # the place as rows too: grouped with the others, so that only the members in the
        # circle reach the join with the profiles (joined after the aggregate, whose size the
        # planner cannot estimate, the box's profiles were a nested loop with every member
        # the text found: 2.7 million comparisons for "formatrice" near Bayonne)
        sources.append(select(*_row(P.c.member_id, PLACE))
                       .where(*in_box, distance <= radius, visible("place")))

    shares = [P.c[f"share_{field}"].label(f"share_{field}") for field in FIELDS]
    columns = [P.c.member_id, P.c.cooperative_id, PE.c.left_on, PE.c.erased, *shares]
    scores = []
    source = P.join(PE, PE.c.member_id == P.c.member_id)
    if sources:
        found = union_all(*sources).subquery("found")
        all_words = (1 << len(q.words)) - 1
        hits = cast(func.sum(found.c.hit), BigInteger).label("hits")  # each (doc, word) once
        named = func.max(case((found.c.kind == NAMED, 1), else_=0)).label("named")
        covered = (func.sum(found.c.days) - func.sum(found.c.absent)).label("covered_days")
        concept_points = func.max(found.c.points).label("concept_points")
        required = []
        if q.concepts is not None:
            required.append(concept_points > 0)
        if q.words:  # every word somewhere (visible or not: checked below)
            anywhere = reduce(lambda a, b: a.op("|")(b), [_words_in(hits, f)
                                                           for f in SEARCHABLE])
            required.append(or_(anywhere == all_words, named == 1))
        if q.window is not None:
            required.append(covered > 0)
        if q.place is not None:
            required.append(func.max(case((found.c.kind == PLACE, 1), else_=0)) == 1)
        per_member = (select(found.c.member_id, concept_points, named, covered, hits)
                      .group_by(found.c.member_id).having(and_(*required))
                      .subquery("per_member"))
        if window_only:
            days = (q.window[1] - q.window[0]).days + 1
            score = cast((100 * per_member.c.covered_days) / days, Integer)
            top = _keyset(select(per_member.c.member_id, per_member.c.covered_days,
                                 score.label("score")), score, per_member.c.member_id, q)
            top = top.subquery("top")
            return (select(*columns, top.c.covered_days, top.c.score)
                    .select_from(top.join(P, P.c.member_id == top.c.member_id)
                                 .join(PE, PE.c.member_id == top.c.member_id))
                    .where(*where).order_by(top.c.score.desc(), top.c.member_id))
        source = per_member.join(P, P.c.member_id == per_member.c.member_id).join(
            PE, PE.c.member_id == per_member.c.member_id)
        if q.concepts is not None:
            columns.append(per_member.c.concept_points)
            scores.append(per_member.c.concept_points)
        if q.words:  # the words in the fields the viewer sees
            seen = {f: case((visible(f), _words_in(per_member.c.hits, f)), else_=0)
                    for f in SEARCHABLE}
            seen_words = reduce(lambda a, b: a.op("|")(b), seen.values())
            named_seen = and_(per_member.c.named == 1, visible("skills"))
            where.append(or_(seen_words == all_words, named_seen))
            fields = reduce(lambda a, b: a + b, [
                case((seen[f] != 0, FIELD_BIT[f]), else_=0) for f in SEARCHABLE]
                + [case((named_seen, CONCEPT_BIT), else_=0)])
            weights = reduce(lambda a, b: a + b, [
                case((seen[f] != 0, weight), else_=0) for f, weight in FIELD_WEIGHT.items()])
            text_points = case((seen_words == all_words, 55 + _least(dialect, 45, weights)),
                               else_=50)
            columns += [text_points.label("text_points"), fields.label("text_fields")]
            scores.append(text_points)
        if q.window is not None:
            days = (q.window[1] - q.window[0]).days + 1
            columns.append(per_member.c.covered_days)
            scores.append((100 * per_member.c.covered_days) / days)
    if q.place is not None:
        columns.append(distance.label("distance_km"))
        scores.append(100 - (100 * distance) / radius if radius else literal(100))
    if not scores:  # browsing: by member, along the primary key
        page = select(*columns, literal(0).label("score")).select_from(source).where(*where)
        if q.after is not None:
            page = page.where(P.c.member_id > q.after[1])
        return page.order_by(P.c.member_id).limit(q.limit + 1)
    score = cast(reduce(lambda a, b: a + b, scores), Integer)
    ranked = (select(*columns, score.label("score")).select_from(source).where(*where)
              .subquery("ranked"))
    return _keyset(select(ranked), ranked.c.score, ranked.c.member_id, q)


def _keyset(page, score, member_id, q: Ranking):
    """``page`` by score then member, from the keyset ``q.after`` on, a row more than a page
    (whether another follows)."""
    if q.after is not None:
        after_score, after_member = q.after
        page = page.where(or_(score < after_score,
                              and_(score == after_score, member_id > after_member)))
    return page.order_by(score.desc(), member_id).limit(q.limit + 1)
