//! Process tests of the set commands whose replies are random (SRANDMEMBER,
//! SPOP) or depend on the hash table's layout (SSCAN): the differential cases
//! compare only their reply shapes, these check the properties every reply must
//! have, for both encodings and for every sampling strategy (small and large
//! counts). The same checks run against redis-server when it is installed, so
//! the properties themselves are Redis's.

mod common;

use std::collections::HashSet;

use common::{have_redis, start_node, start_redis, Proc};

fn connect(p: &Proc) -> redis::Connection {
    let client = redis::Client::open(format!("redis://127.0.0.1:{}/", p.port)).expect("client");
    client.get_connection().expect("connect")
}

/// Servers to check: our node, and redis-server when available.
fn servers() -> Vec<Proc> {
    let mut v = vec![start_node(&[])];
    if have_redis() {
        v.push(start_redis(&[]));
    }
    v
}

/// Creates `key` with `n` members: integers (an intset while n <= 512) or
/// strings (a hash table).
fn fill(con: &mut redis::Connection, key: &str, n: usize, ints: bool) -> HashSet<String> {
    let members: Vec<String> = (0..n)
        .map(|i| if ints { i.to_string() } else { format!("m{i}") })
        .collect();
    let _: () = redis::cmd("DEL").arg(key).query(con).expect("DEL");
    let _: i64 = redis::cmd("SADD")
        .arg(key)
        .arg(&members)
        .query(con)
        .expect("SADD");
    members.into_iter().collect()
}

fn encoding(con: &mut redis::Connection, key: &str) -> String {
    redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg(key)
        .query(con)
        .expect("OBJECT ENCODING")
}

fn smembers(con: &mut redis::Connection, key: &str) -> HashSet<String> {
    redis::cmd("SMEMBERS")
        .arg(key)
        .query(con)
        .expect("SMEMBERS")
}

#[test]
fn srandmember_with_count_returns_distinct_members_or_repeats() {
    for p in servers() {
        let mut con = connect(&p);
        for (ints, n) in [(true, 100), (false, 100), (false, 1000)] {
            let all = fill(&mut con, "s", n, ints);
            let want = if ints { "intset" } else { "hashtable" };
            assert_eq!(encoding(&mut con, "s"), want, "{}", p.kind);
            // 1, small (random draws), most (drop from a copy), all, more than all.
            for count in [1, 5, n / 3, n / 2, n - 1, n, n + 50] {
                let got: Vec<String> = redis::cmd("SRANDMEMBER")
                    .arg("s")
                    .arg(count)
                    .query(&mut con)
                    .expect("SRANDMEMBER");
                assert_eq!(got.len(), count.min(n), "{} count {count}", p.kind);
                let distinct: HashSet<&String> = got.iter().collect();
                assert_eq!(distinct.len(), got.len(), "{} distinct", p.kind);
                assert!(got.iter().all(|m| all.contains(m)), "{} members", p.kind);
            }
            for count in [1usize, 7, n, 3 * n] {
                let got: Vec<String> = redis::cmd("SRANDMEMBER")
                    .arg("s")
                    .arg(-(count as i64))
                    .query(&mut con)
                    .expect("SRANDMEMBER negative");
                assert_eq!(got.len(), count, "{} negative count", p.kind);
                assert!(got.iter().all(|m| all.contains(m)));
            }
            // Repetition is allowed and, drawing 20 per member, all show up.
            let got: Vec<String> = redis::cmd("SRANDMEMBER")
                .arg("s")
                .arg(-(20 * n as i64))
                .query(&mut con)
                .expect("SRANDMEMBER many");
            let seen: HashSet<String> = got.into_iter().collect();
            assert!(
                seen.len() > n * 9 / 10,
                "{} coverage {}",
                p.kind,
                seen.len()
            );
            assert_eq!(smembers(&mut con, "s"), all, "SRANDMEMBER changes nothing");
        }
        fill(&mut con, "one", 1, false);
        let got: Vec<String> = redis::cmd("SRANDMEMBER")
            .arg("one")
            .arg(-5)
            .query(&mut con)
            .expect("SRANDMEMBER one");
        assert_eq!(got, vec!["m0"; 5]);
    }
}

#[test]
fn srandmember_without_count_covers_the_set() {
    for p in servers() {
        let mut con = connect(&p);
        for ints in [true, false] {
            let all = fill(&mut con, "s", 10, ints);
            let mut seen = HashSet::new();
            for _ in 0..500 {
                let m: String = redis::cmd("SRANDMEMBER")
                    .arg("s")
                    .query(&mut con)
                    .expect("SRANDMEMBER");
                assert!(all.contains(&m));
                seen.insert(m);
            }
            assert_eq!(seen, all, "{}", p.kind);
        }
    }
}

#[test]
fn spop_with_count_moves_members_out_exactly_once() {
    for p in servers() {
        let mut con = connect(&p);
        for (ints, n) in [(true, 100), (false, 100), (true, 600)] {
            // Few popped (random draws) and most popped (survivors moved to a
            // new set), and everything.
            for count in [1, 10, n / 2, n - 10, n - 1, n, n + 5] {
                let all = fill(&mut con, "s", n, ints);
                let popped: Vec<String> = redis::cmd("SPOP")
                    .arg("s")
                    .arg(count)
                    .query(&mut con)
                    .expect("SPOP");
                assert_eq!(popped.len(), count.min(n), "{} count {count}", p.kind);
                let popped: HashSet<String> = popped.into_iter().collect();
                assert_eq!(popped.len(), count.min(n), "{} distinct", p.kind);
                let left = smembers(&mut con, "s");
                assert!(left.is_disjoint(&popped), "{}", p.kind);
                let union: HashSet<String> = left.union(&popped).cloned().collect();
                assert_eq!(union, all, "{} count {count}", p.kind);
                let card: i64 = redis::cmd("SCARD").arg("s").query(&mut con).expect("SCARD");
                assert_eq!(card as usize, n.saturating_sub(count));
                let exists: i64 = redis::cmd("EXISTS")
                    .arg("s")
                    .query(&mut con)
                    .expect("EXISTS");
                assert_eq!(exists == 1, count < n);
                if ints && count < n && n - count <= 512 && (n - count) * 5 <= count {
                    // The survivors form a new set: an intset again.
                    assert_eq!(encoding(&mut con, "s"), "intset", "{}", p.kind);
                }
            }
        }
    }
}

#[test]
fn spop_one_at_a_time_empties_the_set() {
    for p in servers() {
        let mut con = connect(&p);
        for ints in [true, false] {
            let all = fill(&mut con, "s", 50, ints);
            let mut popped = HashSet::new();
            for _ in 0..50 {
                let m: String = redis::cmd("SPOP").arg("s").query(&mut con).expect("SPOP");
                assert!(all.contains(&m));
                assert!(popped.insert(m), "{} popped twice", p.kind);
            }
            let none: Option<String> = redis::cmd("SPOP").arg("s").query(&mut con).expect("SPOP");
            assert!(none.is_none());
            let exists: i64 = redis::cmd("EXISTS")
                .arg("s")
                .query(&mut con)
                .expect("EXISTS");
            assert_eq!(exists, 0);
        }
    }
}

#[test]
fn sscan_returns_every_stable_member_while_the_set_changes() {
    for p in servers() {
        let mut con = connect(&p);
        let stable = fill(&mut con, "s", 2000, false);
        let mut seen = HashSet::new();
        let mut cursor: u64 = 0;
        let mut step = 0u64;
        loop {
            let (next, members): (u64, Vec<String>) = redis::cmd("SSCAN")
                .arg("s")
                .arg(cursor)
                .arg("COUNT")
                .arg(20)
                .query(&mut con)
                .expect("SSCAN");
            seen.extend(members);
            cursor = next;
            if cursor == 0 {
                break;
            }
            // Grow the table, then shrink it again, during the scan.
            let extra: Vec<String> = (0..30).map(|i| format!("x{step}-{i}")).collect();
            let cmd = if step < 40 { "SADD" } else { "SREM" };
            let targets = if step < 40 {
                extra
            } else {
                (0..30)
                    .map(|i| format!("x{}-{i}", step - 40))
                    .collect::<Vec<_>>()
            };
            let _: i64 = redis::cmd(cmd)
                .arg("s")
                .arg(targets)
                .query(&mut con)
                .expect("SADD/SREM");
            step += 1;
            assert!(step < 100_000, "SSCAN does not terminate");
        }
        for m in &stable {
            assert!(seen.contains(m), "{} missed {m}", p.kind);
        }
        // An intset comes back whole with cursor 0, whatever the COUNT.
        fill(&mut con, "i", 100, true);
        let (next, members): (u64, Vec<String>) = redis::cmd("SSCAN")
            .arg("i")
            .arg(0)
            .arg("COUNT")
            .arg(1)
            .query(&mut con)
            .expect("SSCAN intset");
        assert_eq!(next, 0);
        assert_eq!(members.len(), 100);
    }
}
