//! Helpers of the replication process tests (replica.rs, replication.rs).

use std::time::{Duration, Instant};

use super::Raw;

/// Polls `f` until it holds, failing after 20 s.
pub fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One field of an INFO section ("" when absent).
pub fn info_field(c: &mut Raw, section: &str, field: &str) -> String {
    let info = c.cmd_str(&format!("INFO {section}"));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .to_string()
}

/// Data of every type, with expiries, in two databases.
pub const POPULATE: &[&str] = &[
    "SET str hello",
    "SET int 12345",
    "SET big 0123456789012345678901234567890123456789",
    "SET ttl v EX 1000",
    "RPUSH list a b c 1 2",
    "HSET hash f1 v1 f2 2",
    "SADD iset 1 2 3",
    "SADD set x y z",
    "ZADD zset 1 a 2.5 b -3 c",
    "PFADD hll a b c",
    "SELECT 3",
    "SET db3 other",
    "LPUSH db3list q",
    "PEXPIRE db3list 900000",
    "SELECT 0",
];

/// What a key holds, read the same way from both servers.
pub fn dump_key(c: &mut Raw, key: &str) -> String {
    let t = c.cmd_str(&format!("TYPE {key}"));
    let body = match t.trim_end() {
        "+string" => c.cmd_str(&format!("GET {key}")),
        "+list" => c.cmd_str(&format!("LRANGE {key} 0 -1")),
        "+hash" => c.cmd_str(&format!("HGETALL {key}")),
        "+set" => c.cmd_str(&format!("SORT_RO {key} ALPHA")),
        "+zset" => c.cmd_str(&format!("ZRANGE {key} 0 -1 WITHSCORES")),
        _ => String::new(),
    };
    let ttl = c.cmd_str(&format!("TTL {key}"));
    format!("{t}{body} ttl={}", !ttl.starts_with(":-"))
}

/// `keys` in databases 0 and 3, as [`dump_key`] reads them.
pub fn dump_all(keys: &[&str], c: &mut Raw) -> Vec<String> {
    let mut out = Vec::new();
    for db in ["0", "3"] {
        c.cmd_str(&format!("SELECT {db}"));
        for k in keys {
            out.push(format!("{db}/{k}: {}", dump_key(c, k)));
        }
    }
    c.cmd_str("SELECT 0");
    out
}

/// Writes [`POPULATE`], failing on any error reply.
pub fn populate(c: &mut Raw) {
    for l in POPULATE {
        let r = c.cmd_str(l);
        assert!(!r.starts_with('-'), "{l}: {r}");
    }
}

/// Polls until the replica reports its link to the master up.
pub fn wait_link_up(r: &mut Raw) {
    wait_for("master_link_status:up", || {
        info_field(r, "replication", "master_link_status") == "up"
    });
}
