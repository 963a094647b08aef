"""The nearest settlement to a pin, offline: the name a reporter is offered, in their language.

A resident of Ekibastuz drops a pin by the town; the form suggests "Ekibastuz" (Экибастуз,
Екібастұз), from data bundled with the site. Nonsense coordinates get a clear 400, never a 500.
"""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from impacts.management.commands import build_settlements
from impacts.places import settlements

EKIBASTUZ = (51.72, 75.32)


def test_a_pin_by_ekibastuz_finds_ekibastuz_with_its_russian_and_kazakh_names():
    found = settlements.nearest(*EKIBASTUZ)

    assert found.settlement.name == "Ekibastuz"
    assert found.distance_km < 1
    assert found.settlement.name_in("ru") == "Экибастуз"
    assert found.settlement.name_in("kk") == "Екібастұз"
    assert found.settlement.name_in("en") == "Ekibastuz"


def test_a_kazakh_name_spelt_as_in_russian_is_used_in_kazakh_rather_than_the_latin_one():
    almaty = settlements.nearest(43.25, 76.91).settlement

    assert (almaty.name_in("kk"), almaty.name_in("ru")) == ("Алматы", "Алматы")


def test_astana_is_named_astana_again_not_nur_sultan():
    astana = settlements.nearest(51.18, 71.45).settlement

    assert (astana.name_in("ru"), astana.name_in("kk")) == ("Астана", "Астана")


def test_the_display_name_follows_the_language_of_the_request():
    ekibastuz = settlements.nearest(*EKIBASTUZ).settlement
    with translation.override("kk"):
        assert ekibastuz.display_name == "Екібастұз"


def test_a_point_far_from_every_settlement_in_the_list_finds_none():
    assert settlements.nearest(0.0, 0.0) is None
    assert settlements.nearest(47.0, 60.0) is None  # the empty land east of the Aral Sea


def test_the_suggestion_fills_the_form_only_when_the_pin_is_close():
    assert settlements.nearest(*EKIBASTUZ).fills_form
    assert not settlements.nearest(51.6, 75.0).fills_form  # 26 km away: shown, not filled in


def test_the_bundled_extract_holds_kazakhstan_only_with_its_attribution():
    data = json.loads(settlements.DATA_FILE.read_text(encoding="utf-8"))
    assert "CC BY 4.0" in data["source"]
    assert len(data["settlements"]) == len(settlements.all_settlements()) > 300
    readme = (settlements.DATA_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert "GeoNames" in readme and "Creative Commons Attribution 4.0" in readme


@pytest.mark.parametrize(
    ("latin", "names", "russian", "kazakh"),
    [
        # Ukrainian і alone, far from the Latin name, is not taken for Kazakh; Russian is used instead.
        ("Almaty", ["Алматы", "Вірний", "Алма-Ата"], "Алматы", "Алматы"),
        # More Kazakh letters win a tie; the Russian spelling nearest the Latin name wins.
        ("Ekibastuz", ["Екибастуз", "Екібастуз", "Екібастұз", "Экибастуз"], "Экибастуз", "Екібастұз"),
        # Only a Kazakh name: used in Russian too. Letters of other alphabets (Uzbek ў) are never used.
        ("Kokpekty", ["Қизилўрда", "Көкпекті"], "Көкпекті", "Көкпекті"),
        ("Sarykamys", [], "", ""),
    ],
)
def test_russian_and_kazakh_names_are_picked_by_their_letters(latin, names, russian, kazakh):
    place = {
        "geonameid": 1,
        "name": latin,
        "latitude": 50.0,
        "longitude": 70.0,
        "population": 500,
        "admin1code": "11",
        "alternatenames": names,
        "countrycode": "KZ",
    }
    row = build_settlements.settlement_row(place)
    assert (row[2], row[3]) == (russian, kazakh)
    place_row = settlements.Settlement(*row)
    assert place_row.name_in("ru") == (russian or latin)


def test_the_command_rebuilds_the_extract_from_cities500(tmp_path):
    places = {
        "1": {
            "geonameid": 1,
            "name": "Ekibastuz",
            "latitude": 51.723714,
            "longitude": 75.322866,
            "countrycode": "KZ",
            "population": 121470,
            "admin1code": "11",
            "alternatenames": ["Экибастуз", "Екібастұз"],
        },
        "2": {
            "geonameid": 2,
            "name": "Omsk",
            "latitude": 54.99,
            "longitude": 73.37,
            "countrycode": "RU",
            "population": 1_100_000,
            "admin1code": "54",
            "alternatenames": ["Омск"],
        },
    }
    source, output = tmp_path / "cities500.json", tmp_path / "settlements.json"
    source.write_text(json.dumps(places), encoding="utf-8")

    call_command("build_settlements", str(source), output=output, stdout=open("/dev/null", "w"))

    rows = json.loads(output.read_text(encoding="utf-8"))["settlements"]
    assert rows == [[1, "Ekibastuz", "Экибастуз", "Екібастұз", 51.72371, 75.32287, 121470, "11"]]


# --- the endpoint the form asks -------------------------------------------------------------------


@pytest.mark.parametrize(("language", "name"), [("en", "Ekibastuz"), ("ru", "Экибастуз"), ("kk", "Екібастұз")])
def test_the_place_endpoint_names_the_settlement_in_the_page_language(client, language, name):
    with translation.override(language):
        url = reverse("impacts:report_place")
    response = client.get(url, {"lat": "51.72", "lon": "75.32"})

    assert response.status_code == 200
    answer = response.json()
    assert answer["settlement"] == name
    assert answer["distance_km"] < 1 and answer["fills_form"] is True
    assert answer["centre"] == [51.72371, 75.32287]  # GeoNames' point, drawn beside the pin
    assert name in answer["message"]


def test_the_place_endpoint_says_when_no_settlement_is_near(client):
    answer = client.get(reverse("impacts:report_place"), {"lat": "47.0", "lon": "60.0"}).json()
    assert answer["settlement"] is None and answer["message"]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"lat": "51.72"},
        {"lon": "75.32"},
        {"lat": "abc", "lon": "75"},
        {"lat": "NaN", "lon": "75"},
        {"lat": "1e400", "lon": "75"},
        {"lat": "91", "lon": "75"},
        {"lat": "51", "lon": "-181"},
        {"lat": "", "lon": " "},
    ],
)
def test_the_place_endpoint_answers_bad_input_with_a_message(client, query):
    response = client.get(reverse("impacts:report_place"), query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]


def test_the_point_is_rounded_to_about_a_kilometre_before_anything_uses_it():
    assert settlements.read_point({"lat": "51.723456", "lon": "75.329999"}) == (51.72, 75.33)
