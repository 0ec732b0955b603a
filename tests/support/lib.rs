//! Support for the end-to-end tests: start the real `tessera` binary on a
//! free port and stop it when the test ends, pass or fail.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The binary under test: `$TESSERA_BIN`, else the release build, else the debug build.
pub fn binary() -> PathBuf {
    if let Ok(p) = std::env::var("TESSERA_BIN") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let release = root.join("target/release/tessera");
    if release.exists() {
        return release;
    }
    root.join("target/debug/tessera")
}

/// A port nothing listens on, never the same twice in one test process: a
/// test that stops and restarts a server on its port must not find another
/// test's server there.
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port =
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port");
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

/// A running server, killed on drop.
pub struct Server {
    pub port: u16,
    child: Child,
}

impl Server {
    /// Starts `tessera --port P --bind 127.0.0.1 --shards N` plus `extra` flags
    /// and waits until it accepts connections.
    pub fn start(shards: usize, extra: &[&str]) -> Server {
        Server::start_on(free_port(), shards, extra)
    }

    /// Like `start`, on a given port.
    pub fn start_on(port: u16, shards: usize, extra: &[&str]) -> Server {
        let mut child = Command::new(binary())
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--shards", &shards.to_string()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {}: {e} (build it with cargo build --release)", binary().display())
            });
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                use std::io::Read;
                let _ = child.stderr.take().map(|mut s| s.read_to_string(&mut err));
                panic!("tessera exited during start-up ({status}): {err}");
            }
            assert!(Instant::now() < deadline, "tessera did not start listening on port {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Server { port, child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn client(&self) -> redis::Client {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("client")
    }

    pub fn conn(&self) -> redis::Connection {
        self.client().get_connection().expect("connect")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Redis Cluster slot of a key (CRC16 of its hash tag or whole key), so
/// tests can pick keys that live on different shards.
pub fn key_slot(key: &str) -> usize {
    let k = key.as_bytes();
    let hashed = match k.iter().position(|&c| c == b'{') {
        Some(o) => match k[o + 1..].iter().position(|&c| c == b'}') {
            Some(l) if l > 0 => &k[o + 1..o + 1 + l],
            _ => k,
        },
        None => k,
    };
    let mut crc: u16 = 0;
    for &b in hashed {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc as usize & 16383
}

/// Which of `shards` shards owns a key (slots are split into contiguous ranges).
pub fn shard_of(key: &str, shards: usize) -> usize {
    key_slot(key) * shards / 16384
}

/// Keys named `{prefix}{i}` spread so that consecutive ones sit on different
/// shards (with one shard, simply the first `want`).
pub fn keys_on_distinct_shards(prefix: &str, shards: usize, want: usize) -> Vec<String> {
    if shards == 1 {
        return (0..want).map(|i| format!("{prefix}{i}")).collect();
    }
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while out.len() < want {
        let k = format!("{prefix}{i}");
        let last_shard = out.last().map(|l| shard_of(l, shards));
        if last_shard != Some(shard_of(&k, shards)) {
            out.push(k);
        }
        i += 1;
    }
    out
}
