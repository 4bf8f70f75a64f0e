//! Blocked clients (blocked.c): a blocking command that finds nothing to pop
//! registers its client here and on its keys (`Keyspace::blocking`), and the
//! connection waits outside the lock. When a command makes a key ready, the
//! gate calls [`serve_ready`] after it: the clients blocked on the key are
//! served in the order they blocked, each popping under the same lock, and
//! their replies are queued on their connections. A timeout, CLIENT UNBLOCK
//! or a disconnect ends the wait otherwise.
//!
//! Statistics follow Redis 7.0.15: the command counts as a call when it
//! blocks; its duration, failure and SLOWLOG entry are recorded when it is
//! unblocked (updateStatsOnUnblock).

pub mod timeout;

use std::sync::Arc;
use std::time::Instant;

use ahash::AHashMap;
use bytes::Bytes;

use super::{flags, CmdError, Ctx, Flow};
use crate::resp::Reply;
use crate::server::client::ClientShared;
use crate::server::State;
use crate::store::list::End;

/// What a blocked client does when one of its keys is ready.
#[derive(Clone)]
pub enum Op {
    /// BLPOP/BRPOP (no count) and BLMPOP (count).
    Pop { from: End, count: Option<usize> },
    /// BLMOVE and BRPOPLPUSH: move one element to `dst`.
    Move { from: End, to: End, dst: Bytes },
    /// BZPOPMIN/BZPOPMAX (no count) and BZMPOP (count).
    ZPop { max: bool, count: Option<usize> },
}

impl Op {
    fn wants_list(&self) -> bool {
        !matches!(self, Op::ZPop { .. })
    }
}

/// One blocked client.
pub struct Blocked {
    shared: Arc<ClientShared>,
    db: usize,
    /// The keys, deduplicated, in argument order.
    keys: Vec<Bytes>,
    op: Op,
    /// Absolute deadline in unix ms; 0 waits forever.
    deadline: i64,
    resp3: bool,
    /// CLIENT REPLY OFF/SKIP was in force: the reply is dropped.
    reply_off: bool,
    name: &'static str,
    cmd_flags: u32,
    args: Vec<Bytes>,
}

/// Every blocked client, by id.
#[derive(Default)]
pub struct BlockedClients {
    by_id: AHashMap<u64, Blocked>,
}

impl BlockedClients {
    pub fn contains(&self, id: u64) -> bool {
        self.by_id.contains_key(&id)
    }

    /// The deadline of a blocked client (0: none), None when not blocked.
    pub fn deadline(&self, id: u64) -> Option<i64> {
        self.by_id.get(&id).map(|b| b.deadline)
    }

    /// INFO clients `clients_in_timeout_table`: blocked with a timeout.
    pub fn with_timeout(&self) -> usize {
        self.by_id.values().filter(|b| b.deadline != 0).count()
    }
}

/// blockForKeys: the handler found nothing and may block. The reply comes
/// later; the connection stops running this client's requests meanwhile.
pub fn block(ctx: &mut Ctx, keys: &[Bytes], op: Op, deadline: i64) {
    let id = ctx.client.id;
    let db = ctx.client.db;
    let mut uniq: Vec<Bytes> = Vec::with_capacity(keys.len());
    for k in keys {
        if !uniq.contains(k) {
            ctx.st.ks.blocking.block(id, db, k);
            uniq.push(k.clone());
        }
    }
    use crate::server::client::ReplyMode;
    let reply_off = matches!(ctx.client.reply_mode, ReplyMode::Off | ReplyMode::Skipping);
    ctx.st.blocked.by_id.insert(
        id,
        Blocked {
            shared: ctx.client.shared.clone(),
            db,
            keys: uniq,
            op,
            deadline,
            resp3: ctx.out.resp3,
            reply_off,
            name: ctx.cmd.name,
            cmd_flags: ctx.cmd.flags,
            args: ctx.args.to_vec(),
        },
    );
    ctx.client.shared.meta.lock().blocked = true;
    ctx.flow = Flow::Block;
}

/// Takes a client out of the blocked state without replying.
fn unblock(st: &mut State, id: u64) -> Option<Blocked> {
    let b = st.blocked.by_id.remove(&id)?;
    for k in &b.keys {
        st.ks.blocking.unblock(id, b.db, k);
    }
    b.shared.meta.lock().blocked = false;
    Some(b)
}

/// A client that goes away while blocked (disconnect, CLIENT KILL).
pub fn forget(st: &mut State, id: u64) {
    unblock(st, id);
}

/// Sends the reply of an unblocked client and records the command's stats
/// (updateStatsOnUnblock): duration, failure, latency, SLOWLOG.
fn finish(st: &mut State, b: Blocked, reply: &Reply, failed: bool, dur_us: u64) {
    if !b.reply_off {
        b.shared.push_output(&reply.buf);
    }
    let stat = st.stats.cmd.entry(b.name).or_default();
    stat.usec += dur_us;
    if failed {
        stat.failed_calls += 1;
    }
    if st.config.latency_tracking {
        stat.latency.record(dur_us);
        stat.hdr
            .get_or_insert_with(Default::default)
            .record(dur_us * 1000);
    }
    let slower = st.config.slowlog_log_slower_than;
    if slower >= 0 && dur_us >= slower as u64 && b.cmd_flags & flags::SKIP_SLOWLOG == 0 {
        let name = b.shared.meta.lock().name.clone();
        let max = st.config.slowlog_max_len as usize;
        st.slowlog.push(&b.args, dur_us, &b.shared.addr, &name, max);
    }
    let threshold = st.config.latency_monitor_threshold;
    if threshold > 0 && dur_us / 1000 >= threshold as u64 {
        st.latency.add("command-unblocking", dur_us / 1000);
    }
}

/// The timeout reply: a null array in both protocols, for every blocking
/// command (BLMOVE included), as replyToBlockedClientTimedOut sends it.
fn timeout_reply(resp3: bool) -> Reply {
    let mut r = Reply::new(resp3);
    r.null_array();
    r
}

/// Called by the blocked connection when its deadline passed: unblocks it
/// with the timeout reply. False when it was no longer blocked.
pub fn expire(st: &mut State, id: u64, now_ms: i64) -> bool {
    match st.blocked.by_id.get(&id) {
        Some(b) if b.deadline != 0 && b.deadline <= now_ms => {}
        _ => return false,
    }
    let Some(b) = unblock(st, id) else {
        return false;
    };
    let r = timeout_reply(b.resp3);
    finish(st, b, &r, false, 0);
    true
}

pub const UNBLOCKED: &str = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

/// CLIENT UNBLOCK: ends a wait with the timeout reply or the UNBLOCKED error.
/// Redis 7.0.15 counts the blocked command as failed either way.
pub fn unblock_by_request(st: &mut State, id: u64, error: bool) -> bool {
    let Some(b) = unblock(st, id) else {
        return false;
    };
    let r = if error {
        let mut r = Reply::new(b.resp3);
        r.error(UNBLOCKED);
        st.stats.count_error(UNBLOCKED);
        r
    } else {
        timeout_reply(b.resp3)
    };
    finish(st, b, &r, true, 0);
    true
}

/// handleClientsBlockedOnKeys: serves the clients blocked on every key made
/// ready, pass after pass, since serving a BLMOVE can make its destination
/// ready for others.
pub fn serve_ready(st: &mut State) {
    while st.ks.blocking.has_ready() {
        for (db, key) in st.ks.blocking.take_ready() {
            serve_key(st, db, &key);
        }
    }
}

fn serve_key(st: &mut State, db: usize, key: &[u8]) {
    use crate::store::value::Value;
    let is_list = match st.ks.peek(db, key).map(|o| &o.val) {
        Some(Value::List(_)) => true,
        Some(Value::ZSet(_)) => false,
        // Gone again, or a type nobody blocks on: they keep waiting.
        _ => return,
    };
    for id in st.ks.blocking.waiters(db, key) {
        let Some(b) = st.blocked.by_id.get(&id) else {
            continue;
        };
        if b.op.wants_list() != is_list {
            continue;
        }
        let (op, resp3, name) = (b.op.clone(), b.resp3, b.name);
        let started = Instant::now();
        let mut out = Reply::new(resp3);
        let mut prop = None;
        let res = serve_one(st, db, key, &op, name, &mut out, &mut prop);
        if let Some(argv) = prop {
            // Each served client is its own unit in the stream.
            crate::replication::propagate_unit(st, db, argv);
        }
        if st.ks.watch.has_pending() {
            st.ks.commit_watch(true);
        }
        let failed = match res {
            Ok(true) => false,
            Ok(false) => return,
            Err(e) => {
                out.error_bytes(&e.0);
                st.stats.count_error(&String::from_utf8_lossy(&e.0));
                true
            }
        };
        let Some(b) = unblock(st, id) else {
            continue;
        };
        let dur = started.elapsed().as_micros() as u64;
        finish(st, b, &out, failed, dur);
        if !st.ks.contains(db, key) {
            break;
        }
    }
}

/// Pops (or moves) for one blocked client into `out`. Ok(false): nothing
/// was there to serve. The pops are the non-blocking commands' own code.
/// `prop` gets the non-blocking command it replicates as.
fn serve_one(
    st: &mut State,
    db: usize,
    key: &[u8],
    op: &Op,
    name: &str,
    out: &mut Reply,
    prop: &mut Option<Vec<Bytes>>,
) -> Result<bool, CmdError> {
    use super::list::blocking::pop_word;
    use super::list::pop;
    use super::zset::blocking::zpop_word;
    use crate::replication::pop_argv;
    let replicating = st.repl.active();
    let ks = &mut st.ks;
    match op {
        Op::Pop { from, count: None } => {
            let Some(v) = pop::pop_one(ks, db, key, *from)? else {
                return Ok(false);
            };
            if replicating {
                *prop = Some(pop_argv(pop_word(*from), key, None));
            }
            out.array(2);
            out.bulk(key);
            v.with_bytes(|b| out.bulk(b));
        }
        Op::Pop {
            from,
            count: Some(n),
        } => {
            let Some(v) = pop::pop_from_key(ks, db, key, *from, *n)? else {
                return Ok(false);
            };
            if replicating {
                *prop = Some(pop_argv(pop_word(*from), key, Some(v.len())));
            }
            out.array(2);
            out.bulk(key);
            out.array(v.len());
            for s in &v {
                s.with_bytes(|b| out.bulk(b));
            }
        }
        Op::Move { from, to, dst } => {
            // Replicated as LMOVE src dst from to (RPOPLPUSH for
            // BRPOPLPUSH). A destination of another type answers WRONGTYPE.
            let cfg = &st.config;
            let template = || super::list::new_list(cfg);
            let mut moved = false;
            let reply = |s: &crate::store::value::Str| {
                moved = true;
                s.with_bytes(|b| out.bulk(b));
            };
            pop::move_element(ks, db, key, dst, (*from, *to), template, reply)?;
            if moved && replicating {
                let side = |e: &End| -> Bytes {
                    Bytes::from_static(match e {
                        End::Left => b"left",
                        End::Right => b"right",
                    })
                };
                let src = Bytes::copy_from_slice(key);
                *prop = Some(if name == "brpoplpush" {
                    vec![Bytes::from_static(b"RPOPLPUSH"), src, dst.clone()]
                } else {
                    vec![
                        Bytes::from_static(b"LMOVE"),
                        src,
                        dst.clone(),
                        side(from),
                        side(to),
                    ]
                });
            }
            return Ok(moved);
        }
        Op::ZPop { max, count } => {
            let n = count.unwrap_or(1);
            let Some(items) = super::zset::pop::pop_members(ks, db, key, *max, n)? else {
                return Ok(false);
            };
            if items.is_empty() {
                return Ok(false);
            }
            if replicating {
                let n = count.map(|_| items.len());
                *prop = Some(pop_argv(zpop_word(*max), key, n));
            }
            match count {
                None => super::zset::pop::reply_bzpop(out, key, &items),
                Some(_) => super::zset::pop::reply_bzmpop(out, key, &items),
            }
        }
    }
    Ok(true)
}
