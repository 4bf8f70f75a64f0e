//! LPUSH, RPUSH, LPUSHX, RPUSHX, LINSERT, LSET.

use super::{as_list_mut, new_list, End};
use crate::commands::{class, CmdError, CmdResult, Ctx, ERR_NO_KEY, ERR_SYNTAX};
use crate::store::db::Keyspace;
use crate::store::list::List;
use crate::store::value::Value;

/// Pushes `elems` one by one at `end` of the list at `key` (pushGenericCommand),
/// creating it with `template`'s settings unless `only_existing`. Returns the
/// new length, or None when the key is missing and `only_existing`.
pub fn push_to_key<'a>(
    ks: &mut Keyspace,
    db: usize,
    key: &[u8],
    end: End,
    elems: impl ExactSizeIterator<Item = &'a [u8]>,
    only_existing: bool,
    template: impl FnOnce() -> List,
) -> Result<Option<usize>, CmdError> {
    let n = elems.len() as u64;
    let len = match ks.lookup_write(db, key) {
        Some(o) => {
            let l = as_list_mut(&mut o.val)?;
            for e in elems {
                l.push(end, e);
            }
            l.len()
        }
        None if only_existing => return Ok(None),
        None => {
            let mut l = template();
            for e in elems {
                l.push(end, e);
            }
            let len = l.len();
            ks.add(db, key, Value::List(l));
            len
        }
    };
    ks.dirty += n;
    ks.event(class::LIST, end.push_event(), db, key);
    Ok(Some(len))
}

fn push_generic(ctx: &mut Ctx, end: End, only_existing: bool) -> CmdResult {
    let args = ctx.args;
    let db = ctx.db();
    let cfg = &ctx.st.config;
    let template = || new_list(cfg);
    let elems = args[2..].iter().map(|b| &b[..]);
    let len = push_to_key(
        &mut ctx.st.ks,
        db,
        &args[1],
        end,
        elems,
        only_existing,
        template,
    )?;
    ctx.out.int(len.unwrap_or(0) as i64);
    Ok(())
}

/// LPUSH key element [element ...]
pub fn lpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Left, false)
}

/// RPUSH key element [element ...]
pub fn rpush(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Right, false)
}

/// LPUSHX key element [element ...]
pub fn lpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Left, true)
}

/// RPUSHX key element [element ...]
pub fn rpushx(ctx: &mut Ctx) -> CmdResult {
    push_generic(ctx, End::Right, true)
}

/// LINSERT key BEFORE|AFTER pivot element
pub fn linsert(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let after = if ctx.arg_is(2, "after") {
        true
    } else if ctx.arg_is(2, "before") {
        false
    } else {
        return Err(ERR_SYNTAX.into());
    };
    let db = ctx.db();
    let Some(o) = ctx.st.ks.lookup_write(db, &args[1]) else {
        ctx.out.int(0);
        return Ok(());
    };
    let l = as_list_mut(&mut o.val)?;
    if l.insert(&args[3], &args[4], after) {
        let len = l.len() as i64;
        ctx.dirty(1);
        ctx.notify(class::LIST, "linsert", &args[1]);
        ctx.out.int(len);
    } else {
        ctx.out.int(-1);
    }
    Ok(())
}

/// LSET key index element
pub fn lset(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let db = ctx.db();
    // Redis parses the index after the lookup and type check.
    let index = ctx.int_arg(2);
    let Some(o) = ctx.st.ks.lookup_write(db, &args[1]) else {
        return Err(ERR_NO_KEY.into());
    };
    let l = as_list_mut(&mut o.val)?;
    if !l.set(index?, &args[3]) {
        return Err("ERR index out of range".into());
    }
    ctx.dirty(1);
    ctx.notify(class::LIST, "lset", &args[1]);
    ctx.out.ok();
    Ok(())
}
