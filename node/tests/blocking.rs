//! Blocking list and sorted-set commands across connections: timeouts,
//! serving by later pushes, FIFO fairness, several keys, BLMOVE chains,
//! transactions, CLIENT UNBLOCK/KILL, disconnects, wrong types and RESP3
//! shapes. Every body also runs against a real redis-server 7.0, which proves
//! the test itself is right. Waiting is by polling INFO with a deadline.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{run_with_timeout, start_target, Raw, Target};

/// INFO clients `blocked_clients`.
fn blocked(ctl: &mut Raw) -> usize {
    let info = ctl.cmd_str("INFO clients");
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(usize::MAX)
}

/// Polls until exactly `n` clients are blocked.
fn wait_blocked(ctl: &mut Raw, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = blocked(ctl);
        if now == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "blocked_clients stayed {now}, expected {n}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn bulk_pair(k: &str, v: &str) -> String {
    format!("*2\r\n${}\r\n{k}\r\n${}\r\n{v}\r\n", k.len(), v.len())
}

fn reply(r: &mut Raw) -> String {
    String::from_utf8_lossy(&r.read_reply()).into_owned()
}

/// No timeout, no key: a null array after the timeout in RESP2 and RESP3,
/// BLMOVE included.
fn timeouts(t: Target) {
    let p = start_target(t, &[]);
    let mut a = Raw::connect(p.port);
    for cmd in [
        "BLPOP k 0.01",
        "BRPOP k1 k2 0.01",
        "BLMPOP 0.01 1 k LEFT",
        "BLMOVE k d LEFT RIGHT 0.01",
        "BRPOPLPUSH k d 0.01",
        "BZPOPMIN z 0.01",
        "BZMPOP 0.01 1 z MAX",
    ] {
        assert_eq!(a.cmd_str(cmd), "*-1\r\n", "{cmd}");
    }
    a.cmd_str("HELLO 3");
    for cmd in [
        "BLPOP k 0.01",
        "BLMOVE k d LEFT RIGHT 0.01",
        "BZPOPMAX z 0.01",
    ] {
        assert_eq!(a.cmd_str(cmd), "_\r\n", "{cmd} in RESP3");
    }
    let mut ctl = Raw::connect(p.port);
    a.send_cmd(&[b"BLPOP", b"k", b"5"]);
    wait_blocked(&mut ctl, 1);
    let info = ctl.cmd_str("INFO clients");
    assert!(info.contains("clients_in_timeout_table:1"), "{info}");
    ctl.cmd_str("RPUSH k v");
    assert_eq!(reply(&mut a), bulk_pair("k", "v"));
}
dual_test!(timeout_replies, timeouts);

/// A push from another client serves the blocked client; the blocked client's
/// pipelined requests run after it; the command counts as one call.
fn served_by_push(t: Target) {
    let p = start_target(t, &[]);
    let mut a = Raw::connect(p.port);
    let mut ctl = Raw::connect(p.port);
    ctl.cmd_str("CONFIG RESETSTAT");
    let id = a.cmd_str("CLIENT ID");
    let id = id.trim_start_matches(':').trim();
    let mut req = common::encode(&[b"BLPOP", b"k", b"0"]);
    req.extend_from_slice(&common::encode(&[b"PING"]));
    a.send(&req);
    wait_blocked(&mut ctl, 1);
    let line = ctl.cmd_str(&format!("CLIENT LIST ID {id}"));
    assert!(
        line.contains(" flags=b ") && line.contains(" cmd=blpop "),
        "{line}"
    );
    assert_eq!(ctl.cmd_str("RPUSH k v1 v2"), ":2\r\n");
    assert_eq!(reply(&mut a), bulk_pair("k", "v1"));
    assert_eq!(reply(&mut a), "+PONG\r\n");
    assert_eq!(blocked(&mut ctl), 0);
    assert_eq!(ctl.cmd_str("LRANGE k 0 -1"), "*1\r\n$2\r\nv2\r\n");
    let stats = ctl.cmd_str("INFO commandstats");
    assert!(stats.contains("cmdstat_blpop:calls=1,"), "{stats}");
}
dual_test!(served_by_later_push, served_by_push);

/// Three clients blocked on one key are served in the order they blocked.
fn fifo(t: Target) {
    let p = start_target(t, &[]);
    let mut ctl = Raw::connect(p.port);
    let mut cs: Vec<Raw> = (0..3).map(|_| Raw::connect(p.port)).collect();
    for (i, c) in cs.iter_mut().enumerate() {
        c.send_cmd(&[b"BRPOP", b"k", b"0"]);
        wait_blocked(&mut ctl, i + 1);
    }
    assert_eq!(ctl.cmd_str("LPUSH k 1 2 3 4"), ":4\r\n");
    for (i, c) in cs.iter_mut().enumerate() {
        assert_eq!(reply(c), bulk_pair("k", &(i + 1).to_string()), "client {i}");
    }
    assert_eq!(ctl.cmd_str("LRANGE k 0 -1"), "*1\r\n$1\r\n4\r\n");
    // Sorted sets too: each client pops one member.
    for (i, c) in cs.iter_mut().enumerate() {
        c.send_cmd(&[b"BZPOPMIN", b"z", b"0"]);
        wait_blocked(&mut ctl, i + 1);
    }
    ctl.cmd_str("ZADD z 1 a 2 b 3 c");
    for (c, m) in cs.iter_mut().zip(["a", "b", "c"]) {
        let r = reply(c);
        assert!(r.starts_with("*3\r\n$1\r\nz\r\n") && r.contains(m), "{r}");
    }
}
dual_test!(fifo_fairness, fifo);

/// A client blocked on several keys is served by the first key made ready;
/// pushes inside MULTI serve after EXEC, with the keys as EXEC left them.
fn multi_key_and_exec(t: Target) {
    let p = start_target(t, &[]);
    let mut a = Raw::connect(p.port);
    let mut ctl = Raw::connect(p.port);
    a.send_cmd(&[b"BLPOP", b"k1", b"k2", b"k3", b"0"]);
    wait_blocked(&mut ctl, 1);
    ctl.cmd_str("MULTI");
    ctl.cmd_str("RPUSH k3 c");
    ctl.cmd_str("RPUSH k1 a");
    assert_eq!(ctl.cmd_str("EXEC"), "*2\r\n:1\r\n:1\r\n");
    assert_eq!(reply(&mut a), bulk_pair("k3", "c"));
    assert_eq!(ctl.cmd_str("LLEN k1"), ":1\r\n");
    // Pushed and popped again in the same transaction: nothing to serve.
    ctl.cmd_str("DEL k1");
    a.send_cmd(&[b"BLPOP", b"k1", b"0"]);
    wait_blocked(&mut ctl, 1);
    ctl.cmd_str("MULTI");
    ctl.cmd_str("RPUSH k1 x");
    ctl.cmd_str("LPOP k1");
    assert_eq!(ctl.cmd_str("EXEC"), "*2\r\n:1\r\n$1\r\nx\r\n");
    assert_eq!(blocked(&mut ctl), 1);
    ctl.cmd_str("RPUSH k1 y");
    assert_eq!(reply(&mut a), bulk_pair("k1", "y"));
    // Blocking commands inside MULTI do not block.
    a.cmd_str("MULTI");
    a.cmd_str("BLPOP nokey 0");
    a.cmd_str("BLMOVE nokey d LEFT LEFT 0");
    a.cmd_str("BZPOPMIN nokey 0");
    assert_eq!(a.cmd_str("EXEC"), "*3\r\n*-1\r\n$-1\r\n*-1\r\n");
}
dual_test!(multi_key_and_transactions, multi_key_and_exec);

/// A BLMOVE served by a push feeds the client blocked on its destination.
fn blmove_chain(t: Target) {
    let p = start_target(t, &[]);
    let mut a = Raw::connect(p.port);
    let mut b = Raw::connect(p.port);
    let mut ctl = Raw::connect(p.port);
    a.send_cmd(&[b"BLMOVE", b"k1", b"k2", b"RIGHT", b"LEFT", b"0"]);
    wait_blocked(&mut ctl, 1);
    b.send_cmd(&[b"BLPOP", b"k2", b"0"]);
    wait_blocked(&mut ctl, 2);
    ctl.cmd_str("RPUSH k1 x y");
    assert_eq!(reply(&mut a), "$1\r\ny\r\n");
    assert_eq!(reply(&mut b), bulk_pair("k2", "y"));
    assert_eq!(ctl.cmd_str("EXISTS k2"), ":0\r\n");
    assert_eq!(ctl.cmd_str("LRANGE k1 0 -1"), "*1\r\n$1\r\nx\r\n");
    // A destination of another type: WRONGTYPE for the BLMOVE, nothing moved.
    ctl.cmd_str("DEL k1");
    ctl.cmd_str("SET k2 str");
    a.send_cmd(&[b"BRPOPLPUSH", b"k1", b"k2", b"0"]);
    wait_blocked(&mut ctl, 1);
    ctl.cmd_str("RPUSH k1 z");
    assert!(reply(&mut a).starts_with("-WRONGTYPE"));
    assert_eq!(ctl.cmd_str("LRANGE k1 0 -1"), "*1\r\n$1\r\nz\r\n");
    let stats = ctl.cmd_str("INFO commandstats");
    assert!(
        stats.contains("cmdstat_brpoplpush:calls=1,") && stats.contains("failed_calls=1"),
        "{stats}"
    );
}
dual_test!(blmove_chains, blmove_chain);

/// CLIENT UNBLOCK with TIMEOUT (null reply) and ERROR (-UNBLOCKED).
fn client_unblock(t: Target) {
    let p = start_target(t, &[]);
    let mut a = Raw::connect(p.port);
    let mut ctl = Raw::connect(p.port);
    let id = a.cmd_str("CLIENT ID");
    let id = id.trim_start_matches(':').trim().to_string();
    a.send_cmd(&[b"BLPOP", b"k", b"0"]);
    wait_blocked(&mut ctl, 1);
    assert_eq!(ctl.cmd_str(&format!("CLIENT UNBLOCK {id}")), ":1\r\n");
    assert_eq!(reply(&mut a), "*-1\r\n");
    assert_eq!(ctl.cmd_str(&format!("CLIENT UNBLOCK {id}")), ":0\r\n");
    a.cmd_str("HELLO 3");
    a.send_cmd(&[b"BZPOPMAX", b"z", b"0"]);
    wait_blocked(&mut ctl, 1);
    assert_eq!(
        ctl.cmd_str(&format!("CLIENT UNBLOCK {id} TIMEOUT")),
        ":1\r\n"
    );
    assert_eq!(reply(&mut a), "_\r\n");
    a.send_cmd(&[b"BLMOVE", b"k", b"d", b"LEFT", b"LEFT", b"0"]);
    wait_blocked(&mut ctl, 1);
    assert_eq!(ctl.cmd_str(&format!("CLIENT UNBLOCK {id} ERROR")), ":1\r\n");
    assert_eq!(
        reply(&mut a),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(a.cmd_str("PING"), "+PONG\r\n");
    let errs = ctl.cmd_str("INFO errorstats");
    assert!(errs.contains("errorstat_UNBLOCKED:count=1"), "{errs}");
    assert_eq!(blocked(&mut ctl), 0);
}
dual_test!(client_unblock_forms, client_unblock);

/// A blocked client that disconnects or is killed leaves the queue: the
/// next push stays in the list.
fn disconnect(t: Target) {
    let p = start_target(t, &[]);
    let mut ctl = Raw::connect(p.port);
    {
        let mut a = Raw::connect(p.port);
        a.send_cmd(&[b"BLPOP", b"k", b"0"]);
        wait_blocked(&mut ctl, 1);
    }
    wait_blocked(&mut ctl, 0);
    let mut b = Raw::connect(p.port);
    let id = b.cmd_str("CLIENT ID");
    let id = id.trim_start_matches(':').trim().to_string();
    b.send_cmd(&[b"BZPOPMIN", b"z", b"0"]);
    wait_blocked(&mut ctl, 1);
    assert_eq!(ctl.cmd_str(&format!("CLIENT KILL ID {id}")), ":1\r\n");
    assert!(b.closed());
    wait_blocked(&mut ctl, 0);
    ctl.cmd_str("RPUSH k v");
    ctl.cmd_str("ZADD z 1 m");
    assert_eq!(ctl.cmd_str("LLEN k"), ":1\r\n");
    assert_eq!(ctl.cmd_str("ZCARD z"), ":1\r\n");
}
dual_test!(disconnect_while_blocked, disconnect);

/// A key created with another type keeps the client blocked; a list made
/// later (after DEL) serves it. A key deleted and re-created serves too.
fn wrong_type_then_right(t: Target) {
    let p = start_target(t, &[]);
    let mut a = Raw::connect(p.port);
    let mut ctl = Raw::connect(p.port);
    a.send_cmd(&[b"BLPOP", b"k", b"0"]);
    wait_blocked(&mut ctl, 1);
    ctl.cmd_str("SET k str");
    ctl.cmd_str("DEL k");
    ctl.cmd_str("ZADD k 1 m");
    ctl.cmd_str("DEL k");
    assert_eq!(blocked(&mut ctl), 1);
    ctl.cmd_str("RPUSH k v");
    assert_eq!(reply(&mut a), bulk_pair("k", "v"));
    // The same for a sorted-set waiter and a list.
    a.send_cmd(&[b"BZMPOP", b"0", b"1", b"z", b"MIN", b"COUNT", b"5"]);
    wait_blocked(&mut ctl, 1);
    ctl.cmd_str("RPUSH z x");
    ctl.cmd_str("DEL z");
    assert_eq!(blocked(&mut ctl), 1);
    ctl.cmd_str("ZADD z 2 b 1 a");
    assert_eq!(
        reply(&mut a),
        "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    // RENAME onto a watched name creates it: served.
    a.send_cmd(&[b"BLPOP", b"r", b"0"]);
    wait_blocked(&mut ctl, 1);
    ctl.cmd_str("RPUSH tmp v");
    ctl.cmd_str("RENAME tmp r");
    assert_eq!(reply(&mut a), bulk_pair("r", "v"));
}
dual_test!(wrong_type_keeps_blocking, wrong_type_then_right);

/// RESP3 shapes of served replies: BZPOPMIN with a double, BLMPOP nested.
fn resp3_shapes(t: Target) {
    let p = start_target(t, &[]);
    let mut a = Raw::connect(p.port);
    let mut b = Raw::connect(p.port);
    let mut ctl = Raw::connect(p.port);
    a.cmd_str("HELLO 3");
    b.cmd_str("HELLO 3");
    a.send_cmd(&[b"BZPOPMAX", b"z", b"0"]);
    wait_blocked(&mut ctl, 1);
    b.send_cmd(&[b"BLMPOP", b"0", b"1", b"l", b"RIGHT", b"COUNT", b"9"]);
    wait_blocked(&mut ctl, 2);
    ctl.cmd_str("ZADD z 1.5 m");
    ctl.cmd_str("RPUSH l a b");
    assert_eq!(reply(&mut a), "*3\r\n$1\r\nz\r\n$1\r\nm\r\n,1.5\r\n");
    assert_eq!(
        reply(&mut b),
        "*2\r\n$1\r\nl\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n"
    );
}
dual_test!(resp3_served_shapes, resp3_shapes);

/// redis-py's blpop/brpop/bzpopmin with timeouts (node/tests/py/test_blocking.py).
fn redis_py(t: Target) {
    let p = start_target(t, &[]);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/test_blocking.py");
    let r = run_with_timeout(
        Command::new("python3").arg(&script).arg(p.port.to_string()),
        None,
        Duration::from_secs(120),
    );
    assert!(
        r.status.success() && r.stdout.contains("all redis-py blocking checks passed"),
        "redis-py blocking against {} failed ({}):\n{}\n{}",
        p.kind,
        r.status,
        r.stdout,
        r.stderr
    );
}
dual_test!(redis_py_blocking, redis_py);
