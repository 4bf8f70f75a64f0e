//! Process tests of key-space iteration against our node: SCAN must return every
//! key present for the whole iteration while other clients grow and shrink the
//! table, MATCH/TYPE filter, expired keys are hidden by KEYS/SCAN/RANDOMKEY, and
//! OBJECT FREQ/IDLETIME follow the maxmemory policy like redis-server's.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{start_node, start_redis, Proc};

fn connect(p: &Proc) -> redis::Connection {
    let client = redis::Client::open(format!("redis://127.0.0.1:{}/", p.port)).expect("client");
    client.get_connection().expect("connect")
}

fn set_many(con: &mut redis::Connection, prefix: &str, range: std::ops::Range<usize>) {
    let mut pipe = redis::pipe();
    for i in range {
        pipe.cmd("SET").arg(format!("{prefix}{i}")).arg(i).ignore();
    }
    pipe.query::<()>(con).expect("SET pipeline");
}

fn del_many(con: &mut redis::Connection, prefix: &str, range: std::ops::Range<usize>) {
    let mut pipe = redis::pipe();
    for i in range {
        pipe.cmd("DEL").arg(format!("{prefix}{i}")).ignore();
    }
    pipe.query::<()>(con).expect("DEL pipeline");
}

/// Runs a whole SCAN with `extra` arguments, calling `between` after each step.
fn full_scan(
    con: &mut redis::Connection,
    extra: &[&str],
    mut between: impl FnMut(usize),
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: u64 = 0;
    let mut step = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg(extra)
            .query(con)
            .expect("SCAN");
        seen.extend(keys);
        cursor = next;
        if cursor == 0 {
            break;
        }
        between(step);
        step += 1;
        assert!(step < 1_000_000, "SCAN does not terminate");
    }
    seen
}

#[test]
fn scan_returns_every_stable_key_while_the_table_grows_and_shrinks() {
    let node = start_node(&[]);
    let mut con = connect(&node);
    let mut other = connect(&node);
    set_many(&mut con, "orig:", 0..2000);

    // Grow the table well past its size during the first steps, then delete
    // everything added, then slow down so the cron (hz 10) shrinks the table
    // and rehashes it while the scan goes on.
    let mut added = 0;
    let seen = full_scan(&mut con, &["COUNT", "5"], |step| {
        if step < 40 {
            set_many(&mut other, "extra:", added..added + 400);
            added += 400;
        } else if added > 0 {
            let from = added.saturating_sub(200);
            del_many(&mut other, "extra:", from..added);
            added = from;
        } else if step < 400 {
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    let seen: HashSet<String> = seen.into_iter().collect();
    for i in 0..2000 {
        assert!(
            seen.contains(&format!("orig:{i}")),
            "orig:{i} was never returned"
        );
    }
    let size: usize = redis::cmd("DBSIZE").query(&mut con).expect("DBSIZE");
    assert_eq!(size, 2000 + added);
}

#[test]
fn scan_match_and_type_filter_like_redis() {
    let node = start_node(&[]);
    let redis_srv = start_redis(&[]);
    for p in [&node, &redis_srv] {
        let mut con = connect(p);
        set_many(&mut con, "user:", 0..300);
        set_many(&mut con, "item:", 0..300);
        let users: HashSet<String> = full_scan(&mut con, &["MATCH", "user:*"], |_| {})
            .into_iter()
            .collect();
        let expected: HashSet<String> = (0..300).map(|i| format!("user:{i}")).collect();
        assert_eq!(users, expected, "{}", p.kind);

        let single: Vec<String> = full_scan(&mut con, &["MATCH", "item:1?", "COUNT", "7"], |_| {});
        let mut single_sorted = single.clone();
        single_sorted.sort();
        single_sorted.dedup();
        assert_eq!(single_sorted.len(), 10, "{}: {single:?}", p.kind);

        let strings = full_scan(&mut con, &["TYPE", "string", "COUNT", "100"], |_| {});
        assert_eq!(strings.into_iter().collect::<HashSet<_>>().len(), 600);
        let strings_upper = full_scan(&mut con, &["TYPE", "STRING"], |_| {});
        assert_eq!(strings_upper.into_iter().collect::<HashSet<_>>().len(), 600);
        let lists = full_scan(&mut con, &["TYPE", "list"], |_| {});
        assert!(lists.is_empty(), "{}", p.kind);
        let none = full_scan(&mut con, &["MATCH", "user:*", "TYPE", "hash"], |_| {});
        assert!(none.is_empty(), "{}", p.kind);

        // KEYS agrees with a full SCAN.
        let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).expect("KEYS");
        let mut scanned = full_scan(&mut con, &[], |_| {});
        keys.sort();
        scanned.sort();
        scanned.dedup();
        assert_eq!(keys, scanned, "{}", p.kind);
    }
}

#[test]
fn expired_keys_are_hidden_by_keys_scan_and_randomkey() {
    let node = start_node(&[]);
    let mut con = connect(&node);
    set_many(&mut con, "live:", 0..10);
    set_many(&mut con, "dead:", 0..10);
    for i in 0..10 {
        let _: i64 = redis::cmd("PEXPIRE")
            .arg(format!("dead:{i}"))
            .arg(50)
            .query(&mut con)
            .expect("PEXPIRE");
    }
    let ttl: i64 = redis::cmd("PTTL")
        .arg("dead:0")
        .query(&mut con)
        .expect("PTTL");
    assert!((0..=50).contains(&ttl), "PTTL {ttl}");
    std::thread::sleep(Duration::from_millis(120));

    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut con).expect("KEYS");
    assert_eq!(keys.len(), 10, "{keys:?}");
    assert!(keys.iter().all(|k| k.starts_with("live:")));
    let scanned = full_scan(&mut con, &[], |_| {});
    assert!(
        scanned.iter().all(|k| k.starts_with("live:")),
        "{scanned:?}"
    );
    for _ in 0..50 {
        let k: String = redis::cmd("RANDOMKEY").query(&mut con).expect("RANDOMKEY");
        assert!(k.starts_with("live:"), "{k}");
    }
    // SCAN removed the expired keys it met, so DBSIZE no longer counts them.
    let size: i64 = redis::cmd("DBSIZE").query(&mut con).expect("DBSIZE");
    assert_eq!(size, 10);
    let ttl: i64 = redis::cmd("TTL")
        .arg("dead:0")
        .query(&mut con)
        .expect("TTL");
    assert_eq!(ttl, -2);
}

/// Raw reply bytes of one command.
fn raw(p: &Proc, args: &[&str]) -> Vec<u8> {
    let mut c = common::Raw::connect(p.port);
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    c.cmd(&a)
}

#[test]
fn object_freq_and_idletime_follow_the_maxmemory_policy() {
    for policy in ["allkeys-lfu", "volatile-lfu", "allkeys-lru", "noeviction"] {
        let args = ["--maxmemory-policy", policy];
        let node = start_node(&args);
        let redis_srv = start_redis(&args);
        for p in [&node, &redis_srv] {
            raw(p, &["SET", "k", "hello"]);
        }
        for sub in ["FREQ", "IDLETIME"] {
            let ours = raw(&node, &["OBJECT", sub, "k"]);
            let theirs = raw(&redis_srv, &["OBJECT", sub, "k"]);
            // Errors must match byte for byte; values are integers on both
            // (a fresh LFU counter is 5 on both; an idle time of 0 or 1 second).
            assert_eq!(ours.first(), theirs.first(), "{policy} {sub}");
            if ours.first() == Some(&b'-') || sub == "FREQ" {
                assert_eq!(ours, theirs, "{policy} {sub}");
            }
            assert_eq!(
                raw(&node, &["OBJECT", sub, "missing"]),
                raw(&redis_srv, &["OBJECT", sub, "missing"]),
                "{policy} {sub} missing key"
            );
        }
    }
}
