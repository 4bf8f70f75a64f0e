//! Connection commands: PING, ECHO, QUIT, RESET, AUTH, HELLO, SELECT.

use super::flags::*;
use super::{CmdResult, Command, Ctx, Flow, ERR_DB_INDEX, ERR_NOT_INT};
use crate::cmd;
use crate::server::client::ReplyMode;

pub static COMMANDS: &[Command] = &[
    cmd!("ping", -1, FAST | SENTINEL, (0, 0, 0), ping),
    cmd!("echo", 2, LOADING | STALE | FAST, (0, 0, 0), echo),
    cmd!(
        "quit",
        -1,
        ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        (0, 0, 0),
        quit
    ),
    cmd!(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        (0, 0, 0),
        reset
    ),
    cmd!(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        (0, 0, 0),
        auth
    ),
    cmd!(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY,
        (0, 0, 0),
        hello
    ),
    cmd!("select", 2, LOADING | STALE | FAST, (0, 0, 0), select),
];

/// PING [message]
fn ping(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.pubsub && !ctx.out.resp3 && ctx.argc() <= 2 {
        // RESP2 subscribed mode: the reply must look like a pushed message.
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(ctx.args.get(1).map_or(&b""[..], |a| &a[..]));
        return Ok(());
    }
    match ctx.argc() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(&ctx.args[1]),
        _ => {
            return Err(format!(
                "ERR wrong number of arguments for '{}' command",
                ctx.cmd.name
            )
            .into())
        }
    }
    Ok(())
}

/// ECHO message
fn echo(ctx: &mut Ctx) -> CmdResult {
    ctx.out.bulk(&ctx.args[1]);
    Ok(())
}

/// QUIT: replies +OK, then the connection closes.
fn quit(ctx: &mut Ctx) -> CmdResult {
    ctx.out.ok();
    ctx.flow = Flow::Close;
    Ok(())
}

/// RESET: back to a fresh connection's state (db 0, RESP2, no name, replies on).
fn reset(ctx: &mut Ctx) -> CmdResult {
    let c = &mut *ctx.client;
    c.db = 0;
    c.reply_mode = ReplyMode::On;
    c.authenticated = ctx.st.config.requirepass.is_none();
    ctx.out.resp3 = false;
    {
        let mut m = c.shared.meta.lock();
        m.name.clear();
        m.resp = 2;
        m.no_evict = false;
        m.no_touch = false;
        m.reply_off = false;
        m.authenticated = c.authenticated;
    }
    super::tx::discard_transaction(ctx.st, c);
    super::pubsub::unsubscribe_all(ctx.st, c);
    if c.monitor {
        c.monitor = false;
        c.shared.meta.lock().monitor = false;
        let id = c.id;
        ctx.st.monitors.retain(|m| m.id != id);
    }
    ctx.out.simple("RESET");
    Ok(())
}

/// Checks credentials for the only user there is, `default`, like ACLAuthenticateUser.
fn check_credentials(ctx: &Ctx, user: &[u8], pass: &[u8]) -> bool {
    if user != b"default" {
        return false;
    }
    match &ctx.st.config.requirepass {
        None => true,
        Some(p) => crate::util::const_time_eq(p, pass),
    }
}

fn set_authenticated(ctx: &mut Ctx) {
    ctx.client.authenticated = true;
    ctx.client.shared.meta.lock().authenticated = true;
}

/// AUTH [username] password
fn auth(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(super::ERR_SYNTAX.into());
    }
    let (user, pass): (&[u8], &[u8]) = if ctx.argc() == 2 {
        if ctx.st.config.requirepass.is_none() {
            return Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?".into());
        }
        (b"default", &ctx.args[1])
    } else {
        (&ctx.args[1], &ctx.args[2])
    };
    if check_credentials(ctx, user, pass) {
        set_authenticated(ctx);
        ctx.out.ok();
        Ok(())
    } else {
        Err("WRONGPASS invalid username-password pair or user is disabled.".into())
    }
}

/// Client names are printable ASCII without spaces (validateClientName).
pub fn validate_client_name(name: &[u8]) -> Result<(), super::CmdError> {
    if name.iter().all(|&c| (b'!'..=b'~').contains(&c)) {
        Ok(())
    } else {
        Err("ERR Client names cannot contain spaces, newlines or special characters.".into())
    }
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
fn hello(ctx: &mut Ctx) -> CmdResult {
    let mut ver = 0;
    let mut next = 1;
    if ctx.argc() >= 2 {
        ver = crate::util::string2ll(&ctx.args[1])
            .ok_or("ERR Protocol version is not an integer or out of range")?;
        next = 2;
        if !(2..=3).contains(&ver) {
            return Err("NOPROTO unsupported protocol version".into());
        }
    }
    let mut creds = None;
    let mut name = None;
    let mut j = next;
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        if ctx.arg_is(j, "auth") && more >= 2 {
            creds = Some((j + 1, j + 2));
            j += 3;
        } else if ctx.arg_is(j, "setname") && more >= 1 {
            validate_client_name(&ctx.args[j + 1])?;
            name = Some(j + 1);
            j += 2;
        } else {
            return Err(super::err_quoting(
                "ERR Syntax error in HELLO option '",
                &ctx.args[j],
                "'",
            ));
        }
    }
    if let Some((u, p)) = creds {
        if !check_credentials(ctx, &ctx.args[u], &ctx.args[p]) {
            return Err("WRONGPASS invalid username-password pair or user is disabled.".into());
        }
        set_authenticated(ctx);
    }
    if !ctx.client.authenticated {
        if ctx.st.config.requirepass.is_some() {
            return Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into());
        }
        set_authenticated(ctx);
    }
    if let Some(n) = name {
        ctx.client.shared.meta.lock().name = ctx.args[n].to_vec();
    }
    if ver != 0 {
        ctx.out.resp3 = ver == 3;
        ctx.client.shared.meta.lock().resp = ver as u8;
    }
    let out = &mut *ctx.out;
    out.map(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(crate::REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.int(if out.resp3 { 3 } else { 2 });
    out.bulk(b"id");
    out.int(ctx.client.id as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(if ctx.st.ks.is_replica {
        b"replica"
    } else {
        b"master"
    });
    out.bulk(b"modules");
    out.array(0);
    Ok(())
}

/// SELECT index
fn select(ctx: &mut Ctx) -> CmdResult {
    let n = ctx
        .int_arg(1)
        .map_err(|_| super::CmdError::from(ERR_NOT_INT))?;
    if n < 0 || n >= ctx.st.ks.dbs.len() as i64 {
        return Err(ERR_DB_INDEX.into());
    }
    ctx.client.db = n as usize;
    ctx.out.ok();
    Ok(())
}
