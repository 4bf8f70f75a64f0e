//! Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX|XX|GT|LT),
//! TTL, PTTL, EXPIRETIME, PEXPIRETIME and PERSIST. TTLs are absolute Unix
//! times in milliseconds in the keyspace's `expires` table.

use super::flags::*;
use super::keys::lookup_notouch;
use super::{class, CmdError, CmdResult, Command, Ctx};
use crate::cmd;

pub static COMMANDS: &[Command] = &[
    cmd!("expire", -3, WRITE | FAST, (1, 1, 1), expire),
    cmd!("pexpire", -3, WRITE | FAST, (1, 1, 1), pexpire),
    cmd!("expireat", -3, WRITE | FAST, (1, 1, 1), expireat),
    cmd!("pexpireat", -3, WRITE | FAST, (1, 1, 1), pexpireat),
    cmd!("ttl", 2, READONLY | FAST, (1, 1, 1), ttl),
    cmd!("pttl", 2, READONLY | FAST, (1, 1, 1), pttl),
    cmd!("expiretime", 2, READONLY | FAST, (1, 1, 1), expiretime),
    cmd!("pexpiretime", 2, READONLY | FAST, (1, 1, 1), pexpiretime),
    cmd!("persist", 2, WRITE | FAST, (1, 1, 1), persist),
];

/// The NX/XX/GT/LT conditions of the EXPIRE family.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Cond {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl Cond {
    /// parseExtendedExpireArgumentsOrReply: every option is checked before the
    /// combinations are.
    fn parse(opts: &[bytes::Bytes]) -> Result<Cond, CmdError> {
        let mut c = Cond::default();
        for o in opts {
            let flag = match o.to_ascii_lowercase().as_slice() {
                b"nx" => &mut c.nx,
                b"xx" => &mut c.xx,
                b"gt" => &mut c.gt,
                b"lt" => &mut c.lt,
                _ => {
                    return Err(super::err_quoting("ERR Unsupported option ", o, ""));
                }
            };
            *flag = true;
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(
                "ERR NX and XX, GT or LT options at the same time are not compatible".into(),
            );
        }
        if c.gt && c.lt {
            return Err("ERR GT and LT options at the same time are not compatible".into());
        }
        Ok(c)
    }

    /// Whether the new expiry may replace `current` (None: no TTL, which GT
    /// treats as infinite and LT as "anything is less").
    fn allows(self, current: Option<i64>, when: i64) -> bool {
        if self.nx && current.is_some() {
            return false;
        }
        if self.xx && current.is_none() {
            return false;
        }
        if self.gt && current.is_none_or(|cur| when <= cur) {
            return false;
        }
        if self.lt && current.is_some_and(|cur| when >= cur) {
            return false;
        }
        true
    }
}

/// The absolute expiry in ms for `n` in `unit_ms` units after `base_ms`, or
/// None when it overflows a signed 64-bit millisecond time.
fn absolute_ms(n: i64, unit_ms: i64, base_ms: i64) -> Option<i64> {
    let ms = n.checked_mul(unit_ms)?;
    if ms > i64::MAX - base_ms {
        return None;
    }
    Some(ms + base_ms)
}

/// expireGenericCommand: `relative` adds the command time; `unit_ms` is 1000
/// for seconds.
fn expire_generic(ctx: &mut Ctx, relative: bool, unit_ms: i64) -> CmdResult {
    let cond = Cond::parse(&ctx.args[3..])?;
    let n = ctx.int_arg(2)?;
    let now = ctx.st.ks.now_ms;
    let base = if relative { now } else { 0 };
    let when = absolute_ms(n, unit_ms, base).ok_or_else(|| {
        CmdError::from(format!(
            "ERR invalid expire time in '{}' command",
            ctx.cmd.name
        ))
    })?;
    let db = ctx.db();
    let key = &ctx.args[1][..];
    let ks = &mut ctx.st.ks;
    if ks.lookup_write(db, key).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    if cond != Cond::default() && !cond.allows(ks.get_expire(db, key), when) {
        ctx.out.int(0);
        return Ok(());
    }
    // A time already past deletes the key, except on a replica, which waits
    // for the master's DEL.
    if when <= now && !ks.is_replica {
        ks.delete(db, key);
        ks.event(class::GENERIC, "del", db, key);
        let del = crate::replication::del_word(ctx.st, "lazyfree-lazy-expire");
        let key = ctx.args[1].clone();
        ctx.propagate_as(|| vec![del, key]);
    } else {
        ks.set_expire(db, key, when);
        ks.event(class::GENERIC, "expire", db, key);
        // Propagated as PEXPIREAT with the absolute time; the NX/XX/GT/LT
        // options stay (a PEXPIREAT keeps its own argv).
        if ctx.cmd.name != "pexpireat" {
            let args = ctx.args;
            ctx.propagate_as(|| {
                let mut v = args.to_vec();
                v[0] = bytes::Bytes::from_static(b"PEXPIREAT");
                v[2] = crate::commands::int_arg_bytes(when);
                v
            });
        }
    }
    ctx.dirty(1);
    ctx.out.int(1);
    Ok(())
}

/// EXPIRE key seconds [NX|XX|GT|LT]
fn expire(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, true, 1000)
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]
fn pexpire(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, true, 1)
}

/// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
fn expireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, false, 1000)
}

/// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
fn pexpireat(ctx: &mut Ctx) -> CmdResult {
    expire_generic(ctx, false, 1)
}

/// ttlGenericCommand: -2 for a missing key, -1 without a TTL, else the
/// remaining (or absolute) time, seconds rounded to nearest.
fn ttl_generic(ctx: &mut Ctx, in_ms: bool, absolute: bool) -> CmdResult {
    let db = ctx.db();
    let key = &ctx.args[1][..];
    let ks = &mut ctx.st.ks;
    if lookup_notouch(ks, db, key).is_none() {
        ctx.out.int(-2);
        return Ok(());
    }
    let Some(when) = ks.get_expire(db, key) else {
        ctx.out.int(-1);
        return Ok(());
    };
    let t = if absolute { when } else { when - ks.now_ms }.max(0);
    ctx.out.int(if in_ms { t } else { round_secs(t) });
    Ok(())
}

/// (ms + 500) / 1000 without overflowing near i64::MAX.
fn round_secs(ms: i64) -> i64 {
    ((ms as i128 + 500) / 1000) as i64
}

/// TTL key
fn ttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, false)
}

/// PTTL key
fn pttl(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, false)
}

/// EXPIRETIME key
fn expiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, false, true)
}

/// PEXPIRETIME key
fn pexpiretime(ctx: &mut Ctx) -> CmdResult {
    ttl_generic(ctx, true, true)
}

/// PERSIST key: 1 when a TTL was removed.
fn persist(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let key = &ctx.args[1][..];
    let ks = &mut ctx.st.ks;
    let removed = ks.lookup_write(db, key).is_some() && ks.persist(db, key);
    if removed {
        ctx.dirty(1);
        ctx.notify(class::GENERIC, "persist", key);
    }
    ctx.out.int(removed as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn parse(opts: &[&'static str]) -> Result<Cond, CmdError> {
        let v: Vec<Bytes> = opts
            .iter()
            .map(|s| Bytes::from_static(s.as_bytes()))
            .collect();
        Cond::parse(&v)
    }

    #[test]
    fn option_combinations_follow_redis_7() {
        assert!(parse(&["nx"]).is_ok());
        assert!(parse(&["XX", "gt"]).is_ok());
        assert!(parse(&["xx", "lt"]).is_ok());
        assert!(parse(&["nx", "xx"]).is_err_and(|e| e.0.starts_with(b"ERR NX and XX")));
        assert!(parse(&["gt", "nx"]).is_err_and(|e| e.0.starts_with(b"ERR NX and XX")));
        assert!(parse(&["xx", "gt", "lt"]).is_err_and(|e| e.0.starts_with(b"ERR GT and LT")));
        assert_eq!(
            parse(&["gt", "lt", "foo"]),
            Err("ERR Unsupported option foo".into())
        );
    }

    #[test]
    fn conditions_against_the_current_ttl() {
        let c = |o: &[&'static str]| parse(o).unwrap_or_default();
        assert!(c(&["nx"]).allows(None, 5));
        assert!(!c(&["nx"]).allows(Some(1), 5));
        assert!(!c(&["xx"]).allows(None, 5));
        assert!(!c(&["gt"]).allows(None, 5), "no TTL is infinite for GT");
        assert!(c(&["gt"]).allows(Some(4), 5));
        assert!(!c(&["gt"]).allows(Some(5), 5));
        assert!(c(&["lt"]).allows(None, 5));
        assert!(!c(&["lt"]).allows(Some(5), 5));
        assert!(c(&["lt"]).allows(Some(6), 5));
    }

    #[test]
    fn overflow_and_rounding() {
        assert_eq!(
            absolute_ms(9_223_372_036_854_775, 1000, 0),
            Some(9_223_372_036_854_775_000)
        );
        assert_eq!(absolute_ms(9_223_372_036_854_776, 1000, 0), None);
        assert!(absolute_ms(-9_223_372_036_854_775, 1000, 1_700_000_000_000).is_some());
        assert_eq!(absolute_ms(i64::MAX, 1, 1), None);
        assert_eq!(absolute_ms(i64::MIN, 1000, 0), None);
        assert_eq!(round_secs(1499), 1);
        assert_eq!(round_secs(1500), 2);
        assert_eq!(round_secs(499), 0);
        assert_eq!(round_secs(i64::MAX), 9_223_372_036_854_776);
    }
}
