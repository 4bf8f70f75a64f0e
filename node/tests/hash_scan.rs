//! Process tests of HSCAN and HRANDFIELD on hashtable-encoded hashes, where the
//! reply order is Redis's hash order and cannot be compared byte for byte: run
//! the same checks against our node and a real redis-server 7.0.

mod common;

use std::collections::{HashMap, HashSet};

use common::{start_node, start_redis, Proc};

fn connect(p: &Proc) -> redis::Connection {
    let client = redis::Client::open(format!("redis://127.0.0.1:{}/", p.port)).expect("client");
    client.get_connection().expect("connect")
}

fn hset_many(con: &mut redis::Connection, key: &str, prefix: &str, range: std::ops::Range<usize>) {
    let mut pipe = redis::pipe();
    for i in range {
        pipe.cmd("HSET")
            .arg(key)
            .arg(format!("{prefix}{i}"))
            .arg(i)
            .ignore();
    }
    pipe.query::<()>(con).expect("HSET pipeline");
}

/// A whole HSCAN: field/value pairs in reply order, calling `between` after
/// each step.
fn full_hscan(
    con: &mut redis::Connection,
    key: &str,
    extra: &[&str],
    mut between: impl FnMut(usize),
) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    let mut cursor: u64 = 0;
    let mut step = 0;
    loop {
        let (next, items): (u64, Vec<String>) = redis::cmd("HSCAN")
            .arg(key)
            .arg(cursor)
            .arg(extra)
            .query(con)
            .expect("HSCAN");
        assert_eq!(items.len() % 2, 0, "pairs");
        seen.extend(items.chunks(2).map(|p| (p[0].clone(), p[1].clone())));
        cursor = next;
        if cursor == 0 {
            break;
        }
        between(step);
        step += 1;
        assert!(step < 1_000_000, "HSCAN does not terminate");
    }
    seen
}

#[test]
fn hscan_returns_every_stable_field_while_the_hash_grows_and_shrinks() {
    for p in [&start_node(&[]), &start_redis(&[])] {
        let mut con = connect(p);
        let mut other = connect(p);
        hset_many(&mut con, "h", "orig:", 0..1000);
        let enc: String = redis::cmd("OBJECT")
            .arg("ENCODING")
            .arg("h")
            .query(&mut con)
            .expect("OBJECT");
        assert_eq!(enc, "hashtable", "{}", p.kind);
        let mut added = 0;
        let seen = full_hscan(&mut con, "h", &["COUNT", "5"], |step| {
            if step < 30 {
                hset_many(&mut other, "h", "extra:", added..added + 300);
                added += 300;
            } else if added > 0 {
                let from = added.saturating_sub(300);
                let mut pipe = redis::pipe();
                for i in from..added {
                    pipe.cmd("HDEL").arg("h").arg(format!("extra:{i}")).ignore();
                }
                pipe.query::<()>(&mut other).expect("HDEL pipeline");
                added = from;
            }
        });
        let seen: HashMap<String, String> = seen.into_iter().collect();
        for i in 0..1000 {
            assert_eq!(
                seen.get(&format!("orig:{i}")),
                Some(&i.to_string()),
                "{}: orig:{i}",
                p.kind
            );
        }
        let len: usize = redis::cmd("HLEN").arg("h").query(&mut con).expect("HLEN");
        assert_eq!(len, 1000 + added, "{}", p.kind);
    }
}

#[test]
fn hscan_match_and_hrandfield_on_a_hashtable_like_redis() {
    for p in [&start_node(&[]), &start_redis(&[])] {
        let mut con = connect(p);
        hset_many(&mut con, "h", "user:", 0..300);
        hset_many(&mut con, "h", "item:", 0..300);

        let users: HashSet<String> = full_hscan(&mut con, "h", &["MATCH", "user:*"], |_| {})
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        let expected: HashSet<String> = (0..300).map(|i| format!("user:{i}")).collect();
        assert_eq!(users, expected, "{}", p.kind);
        let mut few: Vec<String> =
            full_hscan(&mut con, "h", &["MATCH", "item:1?", "COUNT", "7"], |_| {})
                .into_iter()
                .map(|(f, _)| f)
                .collect();
        few.sort();
        few.dedup();
        assert_eq!(few.len(), 10, "{}", p.kind);

        // A distinct sample, with values that belong to their fields.
        for count in [1, 5, 250, 599] {
            let pairs: Vec<String> = redis::cmd("HRANDFIELD")
                .arg("h")
                .arg(count)
                .arg("WITHVALUES")
                .query(&mut con)
                .expect("HRANDFIELD");
            assert_eq!(pairs.len(), 2 * count, "{}", p.kind);
            let fields: HashSet<&String> = pairs.iter().step_by(2).collect();
            assert_eq!(fields.len(), count, "{}: distinct", p.kind);
            for pair in pairs.chunks(2) {
                let n = pair[0].rsplit(':').next().expect("suffix");
                assert_eq!(n, pair[1], "{}", p.kind);
            }
        }
        let many: Vec<String> = redis::cmd("HRANDFIELD")
            .arg("h")
            .arg(-2000)
            .query(&mut con)
            .expect("HRANDFIELD");
        assert_eq!(many.len(), 2000, "{}", p.kind);
        let distinct: HashSet<&String> = many.iter().collect();
        assert!(
            distinct.len() > 400,
            "{}: repeats sample the whole hash",
            p.kind
        );
    }
}
