//! RENAME, RENAMENX, COPY and MOVE: a value changes name or database and its
//! TTL goes with it.

use super::super::{
    class, CmdError, CmdResult, Ctx, ERR_DB_INDEX, ERR_NOT_INT, ERR_NO_KEY, ERR_SYNTAX,
};
use crate::store::db::Keyspace;

const ERR_SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// getIntFromObjectOrReply: an integer that must also fit a C int.
fn int32_arg(arg: &[u8]) -> Result<i64, CmdError> {
    let n = crate::util::string2ll(arg).ok_or(CmdError::from(ERR_NOT_INT))?;
    if n < i32::MIN as i64 || n > i32::MAX as i64 {
        return Err(
            "ERR value is out of range, value must between -2147483648 and 2147483647".into(),
        );
    }
    Ok(n)
}

/// A database index argument, checked like selectDb.
fn db_arg(ks: &Keyspace, arg: &[u8]) -> Result<usize, CmdError> {
    let n = int32_arg(arg)?;
    if n < 0 || n >= ks.dbs.len() as i64 {
        return Err(ERR_DB_INDEX.into());
    }
    Ok(n as usize)
}

/// RENAME key newkey
pub fn rename(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, false)
}

/// RENAMENX key newkey
pub fn renamenx(ctx: &mut Ctx) -> CmdResult {
    rename_generic(ctx, true)
}

fn rename_generic(ctx: &mut Ctx, nx: bool) -> CmdResult {
    let db = ctx.db();
    let (src, dst) = (&ctx.args[1][..], &ctx.args[2][..]);
    let ks = &mut ctx.st.ks;
    if ks.lookup_write(db, src).is_none() {
        return Err(ERR_NO_KEY.into());
    }
    if src == dst {
        // Nothing to do, but a missing key was still an error above.
        if nx {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return Ok(());
    }
    if ks.lookup_write(db, dst).is_some() {
        if nx {
            ctx.out.int(0);
            return Ok(());
        }
        ks.delete(db, dst);
    }
    let Some((obj, ttl)) = ks.take(db, src) else {
        return Err(ERR_NO_KEY.into());
    };
    ks.insert_obj(db, dst, obj);
    if let Some(when) = ttl {
        ks.set_expire(db, dst, when);
    }
    ks.event(class::GENERIC, "rename_from", db, src);
    ks.event(class::GENERIC, "rename_to", db, dst);
    ctx.dirty(1);
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

/// COPY source destination [DB destination-db] [REPLACE]
pub fn copy(ctx: &mut Ctx) -> CmdResult {
    let src_db = ctx.db();
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < ctx.argc() {
        if ctx.arg_is(j, "replace") {
            replace = true;
        } else if ctx.arg_is(j, "db") && j + 1 < ctx.argc() {
            dst_db = db_arg(&ctx.st.ks, &ctx.args[j + 1])?;
            j += 1;
        } else {
            return Err(ERR_SYNTAX.into());
        }
        j += 1;
    }
    let (src, dst) = (&ctx.args[1][..], &ctx.args[2][..]);
    if src_db == dst_db && src == dst {
        return Err(ERR_SAME_OBJECT.into());
    }
    let ks = &mut ctx.st.ks;
    let Some(o) = ks.lookup_read(src_db, src) else {
        ctx.out.int(0);
        return Ok(());
    };
    let val = o.val.clone();
    let ttl = ks.get_expire(src_db, src);
    if ks.lookup_write(dst_db, dst).is_some() {
        if !replace {
            ctx.out.int(0);
            return Ok(());
        }
        ks.delete(dst_db, dst);
    }
    // The copy is a new object: a fresh access clock.
    ks.add(dst_db, dst, val);
    if let Some(when) = ttl {
        ks.set_expire(dst_db, dst, when);
    }
    ks.event(class::GENERIC, "copy_to", dst_db, dst);
    ctx.dirty(1);
    ctx.out.int(1);
    Ok(())
}

/// MOVE key db
pub fn move_cmd(ctx: &mut Ctx) -> CmdResult {
    let src_db = ctx.db();
    let dst_db = db_arg(&ctx.st.ks, &ctx.args[2])?;
    if src_db == dst_db {
        return Err(ERR_SAME_OBJECT.into());
    }
    let key = &ctx.args[1][..];
    let ks = &mut ctx.st.ks;
    if ks.lookup_write(src_db, key).is_none() || ks.lookup_write(dst_db, key).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    let Some((obj, ttl)) = ks.take(src_db, key) else {
        ctx.out.int(0);
        return Ok(());
    };
    ks.insert_obj(dst_db, key, obj);
    if let Some(when) = ttl {
        ks.set_expire(dst_db, key, when);
    }
    ks.event(class::GENERIC, "move_from", src_db, key);
    ks.event(class::GENERIC, "move_to", dst_db, key);
    ctx.dirty(1);
    ctx.out.int(1);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_indexes_are_checked_like_get_int_then_select_db() {
        let ks = Keyspace::new(16);
        assert_eq!(db_arg(&ks, b"15"), Ok(15));
        assert_eq!(db_arg(&ks, b"16"), Err(ERR_DB_INDEX.into()));
        assert_eq!(db_arg(&ks, b"-1"), Err(ERR_DB_INDEX.into()));
        assert_eq!(db_arg(&ks, b"x"), Err(ERR_NOT_INT.into()));
        assert!(db_arg(&ks, b"2147483648")
            .is_err_and(|e| e.0.starts_with(b"ERR value is out of range")));
    }
}
