//! Settings: one table of directives feeds the config file (redis.conf
//! syntax), the command line (`--port 6380`, as redis-server takes it) and
//! CONFIG GET/SET at run time.

use std::path::Path;

#[derive(Clone, Debug)]
pub struct Config {
    pub port: u16,
    pub bind: Vec<String>,
    /// 0: one shard per CPU the process may run on.
    pub shards: usize,
    pub requirepass: Option<String>,
    pub databases: usize,
    pub hz: u32,
    pub dir: String,
    pub dbfilename: String,
    /// `save <seconds> <changes>` rules: BGSAVE when that many changes happened in that many seconds.
    pub save: Vec<(u64, u64)>,
    pub maxclients: usize,
    pub tcp_keepalive: u64,
    pub loglevel: String,
    /// How long an idle shard spins before parking, in microseconds: a parked
    /// cross-shard round trip costs ~38 µs here, a spinning one ~16 µs, and a
    /// request to a spinning shard skips the wake-up (glommio patch 6).
    pub spin_before_park_us: u64,
    /// jemalloc's background purging thread (Redis's `jemalloc-bg-thread`):
    /// without it, freed pages go back to the OS only when the freeing
    /// thread allocates again, so an idle server keeps them resident.
    pub jemalloc_bg_thread: bool,
    /// Encoding thresholds (`hash-max-listpack-entries`, ...), by directive name;
    /// `apply` hands them to the engine.
    pub limits: Vec<(&'static str, i64)>,
    pub aof: AofConfig,
}

/// The append-only file's settings, with Redis's directive names and defaults.
#[derive(Clone, Debug)]
pub struct AofConfig {
    pub enabled: bool,
    pub fsync: Fsync,
    /// Under `dir`; each shard keeps its files in `shard-<id>` below it.
    pub dirname: String,
    pub filename: String,
    /// Cut a torn last command off with a warning, instead of refusing to start.
    pub load_truncated: bool,
    /// Rewrite when a shard's log grew this many percent past its last rewrite (0: never)...
    pub auto_rewrite_percentage: u64,
    /// ...and is at least this big.
    pub auto_rewrite_min_size: u64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fsync {
    Always,
    Everysec,
    No,
}

impl Fsync {
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::Everysec => "everysec",
            Fsync::No => "no",
        }
    }
}

impl Default for AofConfig {
    fn default() -> Self {
        AofConfig {
            enabled: false,
            fsync: Fsync::Everysec,
            dirname: "appendonlydir".into(),
            filename: "appendonly.aof".into(),
            load_truncated: true,
            auto_rewrite_percentage: 100,
            auto_rewrite_min_size: 64 << 20,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["127.0.0.1".into()],
            shards: 0,
            requirepass: None,
            databases: 16,
            hz: 10,
            dir: ".".into(),
            dbfilename: "dump.rdb".into(),
            save: Vec::new(),
            maxclients: 10000,
            tcp_keepalive: 300,
            loglevel: "notice".into(),
            spin_before_park_us: 50,
            jemalloc_bg_thread: true,
            limits: engine::limits::all(),
            aof: AofConfig::default(),
        }
    }
}

/// Whether a directive may change while the server runs.
#[derive(PartialEq, Clone, Copy)]
pub enum Mutability {
    Startup,
    Runtime,
}

/// Every directive Tessera knows, with whether CONFIG SET may change it.
/// Directives that only accept Redis's "off" value exist so that configs and
/// scripts written for redis-server (`--save '' --appendonly no`) work unchanged.
pub const DIRECTIVES: &[(&str, Mutability)] = &[
    ("port", Mutability::Startup),
    ("bind", Mutability::Startup),
    ("shards", Mutability::Startup),
    ("requirepass", Mutability::Runtime),
    ("databases", Mutability::Startup),
    ("hz", Mutability::Runtime),
    ("dir", Mutability::Startup),
    ("dbfilename", Mutability::Startup),
    ("maxclients", Mutability::Runtime),
    ("timeout", Mutability::Runtime),
    ("tcp-keepalive", Mutability::Runtime),
    ("loglevel", Mutability::Runtime),
    ("spin-before-park", Mutability::Startup),
    ("jemalloc-bg-thread", Mutability::Runtime),
    ("save", Mutability::Runtime),
    ("appendonly", Mutability::Runtime),
    ("appendfsync", Mutability::Runtime),
    ("appenddirname", Mutability::Startup),
    ("appendfilename", Mutability::Startup),
    ("aof-load-truncated", Mutability::Runtime),
    ("auto-aof-rewrite-percentage", Mutability::Runtime),
    ("auto-aof-rewrite-min-size", Mutability::Runtime),
    ("maxmemory", Mutability::Runtime),
    ("maxmemory-policy", Mutability::Runtime),
    ("daemonize", Mutability::Startup),
    ("protected-mode", Mutability::Runtime),
    ("logfile", Mutability::Startup),
    ("enable-debug-command", Mutability::Startup),
    ("list-max-listpack-size", Mutability::Runtime),
    ("list-compress-depth", Mutability::Runtime),
    ("hash-max-listpack-entries", Mutability::Runtime),
    ("hash-max-listpack-value", Mutability::Runtime),
    ("set-max-intset-entries", Mutability::Runtime),
    ("zset-max-listpack-entries", Mutability::Runtime),
    ("zset-max-listpack-value", Mutability::Runtime),
    ("hll-sparse-max-bytes", Mutability::Runtime),
];

fn number<T: std::str::FromStr>(v: &str) -> Result<T, String> {
    v.parse().map_err(|_| "argument couldn't be parsed into an integer".to_string())
}

/// A size as redis.conf writes it: bytes, or with a k/kb/m/mb/g/gb suffix.
fn memory(v: &str) -> Result<u64, String> {
    let lower = v.to_ascii_lowercase();
    let (digits, unit) = match lower.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => lower.split_at(i),
        None => (lower.as_str(), ""),
    };
    let unit: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1 << 20,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1 << 30,
        _ => return Err("argument must be a memory value".into()),
    };
    digits.parse::<u64>().ok().and_then(|n| n.checked_mul(unit)).ok_or_else(|| "argument must be a memory value".into())
}

fn yes_no(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

fn only(v: &str, allowed: &[&str], why: &str) -> Result<(), String> {
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(v)) {
        Ok(())
    } else {
        Err(why.to_string())
    }
}

impl Config {
    /// Applies one directive. `args` are its words after the name.
    pub fn set(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        let name = unalias(&name.to_ascii_lowercase());
        let v = args.join(" ");
        let one = || {
            if args.len() == 1 {
                Ok(args[0].as_str())
            } else {
                Err("wrong number of arguments".to_string())
            }
        };
        match name.as_str() {
            "port" => self.port = number(one()?)?,
            "bind" => {
                if args.is_empty() {
                    return Err("wrong number of arguments".into());
                }
                self.bind = args.iter().flat_map(|a| a.split_whitespace().map(String::from)).collect();
            }
            "shards" => self.shards = number(one()?)?,
            "requirepass" => self.requirepass = Some(v).filter(|p| !p.is_empty()),
            "databases" => {
                let n: usize = number(one()?)?;
                if n == 0 || n > 1 << 20 {
                    return Err("argument must be between 1 and 1048576 inclusive".into());
                }
                self.databases = n;
            }
            "hz" => self.hz = number::<u32>(one()?)?.clamp(1, 500),
            "dir" => self.dir = one()?.to_string(),
            "dbfilename" => self.dbfilename = one()?.to_string(),
            "maxclients" => self.maxclients = number(one()?)?,
            "timeout" => only(&v, &["0"], "closing idle clients is not supported yet: use timeout 0")?,
            "tcp-keepalive" => self.tcp_keepalive = number(one()?)?,
            "loglevel" => {
                only(
                    &v,
                    &["debug", "verbose", "notice", "warning", "nothing"],
                    "argument(s) must be one of the following: debug, verbose, notice, warning, nothing",
                )?;
                self.loglevel = v.to_ascii_lowercase();
            }
            "spin-before-park" => self.spin_before_park_us = number(one()?)?,
            "jemalloc-bg-thread" => self.jemalloc_bg_thread = yes_no(one()?)?,
            "save" => self.set_save(args)?,
            "appendonly" => self.aof.enabled = yes_no(one()?)?,
            "appendfsync" => {
                self.aof.fsync = match one()?.to_ascii_lowercase().as_str() {
                    "always" => Fsync::Always,
                    "everysec" => Fsync::Everysec,
                    "no" => Fsync::No,
                    _ => return Err("argument(s) must be one of the following: always, everysec, no".into()),
                }
            }
            "appenddirname" | "appendfilename" => {
                let v = one()?;
                // As Redis: the names must stay inside `dir`.
                if v.is_empty() || v.contains('/') || v == "." || v == ".." {
                    return Err(format!("{name} can't be a path, just a filename"));
                }
                if name == "appenddirname" {
                    self.aof.dirname = v.to_string();
                } else {
                    self.aof.filename = v.to_string();
                }
            }
            "aof-load-truncated" => self.aof.load_truncated = yes_no(one()?)?,
            "auto-aof-rewrite-percentage" => self.aof.auto_rewrite_percentage = number(one()?)?,
            "auto-aof-rewrite-min-size" => self.aof.auto_rewrite_min_size = memory(one()?)?,
            // Eviction and daemon mode are not built yet: accept only the
            // settings that mean "off" rather than silently ignore the rest.
            "maxmemory" => only(&v, &["0"], "maxmemory is not supported yet: use maxmemory 0")?,
            "maxmemory-policy" => {
                only(&v, &["noeviction"], "eviction is not supported yet: use maxmemory-policy noeviction")?
            }
            "daemonize" => only(&v, &["no"], "daemonize is not supported: run Tessera under a supervisor")?,
            "protected-mode" => only(&v, &["yes", "no"], "argument must be 'yes' or 'no'")?,
            "logfile" => only(v.trim_matches('"'), &[""], "logging goes to stderr: use logfile \"\"")?,
            "enable-debug-command" => only(&v, &["yes", "no", "local"], "argument must be 'yes', 'no' or 'local'")?,
            _ if self.limits.iter().any(|(n, _)| *n == name) => {
                let v: i64 = number(one()?)?;
                // Only list-max-listpack-size takes negatives (a node size class), as in Redis.
                if name == "list-max-listpack-size" && !(-5..=i32::MAX as i64).contains(&v) {
                    return Err("argument must be between -5 and 2147483647 inclusive".into());
                }
                if name != "list-max-listpack-size" && v < 0 {
                    return Err("argument must be between 0 and 9223372036854775807 inclusive".into());
                }
                self.limits.iter_mut().filter(|(n, _)| *n == name).for_each(|l| l.1 = v);
            }
            _ => return Err(format!("Bad directive or wrong number of arguments: '{name}'")),
        }
        Ok(())
    }

    /// `save`: one argument (CONFIG SET, `save ""`, `save "3600 1 300 100"`)
    /// replaces the rules; several (`save 3600 1` lines, `--save 3600 1`) add to them.
    fn set_save(&mut self, args: &[String]) -> Result<(), String> {
        let words: Vec<&str> = args.iter().flat_map(|a| a.split_whitespace()).collect();
        let numbers: Option<Vec<u64>> = words.iter().map(|w| w.parse::<i64>().ok()?.try_into().ok()).collect();
        let Some(numbers) = numbers.filter(|n| n.len() % 2 == 0) else {
            return Err("Invalid save parameters".into());
        };
        if args.len() == 1 {
            self.save.clear();
        }
        self.save.extend(numbers.chunks(2).map(|p| (p[0], p[1])));
        Ok(())
    }

    /// A directive's current value, as CONFIG GET shows it.
    pub fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "port" => self.port.to_string(),
            "bind" => self.bind.join(" "),
            "shards" => self.shards.to_string(),
            "requirepass" => self.requirepass.clone().unwrap_or_default(),
            "databases" => self.databases.to_string(),
            "hz" => self.hz.to_string(),
            "dir" => std::fs::canonicalize(&self.dir).map(|p| p.display().to_string()).unwrap_or(self.dir.clone()),
            "dbfilename" => self.dbfilename.clone(),
            "maxclients" => self.maxclients.to_string(),
            "timeout" => "0".into(),
            "tcp-keepalive" => self.tcp_keepalive.to_string(),
            "loglevel" => self.loglevel.clone(),
            "spin-before-park" => self.spin_before_park_us.to_string(),
            "jemalloc-bg-thread" => if self.jemalloc_bg_thread { "yes" } else { "no" }.into(),
            "save" => self.save.iter().map(|(s, c)| format!("{s} {c}")).collect::<Vec<_>>().join(" "),
            "logfile" => String::new(),
            "daemonize" => "no".into(),
            "appendonly" => if self.aof.enabled { "yes" } else { "no" }.into(),
            "appendfsync" => self.aof.fsync.name().into(),
            "appenddirname" => self.aof.dirname.clone(),
            "appendfilename" => self.aof.filename.clone(),
            "aof-load-truncated" => if self.aof.load_truncated { "yes" } else { "no" }.into(),
            "auto-aof-rewrite-percentage" => self.aof.auto_rewrite_percentage.to_string(),
            "auto-aof-rewrite-min-size" => self.aof.auto_rewrite_min_size.to_string(),
            "maxmemory" => "0".into(),
            "maxmemory-policy" => "noeviction".into(),
            "protected-mode" => "no".into(),
            "enable-debug-command" => "yes".into(),
            _ => return self.limits.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()),
        })
    }

    /// Hands the settings that take effect outside this struct to their
    /// owners, at start and after CONFIG SET: the engine's encoding
    /// thresholds and jemalloc.
    pub fn apply(&self) {
        for (name, v) in &self.limits {
            engine::limits::set_by_name(name, *v);
        }
        if let Err(e) = tikv_jemalloc_ctl::background_thread::write(self.jemalloc_bg_thread) {
            log::warn!("could not set jemalloc's background thread: {e}");
        }
    }

    /// Applies a config file in redis.conf syntax: one directive per line,
    /// `#` comments, words split (and quotes honoured) as Redis does.
    pub fn load_file(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("Fatal error, can't open config file '{}': {e}", path.display()))?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words = resp::split_args(line.as_bytes())
                .ok_or_else(|| bad_line(path, n, line, "Unbalanced quotes in configuration line"))?;
            let words: Vec<String> = words.into_iter().map(|w| String::from_utf8_lossy(&w).into_owned()).collect();
            self.set(&words[0], &words[1..]).map_err(|e| bad_line(path, n, line, &e))?;
        }
        Ok(())
    }
}

/// Redis 7 still takes the pre-7 `ziplist` names of the encoding thresholds.
pub fn unalias(name: &str) -> String {
    name.replace("-ziplist-", "-listpack-")
}

fn bad_line(path: &Path, n: usize, line: &str, why: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR ***\nReading the configuration file '{}', at line {}\n>>> '{line}'\n{why}",
        path.display(),
        n + 1
    )
}

/// Parses `tessera [CONFIG_FILE] [--directive value ...]`: the file first,
/// then the flags, which win.
pub fn from_args(argv: Vec<String>) -> Result<Config, String> {
    let mut cmd = clap::Command::new("tessera")
        .version(env!("CARGO_PKG_VERSION"))
        .about("A Redis-compatible, thread-per-core in-memory data store")
        .arg(clap::Arg::new("config_file").help("A config file in redis.conf syntax (see config/tessera.conf)"));
    for (name, _) in DIRECTIVES {
        cmd = cmd
            .arg(clap::Arg::new(*name).long(*name).num_args(0..).value_name("VALUE").action(clap::ArgAction::Append));
    }
    let matches = match cmd.try_get_matches_from(argv) {
        Ok(m) => m,
        // --help and --version print to stdout and exit 0, as clap does by default.
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            e.exit()
        }
        Err(e) => return Err(e.to_string()),
    };
    let mut config = Config::default();
    if let Some(file) = matches.get_one::<String>("config_file") {
        config.load_file(Path::new(file))?;
    }
    // Apply flags in command-line order, as redis-server does.
    let mut flags: Vec<(usize, &str, Vec<String>)> = Vec::new();
    for (name, _) in DIRECTIVES {
        if let (Some(indices), Some(groups)) = (matches.indices_of(name), matches.get_occurrences::<String>(name)) {
            let mut indices = indices;
            for group in groups {
                let values: Vec<String> = group.cloned().collect();
                let at = indices.next().unwrap_or(0);
                flags.push((at, name, values));
            }
        }
    }
    flags.sort_by_key(|f| f.0);
    for (_, name, values) in flags {
        let values = if values.is_empty() { vec![String::new()] } else { values };
        config.set(name, &values).map_err(|e| format!("Invalid --{name}: {e}"))?;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        std::iter::once("tessera").chain(s.iter().copied()).map(String::from).collect()
    }

    #[test]
    fn flags_like_redis_server() {
        let c = from_args(args(&["--port", "7000", "--shards", "3", "--save", "", "--appendonly", "no"])).unwrap();
        assert_eq!((c.port, c.shards), (7000, 3));
        assert!(from_args(args(&["--appendonly", "maybe"])).is_err());
        let c =
            from_args(args(&["--appendonly", "yes", "--appendfsync", "always", "--auto-aof-rewrite-min-size", "1mb"]))
                .unwrap();
        assert!(c.aof.enabled && c.aof.fsync == Fsync::Always && c.aof.auto_rewrite_min_size == 1 << 20);
        assert!(from_args(args(&["--port", "x"])).is_err());
    }

    #[test]
    fn save_rules_like_redis() {
        let c = from_args(args(&["--save", "3600", "1", "--save", "300", "100"])).unwrap();
        assert_eq!(c.save, vec![(3600, 1), (300, 100)]);
        assert_eq!(c.get("save").unwrap(), "3600 1 300 100");
        let mut c = Config::default();
        c.set("save", &["60 5 10 2".into()]).unwrap();
        assert_eq!(c.save, vec![(60, 5), (10, 2)]);
        c.set("save", &["".into()]).unwrap();
        assert!(c.save.is_empty());
        for bad in ["1", "a 1", "-1 1", "1 2 3"] {
            assert!(c.set("save", &[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_file() {
        let dir = std::env::temp_dir().join(format!("tessera-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("t.conf");
        std::fs::write(&f, "# comment\nport 7001\nbind 127.0.0.1 ::1\nrequirepass \"p w\"\nsave \"\"\n").unwrap();
        let c = from_args(args(&[f.to_str().unwrap(), "--port", "7002"])).unwrap();
        assert_eq!(c.port, 7002);
        assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);
        assert_eq!(c.requirepass.as_deref(), Some("p w"));
        std::fs::write(&f, "nonsense 1\n").unwrap();
        assert!(from_args(args(&[f.to_str().unwrap()])).unwrap_err().contains("line 1"));
    }
}
