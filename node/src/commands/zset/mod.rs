//! Sorted-set commands. The value (listpack/skiplist encodings) is in
//! `store::zset`; here: member commands (`basic`), ranges (`range`), pops and
//! random members (`pop`), the blocking pops (`blocking`), set algebra (`algebra`) and ZSCAN (`scan`).
//! Argument parsing shared by them is in `parse`.

mod algebra;
mod basic;
pub mod blocking;
mod lex;
pub mod parse;
pub mod pop;
mod range;
mod scan;

use super::flags::*;
use super::{CmdError, Command, Ctx, ERR_WRONGTYPE};
use crate::cmd;
use crate::resp::Reply;
use crate::store::value::Value;
use crate::store::zset::{Limits, ZSet};

pub static COMMANDS: &[Command] = &[
    cmd!("zadd", -4, WRITE | DENYOOM | FAST, (1, 1, 1), basic::zadd),
    cmd!(
        "zincrby",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        basic::zincrby
    ),
    cmd!("zrem", -3, WRITE | FAST, (1, 1, 1), basic::zrem),
    cmd!("zcard", 2, READONLY | FAST, (1, 1, 1), basic::zcard),
    cmd!("zscore", 3, READONLY | FAST, (1, 1, 1), basic::zscore),
    cmd!("zmscore", -3, READONLY | FAST, (1, 1, 1), basic::zmscore),
    cmd!("zrank", 3, READONLY | FAST, (1, 1, 1), basic::zrank),
    cmd!("zrevrank", 3, READONLY | FAST, (1, 1, 1), basic::zrevrank),
    cmd!("zcount", 4, READONLY | FAST, (1, 1, 1), basic::zcount),
    cmd!("zlexcount", 4, READONLY | FAST, (1, 1, 1), basic::zlexcount),
    cmd!("zrange", -4, READONLY, (1, 1, 1), range::zrange),
    cmd!("zrevrange", -4, READONLY, (1, 1, 1), range::zrevrange),
    cmd!(
        "zrangebyscore",
        -4,
        READONLY,
        (1, 1, 1),
        range::zrangebyscore
    ),
    cmd!(
        "zrevrangebyscore",
        -4,
        READONLY,
        (1, 1, 1),
        range::zrevrangebyscore
    ),
    cmd!("zrangebylex", -4, READONLY, (1, 1, 1), range::zrangebylex),
    cmd!(
        "zrevrangebylex",
        -4,
        READONLY,
        (1, 1, 1),
        range::zrevrangebylex
    ),
    cmd!(
        "zrangestore",
        -5,
        WRITE | DENYOOM,
        (1, 2, 1),
        range::zrangestore
    ),
    cmd!(
        "zremrangebyrank",
        4,
        WRITE,
        (1, 1, 1),
        range::zremrangebyrank
    ),
    cmd!(
        "zremrangebyscore",
        4,
        WRITE,
        (1, 1, 1),
        range::zremrangebyscore
    ),
    cmd!("zremrangebylex", 4, WRITE, (1, 1, 1), range::zremrangebylex),
    cmd!("zpopmin", -2, WRITE | FAST, (1, 1, 1), pop::zpopmin),
    cmd!("zpopmax", -2, WRITE | FAST, (1, 1, 1), pop::zpopmax),
    cmd!("zmpop", -4, WRITE | MOVABLE_KEYS, (0, 0, 0), pop::zmpop),
    cmd!(
        "bzpopmin",
        -3,
        WRITE | NOSCRIPT | BLOCKING | FAST,
        (1, -2, 1),
        blocking::bzpopmin
    ),
    cmd!(
        "bzpopmax",
        -3,
        WRITE | NOSCRIPT | BLOCKING | FAST,
        (1, -2, 1),
        blocking::bzpopmax
    ),
    cmd!(
        "bzmpop",
        -5,
        WRITE | BLOCKING | MOVABLE_KEYS,
        (0, 0, 0),
        blocking::bzmpop
    ),
    cmd!("zrandmember", -2, READONLY, (1, 1, 1), pop::zrandmember),
    cmd!(
        "zunion",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        algebra::zunion
    ),
    cmd!(
        "zinter",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        algebra::zinter
    ),
    cmd!(
        "zdiff",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        algebra::zdiff
    ),
    cmd!(
        "zintercard",
        -3,
        READONLY | MOVABLE_KEYS,
        (0, 0, 0),
        algebra::zintercard
    ),
    cmd!(
        "zunionstore",
        -4,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        algebra::zunionstore
    ),
    cmd!(
        "zinterstore",
        -4,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        algebra::zinterstore
    ),
    cmd!(
        "zdiffstore",
        -4,
        WRITE | DENYOOM | MOVABLE_KEYS,
        (1, 1, 1),
        algebra::zdiffstore
    ),
    cmd!("zscan", -3, READONLY, (1, 1, 1), scan::zscan),
];

/// The listpack thresholds from the config.
pub(crate) fn limits(ctx: &Ctx) -> Limits {
    Limits {
        entries: ctx.st.config.zset_max_listpack_entries.max(0) as usize,
        value: ctx.st.config.zset_max_listpack_value.max(0) as usize,
    }
}

/// The sorted set inside a value, or WRONGTYPE.
#[inline]
pub(crate) fn as_zset(v: &Value) -> Result<&ZSet, CmdError> {
    match v {
        Value::ZSet(z) => Ok(z),
        _ => Err(ERR_WRONGTYPE.into()),
    }
}

#[inline]
pub(crate) fn as_zset_mut(v: &mut Value) -> Result<&mut ZSet, CmdError> {
    match v {
        Value::ZSet(z) => Ok(z),
        _ => Err(ERR_WRONGTYPE.into()),
    }
}

/// Reads key `i` as a sorted set: None when missing, WRONGTYPE on other types.
pub(crate) fn read<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a ZSet>, CmdError> {
    let db = ctx.client.db;
    match ctx.st.ks.lookup_read(db, key) {
        Some(o) => as_zset(&o.val).map(Some),
        None => Ok(None),
    }
}

/// One element of a range reply: member, and its score when asked (RESP3
/// wraps the pair in a two-element array).
#[inline]
pub(crate) fn emit(out: &mut Reply, m: &[u8], s: f64, withscores: bool) {
    if withscores && out.resp3 {
        out.array(2);
    }
    out.bulk(m);
    if withscores {
        out.double(s);
    }
}

/// Array header for `n` elements of a range reply.
#[inline]
pub(crate) fn emit_header(out: &mut Reply, n: usize, withscores: bool) {
    out.array(if withscores && !out.resp3 { 2 * n } else { n });
}

/// rdbSavedObjectLen of a sorted set (DEBUG OBJECT serializedlength): the
/// listpack blob, or the member count then members with binary scores. LZF
/// compression is not modelled.
pub fn serialized_len(z: &ZSet) -> usize {
    use super::debug::{rdb_len_size, serialized_len_bytes};
    match z {
        ZSet::Listpack(v) => {
            let mut n = 6 + 1;
            for crate::store::zpack::Entry {
                member: m,
                score: s,
                ..
            } in v.iter()
            {
                n += crate::store::listpack::entry_size(m);
                if s.fract() == 0.0 && s.abs() < 9.0e18 {
                    n += crate::store::listpack::entry_size(
                        itoa::Buffer::new().format(s as i64).as_bytes(),
                    );
                } else {
                    n += crate::store::listpack::entry_size(
                        crate::util::fmt_double_g17(s).as_bytes(),
                    );
                }
            }
            rdb_len_size(n) + n
        }
        ZSet::Skiplist(_) => {
            let mut n = rdb_len_size(z.len());
            z.for_range(0, z.len(), false, |m, _| n += serialized_len_bytes(m) + 8);
            n
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lengths DEBUG OBJECT printed on redis-server 7.0.15 for the same sets.
    #[test]
    fn serialized_lengths_match_redis() {
        let big = Limits {
            entries: 128,
            value: 64,
        };
        let items: &[(&[u8], f64)] = &[
            (b"e", -7.0),
            (b"a", 1.0),
            (b"bb", 2.0),
            (b"c", 3.5),
            (b"dd", 100000.0),
        ];
        let mut z = ZSet::for_first(1, big);
        for (m, s) in items {
            z.insert(m, *s, big);
        }
        assert_eq!(serialized_len(&z), 42);
        let small = Limits {
            entries: 2,
            value: 64,
        };
        let mut y = ZSet::for_first(1, small);
        for (m, s) in &items[1..] {
            y.insert(m, *s, small);
        }
        assert_eq!(y.encoding(), "skiplist");
        assert_eq!(serialized_len(&y), 43);
    }
}
