//! Key-space commands: existence and type, deletion, iteration (KEYS, SCAN),
//! renaming and copying between databases, whole-database operations and OBJECT.
//! Expiry commands live in `commands::expire`.

mod dbs;
mod dump;
mod object;
mod rename;
pub(crate) mod scan;

pub(crate) use scan::parse_cursor;

use super::flags::*;
use super::{class, CmdResult, Command, Ctx};
use crate::cmd;
use crate::store::db::Keyspace;
use crate::store::value::Obj;

pub static COMMANDS: &[Command] = &[
    cmd!("del", -2, WRITE, (1, -1, 1), del),
    cmd!("unlink", -2, WRITE | FAST, (1, -1, 1), del),
    cmd!("exists", -2, READONLY | FAST, (1, -1, 1), exists),
    cmd!("dump", 2, READONLY, (1, 1, 1), dump::dump),
    cmd!("restore", -4, WRITE | DENYOOM, (1, 1, 1), dump::restore),
    cmd!("type", 2, READONLY | FAST, (1, 1, 1), type_cmd),
    cmd!("touch", -2, READONLY | FAST, (1, -1, 1), touch),
    cmd!("dbsize", 1, READONLY | FAST, (0, 0, 0), dbsize),
    cmd!("randomkey", 1, READONLY, (0, 0, 0), randomkey),
    cmd!("keys", 2, READONLY, (0, 0, 0), scan::keys),
    cmd!("scan", -2, READONLY, (0, 0, 0), scan::scan),
    cmd!("rename", 3, WRITE, (1, 2, 1), rename::rename),
    cmd!("renamenx", 3, WRITE | FAST, (1, 2, 1), rename::renamenx),
    cmd!("copy", -3, WRITE | DENYOOM, (1, 2, 1), rename::copy),
    cmd!("move", 3, WRITE | FAST, (1, 1, 1), rename::move_cmd),
    cmd!("swapdb", 3, WRITE | FAST, (0, 0, 0), dbs::swapdb),
    cmd!("flushdb", -1, WRITE, (0, 0, 0), dbs::flushdb),
    cmd!("flushall", -1, WRITE, (0, 0, 0), dbs::flushall),
    cmd!(
        "object",
        -2,
        0,
        (0, 0, 0),
        object::object,
        object::SUBCOMMANDS
    ),
];

/// lookupKeyReadWithFlags(LOOKUP_NOTOUCH): lazy expiry and hit/miss stats, but
/// the access clock is left alone (EXISTS, TYPE, TTL, OBJECT, SCAN TYPE).
pub(crate) fn lookup_notouch<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> Option<&'a Obj> {
    lookup_notouch_with(ks, db, key, true)
}

/// lookup_notouch; `keymiss` says whether a miss raises the keymiss event
/// (OBJECT looks up with LOOKUP_NONOTIFY).
pub(crate) fn lookup_notouch_with<'a>(
    ks: &'a mut Keyspace,
    db: usize,
    key: &[u8],
    keymiss: bool,
) -> Option<&'a Obj> {
    let found = !ks.expire_if_needed(db, key) && ks.dbs[db].dict.contains_key(key);
    if found {
        ks.stats.hits += 1;
    } else {
        ks.stats.misses += 1;
        if keymiss {
            ks.event(class::KEY_MISS, "keymiss", db, key);
        }
    }
    ks.dbs[db].dict.get(key).filter(|_| found)
}

/// DEL key [key ...] and UNLINK key [key ...]: the number of keys removed.
fn del(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let mut n = 0;
    for key in &ctx.args[1..] {
        // An expired key counts as absent (on a replica it is hidden, and DEL
        // from the master removes it without counting it differently).
        ctx.st.ks.expire_if_needed(db, key);
        if ctx.st.ks.delete(db, key) {
            n += 1;
            ctx.st.ks.event(class::GENERIC, "del", db, key);
        }
    }
    ctx.dirty(n);
    ctx.out.int(n as i64);
    Ok(())
}

/// EXISTS key [key ...]: how many of the keys exist, repeats counted each time.
fn exists(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let mut n = 0;
    for key in &ctx.args[1..] {
        if lookup_notouch(&mut ctx.st.ks, db, key).is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

/// TYPE key: a status reply, "none" for a missing key.
fn type_cmd(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let name = match lookup_notouch(&mut ctx.st.ks, db, &ctx.args[1]) {
        Some(o) => o.val.type_name(),
        None => "none",
    };
    ctx.out.simple(name);
    Ok(())
}

/// TOUCH key [key ...]: reads the keys (updating their access clock); returns
/// how many exist.
fn touch(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let mut n = 0;
    for key in &ctx.args[1..] {
        if ctx.st.ks.lookup_read(db, key).is_some() {
            n += 1;
        }
    }
    ctx.out.int(n);
    Ok(())
}

/// DBSIZE: keys in the selected database, including expired ones not yet removed.
fn dbsize(ctx: &mut Ctx) -> CmdResult {
    let n = ctx.st.ks.dbs[ctx.db()].len();
    ctx.out.int(n as i64);
    Ok(())
}

/// RANDOMKEY: a random key name, or null when the database is empty. Expired
/// keys met on the way are removed (dbRandomKey).
fn randomkey(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    match random_key(&mut ctx.st.ks, db) {
        Some(k) => ctx.out.bulk(&k),
        None => ctx.out.null(),
    }
    Ok(())
}

fn random_key(ks: &mut Keyspace, db: usize) -> Option<crate::store::db::Key> {
    let all_volatile = {
        let d = &ks.dbs[db];
        d.dict.len() == d.expires.len()
    };
    let mut tries = 100;
    loop {
        let key = ks.dbs[db].dict.random()?.0.clone();
        if ks.dbs[db].expires.contains_key(&key) {
            // A replica cannot delete expired keys: when every key is volatile
            // they may all be logically expired, so give up after some tries
            // and return one anyway, like Redis.
            if all_volatile && ks.is_replica {
                tries -= 1;
                if tries == 0 {
                    return Some(key);
                }
            }
            if ks.expire_if_needed(db, &key) {
                continue;
            }
        }
        return Some(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::value::{Str, Value};

    fn s(v: &str) -> Value {
        Value::Str(Str::from_bytes(v.as_bytes()))
    }

    #[test]
    fn random_key_skips_and_removes_expired_keys() {
        let mut ks = Keyspace::new(1);
        assert!(random_key(&mut ks, 0).is_none());
        for i in 0..50 {
            let k = format!("dead{i}");
            ks.set(0, k.as_bytes(), s("v"), false);
            ks.set_expire(0, k.as_bytes(), ks.now_ms - 1);
        }
        ks.set(0, b"alive", s("v"), false);
        for _ in 0..20 {
            assert_eq!(random_key(&mut ks, 0).as_deref(), Some(&b"alive"[..]));
        }
    }

    #[test]
    fn random_key_on_a_replica_terminates_when_all_keys_expired() {
        let mut ks = Keyspace::new(1);
        ks.is_replica = true;
        for i in 0..5 {
            let k = format!("dead{i}");
            ks.set(0, k.as_bytes(), s("v"), false);
            ks.set_expire(0, k.as_bytes(), ks.now_ms - 1);
        }
        assert!(random_key(&mut ks, 0).is_some());
        assert_eq!(ks.dbs[0].len(), 5, "a replica keeps expired keys");
    }

    #[test]
    fn lookup_notouch_counts_stats_but_keeps_the_clock() {
        let mut ks = Keyspace::new(1);
        ks.set(0, b"k", s("v"), false);
        if let Some(o) = ks.dbs[0].dict.get_mut(b"k") {
            o.lru = 7;
        }
        assert_eq!(lookup_notouch(&mut ks, 0, b"k").map(|o| o.lru), Some(7));
        assert!(lookup_notouch(&mut ks, 0, b"x").is_none());
        assert_eq!((ks.stats.hits, ks.stats.misses), (1, 1));
    }
}
