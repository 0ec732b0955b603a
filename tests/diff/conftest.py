"""Fixtures: one redis-server (the spec) and Tessera with 1 and 3 shards.

Run with `python3 -m pytest tests/diff -q`. Tessera is taken from $TESSERA_BIN,
default <repo>/target/release/tessera; tests that need it are skipped when it
does not exist.
"""
import os
import pathlib
import shutil

import pytest

from harness import ConnectionClosed, Differ, Server

REPO = pathlib.Path(__file__).resolve().parents[2]
TESSERA_BIN = os.environ.get("TESSERA_BIN", str(REPO / "target" / "release" / "tessera"))
REDIS_BIN = os.environ.get("REDIS_SERVER_BIN", shutil.which("redis-server") or "redis-server")
SHARDS = [1, 3]


def _serve(request, tmp_path_factory, name, argv):
    srv = Server(name, argv, tmp_path_factory.mktemp(name))
    request.addfinalizer(srv.stop)  # registered first: runs even if start() fails
    srv.start()
    return srv


@pytest.fixture(scope="session")
def redis_server(request, tmp_path_factory):
    return _serve(request, tmp_path_factory, "redis", lambda port: [
        REDIS_BIN, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--daemonize", "no", "--enable-debug-command", "yes"])


@pytest.fixture(scope="session", params=SHARDS, ids=lambda n: "shards%d" % n)
def tessera_server(request, tmp_path_factory):
    if not os.path.exists(TESSERA_BIN):
        pytest.skip("tessera binary not found at %s (build it with "
                    "`cargo build --release` or set TESSERA_BIN)" % TESSERA_BIN)
    shards = request.param
    return _serve(request, tmp_path_factory, "tessera-shards%d" % shards, lambda port: [
        TESSERA_BIN, "--port", str(port), "--bind", "127.0.0.1", "--shards", str(shards)])


# Redis 7.0's encoding thresholds. Cases lower them to reach the other
# encodings cheaply; every connection fixture puts them back after its test,
# failed or not, so one case cannot change the encodings the next one sees.
DEFAULT_THRESHOLDS = {
    "list-max-listpack-size": "-2", "hash-max-listpack-entries": "512", "hash-max-listpack-value": "64",
    "set-max-intset-entries": "512", "zset-max-listpack-entries": "128", "zset-max-listpack-value": "64",
    "hll-sparse-max-bytes": "3000",
}


def _conn(server):
    c = server.connect()
    yield c
    try:
        c.send("CONFIG", "SET", *[x for pair in DEFAULT_THRESHOLDS.items() for x in pair])
    except (ConnectionClosed, OSError):
        pass  # a dead server is reported by the `tessera` fixture
    c.close()


@pytest.fixture
def r(redis_server):
    """A fresh connection to redis-server."""
    yield from _conn(redis_server)


@pytest.fixture
def tessera(tessera_server):
    """Tessera for one test: restarted first if an earlier test killed it, and
    the test errors if the server dies while it runs."""
    tessera_server.ensure_running()
    yield tessera_server
    if not tessera_server.alive():
        status = tessera_server.proc.returncode if tessera_server.proc else None
        pytest.fail("tessera exited with status %s during this test; output:\n%s"
                    % (status, tessera_server.output()))


@pytest.fixture
def t(tessera):
    """A fresh connection to Tessera."""
    yield from _conn(tessera)


@pytest.fixture
def diff(r, t):
    return Differ(r, t)


@pytest.fixture
def servers(redis_server, tessera):
    """Both server objects, for tests that open their own connections."""
    return redis_server, tessera
