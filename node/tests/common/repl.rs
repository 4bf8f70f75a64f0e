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
