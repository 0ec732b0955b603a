//! Support for the end-to-end tests: start the real `tessera` binary on a
//! free port and stop it when the test ends, pass or fail.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

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
/// test's server there. Ports come from below the kernel's ephemeral range
/// (32768+): there, another test's client socket could take the port before
/// the server binds it, or a readiness probe could connect to itself.
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let seed = (std::process::id() as u64) << 32 ^ nanos as u64;
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    loop {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let port = 20_000 + (x % 12_000) as u16;
        if !handed_out.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
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

    /// Like `start`, on a given port. Waits for the server's "Ready" log
    /// line (every shard listening), not just a first connection, and keeps
    /// reading its log so a full pipe can never block a shard.
    pub fn start_on(port: u16, shards: usize, extra: &[&str]) -> Server {
        let mut child = Command::new(binary())
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--shards", &shards.to_string()])
            .args(extra)
            // The "Ready" line is logged at info.
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {}: {e} (build it with cargo build --release)", binary().display())
            });
        let stderr = child.stderr.take().expect("piped stderr");
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        // Shared so a start-up that times out can show how far the server got.
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let seen = log.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut ready = Some(ready_tx);
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = seen.lock().unwrap_or_else(|e| e.into_inner());
                log.push_str(&line);
                log.push('\n');
                if line.contains("Ready to accept connections") {
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(Ok(()));
                    }
                }
            }
            // The log ended (the server exited) before it was ready.
            if let Some(tx) = ready {
                let _ = tx.send(Err(seen.lock().unwrap_or_else(|e| e.into_inner()).clone()));
            }
        });
        match ready_rx.recv_timeout(Duration::from_secs(20)) {
            Ok(Ok(())) => {}
            Ok(Err(log)) => panic!("tessera exited during start-up ({:?}): {log}", child.wait()),
            Err(_) => {
                let log = log.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let stacks = thread_stacks(child.id());
                let _ = child.kill();
                panic!("tessera did not start listening on port {port} within 20 s; its log so far:\n{log}\n{stacks}")
            }
        }
        assert!(TcpStream::connect(("127.0.0.1", port)).is_ok(), "tessera is ready but port {port} refuses");
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

/// Every thread's state and stack of a stuck process (gdb when installed, else
/// the kernel's view), for the failure message.
fn thread_stacks(pid: u32) -> String {
    let mut out = String::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let p = t.path();
            let read = |f: &str| std::fs::read_to_string(p.join(f)).unwrap_or_default();
            out += &format!(
                "task {:?}: {} wchan={}\n{}",
                t.file_name(),
                read("stat").trim(),
                read("wchan"),
                read("stack")
            );
        }
    }
    if let Ok(o) = Command::new("gdb").args(["-p", &pid.to_string(), "-batch", "-ex", "thread apply all bt"]).output() {
        out += &String::from_utf8_lossy(&o.stdout);
    }
    out
}
