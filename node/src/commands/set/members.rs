//! SADD SREM SCARD SISMEMBER SMISMEMBER SMOVE.

use super::super::{class, CmdResult, Ctx, ERR_WRONGTYPE};
use super::{as_set, as_set_mut, max_intset};
use crate::store::set::Set;
use crate::store::value::Value;

/// SADD key member [member ...]: how many members were new. A new key takes
/// the encoding its first member allows (setTypeCreate).
pub fn sadd(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let max = max_intset(ctx);
    let args = ctx.args;
    let ks = &mut ctx.st.ks;
    let added = match ks.lookup_write(db, &args[1]) {
        Some(o) => {
            let s = as_set_mut(&mut o.val)?;
            args[2..].iter().filter(|m| s.add(m, max)).count()
        }
        None => {
            let mut s = Set::for_member(&args[2]);
            let n = args[2..].iter().filter(|m| s.add(m, max)).count();
            ks.add(db, &args[1], Value::Set(Box::new(s)));
            n
        }
    };
    ctx.dirty(added as u64);
    if added > 0 {
        ctx.notify(class::SET, "sadd", &args[1]);
    }
    ctx.out.int(added as i64);
    Ok(())
}

/// SREM key member [member ...]: how many were removed; an emptied set is
/// deleted.
pub fn srem(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let args = ctx.args;
    let ks = &mut ctx.st.ks;
    let Some(o) = ks.lookup_write(db, &args[1]) else {
        ctx.out.int(0);
        return Ok(());
    };
    let s = as_set_mut(&mut o.val)?;
    let mut removed = 0;
    for m in &args[2..] {
        if s.remove(m) {
            removed += 1;
            if s.is_empty() {
                break;
            }
        }
    }
    let emptied = s.is_empty();
    if removed > 0 {
        ks.event(class::SET, "srem", db, &args[1]);
    }
    if emptied {
        ks.delete(db, &args[1]);
        ks.event(class::GENERIC, "del", db, &args[1]);
    }
    ctx.dirty(removed);
    ctx.out.int(removed as i64);
    Ok(())
}

/// SCARD key
pub fn scard(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let n = match ctx.st.ks.lookup_read(db, &ctx.args[1]) {
        Some(o) => as_set(&o.val)?.len(),
        None => 0,
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// SISMEMBER key member
pub fn sismember(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let args = ctx.args;
    let found = match ctx.st.ks.lookup_read(db, &args[1]) {
        Some(o) => as_set(&o.val)?.contains(&args[2]),
        None => false,
    };
    ctx.out.int(found as i64);
    Ok(())
}

/// SMISMEMBER key member [member ...]: 1 or 0 per member; a missing key is an
/// empty set.
pub fn smismember(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let args = ctx.args;
    let set = match ctx.st.ks.lookup_read(db, &args[1]) {
        Some(o) => Some(as_set(&o.val)?),
        None => None,
    };
    let out = &mut *ctx.out;
    out.array(args.len() - 2);
    for m in &args[2..] {
        out.int(set.is_some_and(|s| s.contains(m)) as i64);
    }
    Ok(())
}

/// SMOVE source destination member: 1 when moved (or when source and
/// destination are the same set holding it), else 0.
pub fn smove(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let max = max_intset(ctx);
    let args = ctx.args;
    let (src, dst, ele) = (&args[1][..], &args[2][..], &args[3][..]);
    let ks = &mut ctx.st.ks;
    let src_is_set = ks
        .lookup_write(db, src)
        .map(|o| matches!(o.val, Value::Set(_)));
    let dst_is_set = ks
        .lookup_write(db, dst)
        .map(|o| matches!(o.val, Value::Set(_)));
    match src_is_set {
        None => {
            ctx.out.int(0);
            return Ok(());
        }
        Some(false) => return Err(ERR_WRONGTYPE.into()),
        Some(true) => {}
    }
    if dst_is_set == Some(false) {
        return Err(ERR_WRONGTYPE.into());
    }
    let dict = &mut ks.dbs[db].dict;
    if src == dst {
        let has = dict
            .get(src)
            .is_some_and(|o| as_set(&o.val).is_ok_and(|s| s.contains(ele)));
        ctx.out.int(has as i64);
        return Ok(());
    }
    let Some(o) = dict.get_mut(src) else {
        ctx.out.int(0);
        return Ok(());
    };
    let s = as_set_mut(&mut o.val)?;
    if !s.remove(ele) {
        ctx.out.int(0);
        return Ok(());
    }
    let emptied = s.is_empty();
    ks.event(class::SET, "srem", db, src);
    if emptied {
        ks.delete(db, src);
        ks.event(class::GENERIC, "del", db, src);
    }
    let mut dirty = 1;
    let added = match ks.dbs[db].dict.get_mut(dst) {
        Some(o) => as_set_mut(&mut o.val)?.add(ele, max),
        None => {
            let mut s = Set::for_member(ele);
            s.add(ele, max);
            ks.add(db, dst, Value::Set(Box::new(s)));
            true
        }
    };
    if added {
        dirty += 1;
        ks.event(class::SET, "sadd", db, dst);
    }
    ctx.dirty(dirty);
    ctx.out.int(1);
    Ok(())
}
