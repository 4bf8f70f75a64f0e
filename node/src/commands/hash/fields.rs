//! Field-level commands: HSET/HMSET, HSETNX, HGET, HMGET, HDEL, HLEN,
//! HSTRLEN, HEXISTS.

use super::super::{class, CmdResult, Ctx};
use super::{as_hash_mut, limits, read, update_or_create};

/// HSET/HMSET key field value [field value ...]: HSET replies with the number
/// of new fields, HMSET with OK.
pub fn hset(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    if args.len() % 2 == 1 {
        // addReplyErrorArity: the pairs are checked by the command itself.
        return Err(format!(
            "ERR wrong number of arguments for '{}' command",
            ctx.cmd.name
        )
        .into());
    }
    let limits = limits(ctx);
    let db = ctx.client.db;
    let created = update_or_create(&mut ctx.st.ks, db, &args[1], |h| {
        h.try_conversion(args[2..].iter().map(|a| &a[..]), limits);
        let mut n = 0;
        for pair in args[2..].chunks_exact(2) {
            n += h.set(&pair[0], &pair[1], limits) as i64;
        }
        Ok(n)
    })?;
    if ctx.cmd.name == "hmset" {
        ctx.out.ok();
    } else {
        ctx.out.int(created);
    }
    ctx.dirty(((args.len() - 2) / 2) as u64);
    ctx.notify(class::HASH, "hset", &args[1]);
    Ok(())
}

/// HSETNX key field value
pub fn hsetnx(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let limits = limits(ctx);
    let db = ctx.client.db;
    let (field, value): (&[u8], &[u8]) = (&args[2], &args[3]);
    let created = update_or_create(&mut ctx.st.ks, db, &args[1], |h| {
        if h.contains(field) {
            return Ok(false);
        }
        h.try_conversion([field, value], limits);
        h.set(field, value, limits);
        Ok(true)
    })?;
    ctx.out.int(created as i64);
    if created {
        ctx.dirty(1);
        ctx.notify(class::HASH, "hset", &args[1]);
    }
    Ok(())
}

/// HGET key field
pub fn hget(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    let args = ctx.args;
    match read(&mut ctx.st.ks, db, &args[1])?.and_then(|h| h.get(&args[2])) {
        Some(v) => ctx.out.bulk(v),
        None => ctx.out.null(),
    }
    Ok(())
}

/// HMGET key field [field ...]: a null for every missing field.
pub fn hmget(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    let args = ctx.args;
    let h = read(&mut ctx.st.ks, db, &args[1])?;
    let out = &mut *ctx.out;
    out.array(args.len() - 2);
    for f in &args[2..] {
        match h.and_then(|h| h.get(f)) {
            Some(v) => out.bulk(v),
            None => out.null(),
        }
    }
    Ok(())
}

/// HDEL key field [field ...]: the key goes away with its last field.
pub fn hdel(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    let args = ctx.args;
    let ks = &mut ctx.st.ks;
    let Some(o) = ks.lookup_write(db, &args[1]) else {
        ctx.out.int(0);
        return Ok(());
    };
    let h = as_hash_mut(&mut o.val)?;
    let mut deleted = 0;
    for f in &args[2..] {
        if h.remove(f) {
            deleted += 1;
            if h.is_empty() {
                break;
            }
        }
    }
    let emptied = h.is_empty();
    if deleted > 0 {
        ks.event(class::HASH, "hdel", db, &args[1]);
    }
    if emptied {
        ks.delete(db, &args[1]);
        ks.event(class::GENERIC, "del", db, &args[1]);
    }
    ctx.out.int(deleted);
    ctx.dirty(deleted as u64);
    Ok(())
}

/// HLEN key
pub fn hlen(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    let n = read(&mut ctx.st.ks, db, &ctx.args[1])?.map_or(0, |h| h.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// HSTRLEN key field
pub fn hstrlen(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    let args = ctx.args;
    let n = read(&mut ctx.st.ks, db, &args[1])?
        .and_then(|h| h.get(&args[2]))
        .map_or(0, |v| v.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// HEXISTS key field
pub fn hexists(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.client.db;
    let args = ctx.args;
    let found = read(&mut ctx.st.ks, db, &args[1])?.is_some_and(|h| h.contains(&args[2]));
    ctx.out.int(found as i64);
    Ok(())
}
