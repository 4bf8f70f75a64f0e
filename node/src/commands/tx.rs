//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH. The dispatch gate
//! queues commands while a client is in MULTI; EXEC runs them back to back
//! under the state lock the connection already holds, so nothing interleaves.

use bytes::Bytes;

use super::flags::*;
use super::{BatchClock, CmdResult, Command, Ctx, Flow};
use crate::cmd;
use crate::server::client::Client;
use crate::server::State;

const TX: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;

pub static COMMANDS: &[Command] = &[
    cmd!("multi", 1, TX, (0, 0, 0), multi),
    cmd!(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        (0, 0, 0),
        exec
    ),
    cmd!("discard", 1, TX, (0, 0, 0), discard),
    cmd!("watch", -2, TX, (1, -1, 1), watch),
    cmd!("unwatch", 1, TX, (0, 0, 0), unwatch),
];

pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// A command queued after MULTI, already looked up and arity-checked.
pub struct Queued {
    pub cmd: &'static Command,
    pub name: &'static str,
    pub args: Vec<Bytes>,
}

/// The MULTI state of a client.
#[derive(Default)]
pub struct MultiState {
    pub cmds: Vec<Queued>,
    /// An error while queueing: EXEC answers EXECABORT (CLIENT_DIRTY_EXEC).
    pub aborted: bool,
    /// The union of the queued commands' flags (OOM and pause decisions).
    pub flags: u32,
}

/// The commands that run at once inside MULTI instead of being queued.
pub fn runs_inside_multi(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Queues a command and answers +QUEUED.
pub fn queue(
    client: &mut Client,
    cmd: &'static Command,
    name: &'static str,
    args: &[Bytes],
) -> bool {
    let Some(m) = client.multi.as_mut() else {
        return false;
    };
    m.flags |= cmd.flags;
    m.cmds.push(Queued {
        cmd,
        name,
        args: args.to_vec(),
    });
    let mut meta = client.shared.meta.lock();
    meta.multi = m.cmds.len() as i64;
    meta.last_cmd = name;
    true
}

/// flagTransaction: a command was rejected while queueing.
pub fn flag(client: &mut Client) {
    if let Some(m) = client.multi.as_mut() {
        m.aborted = true;
    }
}

/// discardTransaction: leaves MULTI and forgets the watched keys.
pub fn discard_transaction(st: &mut State, client: &mut Client) {
    client.multi = None;
    client.shared.meta.lock().multi = -1;
    st.ks.watch.reset(client.id);
}

/// MULTI
fn multi(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err("ERR MULTI calls can not be nested".into());
    }
    ctx.client.multi = Some(Box::default());
    ctx.client.shared.meta.lock().multi = 0;
    ctx.out.ok();
    Ok(())
}

/// DISCARD
fn discard(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.is_none() {
        return Err("ERR DISCARD without MULTI".into());
    }
    discard_transaction(ctx.st, ctx.client);
    ctx.out.ok();
    Ok(())
}

/// EXEC: a null array when a watched key changed, EXECABORT after queueing
/// errors, else one reply per queued command (errors included).
fn exec(ctx: &mut Ctx) -> CmdResult {
    let Some(m) = ctx.client.multi.take() else {
        return Err("ERR EXEC without MULTI".into());
    };
    let id = ctx.client.id;
    let ks = &ctx.st.ks;
    if ks
        .watch
        .any_expired_since(id, &|db, key| ks.key_is_expired(db, key))
    {
        ctx.st.ks.watch.set_dirty(id);
    }
    let dirty = ctx.st.ks.watch.is_dirty(id);
    if m.aborted || dirty {
        discard_transaction(ctx.st, ctx.client);
        if m.aborted {
            return Err(EXECABORT.into());
        }
        ctx.out.null_array();
        return Ok(());
    }
    ctx.st.ks.watch.reset(id);
    ctx.out.array(m.cmds.len());
    ctx.client.deny_blocking = true;
    let mut clock = BatchClock::new();
    for q in &m.cmds {
        let flow = super::call(
            ctx.server, ctx.st, ctx.client, q.cmd, q.name, &q.args, ctx.out, &mut clock,
        );
        if flow != Flow::Continue {
            ctx.flow = flow;
        }
    }
    ctx.client.deny_blocking = false;
    ctx.client.shared.meta.lock().multi = -1;
    Ok(())
}

/// WATCH key [key ...]
fn watch(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err("ERR WATCH inside MULTI is not allowed".into());
    }
    let id = ctx.client.id;
    let db = ctx.client.db;
    // No point in watching once a watched key already changed.
    if !ctx.st.ks.watch.is_dirty(id) {
        for key in &ctx.args[1..] {
            let expired = ctx.st.ks.key_is_expired(db, key);
            ctx.st.ks.watch.watch(id, db, key, expired);
        }
    }
    ctx.out.ok();
    Ok(())
}

/// UNWATCH
fn unwatch(ctx: &mut Ctx) -> CmdResult {
    ctx.st.ks.watch.reset(ctx.client.id);
    ctx.out.ok();
    Ok(())
}
