//! DUMP and RESTORE: a value serialized as RDB does (type, body, RDB version,
//! CRC-64), so payloads move between our server and redis-server both ways.

use super::super::{class, CmdResult, Ctx, ERR_NOT_INT, ERR_SYNTAX};
use crate::rdb::read::{restore_payload, RestoreError};
use crate::rdb::{Encodings, SaveOpts};
use crate::store::value::Obj;

/// DUMP key: the payload, or nil when the key does not exist.
pub fn dump(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let opts = SaveOpts::from_config(&ctx.st.config, ctx.st.ks.now_ms);
    match ctx.st.ks.lookup_read(db, &ctx.args[1]) {
        Some(o) => {
            let p = crate::rdb::write::dump_payload(&o.val, &opts);
            ctx.out.bulk(&p);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds]
/// [FREQ frequency]
pub fn restore(ctx: &mut Ctx) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < ctx.argc() {
        let more = ctx.argc() - j - 1;
        if ctx.arg_is(j, "replace") {
            replace = true;
        } else if ctx.arg_is(j, "absttl") {
            absttl = true;
        } else if ctx.arg_is(j, "idletime") && more >= 1 && freq.is_none() {
            let v = ctx.int_arg(j + 1)?;
            if v < 0 {
                return Err("ERR Invalid IDLETIME value, must be >= 0".into());
            }
            idle = Some(v);
            j += 1;
        } else if ctx.arg_is(j, "freq") && more >= 1 && idle.is_none() {
            let v = ctx.int_arg(j + 1)?;
            if !(0..=255).contains(&v) {
                return Err("ERR Invalid FREQ value, must be >= 0 and <= 255".into());
            }
            freq = Some(v);
            j += 1;
        } else {
            return Err(ERR_SYNTAX.into());
        }
        j += 1;
    }
    let db = ctx.db();
    let key = ctx.args[1].clone();
    if !replace && ctx.st.ks.lookup_write(db, &key).is_some() {
        return Err("BUSYKEY Target key name already exists.".into());
    }
    let ttl = crate::util::string2ll(&ctx.args[2]).ok_or(ERR_NOT_INT)?;
    if ttl < 0 {
        return Err("ERR Invalid TTL value, must be >= 0".into());
    }
    let enc = Encodings::from_config(&ctx.st.config);
    let val = match restore_payload(&ctx.args[3], &enc, true) {
        Ok(Some(v)) => v,
        Err(RestoreError::Footer) => {
            return Err("ERR DUMP payload version or checksum are wrong".into())
        }
        Ok(None) | Err(RestoreError::BadData) => return Err("ERR Bad data format".into()),
    };
    let deleted = replace && {
        ctx.st.ks.expire_if_needed(db, &key);
        ctx.st.ks.delete(db, &key)
    };
    let now = ctx.st.ks.now_ms;
    let when = match ttl {
        0 => None,
        t if absttl => Some(t),
        t => Some(t.saturating_add(now)),
    };
    if when.is_some_and(|t| t <= now) && !ctx.st.ks.is_replica {
        // Already expired: the key is not created (a replaced one is gone).
        if deleted {
            ctx.notify(class::GENERIC, "del", &key);
            ctx.dirty(1);
        }
        ctx.out.ok();
        return Ok(());
    }
    let lru = {
        let clock = enc.clock;
        let ks = &ctx.st.ks;
        match (clock, idle, freq) {
            (crate::store::db::Clock::Lfu { .. }, _, Some(f)) => {
                (crate::store::db::lfu_minutes(now) << 8) | f as u32
            }
            (crate::store::db::Clock::Lru, Some(secs), _) => {
                let max = crate::store::db::LRU_CLOCK_MAX as i64 + 1;
                ((ks.lru_clock() as i64 - secs % max).rem_euclid(max)) as u32
            }
            _ => ks.new_clock(),
        }
    };
    ctx.st.ks.insert_obj(db, &key, Obj { val, lru });
    if let Some(t) = when {
        ctx.st.ks.set_expire(db, &key, t);
    }
    ctx.notify(class::GENERIC, "restore", &key);
    ctx.dirty(1);
    ctx.out.ok();
    Ok(())
}
