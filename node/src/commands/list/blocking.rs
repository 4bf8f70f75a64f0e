//! BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH (blockingPopGenericCommand,
//! blmoveGenericCommand): the non-blocking pop or move when the source has
//! elements, otherwise block (see `commands::blocking`).

use bytes::Bytes;

use super::pop::{move_generic, parse_mpop, pop_from_key, pop_one};
use super::{as_list, End};
use crate::commands::blocking::{self, timeout::parse_deadline, Op};
use crate::commands::{CmdError, CmdResult, Ctx, ERR_SYNTAX};

/// Pops from the first key holding elements, or blocks. `count` is BLMPOP's.
fn pop_or_block(
    ctx: &mut Ctx,
    keys: &[Bytes],
    from: End,
    count: Option<usize>,
    deadline: i64,
) -> CmdResult {
    let db = ctx.db();
    for key in keys {
        // A missing key is skipped; a key of another type ends in WRONGTYPE.
        match count {
            None => {
                let Some(v) = pop_one(&mut ctx.st.ks, db, key, from)? else {
                    continue;
                };
                ctx.propagate_as(|| crate::replication::pop_argv(pop_word(from), key, None));
                ctx.out.array(2);
                ctx.out.bulk(key);
                v.with_bytes(|b| ctx.out.bulk(b));
            }
            Some(n) => {
                let Some(v) = pop_from_key(&mut ctx.st.ks, db, key, from, n)? else {
                    continue;
                };
                let n = v.len();
                ctx.propagate_as(|| crate::replication::pop_argv(pop_word(from), key, Some(n)));
                ctx.out.array(2);
                ctx.out.bulk(key);
                ctx.out.array(v.len());
                for s in &v {
                    s.with_bytes(|b| ctx.out.bulk(b));
                }
            }
        }
        return Ok(());
    }
    // Inside MULTI/EXEC (or a script) a blocking pop acts as if timed out.
    if ctx.client.deny_blocking {
        ctx.out.null_array();
        return Ok(());
    }
    blocking::block(ctx, keys, Op::Pop { from, count }, deadline);
    Ok(())
}

/// LPOP or RPOP: how a served or immediate blocking pop replicates.
pub fn pop_word(from: End) -> &'static [u8] {
    match from {
        End::Left => b"LPOP",
        End::Right => b"RPOP",
    }
}

fn bpop(ctx: &mut Ctx, from: End) -> CmdResult {
    let last = ctx.argc() - 1;
    let deadline = parse_deadline(ctx.arg(last), ctx.st.ks.now_ms)?;
    let args = ctx.args;
    pop_or_block(ctx, &args[1..last], from, None, deadline)
}

/// BLPOP key [key ...] timeout
pub fn blpop(ctx: &mut Ctx) -> CmdResult {
    bpop(ctx, End::Left)
}

/// BRPOP key [key ...] timeout
pub fn brpop(ctx: &mut Ctx) -> CmdResult {
    bpop(ctx, End::Right)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn blmpop(ctx: &mut Ctx) -> CmdResult {
    let a = parse_mpop(ctx, 2)?;
    let deadline = parse_deadline(ctx.arg(1), ctx.st.ks.now_ms)?;
    let args = ctx.args;
    let keys = &args[a.first_key..a.first_key + a.numkeys];
    pop_or_block(ctx, keys, a.end, Some(a.count), deadline)
}

/// blmoveGenericCommand: LMOVE when the source has elements, else block
/// (only the source's type is checked before blocking, as in Redis).
fn bmove(ctx: &mut Ctx, from: End, to: End, deadline: i64) -> CmdResult {
    let db = ctx.db();
    let args = ctx.args;
    let exists = match ctx.st.ks.lookup_write(db, &args[1]) {
        Some(o) => {
            as_list(&o.val)?;
            true
        }
        None => false,
    };
    if exists {
        // Replicated as LMOVE (the client's own arguments) or RPOPLPUSH.
        ctx.propagate_as(|| {
            if args.len() == 4 {
                vec![
                    Bytes::from_static(b"RPOPLPUSH"),
                    args[1].clone(),
                    args[2].clone(),
                ]
            } else {
                let mut v = args[..5].to_vec();
                v[0] = Bytes::from_static(b"LMOVE");
                v
            }
        });
        return move_generic(ctx, from, to);
    }
    if ctx.client.deny_blocking {
        // An empty source inside MULTI answers at once, with a null bulk.
        ctx.out.null();
        return Ok(());
    }
    let op = Op::Move {
        from,
        to,
        dst: args[2].clone(),
    };
    blocking::block(ctx, &args[1..2], op, deadline);
    Ok(())
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub fn blmove(ctx: &mut Ctx) -> CmdResult {
    let from = End::parse(ctx.arg(3)).ok_or(CmdError::from(ERR_SYNTAX))?;
    let to = End::parse(ctx.arg(4)).ok_or(CmdError::from(ERR_SYNTAX))?;
    let deadline = parse_deadline(ctx.arg(5), ctx.st.ks.now_ms)?;
    bmove(ctx, from, to, deadline)
}

/// BRPOPLPUSH source destination timeout
pub fn brpoplpush(ctx: &mut Ctx) -> CmdResult {
    let deadline = parse_deadline(ctx.arg(3), ctx.st.ks.now_ms)?;
    bmove(ctx, End::Right, End::Left, deadline)
}
