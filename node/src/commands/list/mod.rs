//! List commands (t_list.c): pushes and LINSERT/LSET (`push`), pops and moves
//! between lists (`pop`), the blocking pops and moves (`blocking`), reads
//! (`read`) and in-place removals (`edit`).
//!
//! [`pop::pop_one`], [`pop::pop_from_key`], [`pop::move_element`] and
//! [`push::push_to_key`] do the keyspace work of a pop, a move and a push on
//! their own (type check, creation, deletion of emptied keys, dirty count)
//! without writing any reply, so serving a blocked client reuses them.

pub mod blocking;
mod edit;
pub mod pop;
pub mod push;
mod read;

use super::flags::*;
use super::{CmdError, Command, ERR_WRONGTYPE};
use crate::cmd;
use crate::config::Config;
use crate::store::list::List;
use crate::store::value::Value;

pub use crate::store::list::End;

pub static COMMANDS: &[Command] = &[
    cmd!("lpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), push::lpush),
    cmd!("rpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), push::rpush),
    cmd!(
        "lpushx",
        -3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        push::lpushx
    ),
    cmd!(
        "rpushx",
        -3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        push::rpushx
    ),
    cmd!("linsert", 5, WRITE | DENYOOM, (1, 1, 1), push::linsert),
    cmd!("lset", 4, WRITE | DENYOOM, (1, 1, 1), push::lset),
    cmd!("lpop", -2, WRITE | FAST, (1, 1, 1), pop::lpop),
    cmd!("rpop", -2, WRITE | FAST, (1, 1, 1), pop::rpop),
    cmd!("lmpop", -4, WRITE | MOVABLE_KEYS, (0, 0, 0), pop::lmpop),
    cmd!("lmove", 5, WRITE | DENYOOM, (1, 2, 1), pop::lmove),
    cmd!("rpoplpush", 3, WRITE | DENYOOM, (1, 2, 1), pop::rpoplpush),
    cmd!(
        "blpop",
        -3,
        WRITE | NOSCRIPT | BLOCKING,
        (1, -2, 1),
        blocking::blpop
    ),
    cmd!(
        "brpop",
        -3,
        WRITE | NOSCRIPT | BLOCKING,
        (1, -2, 1),
        blocking::brpop
    ),
    cmd!(
        "blmpop",
        -5,
        WRITE | BLOCKING | MOVABLE_KEYS,
        (0, 0, 0),
        blocking::blmpop
    ),
    cmd!(
        "blmove",
        6,
        WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        (1, 2, 1),
        blocking::blmove
    ),
    cmd!(
        "brpoplpush",
        4,
        WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        (1, 2, 1),
        blocking::brpoplpush
    ),
    cmd!("llen", 2, READONLY | FAST, (1, 1, 1), read::llen),
    cmd!("lindex", 3, READONLY, (1, 1, 1), read::lindex),
    cmd!("lrange", 4, READONLY, (1, 1, 1), read::lrange),
    cmd!("lpos", -3, READONLY, (1, 1, 1), read::lpos),
    cmd!("ltrim", 4, WRITE, (1, 1, 1), edit::ltrim),
    cmd!("lrem", 4, WRITE, (1, 1, 1), edit::lrem),
];

/// The list inside a value, or WRONGTYPE.
#[inline]
pub(crate) fn as_list(v: &Value) -> Result<&List, CmdError> {
    match v {
        Value::List(l) => Ok(l),
        _ => Err(ERR_WRONGTYPE.into()),
    }
}

/// The list inside a value for modification, or WRONGTYPE.
#[inline]
pub(crate) fn as_list_mut(v: &mut Value) -> Result<&mut List, CmdError> {
    match v {
        Value::List(l) => Ok(l),
        _ => Err(ERR_WRONGTYPE.into()),
    }
}

/// An empty list with the current list-max-listpack-size and
/// list-compress-depth (createQuicklistObject + quicklistSetOptions).
pub(crate) fn new_list(cfg: &Config) -> List {
    List::new(cfg.list_max_listpack_size, cfg.list_compress_depth)
}

/// getRangeLongFromObjectOrReply with a message: the value must be an integer
/// in `[min, max]`, else `ERR <msg>`.
pub(crate) fn ranged_arg(
    arg: &[u8],
    min: i64,
    max: i64,
    msg: &'static str,
) -> Result<i64, CmdError> {
    match crate::util::string2ll(arg) {
        Some(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(msg.into()),
    }
}

pub(crate) const ERR_POSITIVE: &str = "ERR value is out of range, must be positive";
