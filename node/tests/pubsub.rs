//! Pub/sub across connections: the `redis` crate's PubSub, raw RESP2/RESP3
//! frames, subscription cleanup on disconnect, and redis-py's PubSub
//! (node/tests/py/test_pubsub.py). Every body also runs against a real
//! redis-server 7.0, which proves the test itself is right.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{run_with_timeout, start_target, Proc, Raw, Target};

fn client(p: &Proc) -> redis::Connection {
    let c = redis::Client::open(format!("redis://127.0.0.1:{}/", p.port)).expect("client");
    let con = c
        .get_connection_with_timeout(Duration::from_secs(10))
        .expect("connect");
    con.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    con
}

fn numsub(c: &mut redis::Connection, ch: &str) -> i64 {
    let v: (String, i64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(ch)
        .query(c)
        .expect("PUBSUB NUMSUB");
    v.1
}

/// Polls until `f` holds: subscriptions of another connection are visible
/// once that connection's command ran, which the test cannot observe directly.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn crate_pubsub(t: Target) {
    let p = start_target(t, &[]);
    let mut publisher = client(&p);
    let mut sub_con = client(&p);
    let mut ps = sub_con.as_pubsub();
    ps.subscribe("news").expect("subscribe");
    ps.psubscribe("n*").expect("psubscribe");
    let n: i64 = redis::cmd("PUBLISH")
        .arg("news")
        .arg("hello")
        .query(&mut publisher)
        .expect("publish");
    assert_eq!(n, 2, "one channel and one pattern subscriber");
    let mut got = Vec::new();
    for _ in 0..2 {
        let m = ps.get_message().expect("message");
        let payload: String = m.get_payload().expect("payload");
        got.push((
            m.get_channel_name().to_string(),
            m.get_pattern::<Option<String>>().ok().flatten(),
            payload,
        ));
    }
    got.sort();
    assert_eq!(
        got,
        vec![
            ("news".to_string(), None, "hello".to_string()),
            (
                "news".to_string(),
                Some("n*".to_string()),
                "hello".to_string()
            ),
        ]
    );
    let n: i64 = redis::cmd("PUBLISH")
        .arg("other")
        .arg("x")
        .query(&mut publisher)
        .expect("publish");
    assert_eq!(n, 0, "nobody listens on 'other'");
    ps.unsubscribe("news").expect("unsubscribe");
    ps.punsubscribe("n*").expect("punsubscribe");
    eventually("unsubscribed", || numsub(&mut publisher, "news") == 0);
    drop(ps);
    drop(sub_con);
}
dual_test!(crate_pubsub_messages, crate_pubsub);

/// Exact frames to RESP2 and RESP3 subscribers, SPUBLISH, and cleanup when
/// the subscriber disconnects.
fn raw_frames(t: Target) {
    let p = start_target(t, &[]);
    let mut s2 = Raw::connect(p.port);
    let mut s3 = Raw::connect(p.port);
    let mut publ = Raw::connect(p.port);
    s3.cmd_str("HELLO 3");
    assert_eq!(
        s2.cmd_str("SUBSCRIBE c"),
        "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
    );
    assert_eq!(
        s3.cmd_str("SUBSCRIBE c"),
        ">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
    );
    assert_eq!(
        s3.cmd_str("SSUBSCRIBE s"),
        ">3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n"
    );
    assert_eq!(publ.cmd_str("PUBLISH c m"), ":2\r\n");
    let m = "$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n";
    assert_eq!(
        String::from_utf8_lossy(&s2.read_reply()),
        format!("*3\r\n{m}")
    );
    assert_eq!(
        String::from_utf8_lossy(&s3.read_reply()),
        format!(">3\r\n{m}")
    );
    assert_eq!(publ.cmd_str("SPUBLISH s x"), ":1\r\n");
    assert_eq!(
        String::from_utf8_lossy(&s3.read_reply()),
        ">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nx\r\n"
    );
    // A RESP3 subscriber publishing to itself gets the message before the reply.
    assert_eq!(
        s3.cmd_str("PUBLISH c self"),
        ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$4\r\nself\r\n"
    );
    assert_eq!(String::from_utf8_lossy(&s3.read_reply()), ":2\r\n");
    assert_eq!(
        String::from_utf8_lossy(&s2.read_reply()),
        "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$4\r\nself\r\n"
    );
    // CLIENT LIST shows the counts and the P flag.
    let list = publ.cmd_str("CLIENT LIST");
    assert!(list.contains("flags=P db=0 sub=1 psub=0 ssub=1"), "{list}");
    assert!(list.contains("flags=P db=0 sub=1 psub=0 ssub=0"), "{list}");
    drop(s2);
    drop(s3);
    let start = Instant::now();
    loop {
        let r = publ.cmd_str("PUBSUB NUMSUB c");
        if r == "*2\r\n$1\r\nc\r\n:0\r\n" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still subscribed: {r}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(publ.cmd_str("PUBSUB SHARDCHANNELS"), "*0\r\n");
    assert_eq!(publ.cmd_str("PUBLISH c gone"), ":0\r\n");
}
dual_test!(raw_push_frames, raw_frames);

/// Many subscribers, many messages: every subscriber sees every message in order.
fn fan_out(t: Target) {
    let p = start_target(t, &[]);
    let mut subs: Vec<Raw> = (0..5).map(|_| Raw::connect(p.port)).collect();
    for s in &mut subs {
        s.cmd_str("SUBSCRIBE fan");
    }
    let mut publ = Raw::connect(p.port);
    for i in 0..200 {
        assert_eq!(publ.cmd_str(&format!("PUBLISH fan m{i}")), ":5\r\n");
    }
    for s in &mut subs {
        for i in 0..200 {
            let want = format!("m{i}");
            let frame = s.read_reply();
            let text = String::from_utf8_lossy(&frame);
            assert!(
                text.ends_with(&format!("${}\r\n{want}\r\n", want.len())),
                "{text}"
            );
        }
    }
}
dual_test!(fan_out_in_order, fan_out);

/// A subscriber that never reads is disconnected once its unsent output
/// passes the pubsub class's hard limit (client-output-buffer-limit).
fn slow_subscriber(t: Target) {
    let p = start_target(t, &[]);
    let mut publ = Raw::connect(p.port);
    let set: &[&[u8]] = &[
        b"CONFIG",
        b"SET",
        b"client-output-buffer-limit",
        b"pubsub 1mb 0 0",
    ];
    assert_eq!(publ.cmd(set), b"+OK\r\n");
    let mut sub = Raw::connect(p.port);
    sub.cmd_str("SUBSCRIBE slow");
    let big = vec![b'x'; 100_000];
    let start = Instant::now();
    let mut sent = 0;
    loop {
        let r = publ.cmd(&[b"PUBLISH", b"slow", &big]);
        sent += 1;
        if r == b":0\r\n" {
            break;
        }
        assert!(
            sent < 2000 && start.elapsed() < Duration::from_secs(30),
            "the slow subscriber was never disconnected"
        );
        if sent % 50 == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert!(sent > 5, "closed too early: after {sent} messages");
}
dual_test!(slow_subscriber_disconnected, slow_subscriber);

fn redis_py(t: Target) {
    let p = start_target(t, &[]);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/test_pubsub.py");
    let r = run_with_timeout(
        Command::new("python3").arg(&script).arg(p.port.to_string()),
        None,
        Duration::from_secs(60),
    );
    assert!(
        r.status.success() && r.stdout.contains("all redis-py pubsub checks passed"),
        "redis-py pubsub against {} failed ({}):\n{}\n{}",
        p.kind,
        r.status,
        r.stdout,
        r.stderr
    );
}
dual_test!(redis_py_pubsub, redis_py);
