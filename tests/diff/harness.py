"""Differential test harness: a raw RESP client, server processes, and the
`Differ` that runs the same commands on redis-server and Tessera and compares
the replies.

Replies are parsed into trees that keep the exact RESP type:
    ('+', b'OK')  ('-', b'ERR ...')  (':', 5)  ('$', b'..' | None)
    ('*', [..] | None)  ('%', [(k, v), ..])  ('~', [..])  (',', b'1.5')
    ('#', True)  ('_', None)  ('=', b'txt:..')  ('(', 123)  ('!', b'ERR ..')
    ('>', [..])  ('|', ([(k, v), ..], reply))   # attribute + the reply it annotates
Doubles and verbatim strings keep their raw text so formatting is compared too.
"""
import ctypes
import os
import signal
import socket
import subprocess
import time


class ConnectionClosed(Exception):
    pass


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """A minimal RESP2/RESP3 client over a plain socket."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, *args):
        """Send one command and return its parsed reply."""
        self.sock.sendall(encode(*args))
        return self.read_reply()

    def send_raw(self, data, read=True):
        """Send arbitrary bytes; return the next parsed reply if `read`."""
        self.sock.sendall(data)
        return self.read_reply() if read else None

    def is_closed(self, timeout=2.0):
        """True if the peer closes the connection within `timeout` seconds
        (pending data is discarded)."""
        self.buf = b""
        saved, deadline = self.sock.gettimeout(), time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                if not self.sock.recv(65536):
                    return True
            return False
        except socket.timeout:
            return False
        except OSError:  # ECONNRESET and friends
            return True
        finally:
            self.sock.settimeout(saved)

    # -- reading -----------------------------------------------------------
    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionClosed("server closed the connection")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _pairs(self, n):
        return [(self.read_reply(), self.read_reply()) for _ in range(n)]

    def read_reply(self):
        line = self._line()
        if not line:
            raise ValueError("empty reply line")
        t, rest = chr(line[0]), line[1:]
        if t in "+-":
            return (t, rest)
        if t == ":":
            return (t, int(rest))
        if t == "(":
            return (t, int(rest))
        if t == ",":
            return (t, rest)
        if t == "#":
            return (t, rest == b"t")
        if t == "_":
            return (t, None)
        if t in "$=!":
            n = int(rest)
            return (t, None if n < 0 else self._exact(n))
        if t in "*~>":
            n = int(rest)
            return (t, None if n < 0 else [self.read_reply() for _ in range(n)])
        if t == "%":
            return (t, self._pairs(int(rest)))
        if t == "|":
            attrs = self._pairs(int(rest))
            return (t, (attrs, self.read_reply()))
        raise ValueError("unknown RESP type byte in %r" % line)


def value(reply):
    """Strip the type tags: bulk/simple -> bytes, arrays -> lists, maps -> dicts."""
    t, v = reply
    if t in "*~>" and v is not None:
        return [value(x) for x in v]
    if t == "%":
        return {value(k): value(x) for k, x in v}
    return v


# -- server processes ------------------------------------------------------

def _die_with_parent():
    """Linux: SIGKILL the server if the test process dies without cleanup."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port():
    """A bindable port below the kernel's ephemeral range (32768+), where a
    client socket could take it before the server binds it."""
    import random
    while True:
        port = random.randint(20000, 31999)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


class Server:
    """A server process started with `argv` (a function of the port) in `cwd`."""

    def __init__(self, name, argv, cwd):
        self.name, self.argv, self.cwd = name, argv, str(cwd)
        self.proc = None
        self.port = None

    def start(self, timeout=20.0):
        self.port = free_port()
        self.log = open(os.path.join(self.cwd, "%s-%d.log" % (self.name, self.port)), "w+b")
        self.proc = subprocess.Popen(self.argv(self.port), cwd=self.cwd,
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with status %s during startup:\n%s"
                                   % (self.name, self.proc.returncode, self.output()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        out = self.output()
        self.stop()
        raise RuntimeError("%s did not accept connections on port %d within %.0fs:\n%s"
                           % (self.name, self.port, timeout, out))

    def output(self, limit=4000):
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-limit:]

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def ensure_running(self):
        """Restart a server that died (e.g. crashed in an earlier test) so that
        one crash does not fail every later test."""
        if not self.alive():
            self.stop()
            self.start()

    def stop(self, timeout=5.0):
        if self.proc is None:
            return
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout)
        finally:
            self.proc = None
            self.log.close()

    def connect(self):
        return Conn(self.port)


# -- comparison ------------------------------------------------------------

class Cmd:
    """A command plus how to compare its replies (see `COMPARE`)."""

    def __init__(self, *args, mode=None):
        self.args = args
        self.mode = mode or DEFAULT_MODES.get(str(args[0]).upper(), "exact")

    def __repr__(self, limit=300):
        text = " ".join(_show(a) for a in self.args)
        return text if len(text) <= limit else text[:limit] + "... (%d args)" % len(self.args)


def _show(arg):
    if isinstance(arg, bytes):
        return repr(arg)
    arg = str(arg)
    return arg if arg and arg.isprintable() and " " not in arg and "'" not in arg else repr(arg)


def unordered(*args):
    return Cmd(*args, mode="unordered")


def shape(*args):
    return Cmd(*args, mode="shape")


def exact(*args):
    return Cmd(*args, mode="exact")


DEFAULT_MODES = {
    "KEYS": "unordered", "SCAN": "scan",
    "TTL": "ttl", "EXPIRETIME": "ttl", "PTTL": "pttl", "PEXPIRETIME": "pttl",
    "TIME": "shape", "RANDOMKEY": "randomkey",
}


def _sort_key(x):
    return repr(x)


def _unordered(reply):
    t, v = reply
    if t in "*~" and v is not None:
        return (t, sorted(v, key=_sort_key))
    return reply


def _shape(reply):
    t, v = reply
    if t in "*~>" and v is not None:
        return (t, [_shape(x) for x in v])
    if t == "%":
        return (t, [(_shape(k), _shape(x)) for k, x in v])
    return (t, v is None)


def _tolerant(tol):
    def cmp(a, b, conn):
        if a[0] == b[0] == ":" and a[1] >= 0 and b[1] >= 0:
            return abs(a[1] - b[1]) <= tol
        return a == b
    return cmp


def _randomkey(a, b, conn):
    if a[0] != "$" or a[1] is None or b[0] != "$" or b[1] is None:
        return a == b
    return conn.send("EXISTS", b[1]) == (":", 1)


COMPARE = {
    "exact": lambda a, b, conn: a == b,
    "unordered": lambda a, b, conn: _unordered(a) == _unordered(b),
    "shape": lambda a, b, conn: _shape(a) == _shape(b),
    "scan": lambda a, b, conn: a == b,  # replies are already full iterations
    "ttl": _tolerant(1), "pttl": _tolerant(1000),
    "randomkey": _randomkey,
}


def scan_all(conn, args):
    """Run a SCAN to completion; return ('*', sorted distinct keys), or the
    first reply that is not a well-formed SCAN reply (e.g. an error)."""
    args = list(args)
    keys, cursor = set(), args[1]
    for _ in range(100000):
        args[1] = cursor
        reply = conn.send(*args)
        if reply[0] != "*" or reply[1] is None or len(reply[1]) != 2:
            return reply
        (ctype, cursor), (btype, batch) = reply[1]
        if ctype != "$" or btype != "*":
            return reply
        keys.update(batch)
        if cursor == b"0":
            return ("*", sorted(keys))
    raise AssertionError("SCAN did not terminate")


def run(conn, cmd):
    if cmd.mode == "scan" and len(cmd.args) > 1:
        return scan_all(conn, cmd.args)
    return conn.send(*cmd.args)


class Differ:
    """Runs commands on redis (the spec) and Tessera and compares replies."""

    def __init__(self, redis, tessera):
        self.r, self.t = redis, tessera

    def __call__(self, cmds, flush=True, max_report=10, history=0):
        """Run `cmds` (tuples or Cmd) on both servers, after FLUSHALL unless
        `flush` is false, and assert that every reply matches. With `history`,
        the report also lists that many commands before the first mismatch."""
        if flush:
            for c in (self.r, self.t):
                reply = c.send("FLUSHALL")
                assert reply == ("+", b"OK"), "FLUSHALL failed: %r" % (reply,)
        cmds = [c if isinstance(c, Cmd) else Cmd(*((c,) if isinstance(c, str) else c)) for c in cmds]
        bad = []
        for i, cmd in enumerate(cmds):
            expected = run(self.r, cmd)
            try:
                got = run(self.t, cmd)
            except (ConnectionClosed, OSError, ValueError) as e:  # incl. timeouts
                bad.append((i, cmd, expected, "<%s: %s>" % (type(e).__name__, e)))
                break
            if not COMPARE[cmd.mode](expected, got, self.t):
                bad.append((i, cmd, expected, got))
        if bad:
            lines = ["%d of %d replies differ:" % (len(bad), len(cmds))]
            first = bad[0][0]
            for j in range(max(0, first - history), first):
                lines.append("  (%d) %r" % (j, cmds[j]))
            for i, cmd, expected, got in bad[:max_report]:
                lines.append("[%d] %r (compare: %s)\n      redis:   %r\n      tessera: %r"
                             % (i, cmd, cmd.mode, expected, got))
            raise AssertionError("\n".join(lines))

    def both(self, *args):
        """Send one command to both servers; return (redis_reply, tessera_reply)."""
        return self.r.send(*args), self.t.send(*args)
