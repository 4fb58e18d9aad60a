"""Conformance entries for the ``geo`` group, every WITH* option included."""

from __future__ import annotations

from redis_oxide._generated._types import (
    GeoradiusCountBlock,
    GeosearchCountBlock,
)

from .._entry import Entry

E = Entry


def _g(key: str) -> tuple[str, ...]:
    return ("GEOADD", key, "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")


_ALL = {"withcoord": True, "withdist": True, "withhash": True}

ENTRIES = [
    E("geoadd", lambda r: r.geoadd("geoadd:g", [(13.361389, 38.115556, "Palermo")])),
    E(
        "geodist",
        lambda r: r.geodist("geodist:g", "Palermo", "Catania", unit="KM"),
        [_g("geodist:g")],
    ),
    E(
        "geodist",
        lambda r: r.geodist("geodist:g", "Palermo", "nope"),
        [_g("geodist:g")],
        variant="missing",
    ),
    E("geohash", lambda r: r.geohash("geohash:g", member=["Palermo", "nope"]), [_g("geohash:g")]),
    E("geopos", lambda r: r.geopos("geopos:g", member=["Palermo", "nope"]), [_g("geopos:g")]),
    E("georadius", lambda r: r.georadius("georadius:g", 15, 37, 200, "KM"), [_g("georadius:g")]),
    E(
        "georadius",
        lambda r: r.georadius("georadius:g", 15, 37, 200, "KM", withdist=True, order="ASC"),
        [_g("georadius:g")],
        variant="withdist",
    ),
    E(
        "georadius",
        lambda r: r.georadius(
            "georadius:g", 15, 37, 200, "KM", **_ALL, count_block=GeoradiusCountBlock(count=5)
        ),
        [_g("georadius:g")],
        variant="withall",
    ),
    E(
        "georadius",
        lambda r: r.georadius("{georadius}g", 15, 37, 200, "KM", storekey="{georadius}d"),
        [_g("{georadius}g")],
        variant="store",
    ),
    E(
        "georadius_ro",
        lambda r: r.georadius_ro("georadiusro:g", 15, 37, 200, "KM", withcoord=True),
        [_g("georadiusro:g")],
    ),
    E(
        "georadiusbymember",
        lambda r: r.georadiusbymember("grbm:g", "Palermo", 200, "KM", withhash=True),
        [_g("grbm:g")],
    ),
    E(
        "georadiusbymember",
        lambda r: r.georadiusbymember(
            "grbm:g", "Palermo", 200, "KM", count_block=GeoradiusCountBlock(count=1)
        ),
        [_g("grbm:g")],
        variant="plain",
    ),
    E(
        "georadiusbymember_ro",
        lambda r: r.georadiusbymember_ro("grbmro:g", "Palermo", 200, "KM", **_ALL),
        [_g("grbmro:g")],
    ),
    E(
        "geosearch",
        lambda r: r.geosearch("geosearch:g", member="Palermo", circle=(200, "KM")),
        [_g("geosearch:g")],
    ),
    E(
        "geosearch",
        lambda r: r.geosearch(
            "geosearch:g",
            fromlonlat=(15, 37),
            box=(400, 400, "KM"),
            order="ASC",
            count_block=GeosearchCountBlock(count=2, any=True),
            **_ALL,
        ),
        [_g("geosearch:g")],
        variant="withall",
    ),
    E(
        "geosearch",
        lambda r: r.geosearch("geosearch:g", member="Palermo", circle=(200, "KM"), withdist=True),
        [_g("geosearch:g")],
        variant="withdist",
    ),
    E(
        "geosearchstore",
        lambda r: r.geosearchstore(
            "{gss}d", "{gss}s", member="Palermo", circle=(200, "KM"), storedist=True
        ),
        [_g("{gss}s")],
    ),
]
