"""Finding a muscle: nerve-root text parsed into spinal segments, searches by name,
abbreviation, region or root (case and accents ignored), and the chart's search field
narrowing the muscle select without a script."""

import pytest
from django.urls import reverse

from sessions.charting.muscle_search import SEGMENTS, matches, segments_of, words_of
from sessions.charting.selectors import muscles_matching
from sessions.models import Muscle


@pytest.mark.parametrize(
    ("roots", "segments"),
    [
        ("L4-S1", {"L4", "L5", "S1"}),
        ("L5-S1", {"L5", "S1"}),
        ("L5, S1", {"L5", "S1"}),
        ("L5 and S1", {"L5", "S1"}),
        ("L4–S1", {"L4", "L5", "S1"}),  # an en dash
        ("L4-5", {"L4", "L5"}),
        ("S1-L4", {"L4", "L5", "S1"}),  # backwards
        ("C5-T1", {"C5", "C6", "C7", "C8", "T1"}),
        ("T12-L3", {"T12", "L1", "L2", "L3"}),
        ("CN XI, C3-C4", {"C3", "C4"}),
        ("CN V", set()),
        ("c5-c6", {"C5", "C6"}),
        ("C9", set()),
        ("", set()),
    ],
)
def test_root_text_names_these_segments(roots, segments):
    assert segments_of(roots) == segments


def test_every_range_holds_both_ends_and_all_between():
    for i, first in enumerate(SEGMENTS):
        for last in SEGMENTS[i:]:
            assert segments_of(f"{first}-{last}") == set(SEGMENTS[i : SEGMENTS.index(last) + 1])


def muscle_matches(query, name, roots, abbreviation="", region="Hip and buttock"):
    return matches(
        query, words=words_of(name, abbreviation, region, roots), segments=segments_of(roots)
    )


@pytest.mark.parametrize(
    ("query", "name", "roots", "abbreviation", "found"),
    [
        ("L5", "Gluteus medius", "L4-S1", "GMed", True),
        ("L5", "Peroneus longus", "L5-S1", "PL", True),
        ("L5", "Tibialis anterior", "L4-L5", "TA", True),
        ("L5", "Iliopsoas", "L1-L3", "", False),
        ("l5", "Gluteus medius", "L4-S1", "", True),
        ("L5-S1", "Gluteus maximus", "L5-S2", "", True),
        ("L1-L2", "Gluteus maximus", "L5-S2", "", False),
        ("ut", "Upper trapezius", "CN XI, C3-C4", "UT", True),
        ("ut", "Gluteus medius", "L4-S1", "GMed", False),  # "glUTeus": words start, no more
        ("trap", "Upper trapezius", "CN XI, C3-C4", "UT", True),
        ("trapézius", "Upper trapezius", "CN XI, C3-C4", "UT", True),
        ("TFL", "Tensor fasciae latae", "L4-S1", "TFL", True),
        ("tensor fascíæ", "Tensor fasciae latae", "L4-S1", "TFL", False),
        ("hip", "Piriformis", "L5-S2", "", True),
        ("glut L5", "Gluteus medius", "L4-S1", "", True),
        ("glut C5", "Gluteus medius", "L4-S1", "", False),
        ("", "Piriformis", "L5-S2", "", True),
    ],
)
def test_a_search_matches(query, name, roots, abbreviation, found):
    assert muscle_matches(query, name, roots, abbreviation) is found


class TestCatalogue:
    """The seeded catalogue (migration 0005, abbreviations from 0012)."""

    def names(self, query):
        return {m.name for m in muscles_matching(query)}

    def test_l5_lists_the_muscles_it_supplies(self, db):
        found = self.names("L5")
        assert {"Gluteus medius", "Piriformis", "Peroneus longus", "Tibialis anterior"} <= found
        assert {"Lumbar multifidus", "Tensor fasciae latae"} <= found  # L1-S1, L4-S1
        assert not found & {"Iliopsoas", "Upper trapezius", "Soleus"}

    def test_abbreviations(self, db):
        assert self.names("ut") == {"Upper trapezius"}
        assert self.names("QL") == {"Quadratus lumborum"}
        assert self.names("ecrl") == {"Extensor carpi radialis longus"}
        assert self.names("SCM") == {"Sternocleidomastoid"}

    def test_a_word_start_lists_every_muscle_of_that_name(self, db):
        assert self.names("trap") == {"Upper trapezius", "Middle trapezius", "Lower trapezius"}

    def test_accents_are_ignored(self, db):
        assert self.names("TRAPÉZIUS") == self.names("trap")

    def test_a_region_name(self, db):
        found = self.names("hip")
        assert "Piriformis" in found and "Gluteus maximus" in found
        assert all(m.region == Muscle.Region.HIP for m in muscles_matching("hip"))

    def test_inactive_muscles_are_not_offered(self, db):
        Muscle.objects.filter(name="Upper trapezius").update(is_active=False)
        assert self.names("ut") == set()
        assert "Upper trapezius" not in self.names("")


class TestChartSearchWithoutScript:
    def options(self, page: str) -> list[str]:
        select = page[page.index('id="id_muscle"') :]
        select = select[: select.index("</select>")]
        return [part.split(">", 1)[1].split("<", 1)[0] for part in select.split("<option")[2:]]

    def test_the_search_narrows_the_select(self, client_for, physio, ready):
        url = reverse("sessions:chart", args=[ready.appointment_id])
        page = client_for(physio).get(url, {"muscle": "L5"}).content.decode()
        offered = self.options(page)
        assert "Gluteus medius (L4-S1)" in offered and "Iliopsoas (L1-L3)" not in offered
        assert f"{len(offered)} muscles match “L5”." in page
        assert 'value="L5"' in page  # the search field keeps the query

    def test_without_a_search_every_muscle_is_offered(self, client_for, physio, ready):
        url = reverse("sessions:chart", args=[ready.appointment_id])
        page = client_for(physio).get(url).content.decode()
        assert len(self.options(page)) == Muscle.objects.filter(is_active=True).count()

    def test_options_carry_what_the_script_matches(self, client_for, physio, ready):
        url = reverse("sessions:chart", args=[ready.appointment_id])
        page = client_for(physio).get(url, {"muscle": "ut"}).content.decode()
        assert 'data-words="c3 c4 cn girdle shoulder trapezius upper ut xi"' in page
        assert 'data-roots="C3 C4"' in page
