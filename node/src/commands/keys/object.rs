//! OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT | HELP: a look at how a value is
//! stored, without touching its access clock.

use super::super::flags::*;
use super::super::{CmdError, CmdResult, Command, Ctx};
use super::lookup_notouch_with;
use crate::cmd;
use crate::config::{Config, EvictionPolicy};
use crate::store::db::{idle_ms, lfu_decr};
use crate::store::value::{Obj, Str, Value};

pub static SUBCOMMANDS: &[Command] = &[
    cmd!("encoding", 3, READONLY, (2, 2, 1), encoding),
    cmd!("freq", 3, READONLY, (2, 2, 1), freq),
    cmd!("idletime", 3, READONLY, (2, 2, 1), idletime),
    cmd!("refcount", 3, READONLY, (2, 2, 1), refcount),
    cmd!("help", 2, LOADING | STALE, (0, 0, 0), help),
];

/// Integers 0..OBJ_SHARED_INTEGERS are one shared object in Redis.
const SHARED_INTEGERS: i64 = 10_000;
/// The refcount Redis reports for a shared object (OBJ_SHARED_REFCOUNT, INT_MAX).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

const ERR_LFU_IDLE: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const ERR_NO_LFU: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

const HELP: &[&str] = &[
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
];

/// The container row's handler: the gate dispatches to a subcommand or rejects
/// an unknown one before this could run.
pub fn object(ctx: &mut Ctx) -> CmdResult {
    Err(format!(
        "ERR unknown subcommand '{}'. Try OBJECT HELP.",
        String::from_utf8_lossy(ctx.args.get(1).map_or(&b""[..], |a| &a[..]))
    )
    .into())
}

/// Looks the key up for OBJECT; a missing key is a null reply, not an error.
fn with_obj(
    ctx: &mut Ctx,
    f: impl FnOnce(&Obj, &Config, i64) -> Result<i64, CmdError>,
) -> CmdResult {
    let db = ctx.db();
    let now = ctx.st.ks.now_ms;
    let st = &mut *ctx.st;
    match lookup_notouch_with(&mut st.ks, db, &ctx.args[2], false) {
        Some(o) => {
            let n = f(o, &st.config, now)?;
            ctx.out.int(n);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

/// OBJECT ENCODING key
fn encoding(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    match lookup_notouch_with(&mut ctx.st.ks, db, &ctx.args[2], false) {
        Some(o) => ctx.out.bulk(o.val.encoding().as_bytes()),
        None => ctx.out.null(),
    }
    Ok(())
}

/// OBJECT FREQ key: the decayed LFU counter, only under an LFU policy.
fn freq(ctx: &mut Ctx) -> CmdResult {
    with_obj(ctx, |o, cfg, now| {
        if !cfg.maxmemory_policy.is_lfu() {
            return Err(ERR_NO_LFU.into());
        }
        Ok(lfu_decr(o.lru, now, cfg.lfu_decay_time as u32) as i64)
    })
}

/// OBJECT IDLETIME key: seconds since the last access, not under an LFU policy.
fn idletime(ctx: &mut Ctx) -> CmdResult {
    with_obj(ctx, |o, cfg, now| {
        if cfg.maxmemory_policy.is_lfu() {
            return Err(ERR_LFU_IDLE.into());
        }
        Ok((idle_ms(o.lru, now) / 1000) as i64)
    })
}

/// OBJECT REFCOUNT key
fn refcount(ctx: &mut Ctx) -> CmdResult {
    with_obj(ctx, |o, cfg, _| Ok(refcount_of(&o.val, cfg)))
}

/// Redis stores small non-negative integers as shared objects (refcount
/// INT_MAX) unless maxmemory with an LRU/LFU policy needs per-key clocks.
fn refcount_of(val: &Value, cfg: &Config) -> i64 {
    let shared_allowed = cfg.maxmemory == 0
        || !matches!(
            cfg.maxmemory_policy,
            EvictionPolicy::VolatileLru
                | EvictionPolicy::AllkeysLru
                | EvictionPolicy::VolatileLfu
                | EvictionPolicy::AllkeysLfu
        );
    match val {
        Value::Str(Str::Int(n)) if shared_allowed && (0..SHARED_INTEGERS).contains(n) => {
            SHARED_REFCOUNT
        }
        _ => 1,
    }
}

/// OBJECT HELP
fn help(ctx: &mut Ctx) -> CmdResult {
    reply_help(ctx, HELP);
    Ok(())
}

/// addReplyHelp: a header naming the command as typed (upper-cased), the lines,
/// and the HELP footer, all as status replies.
fn reply_help(ctx: &mut Ctx, lines: &[&str]) {
    let name = String::from_utf8_lossy(&ctx.args[0]).to_ascii_uppercase();
    let out = &mut *ctx.out;
    out.array(lines.len() + 3);
    out.simple(&format!(
        "{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        out.simple(l);
    }
    out.simple("HELP");
    out.simple("    Prints this help.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_integers_follow_the_maxmemory_policy() {
        let mut cfg = Config::default();
        let int = |n| Value::Str(Str::Int(n));
        assert_eq!(refcount_of(&int(0), &cfg), SHARED_REFCOUNT);
        assert_eq!(refcount_of(&int(9999), &cfg), SHARED_REFCOUNT);
        assert_eq!(refcount_of(&int(10_000), &cfg), 1);
        assert_eq!(refcount_of(&int(-1), &cfg), 1);
        assert_eq!(refcount_of(&Value::Str(Str::from_bytes(b"a")), &cfg), 1);
        cfg.maxmemory = 1 << 30;
        cfg.maxmemory_policy = EvictionPolicy::AllkeysLru;
        assert_eq!(refcount_of(&int(5), &cfg), 1);
        cfg.maxmemory_policy = EvictionPolicy::VolatileTtl;
        assert_eq!(refcount_of(&int(5), &cfg), SHARED_REFCOUNT);
    }
}
