//! Hash commands (t_hash.c): single fields (`fields`), whole-hash listings and
//! HSCAN (`listing`), HINCRBY/HINCRBYFLOAT (`counters`) and HRANDFIELD
//! (`random`). The value type and its two encodings live in `store::hash`.

mod counters;
mod fields;
mod listing;
mod random;

use super::flags::*;
use super::{CmdError, Command, Ctx, ERR_WRONGTYPE};
use crate::cmd;
use crate::store::db::Keyspace;
use crate::store::hash::{Hash, Limits};
use crate::store::value::Value;

pub static COMMANDS: &[Command] = &[
    cmd!("hset", -4, WRITE | DENYOOM | FAST, (1, 1, 1), fields::hset),
    cmd!(
        "hsetnx",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        fields::hsetnx
    ),
    cmd!("hmset", -4, WRITE | DENYOOM | FAST, (1, 1, 1), fields::hset),
    cmd!("hget", 3, READONLY | FAST, (1, 1, 1), fields::hget),
    cmd!("hmget", -3, READONLY | FAST, (1, 1, 1), fields::hmget),
    cmd!("hdel", -3, WRITE | FAST, (1, 1, 1), fields::hdel),
    cmd!("hlen", 2, READONLY | FAST, (1, 1, 1), fields::hlen),
    cmd!("hstrlen", 3, READONLY | FAST, (1, 1, 1), fields::hstrlen),
    cmd!("hexists", 3, READONLY | FAST, (1, 1, 1), fields::hexists),
    cmd!("hkeys", 2, READONLY, (1, 1, 1), listing::hkeys),
    cmd!("hvals", 2, READONLY, (1, 1, 1), listing::hvals),
    cmd!("hgetall", 2, READONLY, (1, 1, 1), listing::hgetall),
    cmd!(
        "hincrby",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        counters::hincrby
    ),
    cmd!(
        "hincrbyfloat",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        counters::hincrbyfloat
    ),
    cmd!("hrandfield", -2, READONLY, (1, 1, 1), random::hrandfield),
    cmd!("hscan", -3, READONLY, (1, 1, 1), listing::hscan),
];

/// The hash inside a value, or WRONGTYPE.
#[inline]
pub(crate) fn as_hash(v: &Value) -> Result<&Hash, CmdError> {
    match v {
        Value::Hash(h) => Ok(h),
        _ => Err(ERR_WRONGTYPE.into()),
    }
}

#[inline]
pub(crate) fn as_hash_mut(v: &mut Value) -> Result<&mut Hash, CmdError> {
    match v {
        Value::Hash(h) => Ok(h),
        _ => Err(ERR_WRONGTYPE.into()),
    }
}

/// The conversion thresholds from the live config.
fn limits(ctx: &Ctx) -> Limits {
    Limits::from_config(
        ctx.st.config.hash_max_listpack_entries,
        ctx.st.config.hash_max_listpack_value,
    )
}

/// Runs `f` on the hash at `key` (hashTypeLookupWriteOrCreate): an existing
/// hash in place, or a new one that is added only when `f` succeeds and
/// leaves it non-empty. One keyspace lookup either way.
fn update_or_create<R>(
    ks: &mut Keyspace,
    db: usize,
    key: &[u8],
    f: impl FnOnce(&mut Hash) -> Result<R, CmdError>,
) -> Result<R, CmdError> {
    match ks.lookup_write(db, key) {
        Some(o) => f(as_hash_mut(&mut o.val)?),
        None => {
            let mut h = Hash::new();
            let r = f(&mut h)?;
            if !h.is_empty() {
                ks.add(db, key, Value::Hash(h));
            }
            Ok(r)
        }
    }
}

/// The hash at `key` for reading (hit/miss stats), None when missing.
fn read<'a>(ks: &'a mut Keyspace, db: usize, key: &[u8]) -> Result<Option<&'a Hash>, CmdError> {
    match ks.lookup_read(db, key) {
        Some(o) => as_hash(&o.val).map(Some),
        None => Ok(None),
    }
}
