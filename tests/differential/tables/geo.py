"""redis-py calls for the conformance entries of the ``geo`` group."""

from __future__ import annotations

from redis_oxide._generated._types import GeoradiusCountBlock
from tests.conformance._entry import Entry as E
from tests.conformance.tables import geo
from tests.conformance.tables.geo import _g

from .._case import cases

_ALL = {"withcoord": True, "withdist": True, "withhash": True}


EXTRA = [
    (
        E(
            "geosearch",
            lambda r: r.geosearch(
                "geosearch:g",
                member="Catania",
                circle=(300, "KM"),
                withdist=True,
                withhash=True,
                order="DESC",
            ),
            [_g("geosearch:g")],
            variant="withdist-withhash",
        ),
        lambda p: p.geosearch(
            "geosearch:g",
            member="Catania",
            radius=300,
            unit="km",
            withdist=True,
            withhash=True,
            sort="DESC",
        ),
    ),
    (
        E(
            "geosearch",
            lambda r: r.geosearch(
                "geosearch:g", fromlonlat=(15, 37), box=(400, 400, "KM"), withhash=True
            ),
            [_g("geosearch:g")],
            variant="withhash",
        ),
        lambda p: p.geosearch(
            "geosearch:g",
            longitude=15,
            latitude=37,
            width=400,
            height=400,
            unit="km",
            withhash=True,
        ),
    ),
    (
        E(
            "georadius",
            lambda r: r.georadius("georadius:g", 15, 37, 200, "KM", withcoord=True, order="DESC"),
            [_g("georadius:g")],
            variant="withcoord",
        ),
        lambda p: p.georadius("georadius:g", 15, 37, 200, "km", withcoord=True, sort="DESC"),
    ),
    (
        E(
            "geodist",
            lambda r: r.geodist("geodist:g", "Palermo", "Catania", unit="MI"),
            [_g("geodist:g")],
            variant="miles",
        ),
        lambda p: p.geodist("geodist:g", "Palermo", "Catania", unit="mi"),
    ),
    (
        E("geopos", lambda r: r.geopos("geopos:missing", member=["a", "b"]), variant="missing"),
        lambda p: p.geopos("geopos:missing", "a", "b"),
    ),
    (
        E("geohash", lambda r: r.geohash("geohash:missing", member=["a"]), variant="missing"),
        lambda p: p.geohash("geohash:missing", "a"),
    ),
    (
        E(
            "georadiusbymember",
            lambda r: r.georadiusbymember("{grbm}g", "Palermo", 200, "KM", storedistkey="{grbm}d"),
            [_g("{grbm}g")],
            variant="storedist",
        ),
        lambda p: p.georadiusbymember("{grbm}g", "Palermo", 200, "km", store_dist="{grbm}d"),
    ),
    (
        E(
            "georadiusbymember",
            lambda r: r.georadiusbymember(
                "grbm:g",
                "Palermo",
                500,
                "KM",
                withdist=True,
                withcoord=True,
                count_block=GeoradiusCountBlock(count=1),
            ),
            [_g("grbm:g")],
            variant="withdist-withcoord",
        ),
        lambda p: p.georadiusbymember(
            "grbm:g", "Palermo", 500, "km", withdist=True, withcoord=True, count=1
        ),
    ),
    (
        E(
            "geosearch",
            lambda r: r.geosearch("geosearch:missing", member="x", circle=(1, "M")),
            variant="missing",
        ),
        lambda p: p.geosearch("geosearch:missing", member="x", radius=1, unit="m"),
    ),
    (
        E(
            "geoadd",
            lambda r: r.geoadd(
                "geoadd:g", [(13.361389, 38.115556, "Palermo")], condition="XX", change=True
            ),
            [_g("geoadd:g")],
            variant="xx-ch",
        ),
        lambda p: p.geoadd("geoadd:g", [13.361389, 38.115556, "Palermo"], xx=True, ch=True),
    ),
]

CASES = cases(
    geo.ENTRIES,
    {
        "geoadd": lambda p: p.geoadd("geoadd:g", [13.361389, 38.115556, "Palermo"]),
        "geodist": lambda p: p.geodist("geodist:g", "Palermo", "Catania", unit="km"),
        "geodist-missing": lambda p: p.geodist("geodist:g", "Palermo", "nope"),
        "geohash": lambda p: p.geohash("geohash:g", "Palermo", "nope"),
        "geopos": lambda p: p.geopos("geopos:g", "Palermo", "nope"),
        "georadius": lambda p: p.georadius("georadius:g", 15, 37, 200, "km"),
        "georadius-withdist": lambda p: p.georadius(
            "georadius:g", 15, 37, 200, "km", withdist=True, sort="ASC"
        ),
        "georadius-withall": lambda p: p.georadius(
            "georadius:g", 15, 37, 200, "km", **_ALL, count=5
        ),
        "georadius-store": lambda p: p.georadius(
            "{georadius}g", 15, 37, 200, "km", store="{georadius}d"
        ),
        "georadius_ro": lambda p: p.execute_command(
            "GEORADIUS_RO", "georadiusro:g", 15, 37, 200, "km", "WITHCOORD"
        ),
        "georadiusbymember": lambda p: p.georadiusbymember(
            "grbm:g", "Palermo", 200, "km", withhash=True
        ),
        "georadiusbymember-plain": lambda p: p.georadiusbymember(
            "grbm:g", "Palermo", 200, "km", count=1
        ),
        "georadiusbymember_ro": lambda p: p.execute_command(
            "GEORADIUSBYMEMBER_RO",
            "grbmro:g",
            "Palermo",
            200,
            "km",
            "WITHCOORD",
            "WITHDIST",
            "WITHHASH",
        ),
        "geosearch": lambda p: p.geosearch("geosearch:g", member="Palermo", radius=200, unit="km"),
        "geosearch-withall": lambda p: p.geosearch(
            "geosearch:g",
            longitude=15,
            latitude=37,
            width=400,
            height=400,
            unit="km",
            sort="ASC",
            count=2,
            any=True,
            **_ALL,
        ),
        "geosearch-withdist": lambda p: p.geosearch(
            "geosearch:g", member="Palermo", radius=200, unit="km", withdist=True
        ),
        "geosearchstore": lambda p: p.geosearchstore(
            "{gss}d", "{gss}s", member="Palermo", radius=200, unit="km", storedist=True
        ),
    },
    {},
    extra=EXTRA,
)
