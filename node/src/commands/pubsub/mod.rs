//! Pub/sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH,
//! SPUBLISH and PUBSUB introspection. The registry lives in [`State::pubsub`];
//! [`publish`] is the entry point for anything that emits messages.

pub mod registry;

use bytes::Bytes;

use super::flags::*;
use super::{CmdError, CmdResult, Command, Ctx};
use crate::cmd;
use crate::server::State;
use registry::Kind;

const SUB: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;
const INTRO: u32 = PUBSUB | LOADING | STALE;

static PUBSUB_SUBCOMMANDS: &[Command] = &[
    cmd!("channels", -2, INTRO, (0, 0, 0), channels),
    cmd!("help", 2, LOADING | STALE, (0, 0, 0), help),
    cmd!("numpat", 2, INTRO, (0, 0, 0), numpat),
    cmd!("numsub", -2, INTRO, (0, 0, 0), numsub),
    cmd!("shardchannels", -2, INTRO, (0, 0, 0), shardchannels),
    cmd!("shardnumsub", -2, INTRO, (0, 0, 0), shardnumsub),
];

pub static COMMANDS: &[Command] = &[
    cmd!("subscribe", -2, SUB, (0, 0, 0), subscribe),
    cmd!("unsubscribe", -1, SUB, (0, 0, 0), unsubscribe),
    cmd!("psubscribe", -2, SUB, (0, 0, 0), psubscribe),
    cmd!("punsubscribe", -1, SUB, (0, 0, 0), punsubscribe),
    cmd!("ssubscribe", -2, SUB, (1, -1, 1), ssubscribe),
    cmd!("sunsubscribe", -1, SUB, (1, -1, 1), sunsubscribe),
    cmd!(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST,
        (0, 0, 0),
        publish_cmd
    ),
    cmd!(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST,
        (1, 1, 1),
        spublish
    ),
    cmd!(
        "pubsub",
        -2,
        0,
        (0, 0, 0),
        pubsub_parent,
        PUBSUB_SUBCOMMANDS
    ),
];

/// Publishes `message` on `channel` to channel and pattern subscribers and
/// returns how many clients received it (PUBLISH, keyspace notifications).
pub fn publish(st: &mut State, channel: &[u8], message: &[u8]) -> usize {
    let limit = pubsub_hard_limit(&st.config);
    st.pubsub.publish(channel, message, false, limit)
}

/// Publishes the queued keyspace notifications, in the order they were
/// raised: after each command (before its reply, so a subscriber sees the
/// events of its own command first, as in Redis) and after each cron tick.
pub fn publish_notifications(st: &mut State) {
    if st.ks.notify.queue.is_empty() {
        return;
    }
    let mut queue = std::mem::take(&mut st.ks.notify.queue);
    let flags = st.ks.notify.flags;
    for e in queue.drain(..) {
        for (channel, message) in crate::store::notify::channels(flags, &e)
            .into_iter()
            .flatten()
        {
            publish(st, &channel, message);
        }
    }
    // Keep the allocation for the next command.
    if st.ks.notify.queue.is_empty() {
        st.ks.notify.queue = queue;
    }
}

/// Publishes to shard-channel subscribers (SPUBLISH).
pub fn spublish_message(st: &mut State, channel: &[u8], message: &[u8]) -> usize {
    let limit = pubsub_hard_limit(&st.config);
    st.pubsub.publish(channel, message, true, limit)
}

/// The hard limit (bytes, 0 for none) of client-output-buffer-limit's pubsub
/// class: a subscriber with more unsent output than that is disconnected.
/// The soft limit and its seconds are not applied.
fn pubsub_hard_limit(cfg: &crate::config::Config) -> usize {
    const DEFAULT: usize = 32 * 1024 * 1024;
    let Some(v) = cfg.inert.get("client-output-buffer-limit") else {
        return DEFAULT;
    };
    let words: Vec<&str> = v.split_whitespace().collect();
    words
        .chunks(4)
        .find(|c| c.first() == Some(&"pubsub"))
        .and_then(|c| c.get(1))
        .and_then(|h| h.parse().ok())
        .unwrap_or(DEFAULT)
}

/// Drops every subscription of a client: RESET and disconnection.
pub fn unsubscribe_all(st: &mut State, client: &mut crate::server::client::Client) {
    if client.pubsub {
        st.pubsub.remove_client(client.id);
        sync_client(st, client);
    }
}

/// Mirrors the registry into the client: the subscribed-mode flag and the
/// sub/psub/ssub counts of CLIENT LIST.
fn sync_client(st: &State, client: &mut crate::server::client::Client) {
    let (sub, psub, ssub) = st.pubsub.client(client.id).map_or((0, 0, 0), |s| {
        (s.channels.len(), s.patterns.len(), s.shard.len())
    });
    client.pubsub = sub + psub + ssub > 0;
    let mut m = client.shared.meta.lock();
    m.sub = sub;
    m.psub = psub;
    m.ssub = ssub;
}

fn count(ctx: &Ctx, kind: Kind) -> i64 {
    ctx.st
        .pubsub
        .client(ctx.client.id)
        .map_or(0, |s| match kind {
            Kind::Shard => s.shard.len() as i64,
            _ => s.count() as i64,
        })
}

/// One subscription confirmation: [subscribe|psubscribe|ssubscribe, name, count].
fn confirm(ctx: &mut Ctx, what: &[u8], name: Option<&[u8]>, kind: Kind) {
    let n = count(ctx, kind);
    ctx.out.push(3);
    ctx.out.bulk(what);
    match name {
        Some(c) => ctx.out.bulk(c),
        None => ctx.out.null(),
    }
    ctx.out.int(n);
}

fn subscribe_generic(ctx: &mut Ctx, kind: Kind, what: &[u8]) {
    let shared = ctx.client.shared.clone();
    for i in 1..ctx.argc() {
        let name = ctx.args[i].clone();
        ctx.st.pubsub.subscribe(kind, &shared, &name);
        confirm(ctx, what, Some(&name), kind);
    }
    sync_client(ctx.st, ctx.client);
}

fn unsubscribe_generic(ctx: &mut Ctx, kind: Kind, what: &[u8]) {
    let id = ctx.client.id;
    if ctx.argc() == 1 {
        let names: Vec<Bytes> = ctx.st.pubsub.names(kind, id);
        if names.is_empty() {
            confirm(ctx, what, None, kind);
        }
        for name in names {
            ctx.st.pubsub.unsubscribe(kind, id, &name);
            confirm(ctx, what, Some(&name), kind);
        }
    } else {
        for i in 1..ctx.argc() {
            let args = ctx.args;
            ctx.st.pubsub.unsubscribe(kind, id, &args[i]);
            confirm(ctx, what, Some(&args[i]), kind);
        }
    }
    sync_client(ctx.st, ctx.client);
}

/// SUBSCRIBE channel [channel ...]
fn subscribe(ctx: &mut Ctx) -> CmdResult {
    subscribe_generic(ctx, Kind::Channel, b"subscribe");
    Ok(())
}

/// UNSUBSCRIBE [channel ...]: without channels, from all of them.
fn unsubscribe(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_generic(ctx, Kind::Channel, b"unsubscribe");
    Ok(())
}

/// PSUBSCRIBE pattern [pattern ...]
fn psubscribe(ctx: &mut Ctx) -> CmdResult {
    subscribe_generic(ctx, Kind::Pattern, b"psubscribe");
    Ok(())
}

/// PUNSUBSCRIBE [pattern ...]
fn punsubscribe(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_generic(ctx, Kind::Pattern, b"punsubscribe");
    Ok(())
}

/// SSUBSCRIBE shardchannel [shardchannel ...]: refused inside EXEC, where
/// blocking is denied (SUBSCRIBE keeps working there for compatibility).
fn ssubscribe(ctx: &mut Ctx) -> CmdResult {
    if ctx.client.deny_blocking {
        return Err("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client".into());
    }
    subscribe_generic(ctx, Kind::Shard, b"ssubscribe");
    Ok(())
}

/// SUNSUBSCRIBE [shardchannel ...]
fn sunsubscribe(ctx: &mut Ctx) -> CmdResult {
    unsubscribe_generic(ctx, Kind::Shard, b"sunsubscribe");
    Ok(())
}

/// PUBLISH channel message: the number of clients that received it.
fn publish_cmd(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let n = publish(ctx.st, &args[1], &args[2]);
    ctx.out.int(n as i64);
    // Replicas get every PUBLISH (their own subscribers hear it).
    ctx.force_propagation();
    Ok(())
}

/// SPUBLISH shardchannel message
fn spublish(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let n = spublish_message(ctx.st, &args[1], &args[2]);
    ctx.out.int(n as i64);
    ctx.force_propagation();
    Ok(())
}

/// "ERR unknown subcommand or wrong number of arguments for 'x'. Try PUBSUB HELP."
fn syntax(ctx: &Ctx) -> CmdError {
    let mut v = b"ERR unknown subcommand or wrong number of arguments for '".to_vec();
    v.extend_from_slice(super::printable(&ctx.args[1], usize::MAX));
    v.extend_from_slice(b"'. Try PUBSUB HELP.");
    v.into()
}

fn pubsub_parent(ctx: &mut Ctx) -> CmdResult {
    Err(syntax(ctx))
}

fn list_channels(ctx: &mut Ctx, shard: bool) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(syntax(ctx));
    }
    let pat = ctx.args.get(2).map(|b| &b[..]);
    let names = ctx.st.pubsub.active(shard, pat);
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n);
    }
    Ok(())
}

/// PUBSUB CHANNELS [pattern]
fn channels(ctx: &mut Ctx) -> CmdResult {
    list_channels(ctx, false)
}

/// PUBSUB SHARDCHANNELS [pattern]
fn shardchannels(ctx: &mut Ctx) -> CmdResult {
    list_channels(ctx, true)
}

fn numsub_generic(ctx: &mut Ctx, shard: bool) -> CmdResult {
    let args = ctx.args;
    ctx.out.array((args.len() - 2) * 2);
    for a in &args[2..] {
        ctx.out.bulk(a);
        ctx.out.int(ctx.st.pubsub.numsub(shard, a) as i64);
    }
    Ok(())
}

/// PUBSUB NUMSUB [channel ...]: flat channel/count pairs.
fn numsub(ctx: &mut Ctx) -> CmdResult {
    numsub_generic(ctx, false)
}

/// PUBSUB SHARDNUMSUB [shardchannel ...]
fn shardnumsub(ctx: &mut Ctx) -> CmdResult {
    numsub_generic(ctx, true)
}

/// PUBSUB NUMPAT: distinct patterns subscribed by anyone.
fn numpat(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(ctx.st.pubsub.numpat() as i64);
    Ok(())
}

const HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];

/// PUBSUB HELP
fn help(ctx: &mut Ctx) -> CmdResult {
    ctx.out.array(HELP.len());
    for l in HELP {
        ctx.out.simple(l);
    }
    Ok(())
}
