"""The search of profiles on a real store (SQLite or PostgreSQL, ``CAE_TEST_DB``): French
full text, concepts and their narrower ones, place, availability, consent across
cooperatives, ranking with reasons, pages."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from cae_matching.adapters.store import Person, Profile
from cae_matching.domain.profiles import FIELDS
from cae_matching.usecases.search import (
    Criteria,
    Place,
    Window,
    index_profile,
    search,
    views,
)
from caekit.db import acting_session
from caekit.rules import RuleViolation

from .conftest import LYON, PARIS, VILLEURBANNE, add_concept, add_cooperative, add_member, skill

HOME, OTHER = "coop-home", "coop-other"
DEV = "http://data.europa.eu/esco/skill/dev-logiciel"
WEB = "http://data.europa.eu/esco/skill/dev-web"
FRONT = "http://data.europa.eu/esco/skill/front-end"
WOOD = "http://data.europa.eu/esco/skill/menuiserie"


@pytest.fixture(autouse=True)
def consent_in_sql(caplog):
    """The SQL filters consent by itself: the use case's re-check refuses no hit."""
    yield
    assert not [r for r in caplog.records if "consent re-check" in r.getMessage()]


@pytest.fixture
def store(sessions):
    with acting_session(sessions, None, "test") as session:
        add_cooperative(session, HOME, "Coopérative Rhône")
        add_cooperative(session, OTHER, "Coopérative Seine")
        add_concept(session, DEV, "développement logiciel")
        add_concept(session, WEB, "développement web", alt=["création de sites internet"],
                    broader=[DEV])
        add_concept(session, FRONT, "intégration front-end", broader=[WEB])
        add_concept(session, WOOD, "menuiserie", alt=["travail du bois"])
        session.commit()
    return sessions


def member(sessions, cooperative_id=HOME, **fields) -> str:
    with acting_session(sessions, None, "test") as session:
        member_id = add_member(session, cooperative_id, **fields)
        index_profile(session, member_id)
        session.commit()
    return member_id


def find(sessions, viewer=HOME, **criteria):
    with acting_session(sessions, viewer, "staff") as session:
        return search(session, viewer, Criteria(**criteria))


def ids(page) -> list[str]:
    return [hit.member_id for hit in page.hits]


def test_a_feminine_query_finds_development_in_skills_and_presentation(store):
    in_skills = member(store, skills=[skill("Développement Web", 3, 5)])
    in_presentation = member(store, presentation="Je fais du développement web depuis 2015.")
    elsewhere = member(store, skills=[skill("Menuiserie", 3)],
                       presentation="Menuisier, je travaille le bois.")
    page = find(store, text="développeuse web")
    assert set(ids(page)) == {in_skills, in_presentation}
    assert elsewhere not in ids(page)
    reasons = {hit.member_id: hit.reasons for hit in page.hits}
    assert reasons[in_skills] == [{"criterion": "text", "field": "skills",
                                   "detail": "« développeuse web » dans les compétences"}]
    assert reasons[in_presentation] == [{"criterion": "text", "field": "presentation",
                                         "detail": "« développeuse web » dans la présentation"}]
    assert all(isinstance(hit.score, int) and hit.score >= 50 for hit in page.hits)


def test_accents_case_and_plurals_do_not_matter(store):
    carpenter = member(store, trades=["menuisier"])
    woman = member(store, trades=["Ébéniste", "menuisière"])
    member(store, trades=["plombier"])
    for query in ("menuisières", "MENUISIERS", "menuisieres", "menuisier", "Menuisière"):
        assert set(ids(find(store, text=query))) == {carpenter, woman}, query
    assert ids(find(store, text="ebenistes")) == [woman]
    assert ids(find(store, text="menuisière ébéniste")) == [woman]


def test_every_word_must_match_but_in_any_field(store):
    both = member(store, trades=["menuisier"], presentation="Installée à Lyon.")
    member(store, trades=["menuisier"], presentation="Installé à Grenoble.")
    assert ids(find(store, text="menuisier lyon")) == [both]
    fields = {r["field"] for r in find(store, text="menuisier lyon").hits[0].reasons}
    assert fields == {"trades", "presentation"}


def test_languages_and_references_are_searched(store):
    english = member(store, languages=[{"code": "en", "level": "C1"}, {"code": "es",
                                                                       "level": "B2"}])
    reference = member(store, references=[{"title": "Rénovation d'une école", "client":
                                           "Mairie de Vénissieux", "year": 2024,
                                           "description": "Charpente et menuiseries"}])
    assert ids(find(store, text="anglais")) == [english]
    assert ids(find(store, text="espagnol")) == [english]
    assert ids(find(store, text="vénissieux école")) == [reference]
    assert find(store, text="anglais").hits[0].reasons[0]["field"] == "languages"


def test_a_concept_finds_narrower_concepts_at_the_level_asked(store):
    front = member(store, skills=[skill("Intégration front-end", 3, 5, FRONT)])
    web = member(store, skills=[skill("Sites vitrines", 1, 2, WEB)])
    member(store, skills=[skill("Menuiserie", 4, 20, WOOD)])
    member(store, skills=[skill("Développement", 4, 10)])  # free text: no concept
    page = find(store, concept_uris=(DEV,))
    assert ids(page) == [front, web]
    assert page.hits[0].reasons == [{"criterion": "concept", "field": "skills",
                                     "detail": "Intégration front-end (niveau 3, 5 ans)"}]
    assert ids(find(store, concept_uris=(DEV,), min_level=2)) == [front]
    assert ids(find(store, concept_uris=(FRONT,))) == [front]
    assert ids(find(store, concept_uris=(WEB, WOOD), min_level=4)) != []


def test_the_taxonomy_widens_a_text_query(store):
    front = member(store, skills=[skill("Intégration", 3, 5, FRONT)])
    sites = member(store, skills=[skill("Sites vitrines", 2, 2, WEB)])
    wood = member(store, skills=[skill("Menuiserie", 2, 2, WOOD)])
    # an alternative label is indexed with the skill
    page = find(store, text="travail du bois")
    assert ids(page) == [wood]
    assert {"criterion": "text", "field": "skills",
            "detail": "« travail du bois » dans les compétences"} in page.hits[0].reasons
    # "création de sites internet" names WEB: its skill, and the narrower FRONT's
    page = find(store, text="création de sites internet")
    assert ids(page)[0] == sites and set(ids(page)) == {sites, front}
    assert page.hits[1].reasons == [{"criterion": "text", "field": "skills",
                                     "detail": "« création de sites internet » : Intégration"}]
    # "développement logiciel" names DEV, broader than WEB and FRONT: no word in common
    page = find(store, text="développement logiciel")
    assert set(ids(page)) == {front, sites}
    assert {"criterion": "text", "field": "skills",
            "detail": "« développement logiciel » : Intégration"} in page.hits[0].reasons + \
        page.hits[1].reasons


def test_place_and_radius(store):
    lyon = member(store, place=LYON, first_name="Lyon")
    villeurbanne = member(store, place=VILLEURBANNE)
    paris = member(store, place=PARIS)
    member(store)  # no place
    near = find(store, place=Place("45.764043", "4.835659", 10, "Lyon"))
    assert ids(near) == [lyon, villeurbanne]
    assert near.hits[0].reasons == [{"criterion": "place", "field": "place",
                                     "detail": "à 0 km de Lyon (Lyon)"}]
    assert near.hits[1].reasons == [{"criterion": "place", "field": "place",
                                     "detail": "à 4 km de Lyon (Villeurbanne)"}]
    assert near.hits[0].score == 100 and near.hits[1].score == 60
    far = find(store, place=Place("45.764043", "4.835659", 400, "Lyon"))
    assert ids(far) == [lyon, villeurbanne, paris]
    assert far.hits[2].reasons[0]["detail"] == "à 391 km de Lyon (Paris)"
    assert ids(find(store, place=Place("45.764043", "4.835659", 390))) == [lyon, villeurbanne]
    assert ids(find(store, place=Place("48.856614", "2.352222", 0))) == [paris]


def test_availability_window_ranked_by_the_share_covered(store):
    april = (date(2026, 4, 1), date(2026, 4, 30))
    full = member(store, availability=[april])
    late = member(store, availability=[(date(2026, 4, 10), date(2026, 4, 30))])
    member(store, availability=[april], absences=[(date(2026, 4, 1), date(2026, 4, 20))])
    member(store)  # no availability
    member(store, availability=[(date(2026, 5, 1), date(2026, 5, 31))])
    holes = member(store, availability=[april], absences=[(date(2026, 4, 8), date(2026, 4, 9))])
    overlapping = member(store, availability=[(date(2026, 4, 6), date(2026, 4, 10), 3),
                                              (date(2026, 4, 8), date(2026, 4, 12), 2)])
    page = find(store, window=Window(date(2026, 4, 6), date(2026, 4, 15)))
    assert ids(page) == [full, holes, overlapping, late]
    assert [hit.score for hit in page.hits] == [100, 80, 70, 60]
    assert [hit.reasons[0]["detail"] for hit in page.hits] == [
        "disponible 10 jours sur 10", "disponible 8 jours sur 10", "disponible 7 jours sur 10",
        "disponible 6 jours sur 10"]
    assert page.hits[0].reasons[0]["field"] == "availability"


def test_a_member_who_left_disappears_at_once(store):
    leaving = member(store, OTHER, share="all", trades=["menuisier"], place=LYON,
                     skills=[skill("Menuiserie", 3, 4, WOOD)],
                     availability=[(date(2026, 4, 1), date(2026, 4, 30))])
    staying = member(store, OTHER, share="all", trades=["menuisier"])
    assert set(ids(find(store, scope="network", text="menuisier"))) == {leaving, staying}
    with acting_session(store, OTHER, "staff") as session:
        session.execute(update(Person).where(Person.member_id == leaving)
                        .values(left_on=date(2026, 3, 1)))
        session.commit()  # not re-indexed: the search itself leaves them out
    for viewer, scope in ((HOME, "network"), (OTHER, "cooperative"), (OTHER, "network")):
        assert ids(find(store, viewer, scope=scope, text="menuisier")) == [staying]
        assert leaving not in ids(find(store, viewer, scope=scope))
        assert leaving not in ids(find(store, viewer, scope=scope, concept_uris=(WOOD,)))
        assert leaving not in ids(find(store, viewer, scope=scope,
                                       place=Place("45.764043", "4.835659", 10)))
    with acting_session(store, None, "test") as session:
        assert views(session, [leaving], OTHER) == {}
        index_profile(session, leaving)
        session.commit()
    erased = member(store, OTHER, share="all", trades=["menuisier"], erased=True)
    assert erased not in ids(find(store, OTHER, text="menuisier"))


def test_another_cooperative_sees_only_consented_profiles_and_fields(store):
    mine = member(store, HOME, presentation="Menuisier à Lyon", place=LYON,
                  skills=[skill("Menuiserie", 3, 4, WOOD)])
    open_ = member(store, OTHER, share=("identity", "skills", "trades"), trades=["menuisier"],
                   skills=[skill("Menuiserie", 2, 1, WOOD)], place=LYON,
                   presentation="Secret: menuisier du dimanche",
                   day_rate=(40000, 50000))
    anonymous = member(store, OTHER, share=[f for f in FIELDS if f != "identity"],
                       trades=["menuisier"], skills=[skill("Menuiserie", 4, 9, WOOD)],
                       place=LYON, availability=[(date(2026, 4, 1), date(2026, 4, 30))])
    hidden = member(store, OTHER, share=("identity", "trades"), trades=["charpentier"],
                    presentation="Menuisier de métier", skills=[skill("Menuiserie", 4, 9, WOOD)],
                    place=LYON, availability=[(date(2026, 4, 1), date(2026, 4, 30))])
    # the home cooperative sees its own member in full, the other's only as consented
    assert ids(find(store, scope="cooperative", text="menuisier")) == [mine]
    page = find(store, scope="network", text="menuisier")
    assert set(ids(page)) == {mine, open_}
    by_id = {hit.member_id: hit for hit in page.hits}
    assert by_id[mine].profile["presentation"] == "Menuisier à Lyon"
    seen = by_id[open_].profile
    assert set(seen) == {"member_id", "cooperative_id", "cooperative_name", "identity",
                         "skills", "trades", "updated_at"}
    assert seen["cooperative_name"] == "Coopérative Seine"
    assert {r["field"] for r in by_id[open_].reasons} <= {"skills", "trades"}
    # hidden fields make no profile appear: presentation, skills, place, availability
    assert ids(find(store, scope="network", text="menuisier de métier")) == []
    assert hidden not in ids(find(store, scope="network", concept_uris=(WOOD,)))
    assert set(ids(find(store, scope="network", concept_uris=(WOOD,)))) == {mine, open_}
    assert ids(find(store, scope="network", place=Place("45.764043", "4.835659", 5))) == [mine]
    assert ids(find(store, scope="network", window=Window(date(2026, 4, 6),
                                                          date(2026, 4, 8)))) == []
    assert ids(find(store, scope="network", text="charpentier")) == [hidden]
    # nor through the taxonomy: "travail du bois" names WOOD, on their hidden skills
    assert set(ids(find(store, scope="network", text="travail du bois"))) == {mine, open_}
    assert anonymous not in ids(find(store, scope="network"))
    # their own cooperative sees them all, whatever they share
    assert set(ids(find(store, OTHER, text="menuisier"))) == {open_, anonymous, hidden}
    with acting_session(store, None, "test") as session:
        seen = views(session, [mine, open_, anonymous, hidden], HOME)
    assert set(seen) == {mine, open_, hidden}
    assert set(seen[hidden]) == {"member_id", "cooperative_id", "cooperative_name",
                                 "identity", "trades", "updated_at"}
    assert seen[mine]["place"] == {"commune": "Lyon", "commune_code": "69123",
                                   "latitude": "45.764043", "longitude": "4.835659",
                                   "travel_radius_km": 30}


def test_ranking_combines_the_criteria_with_reasons(store):
    best = member(store, skills=[skill("Intégration front-end", 4, 12, FRONT)], place=LYON,
                  presentation="Développeuse web, intégration soignée",
                  availability=[(date(2026, 4, 1), date(2026, 4, 30))])
    second = member(store, skills=[skill("Développement web", 2, 3, WEB)], place=VILLEURBANNE,
                    availability=[(date(2026, 4, 8), date(2026, 4, 30))])
    member(store, skills=[skill("Développement web", 4, 20, WEB)], place=PARIS,
           availability=[(date(2026, 4, 1), date(2026, 4, 30))])
    page = find(store, concept_uris=(WEB,), text="développeuse web",
                place=Place("45.764043", "4.835659", 20, "Lyon"),
                window=Window(date(2026, 4, 6), date(2026, 4, 15)))
    assert ids(page) == [best, second]
    assert [hit.rank for hit in page.hits] == [1, 2]
    assert page.hits[0].score > page.hits[1].score
    criteria = {(r["criterion"], r["field"]) for r in page.hits[0].reasons}
    assert criteria == {("concept", "skills"), ("text", "skills"), ("text", "presentation"),
                        ("place", "place"), ("availability", "availability")}
    assert {"criterion": "concept", "field": "skills",
            "detail": "Intégration front-end (niveau 4, 12 ans)"} in page.hits[0].reasons
    assert {"criterion": "availability", "field": "availability",
            "detail": "disponible 8 jours sur 10"} in page.hits[1].reasons
    assert page.next_cursor is None


def test_pages_by_cursor_without_duplicates(store):
    everyone = {member(store, skills=[skill("Menuiserie", 1 + n % 4, n % 7, WOOD)],
                       trades=["menuisier"]) for n in range(23)}
    member(store, trades=["plombier"])
    seen, cursor, ranks, scores = [], None, [], []
    for _ in range(5):
        page = find(store, concept_uris=(WOOD,), text="menuisier", limit=10, cursor=cursor)
        seen += ids(page)
        ranks += [hit.rank for hit in page.hits]
        scores += [(-hit.score, hit.member_id) for hit in page.hits]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 23 and set(seen) == everyone
    assert ranks == list(range(1, 24))
    assert scores == sorted(scores)
    first = find(store, concept_uris=(WOOD,), text="menuisier", limit=10)
    with pytest.raises(RuleViolation) as refused:
        find(store, concept_uris=(WOOD,), limit=10, cursor=first.next_cursor)
    assert refused.value.rule == "search.cursor"


def test_reindexing_replaces_the_documents(store):
    someone = member(store, presentation="Plombière chauffagiste")
    assert ids(find(store, text="plombier")) == [someone]
    with acting_session(store, HOME, "staff") as session:
        session.execute(update(Profile).where(Profile.member_id == someone)
                        .values(presentation="Électricienne", trades='["menuisier"]'))
        index_profile(session, someone)
        session.commit()
    assert ids(find(store, text="plombier")) == []
    assert ids(find(store, text="électricienne")) == [someone]
    assert ids(find(store, text="menuisiers")) == [someone]


def test_browsing_without_criteria_and_refusals(store):
    a = member(store, HOME)
    b = member(store, OTHER, share=("identity",))
    member(store, OTHER)
    assert ids(find(store, scope="network")) == sorted([a, b])
    assert ids(find(store)) == [a]
    for criteria, rule in (({"limit": 0}, "search.limit"), ({"limit": 101}, "search.limit"),
                           ({"scope": "world"}, "search.scope"),
                           ({"min_level": 5}, "search.min_level"),
                           ({"text": "de la et"}, "search.text"),
                           ({"cursor": "not-a-cursor"}, "search.cursor"),
                           ({"place": Place("91", "0", 10)}, "search.place"),
                           ({"place": Place("45", "4", 1001)}, "search.place"),
                           ({"window": Window(date(2026, 4, 2), date(2026, 4, 1))},
                            "period.order")):
        with pytest.raises(RuleViolation) as refused:
            find(store, **criteria)
        assert refused.value.rule == rule, criteria
