//! The server as a process: start-up checks, shards, idle CPU, bad input.

use redis::Commands;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;
use tessera_tests::{binary, keys_on_distinct_shards, Server};

#[test]
fn strings_and_keys_work_with_one_and_several_shards() {
    for shards in [1, 4] {
        let server = Server::start(shards, &[]);
        let mut c = server.conn();
        let keys = keys_on_distinct_shards("k", shards, 8);
        for (i, k) in keys.iter().enumerate() {
            let _: () = c.set(k, i).unwrap();
        }
        let got: Vec<usize> = c.mget(&keys).unwrap();
        assert_eq!(got, (0..8).collect::<Vec<_>>());
        let n: usize = c.exists(&keys).unwrap();
        assert_eq!(n, 8);
        let size: usize = redis::cmd("DBSIZE").query(&mut c).unwrap();
        assert_eq!(size, 8);
        let mut all: Vec<String> = c.keys("k*").unwrap();
        all.sort();
        let mut want = keys.clone();
        want.sort();
        assert_eq!(all, want);
        let scanned: std::collections::BTreeSet<String> = c.scan_match("k*").unwrap().collect();
        assert_eq!(scanned.len(), 8);
        let _: () = c.rename(&keys[0], "renamed").unwrap();
        let v: usize = c.get("renamed").unwrap();
        assert_eq!(v, 0);
        let deleted: usize = c.del(&keys[1..]).unwrap();
        assert_eq!(deleted, 7);
        let _: () = redis::cmd("SET").arg("ttl").arg("x").arg("PX").arg(50).query(&mut c).unwrap();
        std::thread::sleep(Duration::from_millis(120));
        let gone: Option<String> = c.get("ttl").unwrap();
        assert_eq!(gone, None);
    }
}

#[test]
fn second_server_on_the_same_port_is_refused() {
    let server = Server::start(2, &[]);
    let out = Command::new(binary())
        .args(["--port", &server.port.to_string(), "--bind", "127.0.0.1", "--shards", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Address already in use"), "stderr: {stderr}");
}

#[test]
fn a_killed_server_restarts_at_once_on_its_port() {
    let server = Server::start(2, &[]);
    let port = server.port;
    let mut open: Vec<TcpStream> = (0..4).map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap()).collect();
    for s in &mut open {
        s.write_all(b"PING\r\n").unwrap();
        let mut pong = [0u8; 7];
        s.read_exact(&mut pong).unwrap();
    }
    // Killed first, so its side of each connection lingers in TIME_WAIT.
    drop(server);
    drop(open);
    std::thread::sleep(Duration::from_millis(100));
    let again = Server::start_on(port, 2, &[]);
    let pong: String = redis::cmd("PING").query(&mut again.conn()).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn sighup_is_ignored_like_redis() {
    let server = Server::start(2, &[]);
    let status = Command::new("kill").args(["-HUP", &server.pid().to_string()]).status().unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(200));
    let pong: String = redis::cmd("PING").query(&mut server.conn()).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn bad_bind_address_and_bad_flags_are_clear_errors() {
    let out = Command::new(binary()).args(["--port", "1", "--bind", "no.such.host.invalid"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Invalid bind address"));
    let out = Command::new(binary()).args(["--appendfsync", "sometimes"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("appendfsync"));
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn an_idle_server_uses_no_cpu() {
    let server = Server::start(2, &[]);
    let mut c = server.conn();
    let _: () = c.set("warm", 1).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let before = cpu_ticks(server.pid());
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(server.pid()) - before;
    // 100 ticks a second; active expiry wakes 10 times a second per shard.
    assert!(used <= 5, "idle server used {used} ticks of CPU in 2 s");
}

#[test]
fn garbage_on_one_connection_does_not_affect_another() {
    let server = Server::start(2, &[]);
    let mut good = server.conn();
    let _: () = good.set("safe", "yes").unwrap();
    let mut bad = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    bad.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    bad.write_all(b"*1\r\n$abc\r\n").unwrap();
    let mut reply = Vec::new();
    bad.read_to_end(&mut reply).unwrap();
    assert_eq!(reply, b"-ERR Protocol error: invalid bulk length\r\n");
    let v: String = good.get("safe").unwrap();
    assert_eq!(v, "yes");
}

#[test]
fn requirepass_and_auth() {
    let server = Server::start(2, &["--requirepass", "s3cret"]);
    let mut c = server.conn();
    let err = redis::cmd("GET").arg("x").query::<Option<String>>(&mut c).unwrap_err();
    assert!(err.to_string().contains("NOAUTH"), "{err}");
    // As Redis 7.0: an unknown subcommand or a wrong arity is reported before NOAUTH.
    let err = redis::cmd("GET").query::<Option<String>>(&mut c).unwrap_err();
    assert!(err.to_string().contains("wrong number of arguments for 'get'"), "{err}");
    let err = redis::cmd("CLIENT").arg("FOO").query::<String>(&mut c).unwrap_err();
    assert!(err.to_string().contains("unknown subcommand 'FOO'. Try CLIENT HELP."), "{err}");
    let err = redis::cmd("AUTH").arg("wrong").query::<String>(&mut c).unwrap_err();
    assert!(err.to_string().contains("WRONGPASS"), "{err}");
    let ok: String = redis::cmd("AUTH").arg("s3cret").query(&mut c).unwrap();
    assert_eq!(ok, "OK");
    let v: Option<String> = c.get("x").unwrap();
    assert_eq!(v, None);
    let authed = redis::Client::open(format!("redis://:s3cret@127.0.0.1:{}/", server.port)).unwrap();
    let mut c2 = authed.get_connection().unwrap();
    let _: () = c2.set("x", 1).unwrap();
}
