//! HINCRBY and HINCRBYFLOAT. The float variant computes in the x87 long
//! double of INCRBYFLOAT and formats the same way.

use super::super::strings::long_double::LongDouble;
use super::super::{class, CmdResult, Ctx, ERR_NOT_FLOAT, ERR_OVERFLOW};
use super::{limits, update_or_create};

/// HINCRBY key field increment
pub fn hincrby(ctx: &mut Ctx) -> CmdResult {
    let incr = ctx.int_arg(3)?;
    let limits = limits(ctx);
    let db = ctx.client.db;
    let args = ctx.args;
    let field: &[u8] = &args[2];
    let value = update_or_create(&mut ctx.st.ks, db, &args[1], |h| {
        let cur = match h.get(field) {
            Some(v) => crate::util::string2ll(v).ok_or("ERR hash value is not an integer")?,
            None => 0,
        };
        let new = cur.checked_add(incr).ok_or(ERR_OVERFLOW)?;
        h.set(field, itoa::Buffer::new().format(new).as_bytes(), limits);
        Ok(new)
    })?;
    ctx.out.int(value);
    ctx.dirty(1);
    ctx.notify(class::HASH, "hincrby", &args[1]);
    Ok(())
}

/// HINCRBYFLOAT key field increment
pub fn hincrbyfloat(ctx: &mut Ctx) -> CmdResult {
    let incr = LongDouble::parse(&ctx.args[3]).ok_or(ERR_NOT_FLOAT)?;
    if !incr.is_finite() {
        return Err("ERR value is NaN or Infinity".into());
    }
    let limits = limits(ctx);
    let db = ctx.client.db;
    let args = ctx.args;
    let field: &[u8] = &args[2];
    let text = update_or_create(&mut ctx.st.ks, db, &args[1], |h| {
        let cur = match h.get(field) {
            Some(v) => LongDouble::parse(v).ok_or("ERR hash value is not a float")?,
            None => LongDouble::ZERO,
        };
        let sum = match cur.plus(incr) {
            Ok(v) if v.is_finite() => v,
            _ => return Err("ERR increment would produce NaN or Infinity".into()),
        };
        let text = sum.to_human();
        h.set(field, text.as_bytes(), limits);
        Ok(text)
    })?;
    ctx.out.bulk(text.as_bytes());
    ctx.dirty(1);
    ctx.notify(class::HASH, "hincrbyfloat", &args[1]);
    ctx.propagate_as(|| {
        vec![
            bytes::Bytes::from_static(b"HSET"),
            args[1].clone(),
            args[2].clone(),
            bytes::Bytes::from(text.into_bytes()),
        ]
    });
    Ok(())
}
