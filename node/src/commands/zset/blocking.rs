//! BZPOPMIN, BZPOPMAX, BZMPOP (blockingGenericZpopCommand): pop at once when
//! a key has members, otherwise block (see `commands::blocking`).

use bytes::Bytes;

use super::pop::{parse_zmpop, pop_members, reply_bzmpop, reply_bzpop};
use crate::commands::blocking::{self, timeout::parse_deadline, Op};
use crate::commands::{CmdResult, Ctx};

/// Pops from the first key holding members, or blocks. `count` is BZMPOP's.
fn pop_or_block(
    ctx: &mut Ctx,
    keys: &[Bytes],
    max: bool,
    count: Option<usize>,
    deadline: i64,
) -> CmdResult {
    let db = ctx.db();
    for key in keys {
        // A missing key is skipped; a key of another type ends in WRONGTYPE.
        let Some(items) = pop_members(&mut ctx.st.ks, db, key, max, count.unwrap_or(1))? else {
            continue;
        };
        let n = count.map(|_| items.len());
        ctx.propagate_as(|| crate::replication::pop_argv(zpop_word(max), key, n));
        match count {
            None => reply_bzpop(ctx.out, key, &items),
            Some(_) => reply_bzmpop(ctx.out, key, &items),
        }
        return Ok(());
    }
    // Inside MULTI/EXEC (or a script) a blocking pop acts as if timed out.
    if ctx.client.deny_blocking {
        ctx.out.null_array();
        return Ok(());
    }
    blocking::block(ctx, keys, Op::ZPop { max, count }, deadline);
    Ok(())
}

/// ZPOPMIN or ZPOPMAX: how a served or immediate blocking pop replicates.
pub fn zpop_word(max: bool) -> &'static [u8] {
    if max {
        b"ZPOPMAX"
    } else {
        b"ZPOPMIN"
    }
}

fn bzpop(ctx: &mut Ctx, max: bool) -> CmdResult {
    let last = ctx.argc() - 1;
    let deadline = parse_deadline(ctx.arg(last), ctx.st.ks.now_ms)?;
    let args = ctx.args;
    pop_or_block(ctx, &args[1..last], max, None, deadline)
}

/// BZPOPMIN key [key ...] timeout
pub fn bzpopmin(ctx: &mut Ctx) -> CmdResult {
    bzpop(ctx, false)
}

/// BZPOPMAX key [key ...] timeout
pub fn bzpopmax(ctx: &mut Ctx) -> CmdResult {
    bzpop(ctx, true)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub fn bzmpop(ctx: &mut Ctx) -> CmdResult {
    let a = parse_zmpop(ctx, 2)?;
    let deadline = parse_deadline(ctx.arg(1), ctx.st.ks.now_ms)?;
    let args = ctx.args;
    pop_or_block(ctx, &args[a.keys], a.max, Some(a.count), deadline)
}
