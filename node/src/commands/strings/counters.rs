//! Counters: INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT. All keep the TTL.

use super::long_double::LongDouble;
use super::{as_str, plain_str};
use crate::commands::{class, CmdResult, Ctx, ERR_NOT_FLOAT, ERR_NOT_INT, ERR_OVERFLOW};
use crate::store::value::{Str, Value};

/// incrDecrCommand: adds `by` to the integer at argument 1.
fn incr_decr(ctx: &mut Ctx, by: i64) -> CmdResult {
    let args = ctx.args;
    let db = ctx.client.db;
    let ks = &mut ctx.st.ks;
    let new = match ks.lookup_write(db, &args[1]) {
        Some(o) => {
            let old = as_str(&o.val)?.as_int().ok_or(ERR_NOT_INT)?;
            let new = old.checked_add(by).ok_or(ERR_OVERFLOW)?;
            o.val = Value::Str(Str::Int(new));
            new
        }
        None => {
            ks.add(db, &args[1], Value::Str(Str::Int(by)));
            by
        }
    };
    ctx.dirty(1);
    ctx.notify(class::STRING, "incrby", &args[1]);
    ctx.out.int(new);
    Ok(())
}

/// INCR key
pub fn incr(ctx: &mut Ctx) -> CmdResult {
    incr_decr(ctx, 1)
}

/// DECR key
pub fn decr(ctx: &mut Ctx) -> CmdResult {
    incr_decr(ctx, -1)
}

/// INCRBY key increment
pub fn incrby(ctx: &mut Ctx) -> CmdResult {
    let by = ctx.int_arg(2)?;
    incr_decr(ctx, by)
}

/// DECRBY key decrement
pub fn decrby(ctx: &mut Ctx) -> CmdResult {
    let by = ctx.int_arg(2)?;
    if by == i64::MIN {
        return Err("ERR decrement would overflow".into());
    }
    incr_decr(ctx, -by)
}

/// INCRBYFLOAT key increment: long double arithmetic, printed with %.17Lf.
pub fn incrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let db = ctx.client.db;
    let ks = &mut ctx.st.ks;
    let (exists, cur) = match ks.lookup_write(db, &args[1]) {
        None => (false, LongDouble::ZERO),
        Some(o) => match as_str(&o.val)? {
            Str::Int(n) => (true, LongDouble::from_i64(*n)),
            s => (true, s.with_bytes(LongDouble::parse).ok_or(ERR_NOT_FLOAT)?),
        },
    };
    let by = LongDouble::parse(&args[2]).ok_or(ERR_NOT_FLOAT)?;
    let sum = match cur.plus(by) {
        Ok(v) if v.is_finite() => v,
        _ => return Err("ERR increment would produce NaN or Infinity".into()),
    };
    let text = sum.to_human().into_bytes();
    ctx.out.bulk(&text);
    let key = &args[1];
    ctx.propagate_as(|| {
        vec![
            bytes::Bytes::from_static(b"SET"),
            key.clone(),
            bytes::Bytes::copy_from_slice(&text),
            bytes::Bytes::from_static(b"KEEPTTL"),
        ]
    });
    let ks = &mut ctx.st.ks;
    let val = Value::Str(plain_str(text));
    if exists {
        ks.set(db, &args[1], val, true);
    } else {
        ks.add(db, &args[1], val);
    }
    ctx.dirty(1);
    ctx.notify(class::STRING, "incrbyfloat", &args[1]);
    Ok(())
}
