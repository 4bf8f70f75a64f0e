//! String commands: plain get/set (`getset`), in-place edits (`edit`), counters
//! (`counters`, with the x87 arithmetic of INCRBYFLOAT in `long_double`) and LCS.

mod counters;
mod edit;
mod getset;
mod lcs;
pub mod long_double;

use super::flags::*;
use super::{CmdError, Command, ERR_WRONGTYPE};
use crate::cmd;
use crate::store::value::{Str, Value};

pub static COMMANDS: &[Command] = &[
    cmd!("get", 2, READONLY | FAST, (1, 1, 1), getset::get),
    cmd!("set", -3, WRITE | DENYOOM, (1, 1, 1), getset::set),
    cmd!("setnx", 3, WRITE | DENYOOM | FAST, (1, 1, 1), getset::setnx),
    cmd!("setex", 4, WRITE | DENYOOM, (1, 1, 1), getset::setex),
    cmd!("psetex", 4, WRITE | DENYOOM, (1, 1, 1), getset::setex),
    cmd!("mget", -2, READONLY | FAST, (1, -1, 1), getset::mget),
    cmd!("mset", -3, WRITE | DENYOOM, (1, -1, 2), getset::mset),
    cmd!("msetnx", -3, WRITE | DENYOOM, (1, -1, 2), getset::mset),
    cmd!(
        "getset",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        getset::getset
    ),
    cmd!("getdel", 2, WRITE | FAST, (1, 1, 1), getset::getdel),
    cmd!("getex", -2, WRITE | FAST, (1, 1, 1), getset::getex),
    cmd!("append", 3, WRITE | DENYOOM | FAST, (1, 1, 1), edit::append),
    cmd!("strlen", 2, READONLY | FAST, (1, 1, 1), edit::strlen),
    cmd!("getrange", 4, READONLY, (1, 1, 1), edit::getrange),
    cmd!("substr", 4, READONLY, (1, 1, 1), edit::getrange),
    cmd!("setrange", 4, WRITE | DENYOOM, (1, 1, 1), edit::setrange),
    cmd!("incr", 2, WRITE | DENYOOM | FAST, (1, 1, 1), counters::incr),
    cmd!("decr", 2, WRITE | DENYOOM | FAST, (1, 1, 1), counters::decr),
    cmd!(
        "incrby",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        counters::incrby
    ),
    cmd!(
        "decrby",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        counters::decrby
    ),
    cmd!(
        "incrbyfloat",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        counters::incrbyfloat
    ),
    cmd!("lcs", -3, READONLY, (1, 2, 1), lcs::lcs),
];

/// The string inside a value, or WRONGTYPE.
#[inline]
pub(crate) fn as_str(v: &Value) -> Result<&Str, CmdError> {
    #[allow(unreachable_patterns)]
    match v {
        Value::Str(s) => Ok(s),
        _ => Err(ERR_WRONGTYPE.into()),
    }
}

/// The string inside a value for modification, or WRONGTYPE.
#[inline]
pub(crate) fn as_str_mut(v: &mut Value) -> Result<&mut Str, CmdError> {
    #[allow(unreachable_patterns)]
    match v {
        Value::Str(s) => Ok(s),
        _ => Err(ERR_WRONGTYPE.into()),
    }
}

/// checkStringLength: a string may not grow past proto-max-bulk-len.
pub(crate) fn check_string_length(max: i64, total: u64) -> Result<(), CmdError> {
    if total > max.max(0) as u64 {
        Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)".into())
    } else {
        Ok(())
    }
}

/// A string object as createStringObject makes it (embstr up to 44 bytes, else
/// raw), without the integer encoding tryObjectEncoding would pick.
pub(crate) fn plain_str(b: Vec<u8>) -> Str {
    Str::plain_vec(b)
}
