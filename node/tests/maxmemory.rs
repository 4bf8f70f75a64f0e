//! maxmemory and eviction policies, with a real client against our node (and the
//! same assertions against redis-server where the behaviour is deterministic).

mod common;

use common::{start_node, start_redis, Proc};

fn conn(p: &Proc) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{}/", p.port))
        .expect("client")
        .get_connection()
        .expect("connect")
}

fn info_field(c: &mut redis::Connection, section: &str, field: &str) -> i64 {
    let info: String = redis::cmd("INFO").arg(section).query(c).expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("INFO {section} has no numeric {field}"))
}

/// Writes 1 KB values until `n` keys were written or a write fails.
fn fill(c: &mut redis::Connection, n: usize) -> Result<usize, redis::RedisError> {
    let value = vec![b'x'; 1024];
    for i in 0..n {
        redis::cmd("SET")
            .arg(format!("key:{i}"))
            .arg(&value)
            .query::<()>(c)?;
    }
    Ok(n)
}

#[test]
fn allkeys_lru_evicts_and_stays_under_the_limit() {
    let node = start_node(&["--maxmemory", "8mb", "--maxmemory-policy", "allkeys-lru"]);
    let mut c = conn(&node);
    fill(&mut c, 20_000).expect("with an eviction policy every write succeeds");
    let used = info_field(&mut c, "memory", "used_memory");
    let evicted = info_field(&mut c, "stats", "evicted_keys");
    let keys: i64 = redis::cmd("DBSIZE").query(&mut c).expect("DBSIZE");
    assert!(
        evicted > 0,
        "20 MB of values under an 8 MB limit must evict"
    );
    assert!(keys < 20_000, "some keys were evicted ({keys} left)");
    // The limit is enforced before each write; one write may overshoot slightly.
    assert!(
        used <= 8 * 1024 * 1024 + 256 * 1024,
        "used_memory {used} is over maxmemory"
    );
    let newest: Option<Vec<u8>> = redis::cmd("GET")
        .arg("key:19999")
        .query(&mut c)
        .expect("GET");
    assert!(
        newest.is_some(),
        "the most recently written key survives LRU eviction"
    );
}

#[test]
fn noeviction_refuses_writes_with_the_redis_error() {
    for p in [
        start_node(&["--maxmemory", "4mb"]),
        start_redis(&["--maxmemory", "4mb"]),
    ] {
        let mut c = conn(&p);
        let err = fill(&mut c, 50_000).expect_err("writes must fail once memory is full");
        assert_eq!(err.code(), Some("OOM"), "{} replied {err:?}", p.kind);
        assert_eq!(
            err.detail(),
            Some("command not allowed when used memory > 'maxmemory'."),
            "{}",
            p.kind
        );
        // Reads and deletes still work.
        let v: Option<Vec<u8>> = redis::cmd("GET")
            .arg("key:0")
            .query(&mut c)
            .expect("GET works when full");
        assert!(v.is_some(), "{}", p.kind);
        let n: i64 = redis::cmd("DEL")
            .arg("key:0")
            .query(&mut c)
            .expect("DEL works when full");
        assert_eq!(n, 1, "{}", p.kind);
    }
}

#[test]
fn volatile_policies_only_evict_keys_with_a_ttl() {
    let node = start_node(&["--maxmemory", "6mb", "--maxmemory-policy", "volatile-lru"]);
    let mut c = conn(&node);
    let value = vec![b'v'; 1024];
    for i in 0..2000 {
        redis::cmd("SET")
            .arg(format!("persistent:{i}"))
            .arg(&value)
            .query::<()>(&mut c)
            .expect("SET");
    }
    for i in 0..20_000 {
        match redis::cmd("SET")
            .arg(format!("volatile:{i}"))
            .arg(&value)
            .arg("EX")
            .arg(3600)
            .query::<()>(&mut c)
        {
            Ok(()) => {}
            Err(e) => panic!("volatile keys can always be evicted, yet SET failed: {e}"),
        }
    }
    for i in 0..2000 {
        let v: Option<Vec<u8>> = redis::cmd("GET")
            .arg(format!("persistent:{i}"))
            .query(&mut c)
            .expect("GET");
        assert!(
            v.is_some(),
            "persistent:{i} has no TTL and must not be evicted"
        );
    }
    assert!(info_field(&mut c, "stats", "evicted_keys") > 0);
}
