//! The settings table: every directive Redis 7.0 knows, with its type, default
//! and flags, plus the getter/setter over [`Config`]. Defaults and the printed
//! forms match `CONFIG GET *` of redis-server 7.0.15.

use super::{Config, EvictionPolicy, Protected};

/// Cannot be changed with CONFIG SET.
pub const IMMUTABLE: u32 = 1;
/// Value is hidden from logs (passwords).
pub const SENSITIVE: u32 = 2;
/// CONFIG SET needs `enable-protected-configs` (dir, dbfilename).
pub const PROTECTED: u32 = 4;
/// Left out of CONFIG GET globs: only an exact name finds it (debug settings).
pub const HIDDEN: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    Bool,
    Int,
    Memory,
    Enum,
    Str,
    Special,
}

pub struct Setting {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub flags: u32,
    pub kind: SettingKind,
    pub default: &'static str,
    pub get: fn(&Config) -> String,
    pub set: fn(&mut Config, &[u8]) -> Result<(), String>,
}

pub fn settings() -> &'static [Setting] {
    SETTINGS
}

/// Looks a setting up by name or alias, case-insensitively.
pub fn find(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| {
        s.name.eq_ignore_ascii_case(name) || s.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

fn text(v: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(v).map_err(|_| "argument must be valid UTF-8".to_string())
}

pub fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

pub fn parse_bool(v: &[u8]) -> Result<bool, String> {
    if v.eq_ignore_ascii_case(b"yes") {
        Ok(true)
    } else if v.eq_ignore_ascii_case(b"no") {
        Ok(false)
    } else {
        Err("argument must be 'yes' or 'no'".into())
    }
}

pub fn parse_int(v: &[u8], min: i64, max: i64) -> Result<i64, String> {
    let n = crate::util::string2ll(v).ok_or("argument couldn't be parsed into an integer")?;
    if n < min || n > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n)
}

/// Parses memory values like redis.conf: 1k 1kb 1m 1mb 1g 1gb (k=1000, kb=1024).
pub fn parse_memory(v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?.to_ascii_lowercase();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let mul: i64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let n = crate::util::string2ll(num.as_bytes())?;
    n.checked_mul(mul)
}

fn parse_mem_range(v: &[u8], min: i64, max: i64) -> Result<i64, String> {
    // Memory values are unsigned (memtoull): a sign is not a memory value, and
    // an empty string is 0.
    if v.first() == Some(&b'-') {
        return Err("argument must be a memory value".into());
    }
    if v.is_empty() {
        return check_range(0, min, max);
    }
    // strtoull saturates: a number beyond the signed range reads back negative.
    if v.iter().all(u8::is_ascii_digit) && crate::util::string2ll(v).is_none() {
        return check_range(-1, min, max);
    }
    let n = parse_memory(v).ok_or("argument must be a memory value")?;
    if n < min || n > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n)
}

fn check_range(n: i64, min: i64, max: i64) -> Result<i64, String> {
    if n < min || n > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(n)
}

fn parse_enum(v: &[u8], names: &[&str]) -> Result<usize, String> {
    names
        .iter()
        .position(|n| n.as_bytes().eq_ignore_ascii_case(v))
        .ok_or_else(|| {
            format!(
                "argument(s) must be one of the following: {}",
                names.join(", ")
            )
        })
}

/// Formats a double like `%f` followed by Redis's trimDoubleString ("99.9", "50").
pub fn trim_double(d: f64) -> String {
    let s = format!("{d:.6}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// latency-tracking-info-percentiles: space separated doubles in [0, 100].
fn parse_percentiles(v: &[u8]) -> Result<Vec<f64>, String> {
    let s = text(v)?;
    let mut out = Vec::new();
    for w in s.split(' ').filter(|w| !w.is_empty()) {
        let d = crate::util::string2d(w.as_bytes())
            .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&d) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        out.push(d);
    }
    Ok(out)
}

/// save: pairs of `seconds changes` split on single spaces (setConfigSaveOption):
/// seconds >= 1, changes >= 0, each kept as a C int; "" means no save points.
fn parse_save(v: &[u8]) -> Result<String, String> {
    let s = text(v)?;
    if s.is_empty() {
        return Ok(String::new());
    }
    let words: Vec<&str> = s.split(' ').collect();
    if words.len() % 2 != 0 {
        return Err("Invalid save parameters".into());
    }
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let n = if w.is_empty() {
            Some(0)
        } else {
            crate::util::string2ll(w.as_bytes())
        };
        let min = if i % 2 == 0 { 1 } else { 0 };
        match n {
            Some(n) if n >= min => out.push((n as i32).to_string()),
            _ => return Err("Invalid save parameters".into()),
        }
    }
    Ok(out.join(" "))
}

/// Event classes of notify-keyspace-events in the order Redis prints them;
/// `A` stands for the first ten together.
const EVENT_CLASSES: &[u8] = b"g$lshzxetdn";
const EVENT_ALL: &[u8] = b"g$lshzxetd";

/// notify-keyspace-events as keyspaceEventsStringToFlags then
/// keyspaceEventsFlagsToString: "KEA" reads back as "AKE".
pub fn normalize_keyspace_events(v: &[u8]) -> Result<String, String> {
    let mut set = std::collections::HashSet::new();
    for &ch in v {
        match ch {
            b'A' => set.extend(EVENT_ALL.iter().copied()),
            b'K' | b'E' | b'm' => {
                set.insert(ch);
            }
            c if EVENT_CLASSES.contains(&c) => {
                set.insert(c);
            }
            _ => {
                return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into());
            }
        }
    }
    let mut out = String::new();
    if EVENT_ALL.iter().all(|c| set.contains(c)) {
        out.push('A');
    } else {
        out.extend(
            EVENT_CLASSES
                .iter()
                .filter(|c| set.contains(c))
                .map(|&c| c as char),
        );
    }
    out.extend(
        b"KEm"
            .iter()
            .filter(|c| set.contains(c))
            .map(|&c| c as char),
    );
    Ok(out)
}

/// proc-title-template: non-empty, `{name}` variables from the known set only.
fn valid_proc_title(s: &str) -> bool {
    const VARS: &[&str] = &[
        "title",
        "listen-addr",
        "server-mode",
        "port",
        "tls-port",
        "unixsocket",
        "config-file",
    ];
    if s.is_empty() {
        return false;
    }
    let mut rest = s;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return false;
        }
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return false;
        };
        if !VARS.contains(&&after[..close]) {
            return false;
        }
        rest = &after[close + 1..];
    }
    true
}

const SHUTDOWN_FLAGS: &[&str] = &["default", "save", "nosave", "now", "force"];

fn parse_shutdown_flags(v: &[u8]) -> Result<String, String> {
    let s = text(v)?;
    let mut on = [false; 5];
    let words: Vec<&str> = s.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Err(format!(
            "argument(s) must be one of the following: {}",
            SHUTDOWN_FLAGS.join(", ")
        ));
    }
    for w in words {
        on[parse_enum(w.as_bytes(), SHUTDOWN_FLAGS)?] = true;
    }
    if on[1] && on[2] {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    let set: Vec<&str> = SHUTDOWN_FLAGS[1..]
        .iter()
        .zip(&on[1..])
        .filter(|(_, b)| **b)
        .map(|(n, _)| *n)
        .collect();
    Ok(if set.is_empty() {
        "default".into()
    } else {
        set.join(" ")
    })
}

/// maxmemory-clients: bytes (with units) or a percentage of maxmemory ("10%").
fn parse_memory_or_percent(v: &[u8]) -> Result<String, String> {
    const BAD: &str = "argument must be a memory or percent value";
    if let Some(num) = v.strip_suffix(b"%") {
        let n = crate::util::string2ll(num).filter(|n| *n >= 0).ok_or(BAD)?;
        if n > 100 {
            return Err("percentage argument must be less or equal to 100".into());
        }
        return Ok(format!("{n}%"));
    }
    if v.first() == Some(&b'-') {
        return Err(BAD.into());
    }
    if v.is_empty() {
        return Ok("0".into());
    }
    parse_memory(v)
        .map(|n| n.to_string())
        .ok_or_else(|| BAD.into())
}

/// client-output-buffer-limit: `<class> <hard> <soft> <seconds>` groups merged
/// into the current limits of normal, slave (alias replica) and pubsub.
fn parse_output_buffer_limits(cur: &str, v: &[u8]) -> Result<String, String> {
    const CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];
    let mut limits: Vec<[i64; 3]> = vec![[0; 3]; 3];
    let cw: Vec<&str> = cur.split(' ').filter(|w| !w.is_empty()).collect();
    for chunk in cw.chunks(4) {
        if let [class, h, s, t] = chunk {
            if let Some(i) = CLASSES.iter().position(|c| c == class) {
                for (slot, w) in limits[i].iter_mut().zip([h, s, t]) {
                    *slot = w.parse().unwrap_or(0);
                }
            }
        }
    }
    let s = text(v)?;
    let words: Vec<&str> = s.split(' ').filter(|w| !w.is_empty()).collect();
    if words.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    for chunk in words.chunks(4) {
        let i = match chunk[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        let mem = |w: &str| {
            if w.starts_with('-') {
                None
            } else {
                parse_memory(w.as_bytes())
            }
        };
        let hard = mem(chunk[1]).ok_or_else(bad)?;
        let soft = mem(chunk[2]).ok_or_else(bad)?;
        let secs = crate::util::string2ll(chunk[3].as_bytes())
            .filter(|n| *n >= 0)
            .ok_or_else(bad)?;
        limits[i] = [hard, soft, secs];
    }
    Ok(CLASSES
        .iter()
        .zip(&limits)
        .map(|(c, l)| format!("{c} {} {} {}", l[0], l[1], l[2]))
        .collect::<Vec<_>>()
        .join(" "))
}

fn protected_name(p: Protected) -> String {
    match p {
        Protected::No => "no",
        Protected::Yes => "yes",
        Protected::Local => "local",
    }
    .to_string()
}

fn parse_protected(v: &[u8]) -> Result<Protected, String> {
    Ok(match parse_enum(v, &["no", "yes", "local"])? {
        0 => Protected::No,
        1 => Protected::Yes,
        _ => Protected::Local,
    })
}

const LONG_MAX: i64 = i64::MAX;
const INT_MAX: i64 = i32::MAX as i64;

macro_rules! boolean {
    ($name:literal, $alias:expr, $field:ident, $def:literal, $flags:expr) => {
        Setting {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: SettingKind::Bool,
            default: $def,
            get: |c| yes_no(c.$field),
            set: |c, v| {
                c.$field = parse_bool(v)?;
                Ok(())
            },
        }
    };
}

macro_rules! int {
    ($name:literal, $alias:expr, $field:ident, $min:expr, $max:expr, $def:literal, $flags:expr) => {
        Setting {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: SettingKind::Int,
            default: $def,
            get: |c| c.$field.to_string(),
            set: |c, v| {
                c.$field = parse_int(v, $min, $max)?;
                Ok(())
            },
        }
    };
}

macro_rules! memory {
    ($name:literal, $alias:expr, $field:ident, $min:expr, $max:expr, $def:literal, $flags:expr) => {
        Setting {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: SettingKind::Memory,
            default: $def,
            get: |c| c.$field.to_string(),
            set: |c, v| {
                c.$field = parse_mem_range(v, $min, $max)?;
                Ok(())
            },
        }
    };
}

macro_rules! string {
    ($name:literal, $alias:expr, $field:ident, $def:literal, $flags:expr) => {
        Setting {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: SettingKind::Str,
            default: $def,
            get: |c| c.$field.clone(),
            set: |c, v| {
                c.$field = text(v)?.to_string();
                Ok(())
            },
        }
    };
}

/// Accepted, validated and reported, with no behaviour of its own in this server.
macro_rules! inert {
    ($name:literal, $alias:expr, Bool, $def:literal, $flags:expr) => {
        Setting {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: SettingKind::Bool,
            default: $def,
            get: |c| c.inert.get($name).cloned().unwrap_or_default(),
            set: |c, v| {
                let b = parse_bool(v)?;
                c.inert.insert($name, yes_no(b));
                Ok(())
            },
        }
    };
    ($name:literal, $alias:expr, Int($min:expr, $max:expr), $def:literal, $flags:expr) => {
        Setting {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: SettingKind::Int,
            default: $def,
            get: |c| c.inert.get($name).cloned().unwrap_or_default(),
            set: |c, v| {
                let n = parse_int(v, $min, $max)?;
                c.inert.insert($name, n.to_string());
                Ok(())
            },
        }
    };
    ($name:literal, $alias:expr, Memory($min:expr, $max:expr), $def:literal, $flags:expr) => {
        Setting {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: SettingKind::Memory,
            default: $def,
            get: |c| c.inert.get($name).cloned().unwrap_or_default(),
            set: |c, v| {
                let n = parse_mem_range(v, $min, $max)?;
                c.inert.insert($name, n.to_string());
                Ok(())
            },
        }
    };
    ($name:literal, $alias:expr, Enum($($opt:literal),+), $def:literal, $flags:expr) => {
        Setting {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: SettingKind::Enum,
            default: $def,
            get: |c| c.inert.get($name).cloned().unwrap_or_default(),
            set: |c, v| {
                let names = [$($opt),+];
                let i = parse_enum(v, &names)?;
                c.inert.insert($name, names[i].to_string());
                Ok(())
            },
        }
    };
    ($name:literal, $alias:expr, Str, $def:literal, $flags:expr) => {
        Setting {
            name: $name,
            alias: $alias,
            flags: $flags,
            kind: SettingKind::Str,
            default: $def,
            get: |c| c.inert.get($name).cloned().unwrap_or_default(),
            set: |c, v| {
                let s = text(v)?.to_string();
                c.inert.insert($name, s);
                Ok(())
            },
        }
    };
}

/// A setting kept in `inert` whose value is checked and normalized by `$parse`.
macro_rules! checked {
    ($name:literal, $kind:ident, $def:literal, $parse:expr) => {
        Setting {
            name: $name,
            alias: None,
            flags: 0,
            kind: SettingKind::$kind,
            default: $def,
            get: |c| c.inert.get($name).cloned().unwrap_or_default(),
            set: |c, v| {
                let f: fn(&[u8]) -> Result<String, String> = $parse;
                let s = f(v)?;
                c.inert.insert($name, s);
                Ok(())
            },
        }
    };
}

/// shutdown-on-sigint / sigterm: a set of flags printed in table order, or "default".
macro_rules! shutdown_flags {
    ($name:literal) => {
        Setting {
            name: $name,
            alias: None,
            flags: 0,
            kind: SettingKind::Enum,
            default: "default",
            get: |c| c.inert.get($name).cloned().unwrap_or_default(),
            set: |c, v| {
                let s = parse_shutdown_flags(v)?;
                c.inert.insert($name, s);
                Ok(())
            },
        }
    };
}

static SETTINGS: &[Setting] = &[
    // Network and general.
    Setting {
        name: "bind",
        alias: None,
        flags: 0,
        kind: SettingKind::Special,
        default: "* -::*",
        get: |c| c.bind.join(" "),
        set: |c, v| {
            let s = text(v)?;
            let addrs: Vec<String> = s.split_whitespace().map(str::to_string).collect();
            if addrs.is_empty() {
                return Err("Too many bind addresses specified.".into());
            }
            c.bind = addrs;
            Ok(())
        },
    },
    int!("port", None, port, 0, 65535, "6379", 0),
    boolean!("protected-mode", None, protected_mode, "yes", 0),
    int!("timeout", None, timeout, 0, INT_MAX, "0", 0),
    int!("tcp-keepalive", None, tcp_keepalive, 0, INT_MAX, "300", 0),
    int!(
        "maxclients",
        None,
        maxclients,
        1,
        u32::MAX as i64,
        "10000",
        0
    ),
    int!("databases", None, databases, 1, INT_MAX, "16", IMMUTABLE),
    Setting {
        name: "hz",
        alias: None,
        flags: 0,
        kind: SettingKind::Int,
        default: "10",
        get: |c| c.hz.to_string(),
        // Accepted from 0 up, then kept within CONFIG_MIN_HZ..CONFIG_MAX_HZ.
        set: |c, v| {
            c.hz = parse_int(v, 0, INT_MAX)?.clamp(1, 500);
            Ok(())
        },
    },
    int!("io-threads", None, io_threads, 1, 128, "1", IMMUTABLE),
    Setting {
        name: "loglevel",
        alias: None,
        flags: 0,
        kind: SettingKind::Enum,
        default: "notice",
        get: |c| c.loglevel.clone(),
        set: |c, v| {
            let names = ["debug", "verbose", "notice", "warning"];
            c.loglevel = names[parse_enum(v, &names)?].to_string();
            Ok(())
        },
    },
    string!("logfile", None, logfile, "", IMMUTABLE),
    boolean!("daemonize", None, daemonize, "no", IMMUTABLE),
    string!("pidfile", None, pidfile, "", IMMUTABLE),
    Setting {
        name: "enable-debug-command",
        alias: None,
        flags: IMMUTABLE,
        kind: SettingKind::Enum,
        default: "no",
        get: |c| protected_name(c.enable_debug_command),
        set: |c, v| {
            c.enable_debug_command = parse_protected(v)?;
            Ok(())
        },
    },
    Setting {
        name: "requirepass",
        alias: None,
        flags: SENSITIVE,
        kind: SettingKind::Special,
        default: "",
        get: |c| {
            c.requirepass
                .as_ref()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .unwrap_or_default()
        },
        set: |c, v| {
            c.requirepass = if v.is_empty() { None } else { Some(v.to_vec()) };
            Ok(())
        },
    },
    Setting {
        name: "masterauth",
        alias: None,
        flags: SENSITIVE,
        kind: SettingKind::Special,
        default: "",
        get: |c| {
            c.masterauth
                .as_ref()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .unwrap_or_default()
        },
        set: |c, v| {
            c.masterauth = if v.is_empty() { None } else { Some(v.to_vec()) };
            Ok(())
        },
    },
    memory!(
        "proto-max-bulk-len",
        None,
        proto_max_bulk_len,
        1024 * 1024,
        LONG_MAX,
        "536870912",
        0
    ),
    memory!(
        "client-query-buffer-limit",
        None,
        client_query_buffer_limit,
        1024 * 1024,
        LONG_MAX,
        "1073741824",
        0
    ),
    memory!("maxmemory", None, maxmemory, 0, LONG_MAX, "0", 0),
    Setting {
        name: "maxmemory-policy",
        alias: None,
        flags: 0,
        kind: SettingKind::Enum,
        default: "noeviction",
        get: |c| c.maxmemory_policy.name().to_string(),
        set: |c, v| {
            let names: Vec<&str> = EvictionPolicy::NAMES.iter().map(|(n, _)| *n).collect();
            c.maxmemory_policy = EvictionPolicy::NAMES[parse_enum(v, &names)?].1;
            Ok(())
        },
    },
    int!(
        "maxmemory-samples",
        None,
        maxmemory_samples,
        1,
        INT_MAX,
        "5",
        0
    ),
    int!(
        "maxmemory-eviction-tenacity",
        None,
        maxmemory_eviction_tenacity,
        0,
        100,
        "10",
        0
    ),
    int!("lfu-log-factor", None, lfu_log_factor, 0, INT_MAX, "10", 0),
    int!("lfu-decay-time", None, lfu_decay_time, 0, INT_MAX, "1", 0),
    int!(
        "active-expire-effort",
        None,
        active_expire_effort,
        1,
        10,
        "1",
        0
    ),
    boolean!("activerehashing", None, activerehashing, "yes", 0),
    Setting {
        name: "save",
        alias: None,
        flags: 0,
        kind: SettingKind::Special,
        default: "3600 1 300 100 60 10000",
        get: |c| c.save.clone(),
        set: |c, v| {
            c.save = parse_save(v)?;
            Ok(())
        },
    },
    Setting {
        name: "dir",
        alias: None,
        flags: PROTECTED,
        kind: SettingKind::Special,
        default: "",
        // Like Redis, the working directory itself (getcwd): the server chdirs
        // to `dir` at startup and on CONFIG SET.
        get: |c| {
            std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| c.dir.clone())
        },
        set: |c, v| {
            c.dir = text(v)?.to_string();
            Ok(())
        },
    },
    string!("dbfilename", None, dbfilename, "dump.rdb", PROTECTED),
    string!("replicaof", Some("slaveof"), replicaof, "", IMMUTABLE),
    boolean!(
        "replica-read-only",
        Some("slave-read-only"),
        replica_read_only,
        "yes",
        0
    ),
    int!(
        "slowlog-log-slower-than",
        None,
        slowlog_log_slower_than,
        -1,
        LONG_MAX,
        "10000",
        0
    ),
    int!(
        "slowlog-max-len",
        None,
        slowlog_max_len,
        0,
        LONG_MAX,
        "128",
        0
    ),
    int!(
        "latency-monitor-threshold",
        None,
        latency_monitor_threshold,
        0,
        LONG_MAX,
        "0",
        0
    ),
    Setting {
        name: "notify-keyspace-events",
        alias: None,
        flags: 0,
        kind: SettingKind::Special,
        default: "",
        get: |c| c.notify_keyspace_events.clone(),
        set: |c, v| {
            c.notify_keyspace_events = normalize_keyspace_events(v)?;
            c.notify_keyspace_flags = crate::store::notify::parse_flags(v).unwrap_or(0);
            Ok(())
        },
    },
    int!(
        "hash-max-listpack-entries",
        Some("hash-max-ziplist-entries"),
        hash_max_listpack_entries,
        0,
        LONG_MAX,
        "512",
        0
    ),
    memory!(
        "hash-max-listpack-value",
        Some("hash-max-ziplist-value"),
        hash_max_listpack_value,
        0,
        LONG_MAX,
        "64",
        0
    ),
    int!(
        "list-max-listpack-size",
        Some("list-max-ziplist-size"),
        list_max_listpack_size,
        INT_MAX.wrapping_neg(),
        INT_MAX,
        "-2",
        0
    ),
    int!(
        "list-compress-depth",
        None,
        list_compress_depth,
        0,
        INT_MAX,
        "0",
        0
    ),
    int!(
        "set-max-intset-entries",
        None,
        set_max_intset_entries,
        0,
        LONG_MAX,
        "512",
        0
    ),
    int!(
        "zset-max-listpack-entries",
        Some("zset-max-ziplist-entries"),
        zset_max_listpack_entries,
        0,
        LONG_MAX,
        "128",
        0
    ),
    memory!(
        "zset-max-listpack-value",
        Some("zset-max-ziplist-value"),
        zset_max_listpack_value,
        0,
        LONG_MAX,
        "64",
        0
    ),
    memory!(
        "hll-sparse-max-bytes",
        None,
        hll_sparse_max_bytes,
        0,
        LONG_MAX,
        "3000",
        0
    ),
    // Accepted and reported; their behaviour does not apply to this server or is
    // implemented by the feature that reads them.
    inert!("tcp-backlog", None, Int(0, INT_MAX), "511", IMMUTABLE),
    inert!("unixsocket", None, Str, "", IMMUTABLE),
    inert!("unixsocketperm", None, Int(0, 0o777), "0", IMMUTABLE),
    inert!(
        "supervised",
        None,
        Enum("upstart", "systemd", "auto", "no"),
        "no",
        IMMUTABLE
    ),
    inert!("syslog-enabled", None, Bool, "no", IMMUTABLE),
    inert!("syslog-ident", None, Str, "redis", IMMUTABLE),
    inert!(
        "syslog-facility",
        None,
        Enum(
            "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"
        ),
        "local0",
        IMMUTABLE
    ),
    inert!("always-show-logo", None, Bool, "no", IMMUTABLE),
    inert!("set-proc-title", None, Bool, "yes", IMMUTABLE),
    checked!(
        "proc-title-template",
        Str,
        "{title} {listen-addr} {server-mode}",
        |v| {
            let s = text(v)?;
            if !valid_proc_title(s) {
                return Err("template format is invalid or contains unknown variables".into());
            }
            Ok(s.to_string())
        }
    ),
    inert!("crash-log-enabled", None, Bool, "yes", 0),
    inert!("crash-memcheck-enabled", None, Bool, "yes", 0),
    inert!("dynamic-hz", None, Bool, "yes", 0),
    inert!("io-threads-do-reads", None, Bool, "no", IMMUTABLE),
    inert!(
        "enable-protected-configs",
        None,
        Enum("no", "yes", "local"),
        "no",
        IMMUTABLE
    ),
    inert!(
        "enable-module-command",
        None,
        Enum("no", "yes", "local"),
        "no",
        IMMUTABLE
    ),
    inert!(
        "busy-reply-threshold",
        Some("lua-time-limit"),
        Int(0, LONG_MAX),
        "5000",
        0
    ),
    inert!("acllog-max-len", None, Int(0, LONG_MAX), "128", 0),
    inert!("aclfile", None, Str, "", IMMUTABLE),
    inert!(
        "acl-pubsub-default",
        None,
        Enum("allchannels", "resetchannels"),
        "resetchannels",
        0
    ),
    Setting {
        name: "maxmemory-clients",
        alias: None,
        flags: 0,
        kind: SettingKind::Memory,
        default: "0",
        get: |c| {
            c.inert
                .get("maxmemory-clients")
                .cloned()
                .unwrap_or_default()
        },
        set: |c, v| {
            let s = parse_memory_or_percent(v)?;
            c.inert.insert("maxmemory-clients", s);
            Ok(())
        },
    },
    inert!("lazyfree-lazy-eviction", None, Bool, "no", 0),
    inert!("lazyfree-lazy-expire", None, Bool, "no", 0),
    inert!("lazyfree-lazy-server-del", None, Bool, "no", 0),
    inert!("lazyfree-lazy-user-del", None, Bool, "no", 0),
    inert!("lazyfree-lazy-user-flush", None, Bool, "no", 0),
    inert!(
        "replica-lazy-flush",
        Some("slave-lazy-flush"),
        Bool,
        "no",
        0
    ),
    Setting {
        name: "client-output-buffer-limit",
        alias: None,
        flags: 0,
        kind: SettingKind::Special,
        default: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        get: |c| {
            c.inert
                .get("client-output-buffer-limit")
                .cloned()
                .unwrap_or_default()
        },
        set: |c, v| {
            let cur = c
                .inert
                .get("client-output-buffer-limit")
                .cloned()
                .unwrap_or_default();
            let next = parse_output_buffer_limits(&cur, v)?;
            c.inert.insert("client-output-buffer-limit", next);
            Ok(())
        },
    },
    boolean!("rdbcompression", None, rdbcompression, "yes", 0),
    boolean!("rdbchecksum", None, rdbchecksum, "yes", IMMUTABLE),
    boolean!(
        "stop-writes-on-bgsave-error",
        None,
        stop_writes_on_bgsave_error,
        "yes",
        0
    ),
    inert!("rdb-del-sync-files", None, Bool, "no", 0),
    inert!("rdb-save-incremental-fsync", None, Bool, "yes", 0),
    inert!(
        "sanitize-dump-payload",
        None,
        Enum("no", "yes", "clients"),
        "no",
        0
    ),
    inert!("appendonly", None, Bool, "no", 0),
    inert!("appendfilename", None, Str, "appendonly.aof", IMMUTABLE),
    inert!("appenddirname", None, Str, "appendonlydir", IMMUTABLE),
    inert!(
        "appendfsync",
        None,
        Enum("everysec", "always", "no"),
        "everysec",
        0
    ),
    inert!("no-appendfsync-on-rewrite", None, Bool, "no", 0),
    inert!(
        "auto-aof-rewrite-percentage",
        None,
        Int(0, INT_MAX),
        "100",
        0
    ),
    inert!(
        "auto-aof-rewrite-min-size",
        None,
        Memory(0, LONG_MAX),
        "67108864",
        0
    ),
    inert!("aof-load-truncated", None, Bool, "yes", 0),
    inert!("aof-use-rdb-preamble", None, Bool, "yes", 0),
    inert!("aof-rewrite-incremental-fsync", None, Bool, "yes", 0),
    inert!("aof-timestamp-enabled", None, Bool, "no", 0),
    inert!("aof-disable-auto-gc", None, Bool, "no", 0),
    inert!("masteruser", None, Str, "", SENSITIVE),
    inert!(
        "replica-serve-stale-data",
        Some("slave-serve-stale-data"),
        Bool,
        "yes",
        0
    ),
    inert!("repl-diskless-sync", None, Bool, "yes", 0),
    inert!("repl-diskless-sync-delay", None, Int(0, INT_MAX), "5", 0),
    inert!(
        "repl-diskless-sync-max-replicas",
        None,
        Int(0, INT_MAX),
        "0",
        0
    ),
    inert!(
        "repl-diskless-load",
        None,
        Enum("disabled", "on-empty-db", "swapdb"),
        "disabled",
        0
    ),
    inert!(
        "repl-ping-replica-period",
        Some("repl-ping-slave-period"),
        Int(1, INT_MAX),
        "10",
        0
    ),
    inert!("repl-timeout", None, Int(1, INT_MAX), "60", 0),
    inert!("repl-disable-tcp-nodelay", None, Bool, "no", 0),
    checked!("repl-backlog-size", Memory, "1048576", |v| {
        // Below CONFIG_REPL_BACKLOG_MIN_SIZE the backlog is raised to it.
        Ok(parse_mem_range(v, 1, LONG_MAX)?.max(16 * 1024).to_string())
    }),
    inert!("repl-backlog-ttl", None, Int(0, LONG_MAX), "3600", 0),
    inert!(
        "replica-priority",
        Some("slave-priority"),
        Int(0, INT_MAX),
        "100",
        0
    ),
    inert!("replica-announced", None, Bool, "yes", 0),
    inert!("replica-announce-ip", Some("slave-announce-ip"), Str, "", 0),
    inert!(
        "replica-announce-port",
        Some("slave-announce-port"),
        Int(0, 65535),
        "0",
        0
    ),
    inert!(
        "min-replicas-to-write",
        Some("min-slaves-to-write"),
        Int(0, INT_MAX),
        "0",
        0
    ),
    inert!(
        "min-replicas-max-lag",
        Some("min-slaves-max-lag"),
        Int(0, INT_MAX),
        "10",
        0
    ),
    inert!(
        "replica-ignore-maxmemory",
        Some("slave-ignore-maxmemory"),
        Bool,
        "yes",
        0
    ),
    inert!("replica-ignore-disk-write-errors", None, Bool, "no", 0),
    inert!(
        "propagation-error-behavior",
        None,
        Enum("ignore", "panic", "panic-on-replicas"),
        "ignore",
        0
    ),
    boolean!("latency-tracking", None, latency_tracking, "yes", 0),
    Setting {
        name: "latency-tracking-info-percentiles",
        alias: None,
        flags: 0,
        kind: SettingKind::Special,
        default: "50 99 99.9",
        get: |c| {
            c.latency_tracking_info_percentiles
                .iter()
                .map(|p| trim_double(*p))
                .collect::<Vec<_>>()
                .join(" ")
        },
        set: |c, v| {
            c.latency_tracking_info_percentiles = parse_percentiles(v)?;
            Ok(())
        },
    },
    inert!(
        "stream-node-max-bytes",
        None,
        Memory(0, LONG_MAX),
        "4096",
        0
    ),
    inert!("stream-node-max-entries", None, Int(0, LONG_MAX), "100", 0),
    inert!(
        "tracking-table-max-keys",
        None,
        Int(0, LONG_MAX),
        "1000000",
        0
    ),
    checked!("activedefrag", Bool, "no", |v| {
        if parse_bool(v)? {
            // Like a Redis built without its modified jemalloc.
            return Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution".into());
        }
        Ok("no".into())
    }),
    inert!("active-defrag-cycle-max", None, Int(1, 99), "25", 0),
    inert!("active-defrag-cycle-min", None, Int(1, 99), "1", 0),
    inert!(
        "active-defrag-ignore-bytes",
        None,
        Memory(1, LONG_MAX),
        "104857600",
        0
    ),
    inert!(
        "active-defrag-max-scan-fields",
        None,
        Int(1, LONG_MAX),
        "1000",
        0
    ),
    inert!("active-defrag-threshold-lower", None, Int(0, 1000), "10", 0),
    inert!(
        "active-defrag-threshold-upper",
        None,
        Int(0, 1000),
        "100",
        0
    ),
    inert!("jemalloc-bg-thread", None, Bool, "yes", 0),
    inert!("disable-thp", None, Bool, "yes", IMMUTABLE),
    inert!(
        "oom-score-adj",
        None,
        Enum("no", "yes", "relative", "absolute"),
        "no",
        0
    ),
    Setting {
        name: "oom-score-adj-values",
        alias: None,
        flags: 0,
        kind: SettingKind::Special,
        default: "0 200 800",
        get: |c| {
            c.inert
                .get("oom-score-adj-values")
                .cloned()
                .unwrap_or_default()
        },
        set: |c, v| {
            let s = text(v)?;
            let words: Vec<&str> = s.split(' ').filter(|w| !w.is_empty()).collect();
            if words.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            let mut vals = Vec::new();
            for w in words {
                match crate::util::string2ll(w.as_bytes()) {
                    Some(n) if (-2000..=2000).contains(&n) => vals.push(n.to_string()),
                    _ => return Err(
                        "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                            .into(),
                    ),
                }
            }
            c.inert.insert("oom-score-adj-values", vals.join(" "));
            Ok(())
        },
    },
    shutdown_flags!("shutdown-on-sigint"),
    shutdown_flags!("shutdown-on-sigterm"),
    inert!("shutdown-timeout", None, Int(0, INT_MAX), "10", 0),
    inert!("cluster-enabled", None, Bool, "no", IMMUTABLE),
    inert!("ignore-warnings", None, Str, "", 0),
    inert!("bind-source-addr", None, Str, "", 0),
    inert!(
        "socket-mark-id",
        None,
        Int(0, u32::MAX as i64),
        "0",
        IMMUTABLE
    ),
    inert!(
        "key-load-delay",
        None,
        Int(i32::MIN as i64, INT_MAX),
        "0",
        HIDDEN
    ),
    inert!(
        "rdb-key-save-delay",
        None,
        Int(i32::MIN as i64, INT_MAX),
        "0",
        HIDDEN
    ),
    inert!(
        "loading-process-events-interval-bytes",
        None,
        Int(1024, INT_MAX),
        "2097152",
        HIDDEN
    ),
    inert!("watchdog-period", None, Int(0, INT_MAX), "0", HIDDEN),
    inert!("server_cpulist", None, Str, "", IMMUTABLE),
    inert!("bio_cpulist", None, Str, "", IMMUTABLE),
    inert!("aof_rewrite_cpulist", None, Str, "", IMMUTABLE),
    inert!("bgsave_cpulist", None, Str, "", IMMUTABLE),
    inert!("cluster-config-file", None, Str, "nodes.conf", IMMUTABLE),
    inert!("cluster-port", None, Int(0, 65535), "0", IMMUTABLE),
    inert!("cluster-node-timeout", None, Int(0, LONG_MAX), "15000", 0),
    inert!("cluster-migration-barrier", None, Int(0, INT_MAX), "1", 0),
    inert!(
        "cluster-replica-validity-factor",
        Some("cluster-slave-validity-factor"),
        Int(0, INT_MAX),
        "10",
        0
    ),
    inert!(
        "cluster-replica-no-failover",
        Some("cluster-slave-no-failover"),
        Bool,
        "no",
        0
    ),
    inert!("cluster-require-full-coverage", None, Bool, "yes", 0),
    inert!("cluster-allow-reads-when-down", None, Bool, "no", 0),
    inert!("cluster-allow-pubsubshard-when-down", None, Bool, "yes", 0),
    inert!("cluster-allow-replica-migration", None, Bool, "yes", 0),
    inert!("cluster-announce-ip", None, Str, "", 0),
    checked!("cluster-announce-hostname", Str, "", |v| {
        let s = text(v)?;
        if !s
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
        {
            return Err(
                "Hostnames may only contain alphanumeric characters, hyphens or dots".into(),
            );
        }
        Ok(s.to_string())
    }),
    inert!("cluster-announce-port", None, Int(0, 65535), "0", 0),
    inert!("cluster-announce-bus-port", None, Int(0, 65535), "0", 0),
    inert!("cluster-announce-tls-port", None, Int(0, 65535), "0", 0),
    inert!(
        "cluster-preferred-endpoint-type",
        None,
        Enum("ip", "hostname", "unknown-endpoint"),
        "ip",
        0
    ),
    inert!(
        "cluster-link-sendbuf-limit",
        None,
        Memory(0, LONG_MAX),
        "0",
        0
    ),
    checked!("tls-port", Int, "0", |v| {
        // This server has no TLS: any TLS port fails like Redis without usable certificates.
        match parse_int(v, 0, 65535)? {
            0 => Ok("0".into()),
            _ => Err("Unable to update TLS configuration. Check server logs.".into()),
        }
    }),
    inert!("tls-cert-file", None, Str, "", 0),
    inert!("tls-key-file", None, Str, "", 0),
    inert!("tls-key-file-pass", None, Str, "", SENSITIVE),
    inert!("tls-client-cert-file", None, Str, "", 0),
    inert!("tls-client-key-file", None, Str, "", 0),
    inert!("tls-client-key-file-pass", None, Str, "", SENSITIVE),
    inert!("tls-dh-params-file", None, Str, "", 0),
    inert!("tls-ca-cert-file", None, Str, "", 0),
    inert!("tls-ca-cert-dir", None, Str, "", 0),
    inert!("tls-protocols", None, Str, "", 0),
    inert!("tls-ciphers", None, Str, "", 0),
    inert!("tls-ciphersuites", None, Str, "", 0),
    inert!(
        "tls-auth-clients",
        None,
        Enum("no", "yes", "optional"),
        "yes",
        0
    ),
    checked!("tls-replication", Bool, "no", |v| {
        match parse_bool(v)? {
            false => Ok("no".into()),
            true => Err("Unable to update TLS configuration. Check server logs.".into()),
        }
    }),
    checked!("tls-cluster", Bool, "no", |v| {
        match parse_bool(v)? {
            false => Ok("no".into()),
            true => Err("Unable to update TLS configuration. Check server logs.".into()),
        }
    }),
    inert!("tls-prefer-server-ciphers", None, Bool, "no", 0),
    inert!("tls-session-caching", None, Bool, "yes", 0),
    inert!("tls-session-cache-size", None, Int(0, INT_MAX), "20480", 0),
    inert!("tls-session-cache-timeout", None, Int(0, INT_MAX), "300", 0),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_defaults_parse() {
        let mut seen = std::collections::HashSet::new();
        let mut c = Config::default();
        for s in settings() {
            assert!(seen.insert(s.name), "duplicate {}", s.name);
            if let Some(a) = s.alias {
                assert!(seen.insert(a), "duplicate alias {a}");
            }
            (s.set)(&mut c, s.default.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", s.name));
            if s.kind != SettingKind::Special && s.kind != SettingKind::Memory {
                assert_eq!((s.get)(&c), s.default, "{} prints its default back", s.name);
            }
        }
    }

    #[test]
    fn errors_match_redis_wording() {
        let mut c = Config::default();
        assert_eq!(
            c.set("port", b"70000").unwrap_err(),
            "argument must be between 0 and 65535 inclusive"
        );
        assert_eq!(
            c.set("port", b"x").unwrap_err(),
            "argument couldn't be parsed into an integer"
        );
        assert_eq!(
            c.set("activerehashing", b"maybe").unwrap_err(),
            "argument must be 'yes' or 'no'"
        );
        assert_eq!(
            c.set("maxmemory", b"1zb").unwrap_err(),
            "argument must be a memory value"
        );
        c.set("maxmemory", b"1mb").expect("valid");
        assert_eq!(c.maxmemory, 1024 * 1024);
        c.set("MAXMEMORY-POLICY", b"allkeys-lru").expect("valid");
        assert_eq!(c.maxmemory_policy, EvictionPolicy::AllkeysLru);
        c.set("slave-read-only", b"no").expect("alias");
        for (v, want) in [
            ("KEA", "AKE"),
            ("K$", "$K"),
            ("Ex", "xE"),
            ("zz", "z"),
            ("KEAn", "AKE"),
            ("lshzxetdg$K", "AK"),
            ("KEAmn", "AKEm"),
            ("", ""),
        ] {
            c.set("notify-keyspace-events", v.as_bytes())
                .expect("valid");
            assert_eq!(c.notify_keyspace_events, want, "{v}");
        }
        assert_eq!(
            c.set("notify-keyspace-events", b"Kq").unwrap_err(),
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        );
        assert_eq!(
            c.set("save", b"0 1").unwrap_err(),
            "Invalid save parameters"
        );
        assert!(c.set("save", b"100 5 ").is_err());
        c.set("save", b"1 99999999999").expect("valid");
        assert_eq!(c.save, "1 1215752191");
        assert!(!c.replica_read_only);
    }
}
