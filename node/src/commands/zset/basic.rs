//! Member commands: ZADD (NX XX GT LT CH INCR), ZINCRBY, ZREM, ZCARD, ZSCORE,
//! ZMSCORE, ZRANK, ZREVRANK, and the counting commands ZCOUNT and ZLEXCOUNT.

use super::parse::{self, LexRange, ScoreRange};
use super::{as_zset_mut, limits, read};
use crate::commands::{class, CmdError, CmdResult, Ctx, ERR_NOT_FLOAT, ERR_SYNTAX};
use crate::store::value::Value;
use crate::store::zset::{Limits, ZSet};

const ERR_NAN: &str = "ERR resulting score is not a number (NaN)";

#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

#[derive(Default)]
struct AddResult {
    added: i64,
    updated: i64,
    processed: i64,
    score: f64,
}

/// zsetAdd over every pair, counting what happened.
fn apply(
    z: &mut ZSet,
    pairs: &[(f64, &[u8])],
    f: AddFlags,
    lim: Limits,
) -> Result<AddResult, CmdError> {
    let mut r = AddResult::default();
    for &(score, member) in pairs {
        match z.score(member) {
            Some(cur) => {
                if f.nx {
                    continue;
                }
                let mut score = score;
                if f.incr {
                    score += cur;
                    if score.is_nan() {
                        return Err(ERR_NAN.into());
                    }
                }
                if (f.gt && score <= cur) || (f.lt && score >= cur) {
                    continue;
                }
                if score != cur {
                    z.update(member, cur, score);
                    r.updated += 1;
                }
                r.score = score;
                r.processed += 1;
            }
            None => {
                if f.xx {
                    continue;
                }
                z.insert(member, score, lim);
                r.added += 1;
                r.processed += 1;
                r.score = score;
            }
        }
    }
    Ok(r)
}

pub fn zadd(ctx: &mut Ctx) -> CmdResult {
    add_generic(ctx, false)
}

pub fn zincrby(ctx: &mut Ctx) -> CmdResult {
    add_generic(ctx, true)
}

fn add_generic(ctx: &mut Ctx, zincrby: bool) -> CmdResult {
    let mut f = AddFlags {
        incr: zincrby,
        ..Default::default()
    };
    let mut i = 2;
    if !zincrby {
        while i < ctx.argc() {
            let a = ctx.arg(i);
            let flag = match () {
                _ if a.eq_ignore_ascii_case(b"nx") => &mut f.nx,
                _ if a.eq_ignore_ascii_case(b"xx") => &mut f.xx,
                _ if a.eq_ignore_ascii_case(b"gt") => &mut f.gt,
                _ if a.eq_ignore_ascii_case(b"lt") => &mut f.lt,
                _ if a.eq_ignore_ascii_case(b"ch") => &mut f.ch,
                _ if a.eq_ignore_ascii_case(b"incr") => &mut f.incr,
                _ => break,
            };
            *flag = true;
            i += 1;
        }
    }
    let rest = ctx.argc() - i;
    if rest == 0 || rest % 2 != 0 {
        return Err(ERR_SYNTAX.into());
    }
    if f.nx && f.xx {
        return Err("ERR XX and NX options at the same time are not compatible".into());
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err("ERR GT, LT, and/or NX options at the same time are not compatible".into());
    }
    if f.incr && rest > 2 {
        return Err("ERR INCR option supports a single increment-element pair".into());
    }
    let args = ctx.args;
    let mut pairs: Vec<(f64, &[u8])> = Vec::with_capacity(rest / 2);
    for p in args[i..].chunks_exact(2) {
        let s = parse::score(&p[0]).ok_or(CmdError::from(ERR_NOT_FLOAT))?;
        pairs.push((s, &p[1]));
    }
    let lim = limits(ctx);
    let db = ctx.db();
    let key: &[u8] = &args[1];
    let r = match ctx.st.ks.lookup_write(db, key) {
        Some(o) => apply(as_zset_mut(&mut o.val)?, &pairs, f, lim)?,
        None if f.xx => AddResult::default(),
        None => {
            let mut z = ZSet::for_first(pairs[0].1.len(), lim);
            let r = apply(&mut z, &pairs, f, lim)?;
            ctx.st.ks.add(db, key, Value::ZSet(z));
            r
        }
    };
    ctx.dirty((r.added + r.updated) as u64);
    if r.added + r.updated > 0 {
        ctx.notify(class::ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    if f.incr {
        if r.processed > 0 {
            ctx.out.double(r.score);
        } else {
            ctx.out.null();
        }
    } else {
        ctx.out
            .int(if f.ch { r.added + r.updated } else { r.added });
    }
    Ok(())
}

pub fn zrem(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let args = ctx.args;
    let Some(o) = ctx.st.ks.lookup_write(db, &args[1]) else {
        ctx.out.int(0);
        return Ok(());
    };
    let z = as_zset_mut(&mut o.val)?;
    let mut n = 0;
    for m in &args[2..] {
        if z.remove(m).is_some() {
            n += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    let emptied = z.is_empty();
    if n > 0 {
        ctx.notify(class::ZSET, "zrem", &args[1]);
    }
    if emptied {
        ctx.st.ks.delete(db, &args[1]);
        ctx.notify(class::GENERIC, "del", &args[1]);
    }
    ctx.dirty(n);
    ctx.out.int(n as i64);
    Ok(())
}

pub fn zcard(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let n = read(ctx, &args[1])?.map_or(0, |z| z.len());
    ctx.out.int(n as i64);
    Ok(())
}

pub fn zscore(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    match read(ctx, &args[1])?.and_then(|z| z.score(&args[2])) {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
    Ok(())
}

pub fn zmscore(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let scores: Vec<Option<f64>> = match read(ctx, &args[1])? {
        Some(z) => args[2..].iter().map(|m| z.score(m)).collect(),
        None => vec![None; args.len() - 2],
    };
    ctx.out.array(scores.len());
    for s in scores {
        match s {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn rank_generic(ctx: &mut Ctx, rev: bool) -> CmdResult {
    let args = ctx.args;
    let r = read(ctx, &args[1])?.and_then(|z| {
        z.rank(&args[2])
            .map(|(r, _)| if rev { z.len() - 1 - r } else { r })
    });
    match r {
        Some(r) => ctx.out.int(r as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

pub fn zrank(ctx: &mut Ctx) -> CmdResult {
    rank_generic(ctx, false)
}

pub fn zrevrank(ctx: &mut Ctx) -> CmdResult {
    rank_generic(ctx, true)
}

/// Ranks `lo..hi` of the elements within a score range.
pub(crate) fn score_span(z: &ZSet, r: &ScoreRange) -> (usize, usize) {
    let lo = z.count_while(|s, _| !r.gte_min(s));
    let hi = z.count_while(|s, _| r.lte_max(s));
    (lo, hi.max(lo))
}

pub const ERR_SCORE_RANGE: &str = "ERR min or max is not a float";
pub const ERR_LEX_RANGE: &str = "ERR min or max not valid string range item";

pub fn zcount(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let r = ScoreRange::parse(&args[2], &args[3]).ok_or(CmdError::from(ERR_SCORE_RANGE))?;
    let n = read(ctx, &args[1])?.map_or(0, |z| {
        let (lo, hi) = score_span(z, &r);
        hi - lo
    });
    ctx.out.int(n as i64);
    Ok(())
}

pub fn zlexcount(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let r = LexRange::parse(&args[2], &args[3]).ok_or(CmdError::from(ERR_LEX_RANGE))?;
    let n = read(ctx, &args[1])?.map_or(0, |z| super::lex::count(z, &r));
    ctx.out.int(n as i64);
    Ok(())
}
