//! RDB interop and persistence, against real redis-server 7.0.15 processes:
//! our dump.rdb loads in redis and redis's in ours with every type, encoding
//! and TTL intact; startup load, BGSAVE, SHUTDOWN saving; corrupt files are
//! refused and the data kept.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{have_redis, node_bin, run_with_timeout, start_node, start_redis, Proc};

fn con(p: &Proc) -> redis::Connection {
    let c = redis::Client::open(format!("redis://127.0.0.1:{}/", p.port)).expect("client");
    let con = c
        .get_connection_with_timeout(Duration::from_secs(10))
        .expect("connect");
    con.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    con
}

fn q<T: redis::FromRedisValue>(c: &mut redis::Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c)
        .unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

/// Data of every type in every encoding, with TTLs, in two databases.
fn fill(c: &mut redis::Connection) {
    let _: () = q(c, &["FLUSHALL"]);
    let long = "x".repeat(100);
    let lz = "a".repeat(300);
    for (k, v) in [
        ("int", "12345"),
        ("bigint", "-9223372036854775808"),
        ("emb", "hello"),
        ("raw", long.as_str()),
        ("lz", lz.as_str()),
        ("pad", "007"),
    ] {
        let _: () = q(c, &["SET", k, v]);
    }
    let _: () = q(
        c,
        &["RPUSH", "list", "a", "b", "1", "-70000", long.as_str(), ""],
    );
    for i in 0..2000 {
        let _: () = q(
            c,
            &["RPUSH", "biglist", &format!("element number {i} with text")],
        );
    }
    let _: () = q(c, &["SADD", "iset", "1", "2", "-3", "5000000000"]);
    let _: () = q(c, &["SADD", "hset", "a", "b", "c"]);
    for i in 0..600 {
        let _: () = q(c, &["SADD", "bigiset", &i.to_string()]);
    }
    let _: () = q(
        c,
        &["HSET", "hlp", "f1", "v1", "f2", "2", "f3", long.as_str()],
    );
    for i in 0..200 {
        let _: () = q(
            c,
            &["HSET", "htable", &format!("field{i}"), &format!("value{i}")],
        );
    }
    let _: () = q(
        c,
        &[
            "ZADD", "zlp", "1", "a", "2.5", "b", "-0.25", "c", "inf", "d",
        ],
    );
    for i in 0..200 {
        let _: () = q(
            c,
            &[
                "ZADD",
                "zskip",
                &format!("{}", i as f64 / 7.0),
                &format!("m{i}"),
            ],
        );
    }
    let _: () = q(c, &["SET", "ttl", "v", "PX", "100000000"]);
    let _: () = q(c, &["EXPIRE", "hlp", "100000"]);
    let _: () = q(c, &["SELECT", "3"]);
    let _: () = q(c, &["SET", "db3", "x"]);
    let _: () = q(c, &["SELECT", "0"]);
}

/// Every key of every database: type, encoding, content, TTL (rounded).
fn contents(c: &mut redis::Connection) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for db in 0..16 {
        let _: () = q(c, &["SELECT", &db.to_string()]);
        let keys: Vec<String> = q(c, &["KEYS", "*"]);
        for k in keys {
            let t: String = q(c, &["TYPE", &k]);
            let enc: String = q(c, &["OBJECT", "ENCODING", &k]);
            let body: Vec<String> = match t.as_str() {
                "string" => vec![q(c, &["GET", &k])],
                "list" => q(c, &["LRANGE", &k, "0", "-1"]),
                "set" => {
                    let mut v: Vec<String> = q(c, &["SMEMBERS", &k]);
                    v.sort();
                    v
                }
                "hash" => {
                    let mut v: Vec<(String, String)> = q(c, &["HGETALL", &k]);
                    v.sort();
                    v.into_iter().map(|(a, b)| format!("{a}={b}")).collect()
                }
                "zset" => q(c, &["ZRANGE", &k, "0", "-1", "WITHSCORES"]),
                other => panic!("unexpected type {other}"),
            };
            let ttl: i64 = q(c, &["TTL", &k]);
            let ttl = if ttl > 0 { (ttl + 500) / 1000 } else { ttl };
            out.insert(
                format!("{db}:{k}"),
                format!("{t} {enc} ttl~{ttl}k {body:?}"),
            );
        }
    }
    let _: () = q(c, &["SELECT", "0"]);
    out
}

/// Waits until a server started on an RDB has loaded it (until then it
/// answers -LOADING).
fn wait_loaded(c: &mut redis::Connection) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_field(c, "loading") != "0" {
        assert!(Instant::now() < deadline, "still loading");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn copy_dump(from: &Proc, to: &Proc) {
    std::fs::copy(from.dir.join("dump.rdb"), to.dir.join("dump.rdb")).expect("copy dump.rdb");
}

#[test]
fn our_dump_loads_in_redis_and_redis_dump_loads_in_ours() {
    assert!(
        have_redis(),
        "redis-server 7.0 is required: run scripts/test-deps"
    );
    // Ours -> redis.
    let node = start_node(&[]);
    let mut nc = con(&node);
    fill(&mut nc);
    let ours = contents(&mut nc);
    assert_eq!(ours.len(), 17);
    let _: () = q(&mut nc, &["SAVE"]);
    let redis = start_redis(&[]);
    copy_dump(&node, &redis);
    let mut rc = con(&redis);
    let _: () = q(&mut rc, &["DEBUG", "RELOAD", "NOSAVE"]);
    assert_eq!(contents(&mut rc), ours, "redis loading our dump.rdb");

    // Redis -> ours, via DEBUG RELOAD and at startup.
    let redis2 = start_redis(&[]);
    let mut rc2 = con(&redis2);
    fill(&mut rc2);
    let theirs = contents(&mut rc2);
    assert_eq!(theirs, ours, "both servers encode the same data alike");
    let _: () = q(&mut rc2, &["SAVE"]);
    let node2 = start_node(&[]);
    copy_dump(&redis2, &node2);
    let mut nc2 = con(&node2);
    let _: () = q(&mut nc2, &["DEBUG", "RELOAD", "NOSAVE"]);
    assert_eq!(
        contents(&mut nc2),
        theirs,
        "our node loading redis's dump.rdb"
    );
    let dir = redis2.dir.to_string_lossy().into_owned();
    let node3 = start_node(&["--dir", &dir]);
    let mut nc3 = con(&node3);
    wait_loaded(&mut nc3);
    assert_eq!(contents(&mut nc3), theirs, "loaded at startup");
    let info: String = q(&mut nc3, &["INFO", "persistence"]);
    assert!(info.contains("rdb_last_load_keys_loaded:17"), "{info}");

    // DUMP payloads move both ways.
    for k in [
        "int", "list", "iset", "hset", "hlp", "zlp", "zskip", "biglist",
    ] {
        let p: Vec<u8> = redis::cmd("DUMP").arg(k).query(&mut rc2).expect("dump");
        let _: () = redis::cmd("RESTORE")
            .arg("copy")
            .arg(0)
            .arg(&p)
            .query(&mut nc2)
            .expect("restore in ours");
        let p2: Vec<u8> = redis::cmd("DUMP")
            .arg("copy")
            .query(&mut nc2)
            .expect("dump ours");
        let _: () = redis::cmd("RESTORE")
            .arg("copy")
            .arg(0)
            .arg(&p2)
            .query(&mut rc2)
            .expect("restore in redis");
        let a: String = q(&mut nc2, &["OBJECT", "ENCODING", "copy"]);
        let b: String = q(&mut rc2, &["OBJECT", "ENCODING", "copy"]);
        assert_eq!(a, b, "{k}");
        let _: () = q(&mut nc2, &["DEL", "copy"]);
        let _: () = q(&mut rc2, &["DEL", "copy"]);
    }
}

fn info_field(c: &mut redis::Connection, name: &str) -> String {
    let info: String = q(c, &["INFO", "persistence"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
        .unwrap_or_default()
}

#[test]
fn bgsave_lastsave_and_shutdown_save() {
    let node = start_node(&["--save", "3600 1"]);
    let mut c = con(&node);
    fill(&mut c);
    let expect = contents(&mut c);
    let started: String = q(&mut c, &["BGSAVE"]);
    assert_eq!(started, "Background saving started");
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_field(&mut c, "rdb_bgsave_in_progress") != "0"
        || info_field(&mut c, "rdb_saves") != "1"
    {
        assert!(Instant::now() < deadline, "BGSAVE did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    assert!(node.dir.join("dump.rdb").exists());
    let _: () = q(&mut c, &["SET", "after", "1"]);
    let _ = redis::cmd("SHUTDOWN").query::<()>(&mut c);
    let mut node = node;
    let deadline = Instant::now() + Duration::from_secs(10);
    while node.child.try_wait().ok().flatten().is_none() {
        assert!(Instant::now() < deadline, "SHUTDOWN did not stop the node");
        std::thread::sleep(Duration::from_millis(20));
    }
    let dir = node.dir.to_string_lossy().into_owned();
    let again = start_node(&["--dir", &dir]);
    let mut c2 = con(&again);
    wait_loaded(&mut c2);
    let mut expect = expect;
    expect.insert("0:after".into(), "string int ttl~-1k [\"1\"]".into());
    assert_eq!(
        contents(&mut c2),
        expect,
        "SHUTDOWN saved the final snapshot"
    );
}

#[test]
fn corrupt_files_are_refused_and_data_kept() {
    let node = start_node(&[]);
    let mut c = con(&node);
    fill(&mut c);
    let expect = contents(&mut c);
    let _: () = q(&mut c, &["SAVE"]);
    let good = std::fs::read(node.dir.join("dump.rdb")).expect("dump");
    for bad in [good[..good.len() / 2].to_vec(), {
        let mut b = good.clone();
        let i = b.len() / 3;
        b[i] ^= 0x5a;
        b
    }] {
        std::fs::write(node.dir.join("dump.rdb"), &bad).expect("write");
        let r: redis::RedisResult<()> = redis::cmd("DEBUG")
            .arg("RELOAD")
            .arg("NOSAVE")
            .query(&mut c);
        let e = r.expect_err("a corrupt file must not load");
        assert!(
            e.to_string().contains("Error trying to load the RDB dump"),
            "{e}"
        );
        assert_eq!(contents(&mut c), expect, "the data is kept");
        // At startup the server refuses to run on it, as Redis does.
        let dir = std::env::temp_dir().join(format!("rrs-rdb-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("dump.rdb"), &bad).expect("write");
        let ran = run_with_timeout(
            std::process::Command::new(node_bin())
                .arg("--port")
                .arg(common::free_port().to_string())
                .arg("--dir")
                .arg(&dir)
                .arg("--save")
                .arg(""),
            None,
            Duration::from_secs(20),
        );
        let _ = std::fs::remove_dir_all(&dir);
        assert!(!ran.status.success(), "started on a corrupt file");
        let log = format!("{}{}", ran.stdout, ran.stderr);
        assert!(log.contains("Fatal error loading the DB"), "{log}");
    }
}
