//! CLIENT: connection introspection and control (ID, SETNAME/GETNAME, LIST,
//! INFO, KILL, NO-EVICT, REPLY, PAUSE/UNPAUSE, UNBLOCK, GETREDIR, TRACKINGINFO,
//! HELP).

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use super::flags::*;
use super::{CmdError, CmdResult, Command, Ctx, Flow, ERR_SYNTAX};
use crate::cmd;
use crate::server::client::{ClientShared, ReplyMode};

pub static COMMANDS: &[Command] = &[cmd!("client", -2, 0, (0, 0, 0), help, &SUBCOMMANDS)];

const CONN: u32 = NOSCRIPT | LOADING | STALE;

static SUBCOMMANDS: [Command; 14] = [
    cmd!("setname", 3, CONN, (0, 0, 0), setname),
    cmd!("pause", -3, ADMIN | CONN, (0, 0, 0), pause),
    cmd!("no-evict", 3, ADMIN | CONN, (0, 0, 0), no_evict),
    cmd!("help", 2, LOADING | STALE, (0, 0, 0), help),
    cmd!("getname", 2, CONN, (0, 0, 0), getname),
    cmd!("unpause", 2, ADMIN | CONN, (0, 0, 0), unpause),
    cmd!("trackinginfo", 2, CONN, (0, 0, 0), trackinginfo),
    cmd!("info", 2, CONN, (0, 0, 0), info),
    cmd!("getredir", 2, CONN, (0, 0, 0), getredir),
    cmd!("list", -2, ADMIN | CONN, (0, 0, 0), list),
    cmd!("reply", 3, CONN, (0, 0, 0), reply),
    cmd!("id", 2, CONN, (0, 0, 0), id),
    cmd!("kill", -3, ADMIN | CONN, (0, 0, 0), kill),
    cmd!("unblock", -3, ADMIN | CONN, (0, 0, 0), unblock),
];

/// Client types of CLIENT LIST TYPE / CLIENT KILL TYPE (getClientTypeByName).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    Pubsub,
    Master,
}

fn client_type_by_name(b: &[u8]) -> Option<ClientType> {
    let n = String::from_utf8_lossy(b).to_ascii_lowercase();
    Some(match n.as_str() {
        "normal" => ClientType::Normal,
        "slave" | "replica" => ClientType::Replica,
        "pubsub" => ClientType::Pubsub,
        "master" => ClientType::Master,
        _ => return None,
    })
}

fn unknown_type(b: &[u8]) -> CmdError {
    format!("ERR Unknown client type '{}'", String::from_utf8_lossy(b)).into()
}

/// getClientType: the master link, replica links, subscribers (pubsub);
/// a monitor counts as normal.
fn type_of(c: &ClientShared) -> ClientType {
    let m = c.meta.lock();
    if m.master {
        ClientType::Master
    } else if m.replica {
        ClientType::Replica
    } else if m.sub + m.psub + m.ssub > 0 {
        ClientType::Pubsub
    } else {
        ClientType::Normal
    }
}

/// The size of a connection's read buffer (conn.rs READ_CHUNK), printed as rbs/rbp.
const READ_BUFFER: usize = 16 * 1024;

/// One CLIENT LIST line (catClientInfoString), without the newline. `current`
/// is set for the client running the command: Redis prints its command and
/// argument memory as of now.
pub fn client_info_line(c: &ClientShared, now_ms: i64, current: Option<(&str, usize)>) -> String {
    let m = c.meta.lock();
    let mut flags = String::new();
    if m.replica {
        flags.push('S');
    }
    if m.master {
        flags.push('M');
    }
    if m.monitor {
        flags.push('O');
    }
    if m.sub + m.psub + m.ssub > 0 {
        flags.push('P');
    }
    if m.multi >= 0 {
        flags.push('x');
    }
    if m.blocked {
        flags.push('b');
    }
    if m.dirty_cas {
        flags.push('d');
    }
    if c.is_killed() {
        flags.push('A');
    }
    if m.no_evict {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let (cmd, argv_mem, idle) = match current {
        Some((name, argv)) => (name, argv, 0),
        None => (
            m.last_cmd,
            m.argv_mem,
            (now_ms - c.last_interaction_ms.load(Ordering::Relaxed)).max(0) / 1000,
        ),
    };
    let tot_mem =
        READ_BUFFER + m.qbuf + argv_mem + m.obl + m.omem + std::mem::size_of::<ClientShared>();
    let mut s = String::with_capacity(320);
    let _ = write!(
        s,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs={} rbp={} obl={} oll=0 omem={} tot-mem={} events=r cmd={} user={} redir=-1 resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        String::from_utf8_lossy(&m.name),
        c.created.elapsed().as_secs(),
        idle,
        flags,
        m.db,
        m.sub,
        m.psub,
        m.ssub,
        m.multi,
        m.qbuf,
        m.qbuf_free,
        argv_mem,
        READ_BUFFER,
        READ_BUFFER,
        m.obl,
        m.omem,
        tot_mem,
        cmd,
        m.user,
        m.resp,
    );
    s
}

/// The "client|xxx" name and argument bytes of the command being run.
fn current(ctx: &Ctx) -> (String, usize) {
    let name = format!("client|{}", ctx.cmd.name);
    (name, ctx.args.iter().map(|a| a.len()).sum())
}

fn line_for(ctx: &Ctx, c: &ClientShared) -> String {
    c.meta.lock().dirty_cas = ctx.st.ks.watch.is_dirty(c.id);
    if c.id == ctx.client.id {
        let (name, argv) = current(ctx);
        client_info_line(c, ctx.st.ks.now_ms, Some((&name, argv)))
    } else {
        client_info_line(c, ctx.st.ks.now_ms, None)
    }
}

/// CLIENT ID
fn id(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(ctx.client.id as i64);
    Ok(())
}

/// CLIENT SETNAME name (an empty name clears it)
fn setname(ctx: &mut Ctx) -> CmdResult {
    super::server_cmd::validate_client_name(&ctx.args[2])?;
    ctx.client.shared.meta.lock().name = ctx.args[2].to_vec();
    ctx.out.ok();
    Ok(())
}

/// CLIENT GETNAME
fn getname(ctx: &mut Ctx) -> CmdResult {
    let name = ctx.client.shared.meta.lock().name.clone();
    if name.is_empty() {
        ctx.out.null();
    } else {
        ctx.out.bulk(&name);
    }
    Ok(())
}

/// CLIENT INFO
fn info(ctx: &mut Ctx) -> CmdResult {
    let shared = ctx.client.shared.clone();
    let mut s = line_for(ctx, &shared);
    s.push('\n');
    ctx.out.verbatim(s.as_bytes(), "txt");
    Ok(())
}

/// CLIENT LIST [TYPE type] [ID id ...]
fn list(ctx: &mut Ctx) -> CmdResult {
    let mut filter_type = None;
    let mut ids: Option<Vec<u64>> = None;
    if ctx.argc() == 4 && ctx.arg_is(2, "type") {
        filter_type =
            Some(client_type_by_name(&ctx.args[3]).ok_or_else(|| unknown_type(&ctx.args[3]))?);
    } else if ctx.argc() > 3 && ctx.arg_is(2, "id") {
        let mut v = Vec::new();
        for a in &ctx.args[3..] {
            let n = crate::util::string2ll(a).ok_or(CmdError::from("ERR Invalid client ID"))?;
            v.push(n as u64);
        }
        ids = Some(v);
    } else if ctx.argc() != 2 {
        return Err(ERR_SYNTAX.into());
    }
    let mut out = String::new();
    match ids {
        Some(ids) => {
            for id in ids {
                if let Some(c) = ctx.st.clients.get(&id).cloned() {
                    out.push_str(&line_for(ctx, &c));
                    out.push('\n');
                }
            }
        }
        None => {
            let clients: Vec<_> = ctx.st.clients.values().cloned().collect();
            for c in clients {
                if filter_type.is_some_and(|t| t != type_of(&c)) {
                    continue;
                }
                out.push_str(&line_for(ctx, &c));
                out.push('\n');
            }
        }
    }
    ctx.out.verbatim(out.as_bytes(), "txt");
    Ok(())
}

/// CLIENT KILL addr:port | CLIENT KILL [ID id] [TYPE type] [USER user] [ADDR addr]
/// [LADDR addr] [SKIPME yes|no]
fn kill(ctx: &mut Ctx) -> CmdResult {
    let mut addr: Option<&[u8]> = None;
    let mut laddr: Option<&[u8]> = None;
    let mut id: Option<u64> = None;
    let mut ctype = None;
    let mut skipme = true;
    let old_form = ctx.argc() == 3;
    if old_form {
        addr = Some(&ctx.args[2]);
        skipme = false;
    } else {
        let mut i = 2;
        while i < ctx.argc() {
            let more = ctx.argc() > i + 1;
            if !more {
                return Err(ERR_SYNTAX.into());
            }
            let v = &ctx.args[i + 1];
            if ctx.arg_is(i, "id") {
                match crate::util::string2ll(v) {
                    Some(n) if n >= 1 => id = Some(n as u64),
                    _ => return Err("ERR client-id should be greater than 0".into()),
                }
            } else if ctx.arg_is(i, "type") {
                ctype = Some(client_type_by_name(v).ok_or_else(|| unknown_type(v))?);
            } else if ctx.arg_is(i, "addr") {
                addr = Some(v);
            } else if ctx.arg_is(i, "laddr") {
                laddr = Some(v);
            } else if ctx.arg_is(i, "user") {
                // `default` is the only user there is.
                if &v[..] != b"default" {
                    return Err(format!("ERR No such user '{}'", String::from_utf8_lossy(v)).into());
                }
            } else if ctx.arg_is(i, "skipme") {
                if v.eq_ignore_ascii_case(b"yes") {
                    skipme = true;
                } else if v.eq_ignore_ascii_case(b"no") {
                    skipme = false;
                } else {
                    return Err(ERR_SYNTAX.into());
                }
            } else {
                return Err(ERR_SYNTAX.into());
            }
            i += 2;
        }
    }
    let me = ctx.client.id;
    let mut killed = 0i64;
    let mut kill_self = false;
    for c in ctx.st.clients.values() {
        if addr.is_some_and(|a| a != c.addr.as_bytes())
            || laddr.is_some_and(|a| a != c.laddr.as_bytes())
            || ctype.is_some_and(|t| t != type_of(c))
            || id.is_some_and(|i| i != c.id)
            || (c.id == me && skipme)
        {
            continue;
        }
        if c.id == me {
            // Killing ourselves: the reply is still delivered, then we close.
            kill_self = true;
        } else {
            c.kill();
        }
        killed += 1;
    }
    if kill_self {
        ctx.flow = Flow::Close;
    }
    if old_form {
        if killed == 0 {
            return Err("ERR No such client".into());
        }
        ctx.out.ok();
    } else {
        ctx.out.int(killed);
    }
    Ok(())
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: 1 when the client was blocked.
fn unblock(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 4 {
        return Err(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(&ctx.args[1])
        )
        .into());
    }
    let mut error = false;
    if ctx.argc() == 4 {
        if ctx.arg_is(3, "error") {
            error = true;
        } else if !ctx.arg_is(3, "timeout") {
            return Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into());
        }
    }
    let id = ctx.int_arg(2)?;
    let done = id > 0 && super::blocking::unblock_by_request(ctx.st, id as u64, error);
    ctx.out.int(done as i64);
    Ok(())
}

/// CLIENT NO-EVICT on|off
fn no_evict(ctx: &mut Ctx) -> CmdResult {
    let on = if ctx.arg_is(2, "on") {
        true
    } else if ctx.arg_is(2, "off") {
        false
    } else {
        return Err(ERR_SYNTAX.into());
    };
    ctx.client.shared.meta.lock().no_evict = on;
    ctx.out.ok();
    Ok(())
}

/// CLIENT REPLY ON|OFF|SKIP: only ON replies; the gate drops the others' replies.
fn reply(ctx: &mut Ctx) -> CmdResult {
    if ctx.arg_is(2, "on") {
        ctx.client.reply_mode = ReplyMode::On;
        ctx.client.shared.meta.lock().reply_off = false;
        ctx.out.ok();
    } else if ctx.arg_is(2, "off") {
        ctx.client.reply_mode = ReplyMode::Off;
        ctx.client.shared.meta.lock().reply_off = true;
    } else if ctx.arg_is(2, "skip") {
        if ctx.client.reply_mode != ReplyMode::Off {
            ctx.client.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        return Err(ERR_SYNTAX.into());
    }
    Ok(())
}

/// CLIENT PAUSE timeout [WRITE|ALL]
fn pause(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 4 {
        return Err(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(&ctx.args[1])
        )
        .into());
    }
    let mut writes_only = false;
    if ctx.argc() == 4 {
        if ctx.arg_is(3, "write") {
            writes_only = true;
        } else if !ctx.arg_is(3, "all") {
            return Err("ERR CLIENT PAUSE mode must be WRITE or ALL".into());
        }
    }
    let ms = crate::util::string2ll(&ctx.args[2]).ok_or(CmdError::from(
        "ERR timeout is not an integer or out of range",
    ))?;
    if ms < 0 {
        return Err("ERR timeout is negative".into());
    }
    let end = ctx.st.ks.now_ms.saturating_add(ms);
    // A pause in force is extended, never shortened, and ALL wins over WRITE.
    ctx.st.pause = Some(match ctx.st.pause {
        Some((until, w)) => (until.max(end), w && writes_only),
        None => (end, writes_only),
    });
    ctx.st.ks.expire_paused = true;
    ctx.out.ok();
    Ok(())
}

/// CLIENT UNPAUSE
fn unpause(ctx: &mut Ctx) -> CmdResult {
    ctx.st.pause = None;
    ctx.st.ks.expire_paused = false;
    ctx.server.unpaused.notify_waiters();
    ctx.out.ok();
    Ok(())
}

/// CLIENT GETREDIR: tracking is never enabled here, so there is no redirection.
fn getredir(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(-1);
    Ok(())
}

/// CLIENT TRACKINGINFO: tracking is off for every client.
fn trackinginfo(ctx: &mut Ctx) -> CmdResult {
    let out = &mut *ctx.out;
    out.map(3);
    out.bulk(b"flags");
    out.set(1);
    out.bulk(b"off");
    out.bulk(b"redirect");
    out.int(-1);
    out.bulk(b"prefixes");
    out.array(0);
    Ok(())
}

const HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
];

/// CLIENT HELP
fn help(ctx: &mut Ctx) -> CmdResult {
    super::command_cmd::reply_help(ctx.out, HELP);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_line_has_redis_fields_in_order() {
        let c = ClientShared::new(7, "127.0.0.1:5000".into(), "127.0.0.1:6379".into(), 9);
        let line = client_info_line(&c, crate::util::now_ms(), None);
        let keys: Vec<&str> = line
            .split(' ')
            .map(|kv| kv.split('=').next().unwrap_or(""))
            .collect();
        assert_eq!(
            keys.join(" "),
            "id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp"
        );
        assert!(line.contains(" flags=N "));
        assert!(line.contains(" cmd=NULL "));
    }
}
