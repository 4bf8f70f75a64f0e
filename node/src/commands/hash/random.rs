//! HRANDFIELD key [count [WITHVALUES]] (hrandfieldCommand).

use super::super::{CmdResult, Ctx, ERR_NOT_INT, ERR_SYNTAX};
use super::read;
use crate::resp::Reply;

pub fn hrandfield(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let db = ctx.client.db;
    if args.len() >= 3 {
        let l = crate::util::string2ll(&args[2]).ok_or(ERR_NOT_INT)?;
        if l == i64::MIN {
            return Err(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
                    .into(),
            );
        }
        if args.len() > 4 || (args.len() == 4 && !ctx.arg_is(3, "withvalues")) {
            return Err(ERR_SYNTAX.into());
        }
        let withvalues = args.len() == 4;
        if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Err("ERR value is out of range".into());
        }
        let Some(h) = read(&mut ctx.st.ks, db, &args[1])? else {
            ctx.out.array(0);
            return Ok(());
        };
        let out = &mut *ctx.out;
        let (count, uniq) = (l.unsigned_abs() as usize, l >= 0);
        if count == 0 {
            out.array(0);
            return Ok(());
        }
        let pairs_flat = withvalues && !out.resp3;
        // Sampling with repetition (negative count, or a single pick).
        if !uniq || count == 1 {
            out.array(if pairs_flat { count * 2 } else { count });
            for _ in 0..count {
                if let Some((f, v)) = h.random() {
                    emit(out, f, v, withvalues);
                }
            }
            return Ok(());
        }
        let size = h.len();
        let n = count.min(size);
        out.array(if pairs_flat { n * 2 } else { n });
        if count >= size {
            for (f, v) in h.iter() {
                emit(out, f, v, withvalues);
            }
            return Ok(());
        }
        // Distinct picks: a partial Fisher-Yates shuffle of the pairs.
        let mut all: Vec<(&[u8], &[u8])> = h.iter().collect();
        for i in 0..n {
            let j = i + rand::random::<usize>() % (size - i);
            all.swap(i, j);
        }
        for &(f, v) in &all[..n] {
            emit(out, f, v, withvalues);
        }
        return Ok(());
    }
    match read(&mut ctx.st.ks, db, &args[1])?.and_then(|h| h.random()) {
        Some((f, _)) => ctx.out.bulk(f),
        None => ctx.out.null(),
    }
    Ok(())
}

/// One pick: the field, then its value when asked (RESP3 nests the pair).
fn emit(out: &mut Reply, f: &[u8], v: &[u8], withvalues: bool) {
    if withvalues && out.resp3 {
        out.array(2);
    }
    out.bulk(f);
    if withvalues {
        out.bulk(v);
    }
}
