//! The replication stream, differentially: the same script runs against a
//! real redis-server 7.0 and our node, each with a raw fake replica attached
//! (PSYNC ? -1, RDB skipped), and the two command streams must match byte
//! for byte, except absolute expiry times computed from the clock (checked
//! to be plausible instead). The master_repl_offset of both must match too,
//! which checks the byte accounting of the whole stream.

mod common;

use std::time::{Duration, Instant};

use common::{have_redis, start_node, start_redis, FakeReplica, Proc, Raw};

const END: &str = "repl-stream-test-end";

/// Both servers: no periodic PING in the stream during a test, disk-style
/// `$len` framing (the fake replica lacks capa eof), no sync delay.
const ARGS: &[&str] = &[
    "--repl-ping-replica-period",
    "3600",
    "--repl-diskless-sync-delay",
    "0",
];

/// Runs one script line: a command (words split on spaces, `""` for an
/// empty argument) or a directive: `@sleep MS` (let PX keys expire),
/// `@dbsize N` (poll until the active expiry cycle got there), `~CMD` (run
/// CMD without comparing its reply: set members come in hash order).
fn run_line(c: &mut Raw, line: &str) -> String {
    if let Some(cmd) = line.strip_prefix('~') {
        run_line(c, cmd);
        return String::new();
    }
    if let Some(ms) = line.strip_prefix("@sleep ") {
        std::thread::sleep(Duration::from_millis(ms.parse().expect("ms")));
        return String::new();
    }
    if let Some(n) = line.strip_prefix("@dbsize ") {
        let deadline = Instant::now() + Duration::from_secs(10);
        while c.cmd_str("DBSIZE") != format!(":{n}\r\n") {
            assert!(Instant::now() < deadline, "DBSIZE never reached {n}");
            std::thread::sleep(Duration::from_millis(10));
        }
        return String::new();
    }
    let args: Vec<&[u8]> = line
        .split(' ')
        .map(|w| if w == "\"\"" { &b""[..] } else { w.as_bytes() })
        .collect();
    String::from_utf8_lossy(&c.cmd(&args)).into_owned()
}

struct Run {
    replies: Vec<String>,
    stream: Vec<String>,
    offset: String,
}

fn run_script(p: &Proc, script: &[&str]) -> Run {
    let mut rep = FakeReplica::full_sync(p.port, false);
    let mut c = Raw::connect(p.port);
    let mut bg: Vec<Raw> = Vec::new();
    let mut replies = Vec::new();
    for l in script {
        if let Some(cmd) = l.strip_prefix("@bg ") {
            // A client that blocks; wait until the server has it blocked.
            let mut b = Raw::connect(p.port);
            let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
            b.send_cmd(&args);
            bg.push(b);
            let want = format!("blocked_clients:{}", bg.len());
            let deadline = Instant::now() + Duration::from_secs(10);
            while !c.cmd_str("INFO clients").contains(&want) {
                assert!(Instant::now() < deadline, "{cmd} never blocked");
                std::thread::sleep(Duration::from_millis(5));
            }
        } else if *l == "@collect" {
            for mut b in bg.drain(..) {
                replies.push(String::from_utf8_lossy(&b.read_reply()).into_owned());
            }
        } else {
            replies.push(run_line(&mut c, l));
        }
    }
    c.cmd(&[b"PUBLISH", END.as_bytes(), b"x"]);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let stream = rep
        .read_until_marker(END.as_bytes())
        .iter()
        .map(|cmd| show(cmd, now_ms))
        .collect();
    let info = c.cmd_str("INFO replication");
    let offset = info
        .lines()
        .find(|l| l.starts_with("master_repl_offset:"))
        .unwrap_or("")
        .to_string();
    Run {
        replies,
        stream,
        offset,
    }
}

/// A stream command as text, with clock-derived absolute times (13 digits
/// after PXAT or as PEXPIREAT's time) replaced by `<now+>` once checked to
/// lie between now - 1 minute and now + 1 day.
fn show(cmd: &[Vec<u8>], now_ms: i64) -> String {
    let mut words: Vec<String> = cmd
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let at = match words.first().map(|w| w.to_ascii_uppercase()) {
        Some(w) if w == "PEXPIREAT" => Some(2),
        Some(w) if w == "SET" => words
            .iter()
            .position(|w| w.eq_ignore_ascii_case("pxat"))
            .map(|i| i + 1),
        _ => None,
    };
    if let Some(i) = at {
        if let Some(t) = words.get(i).and_then(|w| w.parse::<i64>().ok()) {
            if (now_ms - 60_000..now_ms + 86_400_000).contains(&t) {
                words[i] = "<now+>".into();
            }
        }
    }
    words.join(" ")
}

fn compare(script: &[&str], expect: &[&str]) {
    compare_with(&[], script, expect)
}

fn compare_with(extra: &[&str], script: &[&str], expect: &[&str]) {
    assert!(
        have_redis(),
        "redis-server 7.0 is required: run scripts/test-deps"
    );
    let args: Vec<&str> = ARGS.iter().chain(extra).copied().collect();
    let redis = start_redis(&args);
    let node = start_node(&args);
    let want = run_script(&redis, script);
    let got = run_script(&node, script);
    for e in expect {
        assert!(
            want.stream.iter().any(|c| c == e),
            "redis did not propagate {e:?}: {:#?}",
            want.stream
        );
    }
    for (i, (w, g)) in want.replies.iter().zip(&got.replies).enumerate() {
        assert_eq!(g, w, "reply {i} differs");
    }
    assert_eq!(got.stream, want.stream, "replication streams differ");
    assert_eq!(got.offset, want.offset, "master_repl_offset differs");
}

#[test]
fn rewrites_of_relative_and_derived_writes() {
    compare(
        &[
            "DEBUG SET-ACTIVE-EXPIRE 0",
            "SET a 1",
            "SET b 1 EX 100",
            "SET b 1 EXAT 1900000000 NX GET",
            "SET c 1 KEEPTTL GET",
            "set lower 1 px 100000",
            "SETEX d 100 x",
            "PSETEX d 100000 x",
            "SET p 1 PXAT 1900000000000",
            "SET q 1 EXAT 1900000000 XX",
            "SET q 2 EX 0",
            "EXPIRE a 100",
            "EXPIRE a 100 XX",
            "EXPIRE nokey 100",
            "PEXPIRE a 200000 GT",
            "PEXPIRE a 100 GT",
            "PEXPIREAT a 1900000000000",
            "EXPIREAT a 1900000000",
            "PERSIST a",
            "PERSIST a",
            "SELECT 3",
            "INCRBYFLOAT f 1.5",
            "GETDEL f",
            "GETDEL f",
            "SELECT 0",
            "GETEX c",
            "GETEX c EX 100",
            "GETEX c PERSIST",
            "GETEX c PXAT 1",
            "EXPIRE a -1",
            "HSET h f 1",
            "HINCRBYFLOAT h f 0.5",
            "SADD s a",
            "SPOP s",
            "SADD s a b c",
            "~SPOP s 3",
            "SPOP s",
            "RPUSH l a b c",
            "LMPOP 1 l LEFT COUNT 2",
            "LMPOP 2 nol l RIGHT",
            "ZADD z 1 a 2 b 3 c",
            "ZMPOP 1 z MIN COUNT 2",
            "ZMPOP 1 z MAX COUNT 5",
            "DEL nokey",
            "APPEND s2 \"\"",
            "SETRANGE s3 0 \"\"",
            "FLUSHDB",
            "SELECT 5",
            "FLUSHDB",
            "FLUSHALL",
            "PUBLISH ch hi",
            "PFADD hll a b c",
            "PFCOUNT hll",
            "PFCOUNT hll",
            "SAVE",
            "SET after-save 1",
        ],
        &[
            "SET b 1 PXAT <now+>",
            "PEXPIREAT a <now+>",
            "SET f 1.5 KEEPTTL",
            "HSET h f 1.5",
            "LPOP l 2",
            "ZPOPMIN z 2",
            "SREM s a",
        ],
    );
}

#[test]
fn transactions_and_lazy_expiry() {
    compare(
        &[
            "DEBUG SET-ACTIVE-EXPIRE 0",
            "MULTI",
            "SET a 1",
            "EXEC",
            "MULTI",
            "SET a 2",
            "INCR n",
            "EXEC",
            "MULTI",
            "GET a",
            "EXEC",
            "MULTI",
            "SET a 3",
            "SELECT 2",
            "SET b 1",
            "EXEC",
            "SELECT 0",
            "SET e 1 PX 1",
            "@sleep 10",
            "GET e",
            "SET e2 1 PX 1",
            "@sleep 10",
            "SET e2 5",
            "SET e3 1 PX 1",
            "@sleep 10",
            "MULTI",
            "GET e3",
            "SET zz 1",
            "EXEC",
            "SET e5 1 PX 1",
            "@sleep 10",
            "APPEND e5 x",
            "SET e6 1 PX 1",
            "SET e7 1 PX 1",
            "@sleep 10",
            "MGET e6 e7",
            "SADD s1 a",
            "SADD s2 b",
            "SET e8 1 PX 1",
            "@sleep 10",
            "SUNIONSTORE e8 s1 s2",
        ],
        &["MULTI", "DEL e", "DEL e6"],
    );
}

#[test]
fn active_expiry_and_eviction_propagate_dels() {
    compare(
        &[
            "SET k1 v PX 30",
            "SELECT 2",
            "SET k2 v PX 30",
            "SELECT 0",
            "@dbsize 0",
            "SELECT 2",
            "@dbsize 0",
            "SELECT 0",
            "CONFIG SET maxmemory-policy allkeys-random",
            "SET big 0123456789",
            "CONFIG SET maxmemory 1",
            "GET nothing",
            "CONFIG SET maxmemory 0",
            "SET after 1",
        ],
        &["DEL k1", "DEL k2", "DEL big"],
    );
}

#[test]
fn lazyfree_settings_turn_dels_into_unlinks() {
    compare_with(
        &[
            "--lazyfree-lazy-expire",
            "yes",
            "--lazyfree-lazy-server-del",
            "yes",
            "--lazyfree-lazy-eviction",
            "yes",
            "--lazyfree-lazy-user-del",
            "yes",
        ],
        &[
            "DEBUG SET-ACTIVE-EXPIRE 0",
            "SET e 1 PX 1",
            "@sleep 10",
            "GET e",
            "SET a 1",
            "EXPIRE a 0",
            "SET b 1",
            "GETEX b PXAT 1",
            "SADD s a b",
            "~SPOP s 2",
            "SET g 1",
            "GETDEL g",
            "DEBUG SET-ACTIVE-EXPIRE 1",
            "SET k1 v PX 30",
            "@dbsize 0",
            "CONFIG SET maxmemory-policy allkeys-random",
            "SET big 0123456789",
            "CONFIG SET maxmemory 1",
            "GET nothing",
            "CONFIG SET maxmemory 0",
        ],
        &["UNLINK e", "UNLINK a", "UNLINK k1"],
    );
}

#[test]
fn blocking_commands_replicate_as_their_plain_forms() {
    compare(
        &[
            "RPUSH l a b c d e f g h i j",
            "ZADD z 1 a 2 b 3 c 4 d 5 e",
            "BLPOP l 0",
            "BRPOP nol l 0",
            "BLMOVE l l2 RIGHT LEFT 0",
            "blmove l l2 right left 0",
            "BRPOPLPUSH l l3 0",
            "BLMPOP 0 1 l LEFT COUNT 2",
            "BLMPOP 0 1 l RIGHT COUNT 20",
            "BZPOPMIN z 0",
            "BZPOPMAX z 0",
            "BZMPOP 0 1 z MIN COUNT 2",
            "BZMPOP 0 1 z MAX COUNT 10",
            "@bg BLPOP q 0",
            "@bg BRPOP q 0",
            "@bg BLMOVE q q2 LEFT RIGHT 0",
            "@bg BRPOPLPUSH q q3 0",
            "@bg BLMPOP 0 1 q LEFT COUNT 5",
            "RPUSH q a b c d e f g h",
            "@collect",
            "@bg BZPOPMIN zq 0",
            "@bg BZMPOP 0 1 zq MAX COUNT 5",
            "ZADD zq 1 a 2 b 3 c",
            "@collect",
        ],
        &["LPOP l", "RPOPLPUSH l l3", "LPOP q", "ZPOPMAX zq 2"],
    );
}
