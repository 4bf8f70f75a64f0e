//! Replication commands: REPLCONF, PSYNC, SYNC, WAIT, ROLE. The protocol
//! logic lives in `crate::replication`; these are the table rows and the
//! argument handling.

use std::sync::atomic::Ordering;

use super::flags::*;
use super::{CmdResult, Command, Ctx, Flow};
use crate::cmd;
use crate::replication::master::{self, SyncStart};
use crate::replication::replica;

pub static COMMANDS: &[Command] = &[
    cmd!(
        "replconf",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY,
        (0, 0, 0),
        replconf
    ),
    cmd!(
        "psync",
        -3,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        (0, 0, 0),
        psync
    ),
    cmd!(
        "sync",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        (0, 0, 0),
        sync
    ),
    cmd!("wait", 3, NOSCRIPT, (0, 0, 0), wait),
    cmd!(
        "replicaof",
        3,
        ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING,
        (0, 0, 0),
        replicaof
    ),
    cmd!(
        "slaveof",
        3,
        ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING,
        (0, 0, 0),
        replicaof
    ),
    cmd!(
        "role",
        1,
        NOSCRIPT | LOADING | STALE | FAST,
        (0, 0, 0),
        role
    ),
];

/// REPLCONF option value [option value ...]
fn replconf(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() % 2 == 0 {
        return Err(super::ERR_SYNTAX.into());
    }
    let args = ctx.args;
    let mut j = 1;
    while j < args.len() {
        let (opt, val) = (&args[j][..], &args[j + 1][..]);
        if opt.eq_ignore_ascii_case(b"listening-port") {
            let port =
                crate::util::string2ll(val).ok_or(super::CmdError::from(super::ERR_NOT_INT))?;
            ctx.client.replconf.listening_port = port;
        } else if opt.eq_ignore_ascii_case(b"ip-address") {
            if val.len() >= 256 {
                return Err(format!(
                    "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                    val.len()
                )
                .into());
            }
            ctx.client.replconf.ip_address = Some(String::from_utf8_lossy(val).into_owned());
        } else if opt.eq_ignore_ascii_case(b"capa") {
            if val.eq_ignore_ascii_case(b"eof") {
                ctx.client.replconf.capa_eof = true;
            } else if val.eq_ignore_ascii_case(b"psync2") {
                ctx.client.replconf.capa_psync2 = true;
            }
        } else if opt.eq_ignore_ascii_case(b"ack") || opt.eq_ignore_ascii_case(b"getack") {
            // ACKs reach the replica link's own reader; from a normal client
            // (and GETACK on a master) they are ignored, with no reply.
            return Ok(());
        } else if opt.eq_ignore_ascii_case(b"rdb-only")
            || opt.eq_ignore_ascii_case(b"rdb-filter-only")
        {
            // redis-cli --rdb: accepted; the full sync sends the whole RDB.
        } else {
            let mut m = b"ERR Unrecognized REPLCONF option: ".to_vec();
            m.extend_from_slice(super::printable(opt, usize::MAX));
            return Err(m.into());
        }
        j += 2;
    }
    ctx.out.ok();
    Ok(())
}

/// PSYNC replicationid offset
fn psync(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        if ctx.arg_is(3, "failover") {
            return Err("ERR PSYNC FAILOVER can't be sent to a master.".into());
        }
        return Err(super::ERR_SYNTAX.into());
    }
    start_sync(ctx, true)
}

/// SYNC: the pre-PSYNC full sync (no +FULLRESYNC line, no ACKs).
fn sync(ctx: &mut Ctx) -> CmdResult {
    start_sync(ctx, false)
}

/// syncCommand: decides partial or full, attaches the replica and hands the
/// connection over to the replica link (which writes every reply).
fn start_sync(ctx: &mut Ctx, psync: bool) -> CmdResult {
    if ctx.client.replica_start.is_some() || ctx.client.is_master {
        return Ok(());
    }
    if ctx.st.ks.is_replica && !ctx.st.repl.link_up() {
        return Err("NOMASTERLINK Can't SYNC while not connected with my master".into());
    }
    let id = ctx.client.id;
    let conf = ctx.client.replconf.clone();
    let mut start = None;
    if psync {
        let offset = crate::util::string2ll(ctx.arg(2));
        let replid = ctx.args[1].clone();
        if let Some(off) = offset {
            start = master::try_partial(ctx.st, id, &replid, off, conf.capa_psync2)
                .map(|line| SyncStart::Continue { line });
        }
        if start.is_some() {
            ctx.st.repl.sync_partial_ok += 1;
        } else if &replid[..] != b"?" {
            ctx.st.repl.sync_partial_err += 1;
        }
    }
    let start = start.unwrap_or(SyncStart::Full {
        eof: psync && conf.capa_eof && diskless(ctx),
        psync,
    });
    let peer = ctx
        .client
        .shared
        .addr
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or("");
    let peer = peer
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    master::attach(ctx.st, id, &peer, &conf, !psync);
    ctx.client.replica_start = Some(start);
    ctx.flow = Flow::Replica;
    Ok(())
}

fn diskless(ctx: &Ctx) -> bool {
    ctx.st
        .config
        .inert
        .get("repl-diskless-sync")
        .is_none_or(|v| v == "yes")
}

/// WAIT numreplicas timeout
fn wait(ctx: &mut Ctx) -> CmdResult {
    if ctx.st.ks.is_replica {
        return Err("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.".into());
    }
    let numreplicas = ctx.int_arg(1)?;
    let timeout = crate::util::string2ll(ctx.arg(2)).ok_or(super::CmdError::from(
        "ERR timeout is not an integer or out of range",
    ))?;
    if timeout < 0 {
        return Err("ERR timeout is negative".into());
    }
    let offset = ctx.client.woff;
    let acked = master::count_acked(ctx.st, offset);
    if acked >= numreplicas || ctx.client.deny_blocking {
        ctx.out.int(acked);
        return Ok(());
    }
    master::request_acks(ctx.st);
    ctx.flow = Flow::Wait {
        offset,
        numreplicas,
        deadline_ms: if timeout == 0 {
            0
        } else {
            ctx.st.ks.now_ms.saturating_add(timeout)
        },
    };
    Ok(())
}

/// REPLICAOF host port | NO ONE (and its old name SLAVEOF)
fn replicaof(ctx: &mut Ctx) -> CmdResult {
    if ctx.arg_is(1, "no") && ctx.arg_is(2, "one") {
        if ctx.st.repl.master.is_some() {
            replica::unset_master(ctx.st);
        }
        ctx.out.ok();
        return Ok(());
    }
    if ctx.client.replica_start.is_some() {
        return Err("ERR Command is not valid when client is a replica.".into());
    }
    let port = match crate::util::string2ll(ctx.arg(2)) {
        Some(p) if (0..=65535).contains(&p) => p as u16,
        _ => return Err("ERR Invalid master port".into()),
    };
    let host = String::from_utf8_lossy(ctx.arg(1)).into_owned();
    if let Some(m) = &ctx.st.repl.master {
        if m.host.eq_ignore_ascii_case(&host) && m.port == port {
            ctx.out.simple("OK Already connected to specified master");
            return Ok(());
        }
    }
    replica::set_master(ctx.server, ctx.st, host, port, false);
    ctx.out.ok();
    Ok(())
}

/// ROLE
fn role(ctx: &mut Ctx) -> CmdResult {
    let st = &*ctx.st;
    let out = &mut *ctx.out;
    if let Some(m) = &st.repl.master {
        out.array(5);
        out.bulk(b"slave");
        out.bulk(m.host.as_bytes());
        out.int(m.port as i64);
        out.bulk(m.state.name().as_bytes());
        out.int(if st.repl.has_master_history {
            st.repl.offset
        } else {
            -1
        });
        return Ok(());
    }
    out.array(3);
    out.bulk(b"master");
    out.int(st.repl.offset);
    let online: Vec<_> = st.repl.replicas.iter().filter(|r| r.online()).collect();
    out.array(online.len());
    for r in online {
        out.array(3);
        out.bulk(r.ip.as_bytes());
        out.bulk(r.port.to_string().as_bytes());
        out.bulk(r.ack_off.load(Ordering::Relaxed).to_string().as_bytes());
    }
    Ok(())
}
