"""The ESCO CSV reader (``adapters/esco.py``), no database: files found by name, columns
by header name, multi-line labels, "masculin/féminin" occupations, the refusals."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from cae_matching.adapters import esco
from caekit.rules import RuleViolation

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "esco-sample"
SKILL = "http://data.europa.eu/esco/skill/"
WEB_DEVELOPER = "http://data.europa.eu/esco/occupation/c40a2919-48a9-40ea-b506-1f34f693496d"
WEB_PROGRAMMING = SKILL + "69bbd53f-fbb0-4476-b4b2-ef7844464e28"
JAVASCRIPT = SKILL + "3cd569a2-4f88-4c1e-9995-8dce8c5e51a7"


def by_uri() -> dict[str, esco.Concept]:
    return {c.uri: c for c in esco.concepts(esco.open_download(SAMPLE))}


def test_the_download_is_found_by_file_names_and_its_language_by_their_suffix():
    download = esco.open_download(SAMPLE)
    assert download.language == "fr"
    assert [kind for kind, _ in download.concept_files] == [
        "skill_group", "skill", "isco_group", "occupation"]
    assert [p.name for p in download.broader_files] == [
        "broaderRelationsSkillPillar_fr.csv", "broaderRelationsOccPillar_fr.csv"]
    assert download.occupation_skill_file.name == "occupationSkillRelations_fr.csv"
    assert download.version is None and download.source() == "ESCO (fr)"


def test_the_version_is_read_from_the_name_of_the_official_download(tmp_path):
    target = tmp_path / "ESCO dataset - v1.2.0 - classification - fr - csv"
    shutil.copytree(SAMPLE, target)
    assert esco.open_download(target).source() == "ESCO v1.2.0 (fr)"


def test_concepts_come_by_kind_skill_groups_first_with_their_fields():
    concepts = list(esco.concepts(esco.open_download(SAMPLE)))
    assert Counter(c.kind for c in concepts) == {
        "skill": 5, "skill_group": 2, "occupation": 3, "isco_group": 2}
    assert [c.kind for c in concepts[:2]] == ["skill_group", "skill_group"]
    web = by_uri()[WEB_PROGRAMMING]
    assert (web.preferred, web.skill_type, web.status) == ("programmation web", "knowledge",
                                                          "released")
    assert web.description.startswith("Le modèle de la programmation")


def test_a_byte_order_mark_does_not_hide_the_first_column(tmp_path):
    (tmp_path / "skills_fr.csv").write_text(
        "conceptUri,preferredLabel\nhttp://example.org/s1,souder\n", encoding="utf-8-sig")
    assert (tmp_path / "skills_fr.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    [concept] = esco.concepts(esco.open_download(tmp_path))
    assert (concept.uri, concept.preferred) == ("http://example.org/s1", "souder")


def test_multi_line_cells_are_one_label_a_line():
    concepts = by_uri()
    assert concepts[WEB_PROGRAMMING].alternatives == (
        "langage de programmation web", "XHTML", "programmation web côté serveur", "XML",
        "HTML", "langages de balisage", "programmation web côté client")
    assert len(concepts[JAVASCRIPT].alternatives) == 10
    assert concepts[JAVASCRIPT].labels()["JavaScript"] == "preferred"
    assert concepts[JAVASCRIPT].labels()["Live Script"] == "alt"


def test_an_occupation_keeps_its_preferred_label_and_gets_both_forms():
    web = by_uri()[WEB_DEVELOPER]
    assert web.preferred == "développeur web/développeuse web"
    labels = web.labels()
    assert labels["développeur web/développeuse web"] == "preferred"
    assert labels["développeur web"] == labels["développeuse web"] == "preferred"
    assert labels["concepteur web"] == "alt"
    assert len(labels) == 9  # each label once, with its strongest kind


@pytest.mark.parametrize("label, forms", [
    ("développeur web/développeuse web", ["développeur web", "développeuse web"]),
    ("chargé/chargée d'enseignement général du second degré",
     ["chargé d'enseignement général du second degré",
      "chargée d'enseignement général du second degré"]),
    ("plombier/plombière", ["plombier", "plombière"]),
    ("formateur «lutte contre l’illettrisme/FLE»/formatrice «lutte contre l’illettrisme/FLE»",
     ["formateur «lutte contre l’illettrisme/FLE»", "formatrice «lutte contre l’illettrisme/FLE»"]),
    ('formatrice "lutte contre l’illettrisme/FLE"', []),  # the "/" is quoted
    ("animatrice d'équipe de fabrication de papier/carton", []),  # not a pair
    ("a/b/c", []),
    ("photographe", []),
    ("/photographe", []),
])
def test_gender_forms(label, forms):
    assert esco.gender_forms(label) == forms


def test_skills_are_never_split(tmp_path):
    (tmp_path / "skills_fr.csv").write_text(
        "conceptUri,preferredLabel,altLabels\n"
        "http://example.org/s1,créer un scénario/une bible littéraire,\"écrire un scénario\n\n"
        "  écrire un script  \"\n", encoding="utf-8")
    [concept] = esco.concepts(esco.open_download(tmp_path))
    assert concept.labels() == {"créer un scénario/une bible littéraire": "preferred",
                                "écrire un scénario": "alt", "écrire un script": "alt"}


def test_relations_are_read_as_the_files_hold_them():
    download = esco.open_download(SAMPLE)
    pairs = list(esco.broader(download))
    assert len(pairs) == 13
    assert (JAVASCRIPT, WEB_PROGRAMMING) in pairs
    skills = list(esco.occupation_skills(download))
    assert len(skills) == 6
    assert (WEB_DEVELOPER, JAVASCRIPT, "optional") in skills
    assert (WEB_DEVELOPER, WEB_PROGRAMMING, "essential") in skills


def test_columns_are_found_by_name_whatever_their_order_and_others_ignored(tmp_path):
    (tmp_path / "occupations_de.csv").write_text(
        "description,preferredLabel,extra,conceptUri,altLabels,status\n"
        "Backt Brot,Bäcker/Bäckerin,x,http://example.org/o1,Brotbäcker,released\n",
        encoding="utf-8")
    (tmp_path / "occupationSkillRelations_de.csv").write_text(
        "skillUri,relationType,occupationUri\n"
        "http://example.org/s1,Essential,http://example.org/o1\n"
        "http://example.org/s2,related,http://example.org/o1\n", encoding="utf-8")
    download = esco.open_download(tmp_path)
    [concept] = esco.concepts(download)
    assert (concept.uri, concept.kind, concept.description) == (
        "http://example.org/o1", "occupation", "Backt Brot")
    assert set(concept.labels()) == {"Bäcker/Bäckerin", "Bäcker", "Bäckerin", "Brotbäcker"}
    assert list(esco.occupation_skills(download)) == [
        ("http://example.org/o1", "http://example.org/s1", "essential")]


def test_version_1_0_relation_files_carry_no_language(tmp_path):
    (tmp_path / "skills_fr.csv").write_text("conceptUri,preferredLabel\nhttp://e/s1,a\n",
                                            encoding="utf-8")
    (tmp_path / "broaderRelationsSkillPillar.csv").write_text(
        "conceptType,conceptUri,broaderType,broaderUri\nx,http://e/s1,y,http://e/g1\n",
        encoding="utf-8")
    (tmp_path / "occupationSkillRelations.csv").write_text(
        "occupationUri,relationType,skillType,skillUri\nhttp://e/o1,optional,k,http://e/s1\n",
        encoding="utf-8")
    download = esco.open_download(tmp_path)
    assert list(esco.broader(download)) == [("http://e/s1", "http://e/g1")]
    assert list(esco.occupation_skills(download)) == [("http://e/o1", "http://e/s1", "optional")]


def test_several_languages_need_one_named(tmp_path):
    for language, label in (("fr", "souder"), ("en", "weld")):
        (tmp_path / f"skills_{language}.csv").write_text(
            f"conceptUri,preferredLabel\nhttp://e/s1,{label}\n", encoding="utf-8")
    with pytest.raises(RuleViolation) as refused:
        esco.open_download(tmp_path)
    assert refused.value.rule == "esco.language" and "en, fr" in refused.value.message
    [concept] = esco.concepts(esco.open_download(tmp_path, "en"))
    assert concept.preferred == "weld"


@pytest.mark.parametrize("files, rule", [
    ({}, "esco.language"),
    ({"skills.csv": "conceptUri,preferredLabel\n"}, "esco.language"),
    ({"notes_fr.csv": "x\n"}, "esco.directory"),
])
def test_a_directory_without_concept_files_is_refused(tmp_path, files, rule):
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    language = "fr" if rule == "esco.directory" else None
    with pytest.raises(RuleViolation) as refused:
        esco.open_download(tmp_path, language)
    assert refused.value.rule == rule


def test_a_path_that_is_no_directory_is_refused(tmp_path):
    with pytest.raises(RuleViolation) as refused:
        esco.open_download(tmp_path / "missing")
    assert refused.value.rule == "esco.directory"


def test_a_file_without_a_required_column_is_refused_by_name(tmp_path):
    (tmp_path / "skills_fr.csv").write_text("conceptUri,label\nhttp://e/s1,a\n", encoding="utf-8")
    with pytest.raises(RuleViolation) as refused:
        list(esco.concepts(esco.open_download(tmp_path)))
    assert refused.value.rule == "esco.header"
    assert "skills_fr.csv: no column preferredLabel" in refused.value.message


def test_rows_without_a_uri_or_a_label_are_left_out(tmp_path):
    (tmp_path / "skills_fr.csv").write_text(
        "conceptUri,preferredLabel,status\n,a,released\nhttp://e/s1, ,released\n"
        "http://e/s2,b,obsolete\n", encoding="utf-8")
    [concept] = esco.concepts(esco.open_download(tmp_path))
    assert (concept.uri, concept.status) == ("http://e/s2", "obsolete")  # the use case skips it


def test_the_shipped_subset_is_in_the_same_format():
    download = esco.open_download(esco.SHIPPED_DIRECTORY)
    assert download.language == esco.SHIPPED_LANGUAGE
    concepts = {c.uri: c for c in esco.concepts(download)}
    kinds = Counter(c.kind for c in concepts.values())
    assert 300 <= kinds["skill"] <= 800 and 60 <= kinds["occupation"] <= 150
    assert concepts[WEB_DEVELOPER].preferred == "développeur web/développeuse web"
    assert concepts[WEB_PROGRAMMING].preferred == "programmation web"
    assert all(c.status == "released" for c in concepts.values())
    for narrower_uri, broader_uri in esco.broader(download):
        assert narrower_uri in concepts and broader_uri in concepts
    for occupation, skill, _ in esco.occupation_skills(download):
        assert concepts[occupation].kind == "occupation" and concepts[skill].kind == "skill"
