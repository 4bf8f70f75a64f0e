//! Transactions across connections: WATCH invalidated by other clients and by
//! expiry, atomic EXEC under concurrent readers, optimistic-locking retry
//! loops, and redis-py pipelines (node/tests/py/test_tx.py). Every body also
//! runs against a real redis-server 7.0, which proves the test itself is right.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{run_with_timeout, start_target, Proc, Raw, Target};

fn client(p: &Proc) -> redis::Connection {
    let c = redis::Client::open(format!("redis://127.0.0.1:{}/", p.port)).expect("client");
    let con = c
        .get_connection_with_timeout(Duration::from_secs(10))
        .expect("connect");
    con.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    con
}

fn crate_pipeline(t: Target) {
    let p = start_target(t, &[]);
    let mut c = client(&p);
    let (a, b): (i64, String) = redis::pipe()
        .atomic()
        .set("k", 41)
        .ignore()
        .incr("k", 1)
        .get("k")
        .query(&mut c)
        .expect("atomic pipeline");
    assert_eq!((a, b.as_str()), (42, "42"));
    // An error inside EXEC is one of the replies, the rest still ran.
    let r: redis::RedisResult<(String, i64)> = redis::pipe()
        .atomic()
        .cmd("INCR")
        .arg("notnum")
        .set("notnum", "x")
        .ignore()
        .cmd("INCR")
        .arg("notnum")
        .query(&mut c);
    assert!(r.is_err(), "INCR of a non-number inside EXEC: {r:?}");
    let v: String = redis::cmd("GET").arg("notnum").query(&mut c).expect("GET");
    assert_eq!(v, "x");
}
dual_test!(crate_atomic_pipeline, crate_pipeline);

/// Another client's write, of any kind, makes EXEC return a null array.
fn watch_other_client(t: Target) {
    let p = start_target(t, &[]);
    let mut a = Raw::connect(p.port);
    let mut b = Raw::connect(p.port);
    let writes: &[&[&str]] = &[
        &["SET", "w", "x"],
        &["DEL", "w"],
        &["EXPIRE", "w", "100"],
        &["APPEND", "w", "y"],
        &["INCR", "w"],
        &["RENAME", "w", "w2"],
        &["FLUSHALL"],
        &["FLUSHDB"],
        &["SWAPDB", "0", "1"],
        &["SETBIT", "w", "0", "1"],
    ];
    for w in writes {
        assert_eq!(a.cmd_str("SET w 1"), "+OK\r\n");
        assert_eq!(a.cmd_str("WATCH w"), "+OK\r\n");
        let args: Vec<&[u8]> = w.iter().map(|s| s.as_bytes()).collect();
        b.cmd(&args);
        assert_eq!(a.cmd_str("MULTI"), "+OK\r\n");
        assert_eq!(a.cmd_str("SET w mine"), "+QUEUED\r\n");
        assert_eq!(a.cmd_str("EXEC"), "*-1\r\n", "after {w:?}");
        a.cmd_str("FLUSHALL");
    }
    // A write to another key, or in another database, does not.
    a.cmd_str("SET w 1");
    a.cmd_str("WATCH w");
    b.cmd_str("SET other 1");
    b.cmd_str("SELECT 1");
    b.cmd_str("SET w 1");
    a.cmd_str("MULTI");
    a.cmd_str("GET w");
    assert_eq!(a.cmd_str("EXEC"), "*1\r\n$1\r\n1\r\n");
    // RESP3 spells the aborted EXEC as a null.
    a.cmd_str("HELLO 3");
    a.cmd_str("WATCH w");
    b.cmd_str("SELECT 0");
    b.cmd_str("DEL w");
    a.cmd_str("MULTI");
    assert_eq!(a.cmd_str("EXEC"), "_\r\n");
}
dual_test!(watch_invalidated_by_others, watch_other_client);

/// Expiry: a key that expires after WATCH fails EXEC; one already expired
/// when watched does not, even once deleted or flushed.
fn watch_expiry(t: Target) {
    let p = start_target(t, &["--enable-debug-command", "yes"]);
    let mut a = Raw::connect(p.port);
    a.cmd_str("DEBUG SET-ACTIVE-EXPIRE 0");
    let mut failed = false;
    for _ in 0..10 {
        a.cmd_str("SET key 1 PX 100");
        a.cmd_str("WATCH key");
        std::thread::sleep(Duration::from_millis(110));
        a.cmd_str("MULTI");
        a.cmd_str("INCR key");
        if a.cmd_str("EXEC") == "*-1\r\n" {
            failed = true;
            break;
        }
    }
    assert!(failed, "EXEC must fail on a lazily expired watched key");
    for between in [None, Some("EXISTS x"), Some("FLUSHDB")] {
        a.cmd_str("SET x foo PX 1");
        std::thread::sleep(Duration::from_millis(5));
        a.cmd_str("WATCH x");
        if let Some(c) = between {
            a.cmd_str(c);
        }
        a.cmd_str("MULTI");
        a.cmd_str("PING");
        assert_eq!(
            a.cmd_str("EXEC"),
            "*1\r\n+PONG\r\n",
            "stale key, {between:?}"
        );
    }
    a.cmd_str("DEBUG SET-ACTIVE-EXPIRE 1");
}
dual_test!(watch_and_expiry, watch_expiry);

/// Readers never see half a transaction.
fn atomic_exec(t: Target) {
    let p = start_target(t, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let mut w = client(&p);
    let port = p.port;
    let first_read = Arc::new(AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let first_read = first_read.clone();
        std::thread::spawn(move || {
            let mut r = Raw::connect(port);
            let mut reads = 0;
            while !stop.load(Ordering::Relaxed) {
                let v = r.cmd_str("MGET x y");
                // Both missing (*2 $-1 $-1), or both present and equal (*2 $n x $n y).
                if v != "*2\r\n$-1\r\n$-1\r\n" {
                    let parts: Vec<&str> = v.split("\r\n").collect();
                    assert!(parts.len() >= 5 && parts[2] == parts[4], "torn read: {v}");
                }
                reads += 1;
                first_read.store(true, Ordering::Relaxed);
            }
            reads
        })
    };
    // Start writing only once the reader runs, so reads overlap the EXECs even
    // on a loaded machine.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !first_read.load(Ordering::Relaxed) {
        assert!(
            std::time::Instant::now() < deadline,
            "reader thread never ran"
        );
        std::thread::yield_now();
    }
    for _ in 0..300 {
        let _: () = redis::pipe()
            .atomic()
            .incr("x", 1)
            .ignore()
            .incr("y", 1)
            .ignore()
            .query(&mut w)
            .expect("EXEC");
    }
    stop.store(true, Ordering::Relaxed);
    let reads = reader.join().expect("reader thread");
    assert!(reads > 0);
    let x: i64 = redis::cmd("GET").arg("x").query(&mut w).expect("GET");
    assert_eq!(x, 300);
}
dual_test!(exec_is_atomic, atomic_exec);

/// Optimistic locking: concurrent WATCH/GET/MULTI/SET/EXEC loops lose no update.
fn cas_counter(t: Target) {
    let p = start_target(t, &[]);
    let port = p.port;
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                for _ in 0..50 {
                    loop {
                        c.cmd_str("WATCH ctr");
                        let v = c.cmd_str("GET ctr");
                        let n: i64 = v
                            .split("\r\n")
                            .nth(1)
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(0);
                        c.cmd_str("MULTI");
                        c.cmd_str(&format!("SET ctr {}", n + 1));
                        if c.cmd_str("EXEC") != "*-1\r\n" {
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    for th in threads {
        th.join().expect("worker");
    }
    let mut c = Raw::connect(port);
    assert_eq!(c.cmd_str("GET ctr"), "$3\r\n200\r\n");
}
dual_test!(watch_cas_counter, cas_counter);

/// CLIENT LIST shows a client in MULTI with the x flag and its queue length.
fn client_list_multi(t: Target) {
    let p = start_target(t, &[]);
    let mut a = Raw::connect(p.port);
    let mut b = Raw::connect(p.port);
    a.cmd_str("CLIENT SETNAME txer");
    a.cmd_str("MULTI");
    a.cmd_str("SET a 1");
    a.cmd_str("GET a");
    let list = b.cmd_str("CLIENT LIST");
    let line = list
        .lines()
        .find(|l| l.contains("name=txer"))
        .unwrap_or_else(|| panic!("no txer in {list}"));
    assert!(line.contains(" flags=x "), "{line}");
    assert!(line.contains(" multi=2 "), "{line}");
    a.cmd_str("DISCARD");
    let list = b.cmd_str("CLIENT LIST");
    let line = list
        .lines()
        .find(|l| l.contains("name=txer"))
        .unwrap_or_else(|| panic!("no txer in {list}"));
    assert!(
        line.contains(" flags=N ") && line.contains(" multi=-1 "),
        "{line}"
    );
}
dual_test!(client_list_shows_multi, client_list_multi);

fn redis_py(t: Target) {
    let p = start_target(t, &[]);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/test_tx.py");
    let r = run_with_timeout(
        Command::new("python3").arg(&script).arg(p.port.to_string()),
        None,
        Duration::from_secs(120),
    );
    assert!(
        r.status.success() && r.stdout.contains("all redis-py transaction checks passed"),
        "redis-py transactions against {} failed ({}):\n{}\n{}",
        p.kind,
        r.status,
        r.stdout,
        r.stderr
    );
}
dual_test!(redis_py_transactions, redis_py);
