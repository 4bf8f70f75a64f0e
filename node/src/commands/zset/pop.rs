//! Popping and sampling: ZPOPMIN, ZPOPMAX, ZMPOP (genericZpopCommand) and
//! ZRANDMEMBER.

use bytes::Bytes;
use rand::Rng;

use super::{as_zset, as_zset_mut, emit, emit_header};
use crate::commands::{class, CmdError, CmdResult, Ctx, ERR_SYNTAX};
use crate::resp::Reply;
use crate::store::db::Keyspace;
use crate::store::zset::ZSet;
use crate::util::string2ll;

/// Pops up to `count` elements from the first existing key of `keys`.
/// `emitkey` prefixes the key (ZMPOP), `nested` sends [member, score] pairs.
fn generic_pop(
    ctx: &mut Ctx,
    keys: &[Bytes],
    max: bool,
    emitkey: bool,
    count: Option<usize>,
    nested: bool,
) -> CmdResult {
    let db = ctx.db();
    let mut found: Option<&Bytes> = None;
    for k in keys {
        if let Some(o) = ctx.st.ks.lookup_write(db, k) {
            as_zset(&o.val)?;
            found = Some(k);
            break;
        }
    }
    let Some(key) = found else {
        if emitkey {
            ctx.out.null_array();
        } else {
            ctx.out.array(0);
        }
        return Ok(());
    };
    if count == Some(0) {
        ctx.out.array(0);
        return Ok(());
    }
    let count = count.unwrap_or(1);
    let Some(o) = ctx.st.ks.lookup_write(db, key) else {
        ctx.out.array(0);
        return Ok(());
    };
    let z = as_zset_mut(&mut o.val)?;
    let n = count.min(z.len());
    let (lo, hi) = if max { (z.len() - n, z.len()) } else { (0, n) };
    let out = &mut *ctx.out;
    if emitkey {
        out.array(2);
        out.bulk(key);
        out.array(n);
    } else if nested {
        out.array(n);
    } else {
        out.array(2 * n);
    }
    z.for_range(lo, hi, max, |m, s| {
        if nested {
            out.array(2);
        }
        out.bulk(m);
        out.double(s);
    });
    z.remove_range(lo, hi);
    let emptied = z.is_empty();
    if emitkey {
        // ZMPOP replicates as ZPOPMIN/ZPOPMAX key <popped>.
        let word: &'static [u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        ctx.propagate_as(|| {
            vec![
                Bytes::from_static(word),
                key.clone(),
                crate::commands::int_arg_bytes(n as i64),
            ]
        });
    }
    ctx.notify(class::ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
    if emptied {
        ctx.st.ks.delete(db, key);
        ctx.notify(class::GENERIC, "del", key);
    }
    ctx.dirty(n as u64);
    Ok(())
}

/// A popped member and its score.
pub type Popped = (Box<[u8]>, f64);

/// Pops up to `count` members from the lowest (or highest) end of the sorted
/// set at `key`, in pop order; an emptied key is deleted. None when the key
/// is missing. For the blocking pops, which reply with the key.
pub fn pop_members(
    ks: &mut Keyspace,
    db: usize,
    key: &[u8],
    max: bool,
    count: usize,
) -> Result<Option<Vec<Popped>>, CmdError> {
    let Some(o) = ks.lookup_write(db, key) else {
        return Ok(None);
    };
    let z = as_zset_mut(&mut o.val)?;
    let n = count.min(z.len());
    let (lo, hi) = if max { (z.len() - n, z.len()) } else { (0, n) };
    let mut items = Vec::with_capacity(n);
    z.for_range(lo, hi, max, |m, s| items.push((Box::from(m), s)));
    z.remove_range(lo, hi);
    let emptied = z.is_empty();
    if n > 0 {
        ks.event(
            class::ZSET,
            if max { "zpopmax" } else { "zpopmin" },
            db,
            key,
        );
    }
    if emptied {
        ks.delete(db, key);
        ks.event(class::GENERIC, "del", db, key);
    }
    ks.dirty += n as u64;
    Ok(Some(items))
}

/// BZPOPMIN/BZPOPMAX: key, member, score (a double in RESP3).
pub fn reply_bzpop(out: &mut Reply, key: &[u8], items: &[Popped]) {
    out.array(1 + 2 * items.len());
    out.bulk(key);
    for (m, s) in items {
        out.bulk(m);
        out.double(*s);
    }
}

/// BZMPOP (and ZMPOP): key, then [member, score] pairs.
pub fn reply_bzmpop(out: &mut Reply, key: &[u8], items: &[Popped]) {
    out.array(2);
    out.bulk(key);
    out.array(items.len());
    for (m, s) in items {
        out.array(2);
        out.bulk(m);
        out.double(*s);
    }
}

fn popminmax(ctx: &mut Ctx, max: bool) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(ERR_SYNTAX.into());
    }
    let count = if ctx.argc() == 3 {
        const ERR_POSITIVE: &str = "ERR value is out of range, must be positive";
        let c = string2ll(ctx.arg(2)).ok_or(CmdError::from(ERR_POSITIVE))?;
        if c < 0 {
            return Err(ERR_POSITIVE.into());
        }
        Some(c as usize)
    } else {
        None
    };
    let nested = ctx.out.resp3 && count.is_some();
    let args = ctx.args;
    generic_pop(ctx, &args[1..2], max, false, count, nested)
}

pub fn zpopmin(ctx: &mut Ctx) -> CmdResult {
    popminmax(ctx, false)
}

pub fn zpopmax(ctx: &mut Ctx) -> CmdResult {
    popminmax(ctx, true)
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
pub fn zmpop(ctx: &mut Ctx) -> CmdResult {
    let a = parse_zmpop(ctx, 1)?;
    let args = ctx.args;
    generic_pop(ctx, &args[a.keys], a.max, true, Some(a.count), true)
}

/// The parsed arguments of ZMPOP (numkeys at 1) or BZMPOP (at 2).
pub struct ZmpopArgs {
    pub keys: std::ops::Range<usize>,
    pub max: bool,
    pub count: usize,
}

/// zmpopGenericCommand's checks, in its order.
pub fn parse_zmpop(ctx: &Ctx, numkeys_idx: usize) -> Result<ZmpopArgs, CmdError> {
    const ERR_NUMKEYS: &str = "ERR numkeys should be greater than 0";
    let args = ctx.args;
    let numkeys = string2ll(&args[numkeys_idx]).ok_or(CmdError::from(ERR_NUMKEYS))?;
    if numkeys < 1 {
        return Err(ERR_NUMKEYS.into());
    }
    let where_idx = (numkeys as u64).saturating_add(numkeys_idx as u64 + 1);
    if where_idx >= args.len() as u64 {
        return Err(ERR_SYNTAX.into());
    }
    let w = where_idx as usize;
    let max = if ctx.arg_is(w, "min") {
        false
    } else if ctx.arg_is(w, "max") {
        true
    } else {
        return Err(ERR_SYNTAX.into());
    };
    let mut count: Option<usize> = None;
    let mut j = w + 1;
    while j < args.len() {
        if count.is_none() && ctx.arg_is(j, "count") && j + 1 < args.len() {
            const ERR_COUNT: &str = "ERR count should be greater than 0";
            let c = string2ll(&args[j + 1]).ok_or(CmdError::from(ERR_COUNT))?;
            if c < 1 {
                return Err(ERR_COUNT.into());
            }
            count = Some(c as usize);
            j += 2;
        } else {
            return Err(ERR_SYNTAX.into());
        }
    }
    Ok(ZmpopArgs {
        keys: numkeys_idx + 1..w,
        max,
        count: count.unwrap_or(1),
    })
}

/// ZRANDMEMBER key [count [WITHSCORES]]
pub fn zrandmember(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let db = ctx.db();
    if args.len() >= 3 {
        let l = ctx.int_arg(2)?;
        if l == i64::MIN {
            return Err(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
                    .into(),
            );
        }
        let withscores = match args.len() {
            3 => false,
            4 if ctx.arg_is(3, "withscores") => {
                if !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
                    return Err("ERR value is out of range".into());
                }
                true
            }
            _ => return Err(ERR_SYNTAX.into()),
        };
        let out = &mut *ctx.out;
        let Some(o) = ctx.st.ks.lookup_read(db, &args[1]) else {
            out.array(0);
            return Ok(());
        };
        let z = as_zset(&o.val)?;
        with_count(out, z, l, withscores);
        return Ok(());
    }
    let out = &mut *ctx.out;
    let Some(o) = ctx.st.ks.lookup_read(db, &args[1]) else {
        out.null();
        return Ok(());
    };
    let z = as_zset(&o.val)?;
    match random_element(z) {
        Some((m, _)) => out.bulk(m),
        None => out.null(),
    }
    Ok(())
}

fn random_element(z: &ZSet) -> Option<(&[u8], f64)> {
    match z {
        ZSet::Skiplist(s) => s.dict.random().map(|(k, v)| (&k[..], *v)),
        ZSet::Listpack(_) if z.is_empty() => None,
        ZSet::Listpack(_) => z.at(rand::thread_rng().gen_range(0..z.len())),
    }
}

fn with_count(out: &mut crate::resp::Reply, z: &ZSet, l: i64, withscores: bool) {
    let size = z.len();
    let (count, uniq) = if l >= 0 {
        (l as u64, true)
    } else {
        (l.unsigned_abs(), false)
    };
    if count == 0 {
        out.array(0);
        return;
    }
    // A listpack is walked once for the offsets of its entries, not once per pick.
    let offsets = match z {
        ZSet::Listpack(v) => Some((v, v.offsets(0, size))),
        ZSet::Skiplist(_) => None,
    };
    let at = |r: usize| match &offsets {
        Some((v, offs)) => offs.get(r).map(|&o| {
            let e = v.entry_at(o);
            (e.member, e.score)
        }),
        None => z.at(r),
    };
    if !uniq || count == 1 {
        emit_header(out, count as usize, withscores);
        if offsets.is_some() && size > 0 {
            let mut rng = rand::thread_rng();
            for _ in 0..count {
                if let Some((m, s)) = at(rng.gen_range(0..size)) {
                    emit(out, m, s, withscores);
                }
            }
            return;
        }
        for _ in 0..count {
            if let Some((m, s)) = random_element(z) {
                emit(out, m, s, withscores);
            }
        }
        return;
    }
    if count >= size as u64 {
        emit_header(out, size, withscores);
        // Redis replies the whole set from the highest rank down.
        z.for_range(0, size, true, |m, s| emit(out, m, s, withscores));
        return;
    }
    let picks = rand::seq::index::sample(&mut rand::thread_rng(), size, count as usize);
    emit_header(out, picks.len(), withscores);
    for r in picks.iter() {
        if let Some((m, s)) = at(r) {
            emit(out, m, s, withscores);
        }
    }
}
