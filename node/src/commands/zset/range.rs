//! Range commands: the unified ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES),
//! its older forms (ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX),
//! ZRANGESTORE and ZREMRANGEBYRANK/SCORE/LEX (zrangeGenericCommand and
//! zremrangeGenericCommand).

use super::basic::{score_span, ERR_LEX_RANGE, ERR_SCORE_RANGE};
use super::parse::{LexRange, ScoreRange};
use super::{as_zset, as_zset_mut, emit, emit_header, limits};
use crate::commands::{class, CmdError, CmdResult, Ctx, ERR_NOT_INT, ERR_SYNTAX};
use crate::store::value::Value;
use crate::store::zset::ZSet;
use crate::util::string2ll;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rank,
    Score,
    Lex,
}

enum Spec<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

/// The ranks `lo..hi` a range selects, iterated backwards when `rev`.
fn select(z: &ZSet, spec: &Spec, rev: bool, offset: i64, limit: i64) -> (usize, usize) {
    let len = z.len() as i64;
    let (lo, hi) = match spec {
        Spec::Rank(start, end) => {
            let (mut start, mut end) = (*start, *end);
            if start < 0 {
                start += len;
            }
            if end < 0 {
                end += len;
            }
            start = start.max(0);
            if start > end || start >= len {
                return (0, 0);
            }
            end = end.min(len - 1);
            if rev {
                return ((len - 1 - end) as usize, (len - start) as usize);
            }
            return (start as usize, end as usize + 1);
        }
        Spec::Score(r) => score_span(z, r),
        Spec::Lex(r) => return super::lex::select(z, r, rev, offset, limit),
    };
    // A negative offset skips everything ("while (offset--)" in Redis).
    if offset < 0 || (offset > 0 && offset >= len) {
        return (0, 0);
    }
    let n = hi - lo;
    let offset = offset as usize;
    if offset >= n {
        return (0, 0);
    }
    if rev {
        let b = hi - offset;
        let a = if limit < 0 {
            lo
        } else {
            b.saturating_sub(limit as usize).max(lo)
        };
        (a, b)
    } else {
        let a = lo + offset;
        let b = if limit < 0 {
            hi
        } else {
            hi.min(a.saturating_add(limit as usize))
        };
        (a, b)
    }
}

fn generic(
    ctx: &mut Ctx,
    start: usize,
    store: bool,
    fixed_kind: Option<Kind>,
    fixed_rev: Option<bool>,
) -> CmdResult {
    let args = ctx.args;
    let key: &[u8] = &args[start];
    let (mut minidx, mut maxidx) = (start + 1, start + 2);
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut kind = fixed_kind;
    let mut rev = fixed_rev;
    let mut j = start + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        if !store && ctx.arg_is(j, "withscores") {
            withscores = true;
        } else if ctx.arg_is(j, "limit") && left >= 2 {
            offset = string2ll(&args[j + 1]).ok_or(CmdError::from(ERR_NOT_INT))?;
            limit = string2ll(&args[j + 2]).ok_or(CmdError::from(ERR_NOT_INT))?;
            j += 2;
        } else if rev.is_none() && ctx.arg_is(j, "rev") {
            rev = Some(true);
        } else if kind.is_none() && ctx.arg_is(j, "bylex") {
            kind = Some(Kind::Lex);
        } else if kind.is_none() && ctx.arg_is(j, "byscore") {
            kind = Some(Kind::Score);
        } else {
            return Err(ERR_SYNTAX.into());
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    let kind = kind.unwrap_or(Kind::Rank);
    if limit != -1 && kind == Kind::Rank {
        return Err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
                .into(),
        );
    }
    if withscores && kind == Kind::Lex {
        return Err("ERR syntax error, WITHSCORES not supported in combination with BYLEX".into());
    }
    if rev && kind != Kind::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    let spec = match kind {
        Kind::Rank => Spec::Rank(
            string2ll(&args[minidx]).ok_or(CmdError::from(ERR_NOT_INT))?,
            string2ll(&args[maxidx]).ok_or(CmdError::from(ERR_NOT_INT))?,
        ),
        Kind::Score => Spec::Score(
            ScoreRange::parse(&args[minidx], &args[maxidx])
                .ok_or(CmdError::from(ERR_SCORE_RANGE))?,
        ),
        Kind::Lex => Spec::Lex(
            LexRange::parse(&args[minidx], &args[maxidx]).ok_or(CmdError::from(ERR_LEX_RANGE))?,
        ),
    };
    let db = ctx.db();
    let lim = limits(ctx);
    let st = &mut *ctx.st;
    let out = &mut *ctx.out;
    let z = match st.ks.lookup_read(db, key) {
        Some(o) => Some(as_zset(&o.val)?),
        None => None,
    };
    if !store {
        let Some(z) = z else {
            out.array(0);
            return Ok(());
        };
        let (lo, hi) = select(z, &spec, rev, offset, limit);
        emit_header(out, hi - lo, withscores);
        z.for_range(lo, hi, rev, |m, s| emit(out, m, s, withscores));
        return Ok(());
    }
    let mut items: Vec<(Box<[u8]>, f64)> = Vec::new();
    if let Some(z) = z {
        let (lo, hi) = select(z, &spec, rev, offset, limit);
        items.reserve(hi - lo);
        z.for_range(lo, hi, false, |m, s| items.push((m.into(), s)));
    }
    let dst: &[u8] = &args[1];
    let n = items.len();
    if n > 0 {
        // zsetAdd one by one into a new listpack: the same thresholds as a
        // computed result.
        let z = ZSet::from_sorted(items, lim);
        st.ks.set(db, dst, Value::ZSet(z), false);
        st.ks.dirty += 1;
        st.ks.event(class::ZSET, "zrangestore", db, dst);
    } else if st.ks.delete(db, dst) {
        st.ks.dirty += 1;
        st.ks.event(class::GENERIC, "del", db, dst);
    }
    out.int(n as i64);
    Ok(())
}

pub fn zrange(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, false, None, None)
}

pub fn zrevrange(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, false, Some(Kind::Rank), Some(true))
}

pub fn zrangebyscore(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, false, Some(Kind::Score), Some(false))
}

pub fn zrevrangebyscore(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, false, Some(Kind::Score), Some(true))
}

pub fn zrangebylex(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, false, Some(Kind::Lex), Some(false))
}

pub fn zrevrangebylex(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 1, false, Some(Kind::Lex), Some(true))
}

pub fn zrangestore(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, 2, true, None, None)
}

fn remrange(ctx: &mut Ctx, kind: Kind) -> CmdResult {
    let args = ctx.args;
    let spec = match kind {
        Kind::Rank => Spec::Rank(ctx.int_arg(2)?, ctx.int_arg(3)?),
        Kind::Score => Spec::Score(
            ScoreRange::parse(&args[2], &args[3]).ok_or(CmdError::from(ERR_SCORE_RANGE))?,
        ),
        Kind::Lex => {
            Spec::Lex(LexRange::parse(&args[2], &args[3]).ok_or(CmdError::from(ERR_LEX_RANGE))?)
        }
    };
    let db = ctx.db();
    let Some(o) = ctx.st.ks.lookup_write(db, &args[1]) else {
        ctx.out.int(0);
        return Ok(());
    };
    let z = as_zset_mut(&mut o.val)?;
    let (lo, hi) = match &spec {
        Spec::Lex(r) => super::lex::remove_span(z, r),
        _ => select(z, &spec, false, 0, -1),
    };
    let n = z.remove_range(lo, hi);
    let emptied = z.is_empty();
    if n > 0 {
        // zremrangebyrank, zremrangebyscore or zremrangebylex.
        let event = ctx.cmd.name;
        ctx.notify(class::ZSET, event, &args[1]);
    }
    if emptied {
        ctx.st.ks.delete(db, &args[1]);
        ctx.notify(class::GENERIC, "del", &args[1]);
    }
    ctx.dirty(n as u64);
    ctx.out.int(n as i64);
    Ok(())
}

pub fn zremrangebyrank(ctx: &mut Ctx) -> CmdResult {
    remrange(ctx, Kind::Rank)
}

pub fn zremrangebyscore(ctx: &mut Ctx) -> CmdResult {
    remrange(ctx, Kind::Score)
}

pub fn zremrangebylex(ctx: &mut Ctx) -> CmdResult {
    remrange(ctx, Kind::Lex)
}
