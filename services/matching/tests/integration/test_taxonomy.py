"""The skill taxonomy on a fresh migrated store (SQLite or PostgreSQL, ``CAE_TEST_DB``):
the import of an ESCO download and of the shipped subset, again and again, the
narrower closure, free-text lookup, the autocomplete, and ``cae matching import-esco``."""

from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from cae_matching.adapters import esco
from cae_matching.adapters.store import Concept, ConceptBroader, ConceptLabel, OccupationSkill
from cae_matching.entrypoints import cli
from cae_matching.usecases import taxonomy
from caekit.db import acting_session, make_engine, make_session_factory
from caekit.rules import RuleViolation, UnknownRecord

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "esco-sample"
SKILL = "http://data.europa.eu/esco/skill/"
OCCUPATION = "http://data.europa.eu/esco/occupation/"
ICT, SOFTWARE = "http://data.europa.eu/esco/isced-f/061", "http://data.europa.eu/esco/isced-f/0613"
PROGRAMMING = SKILL + "21d2f96d-35f7-4e3f-9745-c533d2dd6e97"
WEB_PROGRAMMING = SKILL + "69bbd53f-fbb0-4476-b4b2-ef7844464e28"
JAVASCRIPT = SKILL + "3cd569a2-4f88-4c1e-9995-8dce8c5e51a7"
MARKUP = SKILL + "0af062de-eb43-41e9-9b96-249e2cd22d26"
INSULATION = SKILL + "7eea6974-d606-4175-b95e-f66554816783"
WEB_DEVELOPER = OCCUPATION + "c40a2919-48a9-40ea-b506-1f34f693496d"
PLUMBER = OCCUPATION + "ed3cf43d-c2c1-4c46-82fc-1375e27e0290"
ISCO_251, ISCO_2513 = "http://data.europa.eu/esco/isco/C251", "http://data.europa.eu/esco/isco/C2513"

SAMPLE_COUNTS = {"skill": 5, "skill_group": 2, "occupation": 3, "isco_group": 2, "labels": 62,
                 "broader": 9, "occupation_skills": 4, "skipped": 0}


@pytest.fixture
def store(database_url):
    """(URL, session factory) of a fresh migrated matching store, its taxonomy emptied
    (``cae migrate matching`` loads the shipped subset: checked once, below)."""
    url = database_url("matching")
    engine = make_engine(url)
    with engine.begin() as connection:
        for model in (OccupationSkill, ConceptBroader, ConceptLabel, Concept):
            connection.execute(delete(model))
    yield url, make_session_factory(engine)
    engine.dispose()


def test_the_migration_loads_the_shipped_subset(database_url):
    engine = make_engine(database_url("matching"))
    try:
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Concept)) > 1000
    finally:
        engine.dispose()


@pytest.fixture
def sessions(store):
    return store[1]


def run(sessions, function, *args, **kwargs):
    """``function(session, ...)`` in its own transaction, committed."""
    with acting_session(sessions, None, "test") as session:
        result = function(session, *args, **kwargs)
        session.commit()
        return result


def table_counts(sessions) -> dict[str, int]:
    with acting_session(sessions, None, "test") as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Concept, ConceptLabel, ConceptBroader, OccupationSkill)}


def imported(sessions) -> None:
    assert run(sessions, taxonomy.import_directory, SAMPLE) == SAMPLE_COUNTS


# -- import ------------------------------------------------------------------------------
def test_an_import_writes_concepts_labels_and_relations_and_again_changes_nothing(sessions):
    imported(sessions)
    first = table_counts(sessions)
    assert first == {"concepts": 12, "concept_labels": 62, "concept_broader": 9,
                     "occupation_skills": 4}
    imported(sessions)
    assert table_counts(sessions) == first
    with acting_session(sessions, None, "test") as session:
        web = session.get(Concept, WEB_PROGRAMMING)
        assert (web.kind, web.label, web.language, web.skill_type, web.source) == (
            "skill", "programmation web", "fr", "knowledge", "ESCO (fr)")
        kinds = dict(session.execute(select(ConceptLabel.label, ConceptLabel.kind)
                                     .where(ConceptLabel.uri == WEB_DEVELOPER)).all())
        assert kinds["développeur web/développeuse web"] == "preferred"
        assert kinds["développeuse web"] == kinds["développeur web"] == "preferred"
        assert kinds["conceptrice web"] == "alt"
        terms = session.scalar(select(ConceptLabel.terms).where(
            ConceptLabel.uri == WEB_DEVELOPER, ConceptLabel.label == "développeuse web"))
        assert terms == "developp web"
        # relations to concepts the download does not hold are left out
        assert session.scalars(select(ConceptBroader.broader_uri)
                               .where(ConceptBroader.uri == INSULATION)).all() == []


def test_an_import_replaces_what_the_previous_one_wrote_of_the_same_concepts(sessions, tmp_path):
    imported(sessions)
    changed = tmp_path / "ESCO dataset - v1.2.0 - classification - fr - csv"
    shutil.copytree(SAMPLE, changed)
    rewrite(changed / "skills_fr.csv", lambda row: {
        **row, "preferredLabel": "programmation de sites web", "altLabels": "HTML"}
        if row["conceptUri"] == WEB_PROGRAMMING else row)
    rewrite(changed / "occupationSkillRelations_fr.csv",
            lambda row: None if row["skillUri"] == JAVASCRIPT else row)
    rewrite(changed / "broaderRelationsSkillPillar_fr.csv",
            lambda row: None if row["conceptUri"] == JAVASCRIPT
            and row["broaderUri"] == WEB_PROGRAMMING else row)
    counts = run(sessions, taxonomy.import_directory, changed)
    assert (counts["labels"], counts["broader"], counts["occupation_skills"]) == (56, 8, 3)
    with acting_session(sessions, None, "test") as session:
        assert session.get(Concept, WEB_PROGRAMMING).label == "programmation de sites web"
        assert session.get(Concept, WEB_PROGRAMMING).source == "ESCO v1.2.0 (fr)"
        assert set(session.scalars(select(ConceptLabel.label)
                                   .where(ConceptLabel.uri == WEB_PROGRAMMING))) == {
            "programmation de sites web", "HTML"}
        assert taxonomy.narrower(session, [WEB_PROGRAMMING]) == {WEB_PROGRAMMING}
        assert [s["uri"] for s in taxonomy.concept(session, WEB_DEVELOPER)["skills"]] == [
            WEB_PROGRAMMING, PROGRAMMING, MARKUP]  # by label: "programmation de sites web" first
    assert table_counts(sessions)["concepts"] == 12


def rewrite(path: Path, change) -> None:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header, rows = reader.fieldnames, list(reader)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(row for row in map(change, rows) if row is not None)


def test_concepts_not_released_are_skipped(sessions, tmp_path):
    (tmp_path / "skills_fr.csv").write_text(
        "conceptUri,preferredLabel,status\nhttp://e/s1,souder,released\n"
        "http://e/s2,braser,obsolete\nhttp://e/s1,souder encore,released\n", encoding="utf-8")
    counts = run(sessions, taxonomy.import_directory, tmp_path)
    assert (counts["skill"], counts["skipped"]) == (1, 2)


def test_a_download_that_cannot_be_read_is_refused(sessions, tmp_path):
    (tmp_path / "skills_fr.csv").write_text("uri,label\nhttp://e/s1,a\n", encoding="utf-8")
    with acting_session(sessions, None, "test") as session, pytest.raises(RuleViolation) as refused:
        taxonomy.import_directory(session, tmp_path)
    assert refused.value.rule == "esco.header"


# -- the shipped subset ----------------------------------------------------------------------
def test_the_shipped_subset_loads_into_an_empty_taxonomy_only(sessions):
    counts = run(sessions, taxonomy.load_shipped)
    assert 300 <= counts["skill"] <= 800 and 60 <= counts["occupation"] <= 150
    assert counts["labels"] > counts["skill"] + counts["occupation"]
    assert counts["broader"] > 0 and counts["occupation_skills"] > 0 and counts["skipped"] == 0
    assert run(sessions, taxonomy.load_shipped) == {}
    assert run(sessions, taxonomy.load_shipped, force=True) == counts
    with acting_session(sessions, None, "test") as session:
        [found, *_] = taxonomy.lookup(session, "développeuse web")
        assert (found["uri"], found["exact"]) == (WEB_DEVELOPER, True)
        web = taxonomy.concept(session, WEB_DEVELOPER)
        assert web["source"] == esco.SHIPPED_SOURCE
        assert WEB_PROGRAMMING in {s["uri"] for s in web["skills"] if s["relation"] == "essential"}
        assert ISCO_2513 in {b["uri"] for b in web["broader"]}
        assert taxonomy.lookup(session, "plombières")[0]["label"] == "plombier/plombière"
        assert any(c["kind"] == "occupation" and c["label"] == "traducteur/traductrice"
                   for c in taxonomy.search_concepts(session, "tradu"))
        assert WEB_PROGRAMMING in taxonomy.narrower(session, [SOFTWARE])


def test_a_full_sized_download_imports_and_imports_again(sessions, tmp_path):
    """~14,000 skills, 3,000 occupations, 100,000 labels, 120,000 occupation skills: the
    size of the full French download (timings printed, not asserted)."""
    directory = synthetic_download(tmp_path)
    started = time.monotonic()
    counts = run(sessions, taxonomy.import_directory, directory)
    first = time.monotonic() - started
    assert counts == {"skill": 14_000, "skill_group": 640, "occupation": 3_000,
                      "isco_group": 0, "labels": 14_000 * 7 + 3_000 * 8 + 640,
                      "broader": 14_000 + 639 + 6_000, "occupation_skills": 3_000 * 40,
                      "skipped": 0}
    started = time.monotonic()
    assert run(sessions, taxonomy.import_directory, directory) == counts
    again = time.monotonic() - started
    print(f"\nfull-sized import: {first:.1f} s, again {again:.1f} s")
    assert table_counts(sessions)["concept_labels"] == counts["labels"]
    with acting_session(sessions, None, "test") as session:
        assert len(taxonomy.narrower(session, [f"urn:test:group:{0}"])) == 1 + 639 + 14_000
        [found, *others] = taxonomy.lookup(session, synthetic_label(1234))
        assert (found["uri"], found["exact"]) == ("urn:test:skill:1234", True)


WORDS = ("souder", "poser", "isoler", "peindre", "traduire", "concevoir", "gérer", "former",
         "réparer", "installer", "monter", "nettoyer", "photographier", "rédiger", "conseiller")
NOUNS = ("pièces", "cloisons", "combles", "façades", "textes", "sites", "comptes", "équipes",
         "réseaux", "chaudières", "escaliers", "bureaux", "portraits", "articles", "clients")


def synthetic_label(i: int, variant: str = "") -> str:
    verb, noun = WORDS[i % len(WORDS)], NOUNS[i // len(WORDS) % len(NOUNS)]
    return " ".join(filter(None, (verb, "des", noun, variant, str(i))))


def synthetic_download(root: Path) -> Path:
    """An ESCO-shaped French download: 640 skill groups in a chain, 14,000 skills (6
    alternative labels each, every third one narrower than another), 3,000 occupations
    ("masculin/féminin", 5 alternative labels) of 40 skills each (20 essential)."""
    directory = root / "synthetic"
    directory.mkdir()

    def write(name, header, rows):
        with open(directory / name, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(rows)

    write("skillGroups_fr.csv", ["conceptType", "conceptUri", "preferredLabel", "status"],
          (["SkillGroup", f"urn:test:group:{g}", f"groupe de compétences {g}", "released"]
           for g in range(640)))

    def skill(i):
        alternatives = "\n".join(synthetic_label(i, f"variante {k}") for k in range(6))
        return ["KnowledgeSkillCompetence", f"urn:test:skill:{i}", "skill/competence",
                "sector-specific", synthetic_label(i), alternatives, "", "released",
                f"Savoir {synthetic_label(i)}."]

    write("skills_fr.csv", ["conceptType", "conceptUri", "skillType", "reuseLevel",
                            "preferredLabel", "altLabels", "hiddenLabels", "status",
                            "description"], map(skill, range(14_000)))

    def occupation(i):
        alternatives = "\n".join(f"métier {i} variante {k}" for k in range(5))
        return ["Occupation", f"urn:test:occupation:{i}", "7000",
                f"opérateur {i}/opératrice {i}", alternatives, "released"]

    write("occupations_fr.csv", ["conceptType", "conceptUri", "iscoGroup", "preferredLabel",
                                 "altLabels", "status"], map(occupation, range(3_000)))
    write("broaderRelationsSkillPillar_fr.csv",
          ["conceptType", "conceptUri", "broaderType", "broaderUri"],
          [*(["SkillGroup", f"urn:test:group:{g}", "SkillGroup", f"urn:test:group:{g - 1}"]
             for g in range(1, 640)),
           *(["KnowledgeSkillCompetence", f"urn:test:skill:{i}", "SkillGroup",
              f"urn:test:group:{i % 640}"] for i in range(14_000)),
           *(["KnowledgeSkillCompetence", f"urn:test:skill:{i}", "KnowledgeSkillCompetence",
              f"urn:test:skill:{i - 1}"] for i in range(1, 14_000) if i % 7 in (1, 2, 3))])
    write("occupationSkillRelations_fr.csv",
          ["occupationUri", "relationType", "skillType", "skillUri"],
          ([f"urn:test:occupation:{o}", "essential" if k < 20 else "optional", "skill/competence",
            f"urn:test:skill:{(o * 40 + k) % 14_000}"] for o in range(3_000) for k in range(40)))
    return directory


# -- reading ---------------------------------------------------------------------------------
def test_narrower_follows_broader_relations_down_transitively(sessions):
    imported(sessions)
    with acting_session(sessions, None, "test") as session:
        assert taxonomy.narrower(session, [ICT]) == {
            ICT, SOFTWARE, PROGRAMMING, WEB_PROGRAMMING, JAVASCRIPT}
        assert taxonomy.narrower(session, [PROGRAMMING]) == {
            PROGRAMMING, WEB_PROGRAMMING, JAVASCRIPT}
        assert taxonomy.narrower(session, [WEB_PROGRAMMING, MARKUP]) == {
            WEB_PROGRAMMING, JAVASCRIPT, MARKUP}
        assert taxonomy.narrower(session, [ISCO_251]) == {ISCO_251, ISCO_2513, WEB_DEVELOPER}
        assert taxonomy.narrower(session, ["urn:nowhere"]) == {"urn:nowhere"}
        assert taxonomy.narrower(session, []) == set()


def test_narrower_stops_on_a_cycle(sessions):
    with acting_session(sessions, None, "test") as session:
        session.add_all([ConceptBroader(uri="urn:a", broader_uri="urn:b"),
                         ConceptBroader(uri="urn:b", broader_uri="urn:a"),
                         ConceptBroader(uri="urn:c", broader_uri="urn:b")])
        session.flush()
        assert taxonomy.narrower(session, ["urn:a"]) == {"urn:a", "urn:b", "urn:c"}


@pytest.mark.parametrize("text", ["développeuse web", "Développeuses Web", "developpeur web",
                                  "DÉVELOPPEURS WEB", "développeur web/développeuse web"])
def test_lookup_finds_the_web_developer_by_either_form_with_or_without_accents(sessions, text):
    imported(sessions)
    with acting_session(sessions, None, "test") as session:
        [found] = taxonomy.lookup(session, text)
    assert (found["uri"], found["kind"], found["exact"], found["label_kind"]) == (
        WEB_DEVELOPER, "occupation", True, "preferred")
    assert found["label"] == "développeur web/développeuse web"


def test_lookup_ranks_exact_labels_first_then_labels_holding_every_stem(sessions):
    imported(sessions)
    with acting_session(sessions, None, "test") as session:
        found = taxonomy.lookup(session, "Programmations Web")
        assert [(c["uri"], c["exact"], c["matched_label"]) for c in found] == [
            (WEB_PROGRAMMING, True, "programmation web")]  # each concept once, its best label
        found = taxonomy.lookup(session, "programmation")
        assert [(c["uri"], c["exact"]) for c in found] == [
            (PROGRAMMING, False), (WEB_PROGRAMMING, False)]
        assert taxonomy.lookup(session, "programmation", exact_only=True) == []
        assert [c["uri"] for c in taxonomy.lookup(session, "langages de balisage",
                                                  exact_only=True)] == [WEB_PROGRAMMING]
        assert [c["uri"] for c in taxonomy.lookup(session, "programmation", limit=1)] == [
            PROGRAMMING]


def test_lookup_ranks_preferred_labels_before_alternatives(sessions):
    imported(sessions)
    with acting_session(sessions, None, "test") as session:
        found = taxonomy.lookup(session, "langages de balisage")
        assert [(c["uri"], c["exact"], c["label_kind"]) for c in found] == [
            (WEB_PROGRAMMING, True, "alt"), (MARKUP, False, "preferred")]
        assert [c["uri"] for c in taxonomy.lookup(session, "plombier")] == [PLUMBER]
        # no exact label: the preferred one first
        assert [c["uri"] for c in taxonomy.lookup(session, "langages", kind="skill")] == [
            MARKUP, WEB_PROGRAMMING]
        assert taxonomy.lookup(session, "de la") == []
        assert taxonomy.lookup(session, "ébénisterie") == []


def test_search_concepts_completes_the_last_word(sessions):
    imported(sessions)
    with acting_session(sessions, None, "test") as session:
        def labels(q, **kw):
            return [c["label"] for c in taxonomy.search_concepts(session, q, **kw)]

        assert labels("plomb") == ["plombier/plombière"]
        assert labels("dévelop")[:2] == ["développeur web/développeuse web",
                                         "développement et analyse de logiciels et d’applications"]
        assert labels("développeu") == ["développeur web/développeuse web"]
        assert labels("java") == ["JavaScript"]
        assert labels("programmation w") == ["programmation web"]
        assert labels("isolant") == ["installer des matériaux isolants"]
        assert labels("web", kind="skill") == ["programmation web"]
        assert labels("web", kind="occupation") == ["développeur web/développeuse web"]
        assert labels("   ") == []
        assert len(taxonomy.search_concepts(session, "p", limit=2)) == 2


def test_concept_reads_labels_relations_and_an_occupations_skills(sessions):
    imported(sessions)
    with acting_session(sessions, None, "test") as session:
        web = taxonomy.concept(session, WEB_DEVELOPER)
        assert web["label"] == "développeur web/développeuse web"
        assert "développeuse Internet" in web["alt_labels"]
        assert web["broader"] == [{"uri": ISCO_2513, "kind": "isco_group",
                                   "label": "Concepteurs de sites internet et de multimédia"}]
        assert [(s["uri"], s["relation"]) for s in web["skills"]] == [
            (PROGRAMMING, "essential"), (WEB_PROGRAMMING, "essential"), (MARKUP, "essential"),
            (JAVASCRIPT, "optional")]
        programming = taxonomy.concept(session, WEB_PROGRAMMING)
        assert {b["uri"] for b in programming["broader"]} == {SOFTWARE, PROGRAMMING}
        assert [n["uri"] for n in programming["narrower"]] == [JAVASCRIPT]
        assert "skills" not in programming
        with pytest.raises(UnknownRecord) as unknown:
            taxonomy.concept(session, SKILL + "nowhere", field="skills.0.concept_uri")
        assert unknown.value.rule == "concept.unknown"
        assert list(unknown.value.fields) == ["skills.0.concept_uri"]


@pytest.mark.parametrize("call, rule", [
    (lambda s: taxonomy.lookup(s, "web", kind="métier"), "concept.kind"),
    (lambda s: taxonomy.search_concepts(s, "web", limit=0), "concept.limit"),
    (lambda s: taxonomy.search_concepts(s, "web", limit=101), "concept.limit"),
    (lambda s: taxonomy.lookup(s, "x" * 201), "concept.query"),
])
def test_readers_refuse_what_they_cannot_answer(sessions, call, rule):
    with acting_session(sessions, None, "test") as session, pytest.raises(RuleViolation) as refused:
        call(session)
    assert refused.value.rule == rule


# -- the command line --------------------------------------------------------------------------
def test_cae_matching_import_esco_load_taxonomy_and_erase_expired(store, monkeypatch, capsys, tmp_path):
    url, sessions = store
    monkeypatch.setenv("CAE_MATCHING_DATABASE_URL", url)
    assert cli.main(["import-esco", str(SAMPLE), "--language", "fr"]) == 0
    out = capsys.readouterr().out
    assert f"{SAMPLE}: 5 skills, 2 skill groups, 3 occupations, 2 ISCO groups, 62 labels, " \
           "9 broader relations, 4 occupation skills, 0 skipped" in out
    assert table_counts(sessions)["concepts"] == 12
    assert cli.main(["load-taxonomy"]) == 0
    assert "nothing loaded" in capsys.readouterr().out
    assert table_counts(sessions)["concepts"] == 12
    assert cli.main(["import-esco", str(tmp_path)]) == 2
    assert "(esco.language)" in capsys.readouterr().err
    assert cli.main(["load-taxonomy", "--force"]) == 0
    assert "shipped ESCO subset:" in capsys.readouterr().out
    assert table_counts(sessions)["concepts"] > 12
    assert cli.main(["erase-expired", "--today", "2026-12-07"]) == 0
    assert "0 profiles erased" in capsys.readouterr().out
