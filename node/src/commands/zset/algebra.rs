//! Set algebra over sorted sets: ZUNION, ZINTER, ZDIFF, their STORE forms and
//! ZINTERCARD (zunionInterDiffGenericCommand), with WEIGHTS and AGGREGATE.
//! Plain sets are inputs too, with every score 1.

use ahash::AHashMap as HashMap;

use super::parse;
use super::{as_zset, emit, emit_header, limits};
use crate::commands::{class, CmdError, CmdResult, Ctx, ERR_SYNTAX};
use crate::store::value::Value;
use crate::store::zset::{cmp, ZSet};
use crate::util::string2ll;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggr {
    Sum,
    Min,
    Max,
}

/// One source's members with their scores.
type Scored = Vec<(Box<[u8]>, f64)>;

#[inline]
fn aggregate(target: &mut f64, val: f64, a: Aggr) {
    match a {
        Aggr::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggr::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggr::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// `dst` is the destination key for the STORE forms; `card` is ZINTERCARD.
fn generic(ctx: &mut Ctx, dst: Option<usize>, numidx: usize, op: Op, card: bool) -> CmdResult {
    let args = ctx.args;
    let setnum = ctx.int_arg(numidx)?;
    if setnum < 1 {
        return Err(format!(
            "ERR at least 1 input key is needed for '{}' command",
            ctx.cmd.name
        )
        .into());
    }
    if setnum as u64 > (args.len() - numidx - 1) as u64 {
        return Err(ERR_SYNTAX.into());
    }
    let setnum = setnum as usize;
    let db = ctx.db();
    // Type checks come before the options, as in Redis.
    let keys = &args[numidx + 1..numidx + 1 + setnum];
    for k in keys {
        if let Some(o) = ctx.st.ks.lookup_read(db, k) {
            if !matches!(o.val, Value::Set(_)) {
                as_zset(&o.val)?;
            }
        }
    }
    let mut weights = vec![1.0f64; setnum];
    let mut aggr = Aggr::Sum;
    let mut withscores = false;
    let mut limit: i64 = 0;
    let mut j = numidx + 1 + setnum;
    while j < args.len() {
        let remaining = args.len() - j;
        if op != Op::Diff && !card && remaining > setnum && ctx.arg_is(j, "weights") {
            j += 1;
            for w in weights.iter_mut() {
                *w = parse::score(&args[j])
                    .ok_or(CmdError::from("ERR weight value is not a float"))?;
                j += 1;
            }
        } else if op != Op::Diff && !card && remaining >= 2 && ctx.arg_is(j, "aggregate") {
            aggr = if ctx.arg_is(j + 1, "sum") {
                Aggr::Sum
            } else if ctx.arg_is(j + 1, "min") {
                Aggr::Min
            } else if ctx.arg_is(j + 1, "max") {
                Aggr::Max
            } else {
                return Err(ERR_SYNTAX.into());
            };
            j += 2;
        } else if dst.is_none() && !card && ctx.arg_is(j, "withscores") {
            withscores = true;
            j += 1;
        } else if card && remaining >= 2 && ctx.arg_is(j, "limit") {
            const ERR_LIMIT: &str = "ERR LIMIT can't be negative";
            limit = string2ll(&args[j + 1]).ok_or(CmdError::from(ERR_LIMIT))?;
            if limit < 0 {
                return Err(ERR_LIMIT.into());
            }
            j += 2;
        } else {
            return Err(ERR_SYNTAX.into());
        }
    }

    // Each source's elements with its weight (missing keys are empty).
    let lim = limits(ctx);
    let ks = &mut ctx.st.ks;
    let mut srcs: Vec<(Scored, f64)> = Vec::with_capacity(setnum);
    for (k, &w) in keys.iter().zip(&weights) {
        // Looked up (stats, keymiss) by the type check above already.
        let items = match ks.peek(db, k).map(|o| &o.val) {
            // A plain set counts as a sorted set whose scores are all 1.
            Some(Value::Set(set)) => set
                .iter()
                .map(|m| (m.to_vec().into_boxed_slice(), 1.0))
                .collect(),
            Some(v) => as_zset(v)?.to_vec(),
            None => Vec::new(),
        };
        srcs.push((items, w));
    }
    if op != Op::Diff {
        srcs.sort_by_key(|(items, _)| items.len());
    }
    let mut result: Vec<(Box<[u8]>, f64)> = Vec::new();
    let mut cardinality: u64 = 0;
    match op {
        Op::Inter => {
            if !srcs[0].0.is_empty() {
                let maps: Vec<HashMap<&[u8], f64>> = srcs[1..]
                    .iter()
                    .map(|(items, _)| items.iter().map(|(m, s)| (&m[..], *s)).collect())
                    .collect();
                'outer: for (m, s) in &srcs[0].0 {
                    let mut score = srcs[0].1 * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    for (map, (_, w)) in maps.iter().zip(&srcs[1..]) {
                        match map.get(&m[..]) {
                            Some(v) => aggregate(&mut score, v * w, aggr),
                            None => continue 'outer,
                        }
                    }
                    if card {
                        cardinality += 1;
                        if limit > 0 && cardinality >= limit as u64 {
                            break;
                        }
                    } else {
                        result.push((m.clone(), score));
                    }
                }
            }
        }
        Op::Union => {
            let mut acc: HashMap<&[u8], f64> = HashMap::new();
            let mut order: Vec<&[u8]> = Vec::new();
            for (items, w) in &srcs {
                for (m, s) in items {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(&m[..]) {
                        Some(t) => aggregate(t, score, aggr),
                        None => {
                            acc.insert(m, score);
                            order.push(m);
                        }
                    }
                }
            }
            result = order
                .into_iter()
                .map(|m| (Box::from(m), acc.get(m).copied().unwrap_or(0.0)))
                .collect();
        }
        Op::Diff => {
            let others: Vec<HashMap<&[u8], ()>> = srcs[1..]
                .iter()
                .map(|(items, _)| items.iter().map(|(m, _)| (&m[..], ())).collect())
                .collect();
            for (m, s) in &srcs[0].0 {
                if !others.iter().any(|o| o.contains_key(&m[..])) {
                    result.push((m.clone(), *s));
                }
            }
        }
    }
    result.sort_by(|a, b| cmp((a.1, &a.0), (b.1, &b.0)));

    if let Some(d) = dst {
        let dkey: &[u8] = &args[d];
        let n = result.len();
        if n > 0 {
            let z = ZSet::from_sorted(result, lim);
            ctx.st.ks.set(db, dkey, Value::ZSet(z), false);
            ctx.st.ks.dirty += 1;
            // zunionstore, zinterstore or zdiffstore.
            let event = ctx.cmd.name;
            ctx.notify(class::ZSET, event, dkey);
        } else if ctx.st.ks.delete(db, dkey) {
            ctx.st.ks.dirty += 1;
            ctx.notify(class::GENERIC, "del", dkey);
        }
        ctx.out.int(n as i64);
    } else if card {
        ctx.out.int(cardinality as i64);
    } else {
        let out = &mut *ctx.out;
        emit_header(out, result.len(), withscores);
        for (m, s) in &result {
            emit(out, m, *s, withscores);
        }
    }
    Ok(())
}

pub fn zunion(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, None, 1, Op::Union, false)
}

pub fn zinter(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, None, 1, Op::Inter, false)
}

pub fn zdiff(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, None, 1, Op::Diff, false)
}

pub fn zunionstore(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, Some(1), 2, Op::Union, false)
}

pub fn zinterstore(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, Some(1), 2, Op::Inter, false)
}

pub fn zdiffstore(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, Some(1), 2, Op::Diff, false)
}

pub fn zintercard(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, None, 1, Op::Inter, true)
}
