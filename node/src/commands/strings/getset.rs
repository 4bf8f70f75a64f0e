//! GET, SET and its variants, MGET/MSET, GETSET, GETDEL, GETEX.

use super::as_str;
use bytes::Bytes;

use crate::commands::{class, int_arg_bytes, CmdError, CmdResult, Ctx, ERR_SYNTAX};
use crate::store::value::{Str, Value};

const NX: u32 = 1 << 0;
const XX: u32 = 1 << 1;
const GET: u32 = 1 << 2;
const KEEPTTL: u32 = 1 << 3;
const PERSIST: u32 = 1 << 4;
const EX: u32 = 1 << 5;
const PX: u32 = 1 << 6;
const EXAT: u32 = 1 << 7;
const PXAT: u32 = 1 << 8;
const ANY_EXPIRE: u32 = EX | PX | EXAT | PXAT;

/// An option name as C sees it: up to the first NUL byte.
fn opt_is(arg: &[u8], name: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(name.as_bytes())
}

/// The options of SET (from argument 3) or GETEX (from argument 2), with
/// parseExtendedStringArgumentsOrReply's exact combination rules. Returns the
/// flags and the index of the expire argument.
fn parse_ext(ctx: &Ctx, is_set: bool) -> Result<(u32, Option<usize>), CmdError> {
    let mut flags = 0u32;
    let mut expire = None;
    let mut j = if is_set { 3 } else { 2 };
    while j < ctx.argc() {
        let opt = ctx.arg(j);
        let has_next = j + 1 < ctx.argc();
        let time_opt = [("ex", EX), ("px", PX), ("exat", EXAT), ("pxat", PXAT)]
            .into_iter()
            .find(|(n, _)| opt_is(opt, n));
        if is_set && opt_is(opt, "nx") && flags & XX == 0 {
            flags |= NX;
        } else if is_set && opt_is(opt, "xx") && flags & NX == 0 {
            flags |= XX;
        } else if is_set && opt_is(opt, "get") {
            flags |= GET;
        } else if is_set && opt_is(opt, "keepttl") && flags & (PERSIST | ANY_EXPIRE) == 0 {
            flags |= KEEPTTL;
        } else if !is_set && opt_is(opt, "persist") && flags & (ANY_EXPIRE | KEEPTTL) == 0 {
            flags |= PERSIST;
        } else if let Some((_, f)) = time_opt
            .filter(|&(_, f)| has_next && flags & ((KEEPTTL | PERSIST | ANY_EXPIRE) & !f) == 0)
        {
            flags |= f;
            expire = Some(j + 1);
            j += 1;
        } else {
            return Err(ERR_SYNTAX.into());
        }
        j += 1;
    }
    Ok((flags, expire))
}

fn invalid_expire(ctx: &Ctx) -> CmdError {
    format!("ERR invalid expire time in '{}' command", ctx.cmd.name).into()
}

/// The absolute expiry in ms an EX/PX/EXAT/PXAT argument stands for.
fn expire_at(ctx: &Ctx, idx: usize, flags: u32) -> Result<i64, CmdError> {
    let v = ctx.int_arg(idx)?;
    let secs = flags & (EX | EXAT) != 0;
    if v <= 0 || (secs && v > i64::MAX / 1000) {
        return Err(invalid_expire(ctx));
    }
    let mut when = if secs { v * 1000 } else { v };
    if flags & (EX | PX) != 0 {
        when = when.wrapping_add(ctx.st.ks.now_ms);
    }
    if when <= 0 {
        return Err(invalid_expire(ctx));
    }
    Ok(when)
}

/// Replies with the string at `key` (getGenericCommand): null when missing.
fn reply_get(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let db = ctx.client.db;
    match ctx.st.ks.lookup_read(db, key) {
        None => ctx.out.null(),
        Some(o) => {
            let s = as_str(&o.val)?;
            s.with_bytes(|b| ctx.out.bulk(b));
        }
    }
    Ok(())
}

/// GET key
pub fn get(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    reply_get(ctx, &args[1])
}

/// setGenericCommand: the shared core of SET, SETNX, SETEX and PSETEX. Returns
/// whether the key was set.
fn set_generic(
    ctx: &mut Ctx,
    flags: u32,
    val_idx: usize,
    expire: Option<usize>,
) -> Result<bool, CmdError> {
    let args = ctx.args;
    let key = &args[1];
    let db = ctx.client.db;
    let when = match expire {
        Some(i) => Some(expire_at(ctx, i, flags)?),
        None => None,
    };
    if flags & GET != 0 {
        reply_get(ctx, key)?;
    }
    let found = if flags & (NX | XX) != 0 {
        ctx.st.ks.lookup_write(db, key).is_some()
    } else {
        ctx.st.ks.expire_if_needed(db, key);
        false
    };
    if (flags & NX != 0 && found) || (flags & XX != 0 && !found) {
        return Ok(false);
    }
    let ks = &mut ctx.st.ks;
    ks.set(
        db,
        key,
        Value::Str(Str::from_bytes(&args[val_idx])),
        flags & KEEPTTL != 0,
    );
    if let Some(w) = when {
        ks.set_expire(db, key, w);
    }
    ctx.dirty(1);
    ctx.notify(class::STRING, "set", key);
    if flags & GET != 0 {
        // The GET option is not replicated (the replica has no one to answer).
        ctx.propagate_as(|| {
            let mut v = args.to_vec();
            if let Some(i) = (3..v.len()).find(|&i| v[i].eq_ignore_ascii_case(b"get")) {
                v.remove(i);
            }
            v
        });
    }
    if let Some(w) = when {
        ctx.notify(class::GENERIC, "expire", key);
        // Relative expiries replicate as absolute: SET key value PXAT ms.
        if flags & PXAT == 0 {
            ctx.propagate_as(|| {
                vec![
                    Bytes::from_static(b"SET"),
                    args[1].clone(),
                    args[val_idx].clone(),
                    Bytes::from_static(b"PXAT"),
                    int_arg_bytes(w),
                ]
            });
        }
    }
    Ok(true)
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]
pub fn set(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() == 3 {
        let args = ctx.args;
        let db = ctx.client.db;
        let ks = &mut ctx.st.ks;
        ks.expire_if_needed(db, &args[1]);
        ks.set(db, &args[1], Value::Str(Str::from_bytes(&args[2])), false);
        ctx.dirty(1);
        ctx.notify(class::STRING, "set", &args[1]);
        ctx.out.ok();
        return Ok(());
    }
    let (flags, expire) = parse_ext(ctx, true)?;
    let done = set_generic(ctx, flags, 2, expire)?;
    if flags & GET == 0 {
        if done {
            ctx.out.ok();
        } else {
            ctx.out.null();
        }
    }
    Ok(())
}

/// SETNX key value
pub fn setnx(ctx: &mut Ctx) -> CmdResult {
    let done = set_generic(ctx, NX, 2, None)?;
    ctx.out.int(done as i64);
    Ok(())
}

/// SETEX key seconds value / PSETEX key milliseconds value
pub fn setex(ctx: &mut Ctx) -> CmdResult {
    let unit = if ctx.cmd.name == "setex" { EX } else { PX };
    set_generic(ctx, unit, 3, Some(2))?;
    ctx.out.ok();
    Ok(())
}

/// MGET key [key ...]: non-strings read as null.
pub fn mget(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let db = ctx.client.db;
    ctx.out.array(args.len() - 1);
    for k in &args[1..] {
        match ctx.st.ks.lookup_read(db, k).map(|o| &o.val) {
            Some(Value::Str(s)) => s.with_bytes(|b| ctx.out.bulk(b)),
            #[allow(unreachable_patterns)]
            _ => ctx.out.null(),
        }
    }
    Ok(())
}

/// MSET key value [key value ...] / MSETNX (all or nothing, only new keys).
pub fn mset(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() % 2 == 0 {
        return Err(format!(
            "ERR wrong number of arguments for '{}' command",
            ctx.cmd.name
        )
        .into());
    }
    let args = ctx.args;
    let db = ctx.client.db;
    let nx = ctx.cmd.name == "msetnx";
    if nx {
        for k in args[1..].iter().step_by(2) {
            if ctx.st.ks.lookup_write(db, k).is_some() {
                ctx.out.int(0);
                return Ok(());
            }
        }
    }
    let ks = &mut ctx.st.ks;
    for pair in args[1..].chunks_exact(2) {
        ks.expire_if_needed(db, &pair[0]);
        ks.set(db, &pair[0], Value::Str(Str::from_bytes(&pair[1])), false);
        ks.event(class::STRING, "set", db, &pair[0]);
    }
    ctx.dirty((args.len() as u64 - 1) / 2);
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

/// GETSET key value: the old value, and the new one without TTL.
pub fn getset(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let db = ctx.client.db;
    reply_get(ctx, &args[1])?;
    let ks = &mut ctx.st.ks;
    ks.set(db, &args[1], Value::Str(Str::from_bytes(&args[2])), false);
    ctx.dirty(1);
    ctx.notify(class::STRING, "set", &args[1]);
    Ok(())
}

/// GETDEL key
pub fn getdel(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let db = ctx.client.db;
    reply_get(ctx, &args[1])?;
    if ctx.st.ks.delete(db, &args[1]) {
        ctx.dirty(1);
        ctx.notify(class::GENERIC, "del", &args[1]);
        let del = crate::replication::del_word(ctx.st, "lazyfree-lazy-user-del");
        ctx.propagate_as(|| vec![del, args[1].clone()]);
    }
    Ok(())
}

/// GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]
pub fn getex(ctx: &mut Ctx) -> CmdResult {
    let (flags, expire) = parse_ext(ctx, false)?;
    let args = ctx.args;
    let key = &args[1];
    let db = ctx.client.db;
    let Some(o) = ctx.st.ks.lookup_read(db, key) else {
        ctx.out.null();
        return Ok(());
    };
    as_str(&o.val)?;
    let when = match expire {
        Some(i) => Some(expire_at(ctx, i, flags)?),
        None => None,
    };
    // Looked up again: the expiry check above needed `ctx` whole.
    if let Some(o) = ctx.st.ks.dbs[db].dict.get(key) {
        as_str(&o.val)?.with_bytes(|b| ctx.out.bulk(b));
    }
    let ks = &mut ctx.st.ks;
    match when {
        Some(w) if flags & (EXAT | PXAT) != 0 && w <= ks.now_ms && !ks.is_replica => {
            ks.delete(db, key);
            ctx.dirty(1);
            ctx.notify(class::GENERIC, "del", key);
            let del = crate::replication::del_word(ctx.st, "lazyfree-lazy-expire");
            ctx.propagate_as(|| vec![del, args[1].clone()]);
        }
        Some(w) => {
            ks.set_expire(db, key, w);
            ctx.dirty(1);
            ctx.notify(class::GENERIC, "expire", key);
            ctx.propagate_as(|| {
                vec![
                    Bytes::from_static(b"PEXPIREAT"),
                    args[1].clone(),
                    int_arg_bytes(w),
                ]
            });
        }
        None if flags & PERSIST != 0 && ks.persist(db, key) => {
            ctx.dirty(1);
            ctx.notify(class::GENERIC, "persist", key);
            ctx.propagate_as(|| vec![Bytes::from_static(b"PERSIST"), args[1].clone()]);
        }
        None => {}
    }
    Ok(())
}
