//! Set commands over [`Set`](crate::store::set::Set) values: membership edits
//! and queries (`members`), random reads and pops (`random`), intersection,
//! union and difference with their STORE forms (`algebra`) and SSCAN (`scan`).

mod algebra;
mod members;
mod random;
mod scan;

use super::flags::*;
use super::{CmdError, Command, Ctx, ERR_WRONGTYPE};
use crate::cmd;
use crate::resp::Reply;
use crate::store::set::{Member, Set};
use crate::store::value::Value;

pub static COMMANDS: &[Command] = &[
    cmd!("sadd", -3, WRITE | DENYOOM | FAST, (1, 1, 1), members::sadd),
    cmd!("srem", -3, WRITE | FAST, (1, 1, 1), members::srem),
    cmd!("scard", 2, READONLY | FAST, (1, 1, 1), members::scard),
    cmd!(
        "sismember",
        3,
        READONLY | FAST,
        (1, 1, 1),
        members::sismember
    ),
    cmd!(
        "smismember",
        -3,
        READONLY | FAST,
        (1, 1, 1),
        members::smismember
    ),
    cmd!("smove", 4, WRITE | FAST, (1, 2, 1), members::smove),
    cmd!("smembers", 2, READONLY, (1, 1, 1), algebra::smembers),
    cmd!("srandmember", -2, READONLY, (1, 1, 1), random::srandmember),
    cmd!("spop", -2, WRITE | FAST, (1, 1, 1), random::spop),
    cmd!("sinter", -2, READONLY, (1, -1, 1), algebra::sinter),
    cmd!(
        "sintercard",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        algebra::sintercard
    ),
    cmd!(
        "sinterstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        algebra::sinterstore
    ),
    cmd!("sunion", -2, READONLY, (1, -1, 1), algebra::sunion),
    cmd!(
        "sunionstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        algebra::sunionstore
    ),
    cmd!("sdiff", -2, READONLY, (1, -1, 1), algebra::sdiff),
    cmd!(
        "sdiffstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        algebra::sdiffstore
    ),
    cmd!("sscan", -3, READONLY, (1, 1, 1), scan::sscan),
];

/// The set inside a value, or WRONGTYPE.
#[inline]
pub(crate) fn as_set(v: &Value) -> Result<&Set, CmdError> {
    match v {
        Value::Set(s) => Ok(s),
        _ => Err(ERR_WRONGTYPE.into()),
    }
}

/// The set inside a value for modification, or WRONGTYPE.
#[inline]
pub(crate) fn as_set_mut(v: &mut Value) -> Result<&mut Set, CmdError> {
    match v {
        Value::Set(s) => Ok(s),
        _ => Err(ERR_WRONGTYPE.into()),
    }
}

/// set-max-intset-entries as a size.
#[inline]
fn max_intset(ctx: &Ctx) -> usize {
    ctx.st.config.set_max_intset_entries.max(0) as usize
}

#[inline]
fn reply_member(out: &mut Reply, m: Member<'_>) {
    match m {
        Member::Int(n) => out.bulk_int(n),
        Member::Bytes(b) => out.bulk(b),
    }
}

/// A whole set as a RESP3 set (RESP2 array), in iteration order.
fn reply_set(out: &mut Reply, s: &Set) {
    out.set(s.len());
    for m in s.iter() {
        reply_member(out, m);
    }
}
