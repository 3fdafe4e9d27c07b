"""The skill taxonomy: ESCO concepts by URI, their labels, broader relations and the
skills of each occupation, shared by every cooperative (no ``cooperative_id``).

Each public function works on the session of the caller's transaction; the caller
commits. The taxonomy is filled by :func:`import_directory` (the official ESCO CSV
download, ``cae matching import-esco DIR``) or :func:`load_shipped` (the French subset
shipped with the service, ``cae matching load-taxonomy``), and read by the others.

Decisions:

- **An import replaces what it names.** Each concept of the download is written whole:
  its row, its labels, its broader relations (as the narrower concept) and, for an
  occupation, its skills are deleted and written again, so a second import of the same
  files changes nothing and a new ESCO version replaces the old one's labels. A relation
  is imported when its narrower concept (its occupation) is in the download and its other
  end is a concept of the taxonomy; concepts the download does not name are left as
  they are. Delete and insert in batches of 2,000 concepts, inserts by
  ``caekit.db.insert_rows`` (COPY on PostgreSQL).
- A concept whose ESCO status is neither empty nor ``released`` is left out (counted as
  ``skipped``); a label longer than 300 characters (the column) is left out, a longer
  preferred label is cut at 300.
- **Labels are matched by their stems** (``adapters.text.terms``: lower case, accents and
  stop words removed, Snowball French stems), so that "Développeuses Web" finds
  "développeur web/développeuse web": each label's stems are stored with it.
- :func:`lookup` maps a free-text skill to concepts: labels whose stems are the text's
  stems (``exact``) first, then labels holding every stem of the text; preferred labels
  (and the masculine and feminine forms of an occupation's) before alternative ones,
  before hidden ones; then the fewer extra words, then the label. Each concept once.
  The exact labels come by the index on ``terms``; the others by a scan of the labels,
  the 2,000 best kept (a common word is in thousands); ``exact_only`` skips the scan
  (mapping a profile's skill needs only the exact ones).
- :func:`search_concepts` is an autocomplete: the last word of the query may be
  unfinished ("menuis" finds "menuisier"); the others are matched by their stems.
- :func:`narrower` follows ``concept_broader`` down with one recursive query
  (``WITH RECURSIVE ... UNION``, which PostgreSQL and SQLite both run, and which stops
  on a cycle).

Rule codes: ``concept.unknown`` (``UnknownRecord``), ``concept.kind``, ``concept.limit``,
``concept.query``, and the reader's ``esco.directory``, ``esco.language``, ``esco.header``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import case, delete, func, literal, select
from sqlalchemy.orm import Session

from cae_matching.adapters import esco, text
from cae_matching.adapters import search as index
from cae_matching.adapters.store import Concept, ConceptBroader, ConceptLabel, OccupationSkill
from caekit.db import insert_rows
from caekit.rules import RuleViolation, UnknownRecord

__all__ = ["KINDS", "concept", "import_directory", "load_shipped", "lookup", "narrower",
           "search_concepts"]

KINDS = esco.KINDS
"""``skill``, ``skill_group``, ``occupation``, ``isco_group``."""

BATCH = 2000
LABEL_LENGTH = 300
MAX_LIMIT = 100
MAX_QUERY = 200
_CANDIDATES = 2000  # labels an autocomplete reads before ranking them
_LABEL_RANK = {"preferred": 0, "alt": 1, "hidden": 2}
COUNTS = ("skill", "skill_group", "occupation", "isco_group", "labels", "broader",
          "occupation_skills", "skipped")


# -- import ---------------------------------------------------------------------------------
def import_directory(session: Session, path: str | Path, language: str | None = None, *,
                     source: str | None = None) -> dict[str, int]:
    """Import (or import again) an ESCO CSV download: how many concepts of each kind,
    labels, broader relations and occupation skills were written, and concepts skipped.
    ``source`` (stored with each concept) defaults to the ESCO version the directory's
    name states and the language, e.g. ``ESCO v1.2.0 (fr)``."""
    download = esco.open_download(path, language)
    source = (source or download.source())[:100]
    counts = Counter(dict.fromkeys(COUNTS, 0))
    imported: set[str] = set()
    batch: list[esco.Concept] = []
    for item in esco.concepts(download):
        if item.status not in ("", "released") or item.uri in imported:
            counts["skipped"] += 1
            continue
        imported.add(item.uri)
        batch.append(item)
        if len(batch) >= BATCH:
            _write_concepts(session, batch, download.language, source, counts)
            batch = []
    _write_concepts(session, batch, download.language, source, counts)
    known = set(session.scalars(select(Concept.uri)))
    _write_broader(session, download, imported, known, counts)
    _write_occupation_skills(session, download, imported, known, counts)
    return dict(counts)


def _write_concepts(session: Session, batch: Sequence[esco.Concept], language: str,
                    source: str, counts: Counter) -> None:
    if not batch:
        return
    uris = [item.uri for item in batch]
    for column in (ConceptLabel.uri, ConceptBroader.uri, OccupationSkill.occupation_uri,
                   Concept.uri):
        session.execute(delete(column.class_).where(column.in_(uris))
                        .execution_options(synchronize_session=False))
    insert_rows(session, Concept, [
        {"uri": item.uri, "kind": item.kind, "label": item.preferred[:LABEL_LENGTH],
         "language": language, "skill_type": item.skill_type, "description": item.description,
         "source": source} for item in batch])
    labels = [row for row in (
        {"uri": item.uri, "label": label, "kind": kind, "terms": text.terms(label)}
        for item in batch for label, kind in item.labels().items() if len(label) <= LABEL_LENGTH)
        if len(row["terms"]) <= LABEL_LENGTH]
    insert_rows(session, ConceptLabel, labels)
    counts["labels"] += len(labels)
    counts.update(item.kind for item in batch)


def _write_broader(session: Session, download: esco.Download, imported: set[str],
                   known: set[str], counts: Counter) -> None:
    seen: set[tuple[str, str]] = set()
    rows: list[dict] = []
    for narrower_uri, broader_uri in esco.broader(download):
        pair = (narrower_uri, broader_uri)
        if narrower_uri in imported and broader_uri in known and pair not in seen:
            seen.add(pair)
            rows.append({"uri": narrower_uri, "broader_uri": broader_uri})
            if len(rows) >= BATCH * 5:
                insert_rows(session, ConceptBroader, rows)
                rows = []
    insert_rows(session, ConceptBroader, rows)
    counts["broader"] += len(seen)


def _write_occupation_skills(session: Session, download: esco.Download, imported: set[str],
                             known: set[str], counts: Counter) -> None:
    seen: set[tuple[str, str]] = set()
    rows: list[dict] = []
    for occupation, skill, relation in esco.occupation_skills(download):
        pair = (occupation, skill)
        if occupation in imported and skill in known and pair not in seen:
            seen.add(pair)
            rows.append({"occupation_uri": occupation, "skill_uri": skill, "relation": relation})
            if len(rows) >= BATCH * 5:
                insert_rows(session, OccupationSkill, rows)
                rows = []
    insert_rows(session, OccupationSkill, rows)
    counts["occupation_skills"] += len(seen)


def load_shipped(session: Session, *, force: bool = False) -> dict[str, int]:
    """Import the French subset shipped with the service when the taxonomy is empty (or
    with ``force``: again, over what is there); what it wrote, or ``{}`` when nothing."""
    if not force and session.scalar(select(Concept.uri).limit(1)) is not None:
        return {}
    return import_directory(session, esco.SHIPPED_DIRECTORY, esco.SHIPPED_LANGUAGE,
                            source=esco.SHIPPED_SOURCE)


# -- reading ---------------------------------------------------------------------------------
def _brief(row) -> dict:
    return {"uri": row.uri, "kind": row.kind, "label": row.label}


def concept(session: Session, uri: str, field: str = "concept_uri") -> dict:
    """A concept: its labels, the concepts directly broader and narrower, and for an
    occupation its skills (essential first). ``concept.unknown`` names ``field``."""
    row = session.get(Concept, uri) if isinstance(uri, str) else None
    if row is None:
        raise UnknownRecord("concept.unknown", f"no concept {uri!r} in the taxonomy", [field])
    labels = session.execute(select(ConceptLabel.label, ConceptLabel.kind)
                             .where(ConceptLabel.uri == uri).order_by(ConceptLabel.label)).all()
    up = session.execute(select(Concept.uri, Concept.kind, Concept.label)
                         .join(ConceptBroader, ConceptBroader.broader_uri == Concept.uri)
                         .where(ConceptBroader.uri == uri).order_by(Concept.label)).all()
    down = session.execute(select(Concept.uri, Concept.kind, Concept.label)
                           .join(ConceptBroader, ConceptBroader.uri == Concept.uri)
                           .where(ConceptBroader.broader_uri == uri).order_by(Concept.label)).all()
    result = {"uri": row.uri, "kind": row.kind, "label": row.label, "language": row.language,
              "skill_type": row.skill_type, "description": row.description, "source": row.source,
              "alt_labels": [label for label, kind in labels if kind == "alt"],
              "broader": [_brief(r) for r in up], "narrower": [_brief(r) for r in down]}
    if row.kind == "occupation":
        skills = session.execute(
            select(Concept.uri, Concept.label, OccupationSkill.relation)
            .join(OccupationSkill, OccupationSkill.skill_uri == Concept.uri)
            .where(OccupationSkill.occupation_uri == uri)
            .order_by(OccupationSkill.relation, Concept.label)).all()
        result["skills"] = [{"uri": s.uri, "label": s.label, "relation": s.relation}
                            for s in skills]
    return result


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise RuleViolation("concept.kind", f"a concept kind is one of {', '.join(KINDS)}, "
                            f"not {kind!r}", ["kind"])


def _check_limit(limit: int) -> None:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise RuleViolation("concept.limit", f"from 1 to {MAX_LIMIT} concepts", ["limit"])


def _check_query(query: str, field: str) -> str:
    if not isinstance(query, str) or len(query) > MAX_QUERY:
        raise RuleViolation("concept.query", f"a text of at most {MAX_QUERY} characters",
                            [field])
    return query


def _holds(stem: str):
    """The label's stems hold ``stem`` as a whole stem."""
    return (literal(" ") + ConceptLabel.terms + literal(" ")).like(f"% {stem} %")


def _label_rows(session: Session, conditions, kind: str | None, limit: int | None = None):
    statement = (select(ConceptLabel.uri, ConceptLabel.label, ConceptLabel.kind,
                        ConceptLabel.terms, Concept.kind.label("concept_kind"),
                        Concept.label.label("concept_label"), Concept.skill_type)
                 .join(Concept, Concept.uri == ConceptLabel.uri).where(*conditions))
    if kind is not None:
        statement = statement.where(Concept.kind == kind)
    if limit is not None:
        rank = case({"preferred": 0, "alt": 1}, value=ConceptLabel.kind, else_=2)
        statement = statement.order_by(rank, func.length(ConceptLabel.terms),
                                       ConceptLabel.label).limit(limit)
    return session.execute(statement).all()


def _ranked(rows, key, limit: int, exact_terms: str | None) -> list[dict]:
    best: dict[str, tuple] = {}
    for row in rows:
        rank = key(row)
        if row.uri not in best or rank < best[row.uri][0]:
            best[row.uri] = (rank, row)
    ordered = sorted(best.values(), key=lambda item: (item[0], item[1].concept_label,
                                                       item[1].uri))[:limit]
    return [{"uri": row.uri, "kind": row.concept_kind, "label": row.concept_label,
             "skill_type": row.skill_type, "matched_label": row.label, "label_kind": row.kind,
             "exact": row.terms == exact_terms} for _, row in ordered]


def lookup(session: Session, query: str, *, kind: str | None = None, limit: int = 20,
           exact_only: bool = False) -> list[dict]:
    """The concepts a free-text skill names, best first: ``exact`` when a label's stems
    are the text's (``exact_only``: only those, by the index on ``terms``). Each: uri,
    kind, label (preferred), skill_type, matched_label, label_kind, exact. Labels holding
    every stem are read shortest first, at most 2,000 (a common word is in thousands)."""
    _check_kind(kind)
    _check_limit(limit)
    stems = text.terms(_check_query(query, "label"))
    if not stems:
        return []
    wanted = stems.split()
    rows = _label_rows(session, [ConceptLabel.terms == stems], kind)
    if not exact_only:
        rows += _label_rows(session, [ConceptLabel.terms != stems,
                                      *(_holds(stem) for stem in dict.fromkeys(wanted))],
                            kind, _CANDIDATES)

    def key(row):
        extra = len(row.terms.split()) - len(wanted)
        return (row.terms != stems, _LABEL_RANK.get(row.kind, 3), extra, row.label)

    return _ranked(rows, key, limit, stems)


def search_concepts(session: Session, q: str, kind: str | None = None,
                    limit: int = 20) -> list[dict]:
    """Concepts for an autocomplete: every word of ``q`` by its stem, the last one also
    unfinished; labels equal to the query first, then preferred labels, then the labels
    starting with the query, then the shortest. Same fields as :func:`lookup`."""
    _check_kind(kind)
    _check_limit(limit)
    words = text.words(_check_query(q, "q"))
    if not words:
        return []
    stems = [text.terms(word) for word in words]
    whole, (last_word, last_stem) = stems[:-1], (words[-1], stems[-1])
    prefix = min(last_word, last_stem, key=len)[:4]
    conditions = [_holds(stem) for stem in dict.fromkeys(whole)]
    conditions.append((literal(" ") + ConceptLabel.terms).like(f"% {prefix}%"))
    rows = _label_rows(session, conditions, kind, _CANDIDATES)

    def completes(row) -> bool:
        return (any(term.startswith(last_stem) for term in row.terms.split())
                or any(word.startswith(last_word) for word in text.words(row.label)))

    query_terms = " ".join(stems)

    def key(row):
        terms = row.terms.split()
        starts = bool(terms) and (terms[0] == stems[0] if whole else
                                  terms[0].startswith(last_stem))
        return (row.terms != query_terms, _LABEL_RANK.get(row.kind, 3), not starts,
                len(terms), row.label)

    return _ranked([row for row in rows if completes(row)], key, limit, query_terms)


def narrower(session: Session, uris: Iterable[str]) -> set[str]:
    """``uris`` and every concept narrower than one of them, transitively."""
    return index.narrower(session, uris)
