"""The official ESCO CSV download, read as a stream, in any language.

ESCO (the European Commission's classification of skills, competences and occupations)
publishes, per version and language, a directory of CSV files named after their content
and language: ``skills_fr.csv``, ``skillGroups_fr.csv``, ``occupations_fr.csv``,
``ISCOGroups_fr.csv``, ``broaderRelationsSkillPillar_fr.csv``,
``broaderRelationsOccPillar_fr.csv``, ``occupationSkillRelations_fr.csv`` (and
collections and hierarchies, not read here: the broader relations hold the same tree).

Decisions:

- **Columns by header name**, never by position: ESCO added columns between versions
  (v1.0's ``skills_fr.csv`` has conceptType, conceptUri, skillType, reuseLevel,
  preferredLabel, altLabels, description; v1.1 adds hiddenLabels, status, modifiedDate,
  scopeNote, definition, inScheme). Required: ``conceptUri`` and ``preferredLabel`` for
  concepts, ``conceptUri`` and ``broaderUri`` for broader relations, ``occupationUri``,
  ``relationType`` and ``skillUri`` for an occupation's skills; a file without one of them
  is refused (``esco.header``), naming the file and the columns. Other columns are ignored.
- **Files by name**: ``<content>_<language>.csv``, or ``<content>.csv`` for the relation
  files (v1.0 downloads name the language-neutral files without a suffix). Only the
  concept files are required (at least one of the four); the relation files are optional.
- **Language**: given, or the one suffix the concept files carry; none or several refused
  (``esco.language``). ``en-us`` is a language as ESCO names it.
- **Encoding** ``utf-8-sig`` (a download may start with a byte order mark), read with the
  ``csv`` module: a cell may span lines.
- **Labels**: ``altLabels`` and ``hiddenLabels`` hold one label a line. A French
  occupation is named "masculin/féminin" ("développeur web/développeuse web"): its
  preferred label is kept as written and both forms are labels of their own, of the same
  kind (``gender_forms``). Skills are never split ("créer un scénario/une bible
  littéraire" is one skill).
- **Kinds** by file, not by the ``conceptType`` cell: ``skill`` (skills), ``skill_group``,
  ``occupation``, ``isco_group``; concepts come in that order, skill groups first.
- **Streaming**: every reader yields one row at a time; nothing but the current row is
  held (the full French download: ~14,000 skills, ~3,000 occupations).

The subset shipped with the service (``taxonomy_data``, its README says what it holds)
is in this same format and read by the same functions.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from caekit.rules import RuleViolation

SHIPPED_DIRECTORY = Path(__file__).resolve().parent / "taxonomy_data"
SHIPPED_LANGUAGE = "fr"
SHIPPED_SOURCE = "ESCO v1.1.1 (fr), adapted"
"""The subset shipped with the service: where it is, its language, and its source."""

CONCEPT_FILES = {  # file name -> kind, in the order concepts are read
    "skillGroups": "skill_group",
    "skills": "skill",
    "ISCOGroups": "isco_group",
    "occupations": "occupation",
}
BROADER_FILES = ("broaderRelationsSkillPillar", "broaderRelationsOccPillar")
OCCUPATION_SKILL_FILE = "occupationSkillRelations"
KINDS = tuple(CONCEPT_FILES.values())

_REQUIRED = {
    "concept": ("conceptUri", "preferredLabel"),
    "broader": ("conceptUri", "broaderUri"),
    "occupation_skill": ("occupationUri", "relationType", "skillUri"),
}
_NAME = re.compile(r"^(?P<content>[A-Za-z]+?)(?:_(?P<language>[a-z]{2}(?:-[a-z]{2})?))?\.csv$")
_VERSION = re.compile(r"\bv(\d+\.\d+(?:\.\d+)?)\b")


@dataclass(frozen=True)
class Concept:
    """One concept as the download holds it (labels stripped, empty ones dropped)."""

    uri: str
    kind: str
    preferred: str
    alternatives: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    skill_type: str | None = None
    description: str | None = None
    status: str = ""

    def labels(self) -> dict[str, str]:
        """Every label of the concept and its kind (``preferred``, ``alt``, ``hidden``),
        each label once with its strongest kind; an occupation's "masculin/féminin"
        labels add both forms, of the same kind as the label they come from."""
        found: dict[str, str] = {}
        for kind, labels in (("preferred", (self.preferred,)), ("alt", self.alternatives),
                             ("hidden", self.hidden)):
            for label in labels:
                forms = gender_forms(label) if self.kind == "occupation" else []
                for text in (label, *forms):
                    found.setdefault(text, kind)
        return found


@dataclass(frozen=True)
class Download:
    """An ESCO download's directory: its language and the files read from it."""

    directory: Path
    language: str
    concept_files: tuple[tuple[str, Path], ...]  # (kind, path), in reading order
    broader_files: tuple[Path, ...]
    occupation_skill_file: Path | None

    @property
    def version(self) -> str | None:
        """The ESCO version the directory's name states ("ESCO dataset - v1.2.0 - ..."), if any."""
        match = _VERSION.search(self.directory.name)
        return match.group(1) if match else None

    def source(self) -> str:
        """``ESCO v1.2.0 (fr)``, or ``ESCO (fr)`` when the directory does not say its version."""
        return f"ESCO v{self.version} ({self.language})" if self.version else f"ESCO ({self.language})"


def gender_forms(label: str) -> list[str]:
    """Both forms of a label written "masculin/féminin", or none.

    The label splits on its one "/" outside quotes (« », " "): two parts of as many
    words are both forms ("développeur web/développeuse web"); a shorter first part
    takes the second's tail ("chargé/chargée d'enseignement" -> "chargé d'enseignement").
    A shorter second part ("fabrication de papier/carton"), more than one "/", or an
    empty part: not a pair, no form."""
    parts = _split_outside_quotes(label, "/")
    if len(parts) != 2:
        return []
    first, second = parts[0].split(), parts[1].split()
    if not first or not second or len(second) < len(first):
        return []
    first = first + second[len(first):]
    return [" ".join(first), " ".join(second)]


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts, current, quoted = [], [], 0
    for char in text:
        if char in "«“":
            quoted += 1
        elif char in "»”" and quoted:
            quoted -= 1
        elif char == '"':
            quoted = 0 if quoted else 1
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


# -- the directory ---------------------------------------------------------------------------
def open_download(directory: str | Path, language: str | None = None) -> Download:
    """The ESCO files of ``directory`` in ``language`` (None: the one language they are in)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RuleViolation("esco.directory", f"{directory} is not a directory", ["path"])
    found: dict[tuple[str, str | None], Path] = {}
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if match and path.is_file():
            found[(match["content"], match["language"])] = path
    concept_languages = {lang for (content, lang) in found if content in CONCEPT_FILES and lang}
    if language is None:
        if len(concept_languages) != 1:
            what = (f"several languages ({', '.join(sorted(concept_languages))})"
                    if concept_languages else "no language suffix (skills_fr.csv ...)")
            raise RuleViolation("esco.language", f"{directory}: the ESCO files carry {what}; "
                                "name the language", ["language"])
        language = concept_languages.pop()
    concept_files = tuple((kind, found[(content, language)])
                          for content, kind in CONCEPT_FILES.items()
                          if (content, language) in found)
    if not concept_files:
        raise RuleViolation("esco.directory", f"{directory} holds no ESCO concept file in "
                            f"{language!r} (skills_{language}.csv, occupations_{language}.csv, "
                            "skillGroups, ISCOGroups)", ["path"])

    def relation(content: str) -> Path | None:
        return found.get((content, language)) or found.get((content, None))

    broader = tuple(p for p in (relation(c) for c in BROADER_FILES) if p is not None)
    return Download(directory, language, concept_files, broader, relation(OCCUPATION_SKILL_FILE))


# -- the rows ------------------------------------------------------------------------------
def _rows(path: Path, what: str) -> Iterator[dict[str, str]]:
    """The rows of one file as dicts by header name; its required columns checked first."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [name.strip() for name in reader.fieldnames or ()]
        missing = [name for name in _REQUIRED[what] if name not in header]
        if missing:
            raise RuleViolation("esco.header", f"{path.name}: no column {', '.join(missing)} "
                                f"(its header: {', '.join(header) or 'none'})", ["path"])
        reader.fieldnames = header
        yield from reader


def _cell(row: dict[str, str], name: str) -> str:
    return (row.get(name) or "").strip()


def _lines(row: dict[str, str], name: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (row.get(name) or "").splitlines() if line.strip())


def concepts(download: Download) -> Iterator[Concept]:
    """Every concept of the download: skill groups, skills, ISCO groups, occupations
    (a row without a URI or a preferred label is left out)."""
    for kind, path in download.concept_files:
        for row in _rows(path, "concept"):
            uri, preferred = _cell(row, "conceptUri"), _cell(row, "preferredLabel")
            if not uri or not preferred:
                continue
            yield Concept(uri=uri, kind=kind, preferred=preferred,
                          alternatives=_lines(row, "altLabels"), hidden=_lines(row, "hiddenLabels"),
                          skill_type=_cell(row, "skillType") or None,
                          description=_cell(row, "description") or None,
                          status=_cell(row, "status"))


def broader(download: Download) -> Iterator[tuple[str, str]]:
    """(narrower URI, broader URI) of both pillars' broader relations."""
    for path in download.broader_files:
        for row in _rows(path, "broader"):
            narrower, wider = _cell(row, "conceptUri"), _cell(row, "broaderUri")
            if narrower and wider and narrower != wider:
                yield narrower, wider


def occupation_skills(download: Download) -> Iterator[tuple[str, str, str]]:
    """(occupation URI, skill URI, relation): ``essential`` or ``optional`` (another
    relation type is left out)."""
    if download.occupation_skill_file is None:
        return
    for row in _rows(download.occupation_skill_file, "occupation_skill"):
        occupation, skill = _cell(row, "occupationUri"), _cell(row, "skillUri")
        relation = _cell(row, "relationType").lower()
        if occupation and skill and relation in ("essential", "optional"):
            yield occupation, skill, relation
