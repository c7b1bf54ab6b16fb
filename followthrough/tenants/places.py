"""Countries and time zones in words an owner knows: "United Kingdom", "Europe / London".

Read from the tzdata package (a dependency): its iso3166.tab names the countries and its
zone.tab says which zones each country uses, so the lists follow every tzdata update."""

import functools
import zoneinfo
from importlib.resources import files

# The regions of real places; the rest of available_timezones() are old aliases ("GB",
# "US/Eastern", "EST5EDT") that name no place an owner would look for.
REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
           "Europe", "Indian", "Pacific")
SEPARATOR = " / "


def _table(name: str) -> list[list[str]]:
    text = files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


# tzdata's short names, where an owner would look for another one.
BETTER_NAMES = {"GB": "United Kingdom"}


@functools.cache
def countries() -> list[tuple[str, str]]:
    """(ISO 3166 code, name), by name."""
    named = ((row[0], BETTER_NAMES.get(row[0], row[1])) for row in _table("iso3166.tab"))
    return sorted(named, key=lambda c: c[1])


@functools.cache
def _zone_rows() -> list[tuple[str, str, str]]:
    """(country, zone, comment) from zone.tab, each country's main zone first."""
    return [(row[0], row[2], row[3] if len(row) > 3 else "") for row in _table("zone.tab")]


def country_name(code: str) -> str:
    return dict(countries()).get(code, "")


def zones_of(country: str) -> list[str]:
    """The zones used in a country, its main one (the most populous) first."""
    return [zone for code, zone, _comment in _zone_rows() if code == country]


def main_zone(country: str) -> str:
    zones = zones_of(country)
    return zones[0] if zones else ""


@functools.cache
def country_of_zone(zone: str) -> str:
    """The country a zone belongs to ("Europe/London" → "GB"), or "" (UTC, aliases)."""
    for code, name, _comment in _zone_rows():
        if name == zone:
            return code
    return ""


def zone_label(zone: str) -> str:
    """"America/New_York" → "America / New York"."""
    return zone.replace("_", " ").replace("/", SEPARATOR)


@functools.cache
def _place_zones() -> list[str]:
    return sorted(zone for zone in zoneinfo.available_timezones()
                  if zone.split("/")[0] in REGIONS)


@functools.cache
def _by_label() -> dict[str, str]:
    found = {}
    for zone in zoneinfo.available_timezones():
        found[zone.lower()] = zone
        found[zone_label(zone).lower()] = zone
    return found


@functools.cache
def _by_city() -> dict[str, str]:
    """The last part of each place's zone ("london"), where only one zone has it."""
    seen: dict[str, list[str]] = {}
    for zone in _place_zones():
        seen.setdefault(zone_label(zone).split(SEPARATOR)[-1].lower(), []).append(zone)
    canonical = {zone for _code, zone, _comment in _zone_rows()}
    found = {}
    for city, zones in seen.items():
        # An old alias (America/Buenos_Aires) names the same place as its canonical zone.
        zones = [zone for zone in zones if zone in canonical] if len(zones) > 1 else zones
        if len(zones) == 1:
            found[city] = zones[0]
    return found


def zone_from_words(text: str) -> str:
    """The IANA zone for what someone typed or picked: "Europe / London", "Europe/London"
    or just "London"; "" when it names none."""
    key = " ".join(text.split()).lower()
    key = key.replace(" /", "/").replace("/ ", "/").replace("/", SEPARATOR) if key else key
    return _by_label().get(key) or _by_label().get(key.replace(" ", "_")) or \
        _by_city().get(key, "")


def zone_options(country: str = "") -> list[tuple[str, str]]:
    """(label, description) for every place, the country's own zones first, so a picker
    opens on what the owner most likely wants."""
    comments = {zone: (code, comment) for code, zone, comment in _zone_rows()}

    def option(zone: str) -> tuple[str, str]:
        code, comment = comments.get(zone, ("", ""))
        words = ", ".join(part for part in (country_name(code), comment) if part)
        return zone_label(zone), words

    own = zones_of(country)
    rest = [zone for zone in _place_zones() if zone not in own]
    return [option(zone) for zone in own] + [option(zone) for zone in [*rest, "UTC"]]
