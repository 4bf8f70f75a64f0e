//! LLEN, LINDEX, LRANGE, LPOS.

use super::{as_list, ranged_arg};
use crate::commands::{CmdResult, Ctx, ERR_SYNTAX};

/// LLEN key
pub fn llen(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let db = ctx.db();
    let n = match ctx.st.ks.lookup_read(db, &args[1]) {
        Some(o) => as_list(&o.val)?.len(),
        None => 0,
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// LINDEX key index
pub fn lindex(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let db = ctx.db();
    // The key is looked up before the index is parsed.
    let index = ctx.int_arg(2);
    let Some(o) = ctx.st.ks.lookup_read(db, &args[1]) else {
        ctx.out.null();
        return Ok(());
    };
    let l = as_list(&o.val)?;
    match l.get(index?) {
        Some(s) => ctx.out.bulk(&s),
        None => ctx.out.null(),
    }
    Ok(())
}

/// LRANGE key start stop
pub fn lrange(ctx: &mut Ctx) -> CmdResult {
    let start = ctx.int_arg(2)?;
    let end = ctx.int_arg(3)?;
    let args = ctx.args;
    let db = ctx.db();
    let Some(o) = ctx.st.ks.lookup_read(db, &args[1]) else {
        ctx.out.array(0);
        return Ok(());
    };
    let l = as_list(&o.val)?;
    match l.range(start, end) {
        None => ctx.out.array(0),
        Some((from, to)) => {
            ctx.out.array(to - from + 1);
            for s in l.slice(from, to) {
                ctx.out.bulk(&s);
            }
        }
    }
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
pub fn lpos(ctx: &mut Ctx) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut j = 3;
    while j < ctx.argc() {
        let more = j + 1 < ctx.argc();
        if ctx.arg_is(j, "rank") && more {
            j += 1;
            rank = ctx.int_arg(j)?;
            if rank == 0 {
                return Err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list".into());
            }
        } else if ctx.arg_is(j, "count") && more {
            j += 1;
            count =
                Some(ranged_arg(ctx.arg(j), 0, i64::MAX, "ERR COUNT can't be negative")? as usize);
        } else if ctx.arg_is(j, "maxlen") && more {
            j += 1;
            maxlen = ranged_arg(ctx.arg(j), 0, i64::MAX, "ERR MAXLEN can't be negative")? as usize;
        } else {
            return Err(ERR_SYNTAX.into());
        }
        j += 1;
    }
    // A negative rank searches from the tail. Like Redis, the most negative
    // rank stays negative and so matches the first element found.
    let from_tail = rank < 0;
    let rank = if from_tail { rank.wrapping_neg() } else { rank };
    let args = ctx.args;
    let db = ctx.db();
    let Some(o) = ctx.st.ks.lookup_read(db, &args[1]) else {
        match count {
            Some(_) => ctx.out.array(0),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    let l = as_list(&o.val)?;
    let ele: &[u8] = &args[2];
    let len = l.len();
    let limit = if maxlen == 0 { len } else { maxlen.min(len) };
    let mut matches: i64 = 0;
    let mut found: Vec<usize> = Vec::new();
    let walk: Box<dyn Iterator<Item = _>> = if from_tail {
        Box::new(l.iter().rev())
    } else {
        Box::new(l.iter())
    };
    for (k, s) in walk.take(limit).enumerate() {
        let i = if from_tail { len - 1 - k } else { k };
        if *s != *ele {
            continue;
        }
        matches += 1;
        if matches >= rank {
            found.push(i);
            match count {
                None => break,
                Some(c) if c != 0 && found.len() >= c => break,
                _ => {}
            }
        }
    }
    match count {
        Some(_) => {
            ctx.out.array(found.len());
            for i in found {
                ctx.out.int(i as i64);
            }
        }
        None => match found.first() {
            Some(&i) => ctx.out.int(i as i64),
            None => ctx.out.null(),
        },
    }
    Ok(())
}
