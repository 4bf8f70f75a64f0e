//! Keyspace notifications: the same script of commands runs against our node
//! and against a real redis-server 7.0 while a subscriber listens on
//! `__key*__:*`; the two message streams (and the commands' replies) must be
//! identical byte for byte. A subscriber cannot be observed by differential
//! testing, hence this file. Each stream ends at a sentinel PUBLISH on a
//! marker channel, so no test waits for messages that might not come.

mod common;

use std::time::{Duration, Instant};

use common::{have_redis, start_node, start_redis, start_target, Proc, Raw, Target};

const MARKER: &str = "notifications-test-marker";

/// Everything one run produced: the commands' replies and the messages the
/// subscriber got, each as exact RESP bytes, with the script line each
/// message arrived during (for failure reports only: the active expiry cycle
/// may publish during any line).
#[derive(Debug, PartialEq, Eq)]
struct Run {
    replies: Vec<String>,
    messages: Vec<String>,
    during: Vec<usize>,
}

/// A script line: a command (words split on spaces, `""` for an empty
/// argument) or a directive:
/// - `@dbsize N` polls DBSIZE until it is N (waits for the active expiry
///   cycle without touching any key);
/// - `@gone KEY` polls EXISTS KEY until 0 (lazy expiry);
/// - `~CMD` runs CMD without comparing its reply (random picks);
/// - `@block CMD` sends CMD on a second connection and waits until the
///   server counts it in `blocked_clients`; `@served` reads its reply.
fn run_line(c: &mut Raw, line: &str, replies: &mut Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let poll = |c: &mut Raw, cmd: &str, want: &str| loop {
        if c.cmd_str(cmd) == format!(":{want}\r\n") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out: {cmd} never gave {want}"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    if let Some(n) = line.strip_prefix("@dbsize ") {
        poll(c, "DBSIZE", n);
    } else if let Some(k) = line.strip_prefix("@gone ") {
        poll(c, &format!("EXISTS {k}"), "0");
    } else if let Some(cmd) = line.strip_prefix('~') {
        let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
        c.cmd(&args);
    } else {
        let args: Vec<&[u8]> = line
            .split(' ')
            .map(|w| if w == "\"\"" { &b""[..] } else { w.as_bytes() })
            .collect();
        let reply = c.cmd(&args);
        replies.push(format!("{line} -> {}", String::from_utf8_lossy(&reply)));
    }
}

/// Runs `script` with notify-keyspace-events `setting` and a subscriber in
/// RESP `proto` (2 or 3).
fn run_script(p: &Proc, setting: &str, proto: u8, script: &[&str]) -> Run {
    let mut c = Raw::connect(p.port);
    let mut sub = Raw::connect(p.port);
    if proto == 3 {
        sub.cmd_str("HELLO 3");
    }
    assert_eq!(
        c.cmd(&[
            b"CONFIG",
            b"SET",
            b"notify-keyspace-events",
            setting.as_bytes()
        ]),
        b"+OK\r\n"
    );
    sub.send_cmd(&[b"PSUBSCRIBE", b"__key*__:*"]);
    sub.read_reply();
    sub.send_cmd(&[b"SUBSCRIBE", MARKER.as_bytes()]);
    sub.read_reply();
    let mut replies = Vec::new();
    let mut blocker: Option<Raw> = None;
    for (i, line) in script.iter().enumerate() {
        if let Some(cmd) = line.strip_prefix("@block ") {
            let mut b = Raw::connect(p.port);
            let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
            b.send_cmd(&args);
            let deadline = Instant::now() + Duration::from_secs(10);
            while !c.cmd_str("INFO clients").contains("blocked_clients:1\r\n") {
                assert!(Instant::now() < deadline, "{cmd} never blocked");
                std::thread::sleep(Duration::from_millis(5));
            }
            blocker = Some(b);
        } else if *line == "@served" {
            let b = blocker.as_mut().expect("@served without @block");
            let reply = b.read_reply();
            replies.push(format!("{line} -> {}", String::from_utf8_lossy(&reply)));
        } else {
            run_line(&mut c, line, &mut replies);
        }
        c.cmd(&[b"PUBLISH", MARKER.as_bytes(), i.to_string().as_bytes()]);
    }
    c.cmd(&[b"PUBLISH", MARKER.as_bytes(), b"end"]);
    let (mut messages, mut during, mut line) = (Vec::new(), Vec::new(), 0);
    loop {
        let m = String::from_utf8_lossy(&sub.read_reply()).into_owned();
        if m.contains(MARKER) {
            if m.ends_with("\r\nend\r\n") {
                break;
            }
            line += 1;
            continue;
        }
        messages.push(m);
        during.push(line);
    }
    Run {
        replies,
        messages,
        during,
    }
}

/// The script against both servers: the streams must match and the events
/// in `expect` (substrings, e.g. "__keyevent@0__:set") must be among them, so
/// a script that raised nothing cannot pass.
fn compare(setting: &str, proto: u8, script: &[&str], expect: &[&str]) {
    assert!(
        have_redis(),
        "redis-server 7.0 is required for this test: run scripts/test-deps"
    );
    let redis = start_redis(&[]);
    let node = start_node(&[]);
    let want = run_script(&redis, setting, proto, script);
    let got = run_script(&node, setting, proto, script);
    for e in expect {
        assert!(
            want.messages.iter().any(|m| m.contains(e)),
            "redis raised no {e} with {setting}: {:#?}",
            want.messages
        );
    }
    for (i, (w, g)) in want.replies.iter().zip(&got.replies).enumerate() {
        assert_eq!(g, w, "reply {i} differs (setting {setting})");
    }
    if got.messages != want.messages {
        let show = |r: &Run| {
            r.messages
                .iter()
                .zip(&r.during)
                .map(|(m, &i)| {
                    let m = m
                        .split("\r\n")
                        .filter(|p| !p.starts_with(['$', '*', '>']))
                        .collect::<Vec<_>>()
                        .join(" ");
                    format!("{m} <- {}", script.get(i).unwrap_or(&"?"))
                })
                .collect::<Vec<_>>()
        };
        let (want, got) = (show(&want), show(&got));
        let first = want
            .iter()
            .zip(&got)
            .position(|(w, g)| w != g)
            .unwrap_or(want.len().min(got.len()));
        let from = first.saturating_sub(6);
        panic!(
            "streams differ with {setting} (RESP{proto}) at message {first} of {}/{}\nredis: {:#?}\nnode:  {:#?}",
            want.len(),
            got.len(),
            &want[from..want.len().min(first + 6)],
            &got[from..got.len().min(first + 6)]
        );
    }
}

const STRINGS: &[&str] = &[
    "SET s1 v",
    "SET s1 v2 EX 100",
    "SET s1 v3 KEEPTTL",
    "SET s1 v4 PX 100000 GET",
    "SET s1 x NX",
    "SET s1 x XX",
    "SET nx1 x XX",
    "SETNX s2 a",
    "SETNX s2 b",
    "SETEX s3 100 v",
    "PSETEX s4 100000 v",
    "GETSET s2 c",
    "MSET m1 a m2 b",
    "MSETNX m3 a m4 b",
    "MSETNX m3 a m5 b",
    "APPEND s5 hello",
    "APPEND s5 world",
    "SETRANGE s6 3 abc",
    "SETRANGE s6 0 x",
    "SETRANGE s6 0 \"\"",
    "SETRANGE s7 0 \"\"",
    "INCR n",
    "INCRBY n 5",
    "DECR n",
    "DECRBY n 2",
    "INCRBYFLOAT f 1.5",
    "INCR s1",
    "GETDEL s2",
    "GETDEL s2",
    "GETEX s1 EX 100",
    "GETEX s1",
    "GETEX s1 PERSIST",
    "GETEX s1 PERSIST",
    "GETEX s1 PXAT 1",
    "GETEX nokey EX 10",
    "SET s8 v EXAT 1",
    "GET s8",
    "GET nokey",
    "MGET s3 nokey",
    "STRLEN nokey",
    "SETBIT b 7 1",
    "SETBIT b 7 1",
    "SETBIT b 100 0",
    "GETBIT b 7",
    "BITOP AND dest b s5",
    "BITOP OR dest2 nokey1 nokey2",
    "SET dest3 x",
    "BITOP OR dest3 nokey1 nokey2",
    "BITFIELD bf SET u8 0 255",
    "BITFIELD bf GET u8 0",
    "BITFIELD bf INCRBY u8 0 10 OVERFLOW FAIL INCRBY u8 0 250",
    "BITFIELD bf OVERFLOW FAIL INCRBY u8 0 250",
];

const KEYS: &[&str] = &[
    "SET k1 v",
    "SET k2 v",
    "DEL k1 k2 nokey",
    "SET k1 v",
    "UNLINK k1 nokey",
    "SET a 1",
    "EXPIRE a 100",
    "RENAME a b",
    "SET c 1",
    "RENAME b c",
    "RENAME c c",
    "RENAMENX c d",
    "RENAMENX d d",
    "SET e 1",
    "RENAMENX d e",
    "COPY d f",
    "COPY d f",
    "COPY d f REPLACE",
    "COPY d g DB 1",
    "MOVE f 2",
    "MOVE e 1",
    "SET mv 1",
    "MOVE mv 1",
    "SELECT 1",
    "SET mv2 1",
    "SELECT 0",
    "SET mv2 1",
    "MOVE mv2 1",
    "EXPIRE d 100",
    "PEXPIRE d 100000",
    "EXPIREAT d 99999999999",
    "PEXPIREAT d 99999999999999",
    "EXPIRE d 100 NX",
    "EXPIRE d 200 GT",
    "PERSIST d",
    "PERSIST d",
    "EXPIRE d -1",
    "SET h 1",
    "PEXPIREAT h 1",
    "EXPIRE nokey 10",
    "TOUCH e nokey",
    "EXISTS nokey",
    "TYPE nokey",
    "SWAPDB 0 1",
    "SWAPDB 0 1",
    "SELECT 3",
    "SET x3 1",
    "SET y3 1",
    "FLUSHDB",
    "SET z3 1",
    "FLUSHALL",
    "SELECT 0",
    "DEBUG POPULATE 3 pop",
];

const LISTS: &[&str] = &[
    "LPUSH l a b c",
    "RPUSH l d",
    "LPUSHX l e",
    "RPUSHX nol x",
    "LINSERT l BEFORE a z",
    "LINSERT l BEFORE nope z",
    "LSET l 0 y",
    "LREM l 1 y",
    "LREM l 1 nope",
    "LTRIM l 0 1",
    "LPOP l",
    "RPOP l",
    "LPOP l",
    "RPUSH l2 1 2 3",
    "LPOP l2 2",
    "LPOP l2 0",
    "RPOP l2 5",
    "RPOP l2 5",
    "RPUSH src 1 2 3",
    "LMOVE src dst LEFT RIGHT",
    "RPOPLPUSH src dst",
    "LMOVE src src LEFT LEFT",
    "LMOVE src dst RIGHT LEFT",
    "LMOVE nosrc dst RIGHT LEFT",
    "LMPOP 2 nol dst LEFT COUNT 10",
    "RPUSH l3 a b c",
    "LTRIM l3 0 -1",
    "LTRIM l3 5 10",
    "RPUSH l4 a a b",
    "LREM l4 0 a",
    "LREM l4 0 b",
    "LINDEX nol 0",
    "LRANGE nol 0 -1",
];

const HASHES: &[&str] = &[
    "HSET h f1 v1 f2 v2",
    "HSET h f1 v1",
    "HMSET h f3 v3",
    "HSETNX h f4 v",
    "HSETNX h f4 v",
    "HSETNX h2 f v",
    "HINCRBY h n 5",
    "HINCRBYFLOAT h fl 1.5",
    "HDEL h f1 nope",
    "HDEL h nope",
    "HDEL h f2 f3 f4 n fl",
    "HDEL h2 f",
    "HGET h f1",
    "HGETALL h",
];

const SETS: &[&str] = &[
    "SADD s a b c",
    "SADD s a",
    "SREM s a nope",
    "SREM s nope",
    "SADD t c d",
    "SINTERSTORE i s t",
    "SUNIONSTORE u s t",
    "SDIFFSTORE d s t",
    "SINTERSTORE i s nokey",
    "SDIFFSTORE d nokey",
    "SUNIONSTORE u2 nokey",
    "SMOVE s t b",
    "SMOVE s t c",
    "SMOVE t t d",
    "SMOVE t nt d",
    "SMOVE t nt nope",
    "SADD p 1 2 3 4 5 6 7 8 9 10",
    "~SPOP p",
    "~SPOP p 2",
    "SPOP p 0",
    "~SPOP p 6",
    "~SPOP p 10",
    "SADD q 1",
    "SPOP q",
    "SMEMBERS nokey",
];

const ZSETS: &[&str] = &[
    "ZADD z 1 a 2 b",
    "ZADD z 1 a",
    "ZADD z XX 5 a",
    "ZADD z NX 5 a",
    "ZADD z INCR 1 a",
    "ZADD z XX INCR 1 nope",
    "ZADD z CH 3 c",
    "ZADD zx XX 1 a",
    "ZINCRBY z 2 b",
    "ZINCRBY zn 2 b",
    "ZREM z a nope",
    "ZREM z nope",
    "ZADD z 1 d 2 e 3 f 4 g",
    "ZREMRANGEBYRANK z 0 0",
    "ZREMRANGEBYRANK z 100 200",
    "ZREMRANGEBYSCORE z 0 2",
    "ZADD zl 0 a 0 b 0 c 0 d",
    "ZREMRANGEBYLEX zl [a [b",
    "ZRANGESTORE zr z 0 -1",
    "ZRANGESTORE zr nokey 0 -1",
    "ZUNIONSTORE zu 2 z zl",
    "ZINTERSTORE zi 2 z zl",
    "ZINTERSTORE zu 2 z zl",
    "ZDIFFSTORE zd 2 z zl",
    "ZPOPMIN z",
    "ZPOPMAX z 2",
    "ZPOPMAX z 0",
    "ZMPOP 1 zl MIN COUNT 10",
    "ZPOPMIN nokey",
    "ZREMRANGEBYSCORE zd -inf +inf",
    "ZSCORE nokey a",
];

const MULTI: &[&str] = &[
    "MULTI",
    "SET t1 v",
    "LPUSH t2 a",
    "DEL t1",
    "INCR t2",
    "EXEC",
];

const EXPIRY: &[&str] = &[
    // Lazy expiry: the active cycle is off, the next access deletes.
    "DEBUG SET-ACTIVE-EXPIRE 0",
    "SET x 1",
    "PEXPIRE x 1",
    "@gone x",
    "SET y 1 PX 1",
    "DEBUG SLEEP 0.01",
    "SET y 2",
    "HSET hy f v",
    "PEXPIRE hy 1",
    "DEBUG SLEEP 0.01",
    "HSET hy g v",
    "SET gy 1 PX 1",
    "DEBUG SLEEP 0.01",
    "GET gy",
    // Listing commands skip or delete expired keys as Redis does (one key
    // at a time: the order of a scan differs between hash tables).
    "FLUSHALL",
    "SET ka 1 PX 1",
    "DEBUG SLEEP 0.01",
    "KEYS *",
    "SCAN 0 TYPE string",
    "SET kb 1 PX 1",
    "DEBUG SLEEP 0.01",
    "SCAN 0",
    "SET kc 1 PX 1",
    "DEBUG SLEEP 0.01",
    "RANDOMKEY",
    "DBSIZE",
    // Active expiry: nothing touches the keys.
    "DEBUG SET-ACTIVE-EXPIRE 1",
    "FLUSHALL",
    "SET z 1 PX 1",
    "SELECT 5",
    "SET z5 1 PX 1",
    "SELECT 0",
    "@dbsize 0",
    "SELECT 5",
    "@dbsize 0",
    "SELECT 0",
];

/// Reads of missing keys: `keymiss` (class m) wherever Redis looks a key up
/// for reading.
const READS: &[&str] = &[
    "SET s v",
    "SADD set a",
    "ZADD z 1 a",
    "GET m",
    "MGET s m1 m2",
    "STRLEN m",
    "GETRANGE m 0 1",
    "SUBSTR m 0 1",
    "GETBIT m 1",
    "BITCOUNT m",
    "BITPOS m 1",
    "BITFIELD m GET u8 0",
    "BITFIELD_RO m GET u8 0",
    "BITOP AND d m1 m2",
    "LCS s m",
    "GETEX m",
    "GETDEL m",
    "HGET m f",
    "HMGET m f",
    "HLEN m",
    "HSTRLEN m f",
    "HEXISTS m f",
    "HKEYS m",
    "HVALS m",
    "HGETALL m",
    "HRANDFIELD m",
    "HSCAN m 0",
    "LLEN m",
    "LINDEX m 0",
    "LRANGE m 0 -1",
    "LPOS m a",
    "SCARD m",
    "SISMEMBER m a",
    "SMISMEMBER m a",
    "SMEMBERS m",
    "SRANDMEMBER m",
    "SINTER set m",
    "SINTER m set",
    "SUNION set m",
    "SDIFF set m",
    "SDIFF m set",
    "SINTERCARD 2 set m",
    "SINTERSTORE d set m",
    "SUNIONSTORE d m set",
    "SSCAN m 0",
    "SMOVE m set a",
    "ZCARD m",
    "ZSCORE m a",
    "ZMSCORE m a",
    "ZRANK m a",
    "ZREVRANK m a",
    "ZCOUNT m 0 1",
    "ZLEXCOUNT m - +",
    "ZRANGE m 0 -1",
    "ZRANGEBYSCORE m 0 1",
    "ZREVRANGEBYLEX m + -",
    "ZRANDMEMBER m",
    "ZSCAN m 0",
    "ZUNION 2 z m",
    "ZINTER 2 m z",
    "ZDIFF 2 z m",
    "ZINTERCARD 2 z m",
    "ZUNIONSTORE d 2 z m",
    "ZRANGESTORE d m 0 -1",
    "TTL m",
    "PTTL m",
    "EXPIRETIME m",
    "PEXPIRETIME m",
    "OBJECT ENCODING m",
    "OBJECT FREQ m",
    "TYPE m",
    "EXISTS m s m",
    "TOUCH m",
    "COPY m d",
    "RENAME m d",
    "MOVE m 1",
    "DEL m",
    "LPOP m",
    "ZPOPMIN m",
    "SPOP m",
    "HDEL m f",
    "PERSIST m",
    "EXPIRE m 10",
];

const BLOCKING: &[&str] = &[
    "RPUSH bl a b c",
    "BLPOP bl 0",
    "BRPOP bl 0",
    "BLMOVE bl bl2 LEFT RIGHT 0",
    "BLMPOP 0 1 bl2 RIGHT COUNT 5",
    "ZADD bz 1 a 2 b 3 c",
    "BZPOPMIN bz 0",
    "BZPOPMAX bz 0",
    "BZMPOP 0 1 bz MIN COUNT 5",
    "@block BLPOP w1 0",
    "RPUSH w1 x y",
    "@served",
    "@block BLMOVE w2 w3 RIGHT LEFT 0",
    "LPUSH w2 only",
    "@served",
    "@block BZPOPMAX wz 0",
    "ZADD wz 5 m",
    "@served",
    "@block BLMPOP 0 1 w4 LEFT COUNT 3",
    "MULTI",
    "RPUSH w4 1 2",
    "RPUSH w4 3 4",
    "EXEC",
    "@served",
];

const HLL_SORT: &[&str] = &[
    "PFADD h a b c",
    "PFADD h a",
    "PFADD h2 x",
    "PFADD h3",
    "PFMERGE h4 h h2",
    "PFMERGE h4",
    "PFCOUNT h",
    "PFCOUNT h h2",
    "RPUSH nums 3 1 2",
    "SORT nums STORE out",
    "SORT nums DESC STORE out",
    "SORT nums LIMIT 0 0 STORE out",
    "SORT nums LIMIT 0 0 STORE out",
    "SORT_RO nums",
];

fn all_families() -> Vec<&'static str> {
    let mut v = Vec::new();
    for s in [
        STRINGS, KEYS, LISTS, HASHES, SETS, ZSETS, HLL_SORT, BLOCKING, MULTI,
    ] {
        v.extend_from_slice(s);
        v.push("FLUSHALL");
    }
    v
}

#[test]
fn strings_and_bitmaps() {
    compare(
        "KEA",
        2,
        STRINGS,
        &[
            "__keyevent@0__:set",
            "__keyevent@0__:expire",
            "__keyevent@0__:setrange",
            "__keyevent@0__:incrbyfloat",
            "__keyevent@0__:setbit",
        ],
    );
}

#[test]
fn keys() {
    compare(
        "KEA",
        2,
        KEYS,
        &[
            "__keyevent@0__:rename_from",
            "__keyevent@1__:copy_to",
            "__keyevent@2__:move_to",
            "__keyevent@0__:persist",
        ],
    );
}

#[test]
fn lists() {
    compare(
        "KEA",
        2,
        LISTS,
        &[
            "__keyevent@0__:lpush",
            "__keyevent@0__:rpop",
            "__keyevent@0__:del",
            "__keyevent@0__:ltrim",
        ],
    );
}

#[test]
fn hashes() {
    compare(
        "KEA",
        2,
        HASHES,
        &["__keyevent@0__:hset", "__keyevent@0__:hincrbyfloat"],
    );
}

#[test]
fn sets() {
    compare(
        "KEA",
        2,
        SETS,
        &["__keyevent@0__:sinterstore", "__keyevent@0__:spop"],
    );
}

#[test]
fn sorted_sets() {
    compare(
        "KEA",
        2,
        ZSETS,
        &["__keyevent@0__:zincr", "__keyevent@0__:zrangestore"],
    );
}

#[test]
fn blocking_pops_immediate_and_served() {
    compare(
        "KEA",
        2,
        BLOCKING,
        &[
            "__keyevent@0__:lpop",
            "__keyevent@0__:rpush",
            "__keyevent@0__:zpopmax",
            "__keyspace@0__:w3",
            "__keyspace@0__:wz",
        ],
    );
}

#[test]
fn hyperloglog_and_sort() {
    compare(
        "KEA",
        2,
        HLL_SORT,
        &[
            "__keyevent@0__:pfadd",
            "__keyevent@0__:sortstore",
            "__keyevent@0__:del",
        ],
    );
}

#[test]
fn multi_exec() {
    compare("KEA", 2, MULTI, &["__keyevent@0__:lpush"]);
}

#[test]
fn expiry_lazy_and_active() {
    compare(
        "KEA",
        2,
        EXPIRY,
        &["__keyevent@0__:expired", "__keyevent@5__:expired"],
    );
}

/// New keys (n) and missed reads (m) are not part of A.
#[test]
fn new_and_keymiss_classes() {
    let mut script = all_families();
    script.extend_from_slice(EXPIRY);
    compare("KEAnm", 2, &script, &["__keyevent@0__:new", "keymiss"]);
}

#[test]
fn keymiss_on_reads() {
    compare("Km", 2, READS, &["__keyspace@0__:m"]);
}

/// Class filtering and one channel kind at a time.
#[test]
fn narrow_settings() {
    let mut script = all_families();
    script.extend_from_slice(EXPIRY);
    for (setting, expect) in [
        ("Elx", "__keyevent@0__:expired"),
        ("Kg$", "__keyspace@0__:s1"),
        ("Ex", "__keyevent@5__:expired"),
        ("En", "__keyevent@0__:new"),
        ("Ks", "__keyspace@0__:p"),
        ("Ehz", "__keyevent@0__:zpopmin"),
    ] {
        compare(setting, 2, &script, &[expect]);
    }
}

/// RESP3 subscribers get the same messages as push frames.
#[test]
fn resp3_subscriber() {
    compare("KEA", 3, &all_families(), &["__keyevent@0__:set"]);
}

/// A RESP3 client subscribed to the events of its own commands gets them
/// before each command's reply, as Redis writes them while the command runs.
/// The setting comes from the command line here.
fn own_events_before_reply(t: Target) {
    let p = start_target(t, &["--notify-keyspace-events", "E$g"]);
    let mut c = Raw::connect(p.port);
    c.cmd_str("HELLO 3");
    c.cmd_str("PSUBSCRIBE __keyevent@0__:*");
    c.send(&common::encode(&[b"SET", b"k", b"v", b"EX", b"100"]));
    let set = c.read_reply();
    let expire = c.read_reply();
    let ok = c.read_reply();
    assert!(set.starts_with(b">4\r\n$8\r\npmessage\r\n"), "{set:?}");
    assert!(
        String::from_utf8_lossy(&set).contains("__keyevent@0__:set"),
        "{set:?}"
    );
    assert!(
        String::from_utf8_lossy(&expire).contains("__keyevent@0__:expire"),
        "{expire:?}"
    );
    assert_eq!(ok, b"+OK\r\n");
    assert_eq!(c.cmd_str("DEL k nokey"), ">4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n$18\r\n__keyevent@0__:del\r\n$1\r\nk\r\n");
    assert_eq!(c.read_reply(), b":1\r\n");
}
dual_test!(own_events_first, own_events_before_reply);

/// Keys evicted for maxmemory raise `evicted`. Which keys go depends on
/// sampling and on memory accounting, so this checks the kind of events.
fn eviction(t: Target) {
    let p = start_target(t, &[]);
    let mut c = Raw::connect(p.port);
    let mut sub = Raw::connect(p.port);
    c.cmd_str("CONFIG SET notify-keyspace-events KEA");
    c.cmd_str("CONFIG SET maxmemory-policy allkeys-lru");
    sub.cmd_str("PSUBSCRIBE __key*__:*");
    sub.cmd_str(&format!("SUBSCRIBE {MARKER}"));
    let value = vec![b'x'; 10_000];
    for i in 0..200 {
        c.cmd(&[b"SET", format!("big:{i}").as_bytes(), &value]);
    }
    // Now leave room for about half of them: CONFIG SET evicts at once.
    let used: i64 = c
        .cmd_str("MEMORY USAGE big:0")
        .trim_start_matches(':')
        .trim()
        .parse()
        .expect("MEMORY USAGE");
    assert!(used > 10_000);
    let info = c.cmd_str("INFO memory");
    let total: i64 = info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory");
    let limit = total - 100 * used;
    assert_eq!(
        c.cmd_str(&format!("CONFIG SET maxmemory {limit}")),
        "+OK\r\n"
    );
    c.cmd_str("SET after x");
    c.cmd_str("CONFIG SET maxmemory 0");
    c.cmd(&[b"PUBLISH", MARKER.as_bytes(), b"end"]);
    let mut space = 0;
    let mut event = 0;
    loop {
        let m = String::from_utf8_lossy(&sub.read_reply()).into_owned();
        if m.contains(MARKER) {
            break;
        }
        let parts: Vec<&str> = m.split("\r\n").collect();
        let (channel, payload) = (parts[6], parts[8]);
        if channel == "__keyevent@0__:evicted" {
            assert!(payload.starts_with("big:"), "{m:?}");
            event += 1;
        } else if channel.starts_with("__keyspace@0__:big:") && payload == "evicted" {
            space += 1;
        } else {
            assert!(
                channel == "__keyevent@0__:set" || payload == "set",
                "unexpected {m:?}"
            );
        }
    }
    assert!(event > 0, "{} evicted nothing", p.kind);
    assert_eq!(
        space, event,
        "one keyspace and one keyevent message per key"
    );
}
dual_test!(evicted, eviction);
