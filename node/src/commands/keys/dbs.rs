//! Whole-database commands: SWAPDB, FLUSHDB and FLUSHALL.

use super::super::{CmdError, CmdResult, Ctx, ERR_DB_INDEX, ERR_SYNTAX};
use crate::store::db::{Db, Keyspace};

/// SWAPDB index1 index2: the two databases trade contents (keys, TTLs and
/// expiry-cycle state), so clients see the other data at once. Per-database
/// client state stays with its index, as in dbSwapDatabases: watched keys live
/// in `Keyspace::watch` (`swap_dbs` touches them); blocked keys must too.
pub fn swapdb(ctx: &mut Ctx) -> CmdResult {
    let a = int32(&ctx.args[1]).ok_or(CmdError::from("ERR invalid first DB index"))?;
    let b = int32(&ctx.args[2]).ok_or(CmdError::from("ERR invalid second DB index"))?;
    let n = ctx.st.ks.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(ERR_DB_INDEX.into());
    }
    ctx.st.ks.swap_dbs(a as usize, b as usize);
    ctx.dirty(1);
    ctx.out.ok();
    Ok(())
}

/// getIntFromObjectOrReply with a custom message: any failure, bad syntax or
/// outside a C int, gives that message.
fn int32(arg: &[u8]) -> Option<i64> {
    crate::util::string2ll(arg).filter(|n| i32::try_from(*n).is_ok())
}

/// The optional SYNC|ASYNC argument of FLUSHDB and FLUSHALL: true for ASYNC.
fn flush_async(ctx: &Ctx) -> Result<bool, CmdError> {
    match ctx.argc() {
        1 => Ok(false),
        2 if ctx.arg_is(1, "sync") => Ok(false),
        2 if ctx.arg_is(1, "async") => Ok(true),
        _ => Err(ERR_SYNTAX.into()),
    }
}

/// Empties the databases `dbs` and returns how many keys they held. With `lazy`
/// the old tables are freed on a background thread, as lazyfree does, so a
/// large database does not stall every client.
fn empty_dbs(ks: &mut Keyspace, dbs: std::ops::Range<usize>, lazy: bool) -> usize {
    let mut n = 0;
    let mut old: Vec<Db> = Vec::new();
    for db in dbs {
        n += ks.dbs[db].len();
        if lazy && !ks.dbs[db].is_empty() {
            old.push(ks.take_db(db));
        } else {
            ks.flush_db(db);
        }
    }
    if !old.is_empty() {
        // If no thread can be started the closure, and the tables, drop here.
        let _ = std::thread::Builder::new()
            .name("lazyfree".into())
            .spawn(move || drop(old));
    }
    n
}

/// FLUSHDB [ASYNC|SYNC]
pub fn flushdb(ctx: &mut Ctx) -> CmdResult {
    let lazy = flush_async(ctx)?;
    let db = ctx.db();
    let n = empty_dbs(&mut ctx.st.ks, db..db + 1, lazy);
    ctx.dirty(n as u64);
    // Replicated even when the database was already empty.
    ctx.force_propagation();
    ctx.out.ok();
    Ok(())
}

/// FLUSHALL [ASYNC|SYNC]
pub fn flushall(ctx: &mut Ctx) -> CmdResult {
    let lazy = flush_async(ctx)?;
    let all = 0..ctx.st.ks.dbs.len();
    let n = empty_dbs(&mut ctx.st.ks, all, lazy);
    // One more so FLUSHALL counts as a change even on an empty server, like Redis.
    ctx.dirty(n as u64 + 1);
    ctx.force_propagation();
    ctx.out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swapdb_indexes_must_fit_a_c_int() {
        assert_eq!(int32(b"0"), Some(0));
        assert_eq!(int32(b"-2147483648"), Some(-2147483648));
        assert_eq!(int32(b"2147483648"), None);
        assert_eq!(int32(b"x"), None);
    }

    #[test]
    fn lazy_flush_empties_the_database_at_once() {
        let mut ks = Keyspace::new(2);
        let v = crate::store::value::Value::Str(crate::store::value::Str::from_bytes(b"v"));
        for i in 0..100 {
            ks.set(1, format!("k{i}").as_bytes(), v.clone(), false);
        }
        ks.set_expire(1, b"k1", ks.now_ms + 1000);
        assert_eq!(empty_dbs(&mut ks, 0..2, true), 100);
        assert!(ks.dbs[1].is_empty());
        assert!(ks.dbs[1].expires.is_empty());
        assert_eq!(empty_dbs(&mut ks, 1..2, true), 0);
    }
}
