//! SMEMBERS SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE
//! (sinterGenericCommand and sunionDiffGenericCommand). Results are built the
//! way Redis builds them, starting from an empty intset, so the encoding of a
//! stored result and the order of an intset reply match.

use bytes::Bytes;

use super::super::{class, CmdError, CmdResult, Ctx};
use super::{as_set, max_intset, reply_member, reply_set};
use crate::store::db::Key;
use crate::store::dict::Dict;
use crate::store::set::{Member, Set};
use crate::store::value::Obj;

/// Looks every key up for reading (counting hits and misses, also for the
/// STORE forms, as Redis 7.0 does) and fails on the first non-set; returns
/// which keys exist.
fn check_keys(ctx: &mut Ctx, keys: &[Bytes]) -> Result<Vec<bool>, CmdError> {
    let db = ctx.db();
    let ks = &mut ctx.st.ks;
    let mut present = Vec::with_capacity(keys.len());
    for k in keys {
        match ks.lookup_read(db, k) {
            Some(o) => {
                as_set(&o.val)?;
                present.push(true);
            }
            None => present.push(false),
        }
    }
    Ok(present)
}

/// The sets behind checked keys (None for a missing key).
fn sets_of<'a>(dict: &'a Dict<Key, Obj>, keys: &[Bytes], present: &[bool]) -> Vec<Option<&'a Set>> {
    keys.iter()
        .zip(present)
        .map(|(k, &p)| {
            if p {
                dict.get(k).and_then(|o| as_set(&o.val).ok())
            } else {
                None
            }
        })
        .collect()
}

/// Stores a result in `dst` (replacing any value and TTL) and replies its
/// size, or deletes `dst` and replies 0 when the result is empty.
fn store(ctx: &mut Ctx, dst: &[u8], result: Set) {
    let db = ctx.db();
    let n = result.len();
    if n > 0 {
        ctx.st.ks.set(
            db,
            dst,
            crate::store::value::Value::Set(Box::new(result)),
            false,
        );
        ctx.dirty(1);
        // The event is the command's name: sinterstore, sunionstore, sdiffstore.
        let event = ctx.cmd.name;
        ctx.notify(class::SET, event, dst);
    } else if ctx.st.ks.delete(db, dst) {
        ctx.dirty(1);
        ctx.notify(class::GENERIC, "del", dst);
    }
    ctx.out.int(n as i64);
}

enum InterOut<'k> {
    Reply,
    Card { limit: u64 },
    Store(&'k [u8]),
}

fn sinter_generic(ctx: &mut Ctx, keys: &[Bytes], mode: InterOut) -> CmdResult {
    let present = check_keys(ctx, keys)?;
    if present.iter().any(|p| !p) {
        // Intersection with an empty set.
        return sinter_empty(ctx, mode);
    }
    let max = max_intset(ctx);
    let db = ctx.db();
    let mut sets: Vec<(&Set, &[u8])> = sets_of(&ctx.st.ks.dbs[db].dict, keys, &present)
        .into_iter()
        .zip(keys)
        .filter_map(|(s, k)| s.map(|s| (s, &k[..])))
        .collect();
    if sets.len() != keys.len() {
        // A key vanished between the lookups (a replica's hidden expired key).
        return sinter_empty(ctx, mode);
    }
    sets.sort_by_key(|(s, _)| s.len());
    let (first, first_key) = sets[0];
    let in_all = |m: Member| {
        sets[1..]
            .iter()
            .all(|&(s, k)| k == first_key || s.contains_member(m))
    };
    match mode {
        InterOut::Card { limit } => {
            let mut n = 0u64;
            for m in first.iter() {
                if in_all(m) {
                    n += 1;
                    if limit > 0 && n >= limit {
                        break;
                    }
                }
            }
            ctx.out.int(n as i64);
        }
        InterOut::Reply if sets.len() == 1 => reply_set(ctx.out, first),
        InterOut::Reply => {
            let found: Vec<Member> = first.iter().filter(|&m| in_all(m)).collect();
            let out = &mut *ctx.out;
            out.set(found.len());
            for m in found {
                reply_member(out, m);
            }
        }
        InterOut::Store(dst) => {
            let mut result = Set::new_intset();
            for m in first.iter().filter(|&m| in_all(m)) {
                result.add_member(m, max);
            }
            store(ctx, dst, result);
        }
    }
    Ok(())
}

fn sinter_empty(ctx: &mut Ctx, mode: InterOut) -> CmdResult {
    match mode {
        InterOut::Store(dst) => store(ctx, dst, Set::new_intset()),
        InterOut::Card { .. } => ctx.out.int(0),
        InterOut::Reply => ctx.out.set(0),
    }
    Ok(())
}

/// SMEMBERS key: SINTER of one key.
pub fn smembers(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    sinter_generic(ctx, &args[1..2], InterOut::Reply)
}

/// SINTER key [key ...]
pub fn sinter(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    sinter_generic(ctx, &args[1..], InterOut::Reply)
}

/// SINTERSTORE destination key [key ...]
pub fn sinterstore(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    sinter_generic(ctx, &args[2..], InterOut::Store(&args[1]))
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]: the intersection's size,
/// counting stops at limit (0: no limit).
pub fn sintercard(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let numkeys = match crate::util::string2ll(&args[1]) {
        Some(n) if n >= 1 => n as usize,
        _ => return Err("ERR numkeys should be greater than 0".into()),
    };
    if numkeys > args.len() - 2 {
        return Err("ERR Number of keys can't be greater than number of args".into());
    }
    let mut limit = 0u64;
    let mut j = 2 + numkeys;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if ctx.arg_is(j, "limit") && more > 0 {
            j += 1;
            limit = match crate::util::string2ll(&args[j]) {
                Some(n) if n >= 0 => n as u64,
                _ => return Err("ERR LIMIT can't be negative".into()),
            };
        } else {
            return Err(super::super::ERR_SYNTAX.into());
        }
        j += 1;
    }
    sinter_generic(ctx, &args[2..2 + numkeys], InterOut::Card { limit })
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Diff,
}

/// The union of some sets, built into a fresh set from an empty intset.
pub(super) fn union_of(sets: &[Option<&Set>], max: usize) -> Set {
    let mut result = Set::new_intset();
    for s in sets.iter().flatten() {
        for m in s.iter() {
            result.add_member(m, max);
        }
    }
    result
}

/// The difference of the first set and the others, with Redis's choice of
/// algorithm (it decides whether the result passes through a hash table).
fn diff_of(mut sets: Vec<Option<&Set>>, keys: &[Bytes], max: usize) -> Set {
    let mut result = Set::new_intset();
    let Some(first) = sets[0] else {
        return result;
    };
    // Another key naming the first set empties the result.
    let sameset = keys[1..]
        .iter()
        .zip(&sets[1..])
        .any(|(k, s)| s.is_some() && *k == keys[0]);
    if sameset {
        return result;
    }
    let mut algo_one = 0u64;
    let mut algo_two = 0u64;
    for s in sets.iter().flatten() {
        algo_one += first.len() as u64;
        algo_two += s.len() as u64;
    }
    algo_one /= 2;
    if algo_one <= algo_two {
        // Algorithm 1: each member of the first set not found in any other,
        // looking in the largest sets first.
        sets[1..].sort_by_key(|s| std::cmp::Reverse(s.map_or(0, |s| s.len())));
        for m in first.iter() {
            if !sets[1..].iter().flatten().any(|s| s.contains_member(m)) {
                result.add_member(m, max);
            }
        }
    } else {
        // Algorithm 2: add the first set, remove every other.
        for m in first.iter() {
            result.add_member(m, max);
        }
        for s in sets[1..].iter().flatten() {
            for m in s.iter() {
                result.remove_member(m);
            }
            if result.is_empty() {
                break;
            }
        }
    }
    result
}

fn sunion_diff(ctx: &mut Ctx, keys: &[Bytes], dst: Option<&[u8]>, op: Op) -> CmdResult {
    let present = check_keys(ctx, keys)?;
    let max = max_intset(ctx);
    let result = {
        let sets = sets_of(&ctx.st.ks.dbs[ctx.client.db].dict, keys, &present);
        match op {
            Op::Union => union_of(&sets, max),
            Op::Diff => diff_of(sets, keys, max),
        }
    };
    match dst {
        Some(dst) => store(ctx, dst, result),
        None => reply_set(ctx.out, &result),
    }
    Ok(())
}

/// SUNION key [key ...]
pub fn sunion(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    sunion_diff(ctx, &args[1..], None, Op::Union)
}

/// SUNIONSTORE destination key [key ...]
pub fn sunionstore(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    sunion_diff(ctx, &args[2..], Some(&args[1]), Op::Union)
}

/// SDIFF key [key ...]
pub fn sdiff(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    sunion_diff(ctx, &args[1..], None, Op::Diff)
}

/// SDIFFSTORE destination key [key ...]
pub fn sdiffstore(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    sunion_diff(ctx, &args[2..], Some(&args[1]), Op::Diff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(members: &[&str]) -> Set {
        let mut s = Set::for_member(members[0].as_bytes());
        for m in members {
            s.add(m.as_bytes(), 512);
        }
        s
    }

    fn keys(names: &[&'static str]) -> Vec<Bytes> {
        names
            .iter()
            .map(|n| Bytes::from_static(n.as_bytes()))
            .collect()
    }

    #[test]
    fn union_starts_from_an_intset() {
        let a = set_of(&["x", "1"]);
        let mut only_ints = set_of(&["3", "x"]);
        only_ints.remove(b"x");
        assert_eq!(only_ints.encoding(), "hashtable");
        let u = union_of(&[Some(&only_ints), None], 512);
        assert_eq!(u.encoding(), "intset");
        let u = union_of(&[Some(&only_ints), Some(&a)], 512);
        assert_eq!(u.encoding(), "hashtable");
        assert_eq!(u.len(), 3);
    }

    #[test]
    fn diff_picks_the_algorithm_that_decides_the_encoding() {
        let many: Vec<String> = (0..600).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
        let big = set_of(&many);
        let low = set_of(&many[..150]);
        let mid = set_of(&many[150..299]);
        // Algorithm 2 (600*3/2 > 600+150+149): the result passed through all
        // 600 members, so it stays a hash table with 301 left.
        let d = diff_of(
            vec![Some(&big), Some(&low), Some(&mid)],
            &keys(&["a", "b", "c"]),
            512,
        );
        assert_eq!((d.len(), d.encoding()), (301, "hashtable"));
        // One member fewer to remove makes algorithm 1 win: only the
        // survivors are added, an intset.
        let mid = set_of(&many[150..300]);
        let d = diff_of(
            vec![Some(&big), Some(&low), Some(&mid)],
            &keys(&["a", "b", "c"]),
            512,
        );
        assert_eq!((d.len(), d.encoding()), (300, "intset"));
        // Algorithm 1 when the other sets are larger: only survivors are added.
        let small = set_of(&["1", "2", "700"]);
        let d = diff_of(vec![Some(&small), Some(&big)], &keys(&["a", "b"]), 512);
        assert_eq!((d.len(), d.encoding()), (1, "intset"));
        // The same key again empties the result; a missing first key too.
        let d = diff_of(vec![Some(&small), Some(&small)], &keys(&["a", "a"]), 512);
        assert!(d.is_empty());
        let d = diff_of(vec![None, Some(&small)], &keys(&["a", "b"]), 512);
        assert!(d.is_empty());
    }
}
