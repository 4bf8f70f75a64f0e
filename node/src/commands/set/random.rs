//! SRANDMEMBER and SPOP, with the strategies of Redis 7.0 (t_set.c) for each
//! count: the reply shapes and the encoding left behind follow from them.

use std::collections::HashSet;

use bytes::Bytes;

use super::super::{class, CmdError, CmdResult, Ctx, ERR_NOT_INT, ERR_SYNTAX};
use super::{algebra, as_set, as_set_mut, max_intset, reply_member, reply_set};
use crate::store::set::{Member, Set};
use crate::util::string2ll;

/// SRANDMEMBER sees `count * this > size` as "most of the set": it copies the
/// set and drops random members instead of drawing new ones.
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;
/// SPOP builds a new set of the survivors when fewer than count/this remain.
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;

#[inline]
fn rand_below(n: usize) -> usize {
    rand::random::<usize>() % n
}

/// SRANDMEMBER key [count]: one random member (or null); with a count, up to
/// count distinct members, or with a negative count exactly -count members
/// drawn with repetition. Always an array, never a RESP3 set.
pub fn srandmember(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(ERR_SYNTAX.into());
    }
    let db = ctx.db();
    let args = ctx.args;
    if ctx.argc() == 2 {
        let out = &mut *ctx.out;
        match ctx.st.ks.lookup_read(db, &args[1]) {
            Some(o) => match as_set(&o.val)?.random() {
                Some(m) => reply_member(out, m),
                None => out.null(),
            },
            None => out.null(),
        }
        return Ok(());
    }
    let l = string2ll(&args[2]).ok_or(CmdError::from(ERR_NOT_INT))?;
    if l == i64::MIN {
        return Err(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
                .into(),
        );
    }
    let (count, uniq) = (l.unsigned_abs(), l >= 0);
    let out = &mut *ctx.out;
    let Some(o) = ctx.st.ks.lookup_read(db, &args[1]) else {
        out.array(0);
        return Ok(());
    };
    let set = as_set(&o.val)?;
    if count == 0 || set.is_empty() {
        out.array(0);
        return Ok(());
    }
    if !uniq || count == 1 {
        out.array(count as usize);
        for _ in 0..count {
            if let Some(m) = set.random() {
                reply_member(out, m);
            }
        }
        return Ok(());
    }
    let size = set.len() as u64;
    if count >= size {
        out.array(size as usize);
        for m in set.iter() {
            reply_member(out, m);
        }
        return Ok(());
    }
    let picked: Vec<Member> = if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        // Most of the set: drop random members from a copy.
        let mut all: Vec<Member> = set.iter().collect();
        while all.len() as u64 > count {
            let i = rand_below(all.len());
            all.swap_remove(i);
        }
        all
    } else {
        // A small part: draw until enough distinct members were seen.
        let mut seen: HashSet<Member> = HashSet::with_capacity(count as usize);
        let mut order = Vec::with_capacity(count as usize);
        while (order.len() as u64) < count {
            if let Some(m) = set.random() {
                if seen.insert(m) {
                    order.push(m);
                }
            }
        }
        order
    };
    out.array(picked.len());
    for m in picked {
        reply_member(out, m);
    }
    Ok(())
}

/// SPOP key [count]: removes and returns one random member (or null), or up
/// to count members as a set; an emptied set is deleted.
pub fn spop(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(ERR_SYNTAX.into());
    }
    if ctx.argc() == 3 {
        return spop_count(ctx);
    }
    let db = ctx.db();
    let args = ctx.args;
    let ks = &mut ctx.st.ks;
    let Some(o) = ks.lookup_write(db, &args[1]) else {
        ctx.out.null();
        return Ok(());
    };
    let s = as_set_mut(&mut o.val)?;
    let Some(m) = s.pop_random() else {
        ctx.out.null();
        return Ok(());
    };
    let emptied = s.is_empty();
    ks.event(class::SET, "spop", db, &args[1]);
    if emptied {
        ks.delete(db, &args[1]);
        ks.event(class::GENERIC, "del", db, &args[1]);
    }
    ctx.out.bulk(&m);
    ctx.dirty(1);
    ctx.propagate_as(|| {
        vec![
            Bytes::from_static(b"SREM"),
            args[1].clone(),
            Bytes::copy_from_slice(&m),
        ]
    });
    Ok(())
}

fn spop_count(ctx: &mut Ctx) -> CmdResult {
    let count = match string2ll(&ctx.args[2]) {
        Some(n) if n >= 0 => n as u64,
        _ => return Err("ERR value is out of range, must be positive".into()),
    };
    let db = ctx.db();
    let max = max_intset(ctx);
    let args = ctx.args;
    let ks = &mut ctx.st.ks;
    let out = &mut *ctx.out;
    let Some(o) = ks.lookup_write(db, &args[1]) else {
        out.set(0);
        return Ok(());
    };
    let s = as_set_mut(&mut o.val)?;
    if count == 0 {
        out.set(0);
        return Ok(());
    }
    let size = s.len() as u64;
    if count >= size {
        // The whole set, replied as the union of itself (a fresh set: an
        // intset again when every member is an integer).
        let all = algebra::union_of(&[Some(&*s)], max);
        reply_set(out, &all);
        ks.delete(db, &args[1]);
        ks.event(class::SET, "spop", db, &args[1]);
        ks.event(class::GENERIC, "del", db, &args[1]);
        ctx.st.ks.dirty += size;
        ctx.propagate_as(|| vec![Bytes::from_static(b"DEL"), args[1].clone()]);
        return Ok(());
    }
    out.set(count as usize);
    let remaining = size - count;
    // Each popped member replicates as its own SREM, as Redis 7.0 does.
    let mut popped: Option<Vec<Vec<u8>>> = ctx.st.repl.active().then(Vec::new);
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        for _ in 0..count {
            if let Some(m) = s.pop_random() {
                out.bulk(&m);
                if let Some(p) = popped.as_mut() {
                    p.push(m.to_vec());
                }
            }
        }
    } else {
        // Move the survivors into a new set and reply what is left behind.
        let mut kept: Option<Set> = None;
        for _ in 0..remaining {
            if let Some(m) = s.pop_random() {
                kept.get_or_insert_with(|| Set::for_member(&m)).add(&m, max);
            }
        }
        for m in s.iter() {
            reply_member(out, m);
            if let Some(p) = popped.as_mut() {
                p.push(m.to_vec());
            }
        }
        if let Some(k) = kept {
            *s = k;
        }
    }
    ctx.st.ks.dirty += count;
    ctx.st.ks.event(class::SET, "spop", db, &args[1]);
    if let Some(p) = popped {
        for m in p {
            ctx.also_propagate(vec![
                Bytes::from_static(b"SREM"),
                args[1].clone(),
                Bytes::from(m),
            ]);
        }
    }
    Ok(())
}
