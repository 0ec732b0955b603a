"""Geo commands, replies diffed against redis-server.

Points live in sorted sets scored by their 52-bit geohash, so every distance,
coordinate and order here must match Redis digit for digit. Plain key names
(a, b, c, d, ...) spread over the shards of a 3-shard Tessera, so the STORE
variants also run as cross-shard transactions.
"""
import random

import pytest

from harness import shape

SICILY = ("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
EDGES = ("GEOADD", "Sicily", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2")
# A few real places: Europe, the antimeridian (Fiji, Kiribati), the far north and south.
PLACES = ("GEOADD", "w",
          "2.3522", "48.8566", "paris", "-0.1276", "51.5072", "london", "13.4050", "52.5200", "berlin",
          "12.4964", "41.9028", "rome", "-3.7038", "40.4168", "madrid", "4.9041", "52.3676", "amsterdam",
          "178.4419", "-18.1416", "suva", "-179.9", "-16.5", "antimeridian_w", "179.9", "-16.5", "antimeridian_e",
          "-157.3630", "1.8721", "kiritimati", "15.6356", "78.2232", "longyearbyen", "-62.2", "-64.8", "palmer",
          "0", "85.05112878", "north_limit", "0", "-85.05112878", "south_limit", "180", "0", "east_limit",
          "-180", "0", "west_limit", "0", "0", "null_island")

LOW = [("CONFIG", "SET", "zset-max-listpack-entries", "4")]


def _grid(key, n, lon0, lat0, step, prefix="p"):
    """GEOADD of an n x n grid of points from (lon0, lat0), `step` degrees apart."""
    args = ["GEOADD", key]
    for i in range(n):
        for j in range(n):
            args += ["%.6f" % (lon0 + i * step), "%.6f" % (lat0 + j * step), "%s%d_%d" % (prefix, i, j)]
    return tuple(args)


CASES = {
    "docs_sicily": [
        SICILY, ("TYPE", "Sicily"), ("ZRANGE", "Sicily", "0", "-1", "WITHSCORES"),
        ("GEODIST", "Sicily", "Palermo", "Catania"), ("GEODIST", "Sicily", "Palermo", "Catania", "km"),
        ("GEODIST", "Sicily", "Palermo", "Catania", "mi"), ("GEODIST", "Sicily", "Palermo", "Catania", "ft"),
        ("GEODIST", "Sicily", "Palermo", "Catania", "KM"), ("GEODIST", "Sicily", "Palermo", "Palermo"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHCOORD"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHHASH", "WITHCOORD", "WITHDIST", "DESC"),
        ("GEORADIUS", "Sicily", "15", "37", "100", "km"), ("GEORADIUS", "Sicily", "15", "37", "200", "km"),
        ("GEOPOS", "Sicily", "Palermo", "Catania", "NonExisting"), ("GEOHASH", "Sicily", "Palermo", "Catania"),
        EDGES,
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km"),
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "WITHDIST", "ASC"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHCOORD", "WITHDIST"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "DESC", "WITHHASH"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "1"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "2", "DESC"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "1", "ANY"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "400", "km", "COUNT", "3", "ANY", "DESC"),
        ("georadius_ro", "Sicily", "15", "37", "200", "KM", "withdist", "count", "5", "asc"),
        ("GEORADIUSBYMEMBER_RO", "Sicily", "Catania", "1000", "mi", "WITHCOORD"),
    ],
    "geoadd_options": [
        ("GEOADD", "g", "10", "20", "a", "10", "20", "a", "11", "21", "b"), ("ZRANGE", "g", "0", "-1", "WITHSCORES"),
        ("GEOADD", "g", "NX", "30", "40", "a", "12", "22", "c"), ("GEOPOS", "g", "a", "c"),
        ("GEOADD", "g", "XX", "30", "40", "a", "13", "23", "d"), ("GEOPOS", "g", "a", "d"),
        ("GEOADD", "g", "CH", "31", "41", "a", "11", "21", "b", "1", "1", "e"),
        ("GEOADD", "g", "XX", "CH", "32", "42", "a", "2", "2", "nope"), ("GEOADD", "g", "ch", "nx", "1", "1", "e"),
        ("GEOADD", "g", "CH", "NX", "5", "5", "f"), ("GEOADD", "g", "xx", "ch", "xx", "1", "1", "f"),
        ("ZRANGE", "g", "0", "-1", "WITHSCORES"), ("ZCARD", "g"),
        ("GEOADD", "missing", "XX", "1", "1", "a"), ("EXISTS", "missing"),
        ("GEOADD", "g", "1", "1", "a", "2", "2", "a", "3", "3", "a"), ("GEOPOS", "g", "a"),
        ("GEOADD", "g", "0", "0", ""), ("GEOPOS", "g", ""), ("GEOADD", "g", "0", "0", b"\x00\xff\r\n"),
        ("GEOHASH", "g", b"\x00\xff\r\n"), ("geoadd", "g", "1.5", "2.5", "lower"), ("ZSCORE", "g", "lower"),
    ],
    "geoadd_errors": [
        ("GEOADD", "g", "200", "100", "x"), ("GEOADD", "g", "0", "86", "x"), ("GEOADD", "g", "-180.0000001", "0", "x"),
        ("GEOADD", "g", "180.0000001", "0", "x"), ("GEOADD", "g", "0", "85.05112879", "x"),
        ("GEOADD", "g", "0", "-85.05112879", "x"), ("GEOADD", "g", "1", "1", "ok", "1", "91", "bad"),
        ("EXISTS", "g"), ("GEOADD", "g", "nan", "1", "x"), ("GEOADD", "g", "inf", "1", "x"),
        ("GEOADD", "g", "1", "-inf", "x"), ("GEOADD", "g", "1e400", "1", "x"), ("GEOADD", "g", "abc", "1", "x"),
        ("GEOADD", "g", " 1", "1", "x"), ("GEOADD", "g", "1", "1 ", "x"), ("GEOADD", "g", "", "1", "x"),
        ("GEOADD", "g", "1e300", "1", "x"), ("GEOADD", "g", "-1e-320", "-12345.5", "x"),
        ("GEOADD", "g", "0x10", "0x1p3", "hex"), ("GEOADD", "g", "1e1", "+2.5E1", "exp"), ("GEOPOS", "g", "hex", "exp"),
        ("GEOADD", "g", "1", "1"), ("GEOADD", "g", "1", "1", "a", "2"), ("GEOADD", "g", "1", "1", "a", "2", "2"),
        ("GEOADD", "g", "NX", "XX", "1", "1", "a"), ("GEOADD", "g", "NX", "CH", "CH"), ("GEOADD", "g", "CH", "CH", "CH"),
        ("GEOADD", "g", "GT", "1", "1", "a"), ("GEOADD", "g", "NX", "1", "1"), ("GEOADD", "g", "INCR", "1", "1"),
        ("GEOADD", "g"), ("GEOADD",), ("GEOADD", "g", "1", "1", "a", "nx"),
        ("SET", "s", "v"), ("GEOADD", "s", "1", "1", "a"), ("GEOADD", "s", "200", "1", "a"),
        ("GEOADD", "s", "NX", "XX", "1", "1", "a"), ("GEOADD", "s", "XX", "1", "1", "a"), ("GET", "s"),
        ("GEOADD", "g", "-180", "-85.05112878", "min", "180", "85.05112878", "max"),
        ("GEOPOS", "g", "min", "max"), ("GEOHASH", "g", "min", "max"),
    ],
    "geopos_geohash_geodist": [
        SICILY, ("GEOPOS", "Sicily"), ("GEOPOS", "Sicily", "Palermo", "Palermo"), ("GEOPOS", "nokey", "a", "b"),
        ("GEOHASH", "Sicily"), ("GEOHASH", "nokey", "a"), ("GEOHASH", "Sicily", "x", "Catania", ""),
        ("GEODIST", "nokey", "a", "b"), ("GEODIST", "Sicily", "Palermo", "x"), ("GEODIST", "Sicily", "x", "Palermo"),
        ("GEODIST", "Sicily", "Palermo", "Catania", "parsec"), ("GEODIST", "nokey", "a", "b", "parsec"),
        ("GEODIST", "Sicily", "Palermo", "Catania", "km", "x"), ("GEODIST", "nokey", "a", "b", "km", "x"),
        ("GEODIST", "Sicily", "Palermo"), ("GEOPOS",), ("GEOHASH",), ("GEODIST", "Sicily", "Palermo", "Catania", "Mi"),
        ("GEODIST", "Sicily", "Palermo", "Catania", "Ft"), ("GEODIST", "Sicily", "Palermo", "Catania", "M"),
        ("SET", "s", "v"), ("GEOPOS", "s", "a"), ("GEOHASH", "s", "a"), ("GEODIST", "s", "a", "b"),
        ("GEODIST", "s", "a", "b", "yards"), ("GEOSEARCH", "s", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "m"),
        ("GEORADIUS", "s", "1", "1", "1", "m"), ("GEORADIUS", "s", "500", "1", "x", "m"),
        ("GEOSEARCHSTORE", "d", "s", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "m"),
        ("GEOSEARCHSTORE", "s", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"), ("TYPE", "s"),
    ],
    "scores_that_are_not_geohashes": [
        ("ZADD", "z", "-1", "neg", "1e300", "huge", "9007199254740993", "big", "0.5", "half", "inf", "pinf",
         "-inf", "ninf", "4503599627370496", "two52", "4503599627370495", "max52", "123.75", "frac",
         "-9223372036854775808", "i64min", "1e19", "above63", "9223372036854775808", "two63"),
        ("GEOPOS", "z", "neg", "huge", "big", "half", "pinf", "ninf", "two52", "max52", "frac", "i64min", "above63",
         "two63"),
        ("GEOHASH", "z", "neg", "huge", "big", "half", "pinf", "ninf", "two52", "max52", "frac", "i64min", "above63",
         "two63"),
        ("GEODIST", "z", "neg", "huge"), ("GEODIST", "z", "half", "frac", "km"), ("GEODIST", "z", "two52", "above63"),
        ("GEORADIUSBYMEMBER", "z", "frac", "100", "km", "WITHHASH", "WITHCOORD", "WITHDIST"),
        ("GEOSEARCH", "z", "FROMMEMBER", "max52", "BYRADIUS", "1000", "km", "WITHHASH", "WITHCOORD"),
        ("GEOSEARCH", "z", "FROMLONLAT", "-180", "-85.05112878", "BYBOX", "10", "10", "km", "WITHHASH", "WITHCOORD"),
    ],
    "world_places": [
        PLACES,
        ("GEODIST", "w", "paris", "london", "km"), ("GEODIST", "w", "suva", "antimeridian_e"),
        ("GEODIST", "w", "antimeridian_w", "antimeridian_e", "km"), ("GEODIST", "w", "north_limit", "south_limit"),
        ("GEODIST", "w", "east_limit", "west_limit"), ("GEODIST", "w", "null_island", "east_limit", "mi"),
        ("GEOPOS", "w", "north_limit", "south_limit", "east_limit", "west_limit", "null_island", "antimeridian_w"),
        ("GEOHASH", "w", "paris", "suva", "north_limit", "south_limit", "east_limit", "west_limit", "null_island"),
        ("GEORADIUSBYMEMBER", "w", "paris", "1500", "km", "WITHDIST", "ASC"),
        ("GEORADIUSBYMEMBER", "w", "paris", "1500", "km", "WITHDIST", "DESC", "COUNT", "3"),
        ("GEOSEARCH", "w", "FROMMEMBER", "suva", "BYRADIUS", "300", "km", "WITHDIST", "WITHCOORD"),
        ("GEOSEARCH", "w", "FROMLONLAT", "180", "-16.5", "BYRADIUS", "50", "km", "WITHDIST"),
        ("GEOSEARCH", "w", "FROMLONLAT", "-180", "-16.5", "BYBOX", "100", "100", "km", "WITHDIST"),
        ("GEOSEARCH", "w", "FROMLONLAT", "179.95", "-16.5", "BYBOX", "30", "10", "km", "WITHDIST"),
        ("GEOSEARCH", "w", "FROMMEMBER", "longyearbyen", "BYRADIUS", "2500", "km", "WITHDIST"),
        ("GEOSEARCH", "w", "FROMLONLAT", "0", "85", "BYRADIUS", "100", "km", "WITHDIST", "WITHCOORD"),
        ("GEOSEARCH", "w", "FROMLONLAT", "90", "85.05112878", "BYRADIUS", "10000", "km", "WITHDIST"),
        ("GEOSEARCH", "w", "FROMLONLAT", "0", "-85", "BYBOX", "500", "500", "km", "WITHDIST"),
        ("GEOSEARCH", "w", "FROMMEMBER", "palmer", "BYRADIUS", "3000", "km", "WITHDIST"),
        ("GEOSEARCH", "w", "FROMMEMBER", "null_island", "BYRADIUS", "0", "m", "WITHDIST", "WITHHASH"),
        ("GEOSEARCH", "w", "FROMMEMBER", "east_limit", "BYRADIUS", "1", "m", "WITHDIST", "WITHCOORD"),
        ("GEOSEARCH", "w", "FROMMEMBER", "west_limit", "BYBOX", "1000", "1000", "km", "WITHDIST", "WITHCOORD"),
        ("GEORADIUS", "w", "0", "0", "20000", "km", "WITHDIST", "ASC"),
        ("GEORADIUS", "w", "0", "0", "40000", "km", "COUNT", "5", "DESC"),
        ("GEORADIUS", "w", "100", "-30", "1e10", "m", "WITHDIST"), ("GEORADIUS", "w", "100", "-30", "1e308", "ft"),
        ("GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYBOX", "40000", "20000", "km"),
        ("GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYBOX", "1e10", "1e10", "mi", "DESC"),
        ("GEOSEARCH", "w", "FROMLONLAT", "10", "50", "BYBOX", "1500", "500", "km", "WITHDIST"),
        ("GEOSEARCH", "w", "FROMLONLAT", "10", "50", "BYBOX", "500", "1500", "km", "WITHDIST"),
        ("GEOSEARCH", "w", "FROMLONLAT", "10", "50", "BYBOX", "0", "0", "m"),
    ],
    "names_end_at_nul": [
        SICILY, ("GEODIST", "Sicily", "Palermo", "Catania", b"km\x00x"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", b"BYRADIUS\x00", "200", "km", b"withdist\x00q"),
        ("GEOADD", "Sicily", b"CH\x00z", b"nx\x00", "1", "1", "Palermo", "1", "1", "new"), ("GEOPOS", "Sicily", "new"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", b"\x00km"),
    ],
    "extreme_sizes": [
        PLACES,
        ("GEORADIUS", "w", "0", "0", "inf", "m", "WITHDIST"), ("GEORADIUS", "w", "0", "0", "1e308", "km", "WITHDIST"),
        ("GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYBOX", "inf", "0", "m"),
        ("GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYBOX", "inf", "inf", "m", "WITHDIST"),
        ("GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYBOX", "1e-300", "1e-300", "m"),
        ("GEOSEARCH", "w", "FROMMEMBER", "north_limit", "BYRADIUS", "1e-320", "m", "WITHDIST"),
        ("GEORADIUS", "w", "0", "0", "20000", "km", "COUNT", "9223372036854775807"),
        ("GEORADIUS", "w", "0", "0", "20000", "km", "COUNT", "9223372036854775808"),
        ("GEOSEARCH", "w", "FROMLONLAT", "180", "85.05112878", "BYRADIUS", "100", "km", "WITHDIST"),
        ("GEOSEARCH", "w", "FROMLONLAT", "-180", "-85.05112878", "BYBOX", "100", "100", "km", "WITHDIST"),
        ("GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYRADIUS", "0x10", "km"),
        ("GEOSEARCH", "w", "FROMLONLAT", "0", "0", "BYRADIUS", " 1", "km"),
        ("GEORADIUS", "w", "0", "0", "5000", "km", "ASC", "COUNT", "2", "ANY"),
        ("GEORADIUS", "w", "0", "0", "5000", "km", "DESC", "COUNT", "2", "ANY", "WITHDIST"),
    ],
    "in_transaction": [
        ("MULTI",), SICILY, ("GEOADD", "a", "1", "1", "x"), ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "b"),
        ("GEOSEARCHSTORE", "c", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "10", "km", "STOREDIST"),
        ("GEODIST", "Sicily", "Palermo", "Catania"), ("GEOPOS", "b", "Catania"), ("EXEC",),
        ("ZRANGE", "b", "0", "-1", "WITHSCORES"), ("ZRANGE", "c", "0", "-1", "WITHSCORES"),
    ],
    "radius_zero_and_duplicates": [
        ("GEOADD", "g", "10", "10", "a", "10", "10", "b", "10", "10", "c", "10.0000001", "10", "near"),
        ("GEORADIUSBYMEMBER", "g", "a", "0", "m", "WITHDIST"), ("GEORADIUS", "g", "10", "10", "0", "m"),
        ("GEORADIUS", "g", "10", "10", "0", "km", "WITHDIST", "WITHHASH"),
        ("GEOSEARCH", "g", "FROMMEMBER", "c", "BYBOX", "0", "0", "km", "WITHDIST"),
        ("GEOSEARCH", "g", "FROMMEMBER", "c", "BYRADIUS", "1", "m", "COUNT", "2", "WITHDIST"),
        ("GEOSEARCH", "g", "FROMMEMBER", "c", "BYRADIUS", "1", "m", "COUNT", "2", "DESC"),
    ],
    "search_option_errors": [
        SICILY,
        ("GEORADIUS", "Sicily", "15", "37", "-1", "km"), ("GEORADIUS", "Sicily", "15", "37", "abc", "km"),
        ("GEORADIUS", "Sicily", "15", "37", "nan", "km"), ("GEORADIUS", "Sicily", "15", "37", "1", "kmx"),
        ("GEORADIUS", "Sicily", "200", "37", "-1", "kmx"), ("GEORADIUS", "Sicily", "x", "37", "1", "km"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "0"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "-1"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "x"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT"), ("GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY", "COUNT", "1"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "COUNT", "2"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "ASC", "DESC"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d", "WITHDIST"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHHASH", "STOREDIST", "d"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE"), ("GEORADIUS", "Sicily", "15", "37", "200", "km", "FOO"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "BYBOX", "1", "1", "km"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "FROMLONLAT", "1", "1"),
        ("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "d"),
        ("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km", "STOREDIST", "d"), ("EXISTS", "d"),
        ("GEORADIUSBYMEMBER", "Sicily", "nope", "1", "km"), ("GEORADIUSBYMEMBER", "Sicily", "nope", "x", "km"),
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "x", "km"), ("GEORADIUSBYMEMBER", "nokey", "nope", "abc", "km"),
        ("GEORADIUSBYMEMBER", "nokey", "nope", "abc", "km", "STORE", "d"),
        ("GEORADIUSBYMEMBER", "nokey", "nope", "1", "km", "FOO"),
        ("GEORADIUS", "Sicily", "15", "37", "200"), ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200"),
        ("GEORADIUS_RO", "Sicily", "15", "37"), ("GEORADIUSBYMEMBER_RO", "Sicily"),
        ("GEOSEARCH", "Sicily", "BYRADIUS", "1", "km"), ("geosearch", "Sicily", "FROMLONLAT", "1", "1"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "FROMMEMBER", "Palermo"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMMEMBER", "Catania", "BYRADIUS", "200", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "FROMLONLAT", "14", "37", "BYRADIUS", "200", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "BYBOX", "1", "1", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1", "km", "BYRADIUS", "200", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "BYRADIUS", "200", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "WITHDIST", "COUNT", "1"),
        ("GeoSearch", "Sicily", "WITHDIST", "BYRADIUS", "200", "km", "COUNT", "1"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "200", "km"),
        ("GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "-1", "km"),
        ("GEOSEARCH", "nokey", "FROMMEMBER", "nope", "BYRADIUS", "200", "km"),
        ("GEOSEARCH", "nokey", "FROMMEMBER", "nope", "BYRADIUS", "-200", "km"),
        ("GEOSEARCH", "nokey", "FROMMEMBER", "nope", "BYBOX", "1", "1", "km", "ANY"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "-1", "2", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "x", "2", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "x", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "-2", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "2", "yd"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "2"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STORE", "d"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "100", "BYRADIUS", "200", "km"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "0"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ANY"),
        ("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHDIST"),
        ("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STORE", "x"),
        ("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST", "x"),
        ("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37"), ("EXISTS", "d"),
    ],
    "georadius_store": [
        SICILY, EDGES,
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "a"), ("ZRANGE", "a", "0", "-1", "WITHSCORES"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "b"), ("ZRANGE", "b", "0", "-1", "WITHSCORES"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "m", "STOREDIST", "c"), ("ZRANGE", "c", "0", "-1", "WITHSCORES"),
        ("GEORADIUS", "Sicily", "15", "37", "500", "km", "STOREDIST", "c", "COUNT", "2", "DESC"),
        ("ZRANGE", "c", "0", "-1", "WITHSCORES"),
        ("GEORADIUS", "Sicily", "15", "37", "500", "km", "STORE", "d", "STOREDIST", "e"), ("EXISTS", "d", "e"),
        ("ZRANGE", "e", "0", "-1", "WITHSCORES"),
        ("GEORADIUS", "Sicily", "15", "37", "500", "km", "STOREDIST", "d", "STORE", "e"),
        ("ZRANGE", "e", "0", "-1", "WITHSCORES"), ("EXISTS", "d"),
        ("GEORADIUS", "Sicily", "15", "37", "500", "km", "STORE", "b", "STORE", "f"), ("ZRANGE", "f", "0", "-1"),
        ("GEORADIUS", "Sicily", "15", "37", "500", "km", "STORE", "c", "COUNT", "1", "STOREDIST", "d"),
        ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "100", "mi", "STOREDIST", "f"), ("ZRANGE", "f", "0", "-1", "WITHSCORES"),
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "100", "mi", "store", "Sicily"), ("ZRANGE", "Sicily", "0", "-1"),
        ("SET", "g", "x"), ("EXPIRE", "g", "1000"),
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "1", "mi", "STORE", "g"), ("TYPE", "g"), ("TTL", "g"),
        ("SET", "g", "x"), ("GEORADIUS", "Sicily", "0", "0", "1", "m", "STORE", "g"), ("EXISTS", "g"),
        ("SET", "g", "x"), ("GEORADIUS", "nokey", "0", "0", "1", "m", "STORE", "g"), ("EXISTS", "g"),
        ("SET", "g", "x"), ("GEORADIUSBYMEMBER", "nokey", "x", "1", "m", "STOREDIST", "g"), ("EXISTS", "g"),
        ("GEORADIUS", "nokey", "0", "0", "1", "m"), ("GEORADIUSBYMEMBER", "nokey", "x", "1", "m"),
        ("SET", "str", "v"), ("GEORADIUS", "str", "0", "0", "1", "m", "STORE", "g"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "str"), ("TYPE", "str"),
        ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "Sicily"), ("ZRANGE", "Sicily", "0", "-1", "WITHSCORES"),
    ],
    "geosearchstore": [
        SICILY, EDGES,
        ("GEOSEARCHSTORE", "a", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "COUNT", "3"),
        ("ZRANGE", "a", "0", "-1", "WITHSCORES"),
        ("GEOSEARCHSTORE", "b", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "COUNT", "3",
         "STOREDIST"),
        ("ZRANGE", "b", "0", "-1", "WITHSCORES"),
        ("GEOSEARCHSTORE", "c", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "300", "mi", "storedist", "ANY",
         "COUNT", "2"), ("ZRANGE", "c", "0", "-1", "WITHSCORES"),
        ("GEOSEARCHSTORE", "c", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "0", "m"), ("ZRANGE", "c", "0", "-1"),
        ("GEOSEARCHSTORE", "c", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m"), ("EXISTS", "c"),
        ("SET", "d", "v"), ("GEOSEARCHSTORE", "d", "nokey", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m"),
        ("EXISTS", "d"), ("SET", "d", "v"),
        ("GEOSEARCHSTORE", "d", "nokey", "FROMMEMBER", "x", "BYBOX", "1", "1", "m", "STOREDIST"), ("EXISTS", "d"),
        ("SET", "d", "v"), ("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
        ("TYPE", "d"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("GEOSEARCHSTORE", "Sicily", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "100", "km"),
        ("ZRANGE", "Sicily", "0", "-1"),
    ],
    "store_encodings": LOW + [
        _grid("src", 4, 10, 10, 0.01),
        ("GEOSEARCHSTORE", "a", "src", "FROMLONLAT", "10.015", "10.015", "BYRADIUS", "1", "km"),
        ("OBJECT", "ENCODING", "a"), ("ZCARD", "a"),
        ("GEOSEARCHSTORE", "b", "src", "FROMLONLAT", "10.015", "10.015", "BYRADIUS", "100", "km", "COUNT", "3"),
        ("OBJECT", "ENCODING", "b"), ("ZRANGE", "b", "0", "-1", "WITHSCORES"),
        ("GEORADIUS", "src", "10", "10", "100", "km", "STOREDIST", "c"), ("OBJECT", "ENCODING", "c"),
        ("ZRANGE", "c", "0", "-1", "WITHSCORES"), ("OBJECT", "ENCODING", "src"),
        ("CONFIG", "SET", "zset-max-listpack-value", "3"),
        ("GEORADIUS", "src", "10", "10", "100", "km", "STOREDIST", "d", "COUNT", "2"), ("OBJECT", "ENCODING", "d"),
    ],
    "count_ties": [
        # Many members at one position: equal distances, sorted by Redis's qsort or pqsort.
        ("GEOADD", "t", *[x for i in range(60) for x in ("20", "30", "m%02d" % i)]),
        ("GEOADD", "t", *[x for i in range(30) for x in ("20.001", "30", "n%02d" % i)]),
        ("GEOADD", "t", *[x for i in range(30) for x in ("20", "30.001", "o%02d" % i)]),
        ("GEOSEARCH", "t", "FROMLONLAT", "20", "30", "BYRADIUS", "1", "km"),
        ("GEOSEARCH", "t", "FROMLONLAT", "20", "30", "BYRADIUS", "1", "km", "ASC"),
        ("GEOSEARCH", "t", "FROMLONLAT", "20", "30", "BYRADIUS", "1", "km", "DESC"),
        *[("GEOSEARCH", "t", "FROMLONLAT", "20", "30", "BYRADIUS", "1", "km", "COUNT", str(n), order)
          for n in (1, 3, 6, 7, 8, 40, 41, 61, 90, 119, 120, 500) for order in ("ASC", "DESC")],
        *[("GEOSEARCH", "t", "FROMLONLAT", "20.0004", "30.0003", "BYBOX", "2", "2", "km", "COUNT", str(n), order)
          for n in (1, 5, 50, 100) for order in ("ASC", "DESC")],
        ("GEOSEARCH", "t", "FROMLONLAT", "20", "30", "BYRADIUS", "1", "km", "COUNT", "5", "ANY"),
        ("GEOSEARCH", "t", "FROMLONLAT", "20", "30", "BYRADIUS", "1", "km", "COUNT", "70", "ANY", "DESC"),
        ("GEORADIUS", "t", "20", "30", "1", "km", "COUNT", "45", "STORE", "a"), ("ZRANGE", "a", "0", "-1"),
    ],
    "large_set": [
        _grid("big", 15, 5.0, 45.0, 0.07),
        ("OBJECT", "ENCODING", "big"), ("ZCARD", "big"),
        ("GEOSEARCH", "big", "FROMLONLAT", "5.5", "45.5", "BYRADIUS", "20", "km", "WITHDIST", "ASC"),
        ("GEOSEARCH", "big", "FROMLONLAT", "5.5", "45.5", "BYRADIUS", "20", "km"),
        ("GEOSEARCH", "big", "FROMLONLAT", "5.5", "45.5", "BYBOX", "30", "10", "km", "WITHCOORD", "DESC"),
        ("GEOSEARCH", "big", "FROMMEMBER", "p0_0", "BYRADIUS", "30", "km", "COUNT", "10", "WITHHASH"),
        ("GEOSEARCH", "big", "FROMMEMBER", "p7_7", "BYRADIUS", "500", "km", "COUNT", "17"),
        ("GEORADIUS", "big", "5.49", "45.51", "7.77", "km", "WITHDIST", "WITHCOORD", "WITHHASH"),
        ("GEORADIUS", "big", "5.49", "45.51", "7.77", "km", "COUNT", "3", "ANY"),
        ("GEOSEARCH", "big", "FROMLONLAT", "6", "46", "BYBOX", "1000", "1000", "km", "COUNT", "200", "DESC"),
    ],
    "resp3": [
        shape("HELLO", "3"), SICILY,
        ("GEOPOS", "Sicily", "Palermo", "nope"), ("GEOPOS", "nokey", "a"), ("GEOHASH", "Sicily", "Catania", "x"),
        ("GEODIST", "Sicily", "Palermo", "Catania"), ("GEODIST", "Sicily", "Palermo", "x"), ("GEODIST", "nokey", "a", "b"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHCOORD", "WITHDIST", "WITHHASH"),
        ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
        ("GEORADIUS", "Sicily", "15", "37", "1", "km"), ("GEORADIUS", "nokey", "15", "37", "1", "km"),
        ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "300", "km", "WITHCOORD"),
        ("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"),
        ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("GEOADD", "Sicily", "200", "0", "x"),
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_geo(diff, name):
    diff(CASES[name])


def test_command_keys(diff):
    """Key positions as Redis reports them, STORE keys included."""
    diff([
        ("COMMAND", "GETKEYS", "GEORADIUS", "src", "1", "2", "3", "m", "STORE", "dst"),
        ("COMMAND", "GETKEYS", "GEORADIUS", "src", "1", "2", "3", "m", "STORE", "d1", "STOREDIST", "d2"),
        ("COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "src", "m", "3", "m", "COUNT", "5", "storedist", "dst"),
        ("COMMAND", "GETKEYS", "GEORADIUS", "src", "1", "2", "3", "m", "STOREDIST", "d2", "STORE", "d1"),
        ("COMMAND", "GETKEYS", "GEORADIUS", "src", "1", "2", "3", "m", "COUNT", "1", "STORE"),
        ("COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "src", "m", "3", "m", "STORE", "d1"),
        ("COMMAND", "GETKEYS", "GEORADIUS", "src", "1", "2", "3", "m"),
        ("COMMAND", "GETKEYS", "GEORADIUS_RO", "src", "1", "2", "3", "m"),
        ("COMMAND", "GETKEYS", "GEOSEARCHSTORE", "dst", "src", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m"),
        ("COMMAND", "GETKEYS", "GEOADD", "k", "1", "2", "m"),
    ])


# ---------------------------------------------------------------------------
# A seeded random stream.

KEYS = ["a", "b", "c", "d", "e", "f"]
MEMBERS = ["m%d" % i for i in range(10)] + ["", "x" * 70]
CENTRES = [(13.36, 38.11), (2.35, 48.85), (179.95, -16.5), (-179.95, -16.5), (0.0, 84.9), (-70.0, -84.0), (0.0, 0.0)]
UNITS = ["m", "km", "ft", "mi", "KM", "parsec"]


def _gen(rng):
    k = lambda: rng.choice(KEYS)
    m = lambda: rng.choice(MEMBERS)

    def point():
        if rng.random() < 0.02:
            return rng.choice([("200", "0"), ("0", "90"), ("abc", "1"), ("180", "85.05112878"), ("-180", "-85.05112878")])
        lon, lat = rng.choice(CENTRES)
        lon = max(-180, min(180, lon + rng.choice([0, 0.01, -0.02, 0.3, -1.5, 4])))
        lat = max(-85.051128, min(85.051128, lat + rng.choice([0, 0.01, -0.05, 0.4, -2, 3])))
        return ("%.6f" % lon, "%.6f" % lat)

    def length():
        if rng.random() < 0.03:
            return rng.choice(["-1", "x"])
        return rng.choice(["0", "1", "3000", "50000", "300000", "700000", "5000000"])

    def dist():
        return length(), rng.choice(["m", "m", "m", "km", "ft", "mi", "KM"] if rng.random() < 0.97 else UNITS)

    def geoadd():
        args = ["GEOADD", k()] + [o for o in ("NX", "XX", "CH") if rng.random() < 0.1]
        for _ in range(rng.randint(1, 4)):
            args += [*point(), m()]
        return args

    def options(store_ok):
        opts = []
        for o in ("WITHDIST", "WITHHASH", "WITHCOORD"):
            if rng.random() < (0.02 if store_ok else 0.3):
                opts.append(o)
        if rng.random() < 0.4:
            opts += ["COUNT", rng.choice(["1", "2", "3", "10", "0" if rng.random() < 0.1 else "4"])]
        if rng.random() < 0.1:
            opts.append("ANY")
        if rng.random() < 0.5:
            opts.append(rng.choice(["ASC", "DESC"]))
        rng.shuffle(opts)  # COUNT n stays adjacent below
        return _fix_count(opts)

    def geosearch():
        store = rng.random() < 0.3
        args = ["GEOSEARCHSTORE", k(), k()] if store else ["GEOSEARCH", k()]
        args += ["FROMMEMBER", m()] if rng.random() < 0.5 else ["FROMLONLAT", *point()]
        if rng.random() < 0.5:
            args += ["BYRADIUS", *dist()]
        else:
            args += ["BYBOX", length(), length(), dist()[1]]
        args += options(store)
        if store and rng.random() < 0.5:
            args.append("STOREDIST")
        return args

    def georadius():
        if rng.random() < 0.5:
            args = [rng.choice(["GEORADIUS", "GEORADIUS_RO"]), k(), *point(), *dist()]
        else:
            args = [rng.choice(["GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"]), k(), m(), *dist()]
        store = not args[0].endswith("_RO") and rng.random() < 0.3
        args += options(store)
        if store:
            args += [rng.choice(["STORE", "STOREDIST"]), k()]
        return args

    gens = [
        (10, geoadd), (8, geosearch), (6, georadius),
        (3, lambda: ["GEODIST", k(), m(), m()] + ([rng.choice(UNITS)] if rng.random() < 0.5 else [])),
        (3, lambda: ["GEOPOS", k(), m(), m()]), (2, lambda: ["GEOHASH", k(), m(), m()]),
        (2, lambda: ["ZREM", k(), m()]), (1, lambda: ["ZRANGE", k(), "0", "-1", "WITHSCORES"]),
        (1, lambda: ["ZADD", k(), rng.choice(["1", "-5", "4503599627370495", "3.5"]), m()]),
        (1, lambda: ["OBJECT", "ENCODING", k()]), (0.1, lambda: ["SET", k(), "str"]), (0.5, lambda: ["DEL", k()]),
    ]
    weights = [w for w, _ in gens]
    while True:
        yield tuple(rng.choices([g for _, g in gens], weights)[0]())


def _fix_count(opts):
    """Shuffling split COUNT from its number: put each number back after it."""
    words = [o for o in opts if not o.isdigit()]
    numbers = [o for o in opts if o.isdigit()]
    out = []
    for w in words:
        out.append(w)
        if w == "COUNT":
            out.append(numbers.pop())
    return out


@pytest.mark.parametrize("seed,entries", [(1, "128"), (2, "4")])
def test_random_geo_stream(diff, seed, entries):
    rng = random.Random(seed)
    gen = _gen(rng)
    cmds = [("CONFIG", "SET", "zset-max-listpack-entries", entries)] + [next(gen) for _ in range(2000)]
    diff(cmds, history=5)
