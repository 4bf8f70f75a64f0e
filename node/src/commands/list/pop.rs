//! LPOP, RPOP, LMPOP, LMOVE, RPOPLPUSH.

use super::{as_list, as_list_mut, new_list, ranged_arg, End, ERR_POSITIVE};
use crate::commands::{class, CmdError, CmdResult, Ctx, ERR_SYNTAX};
use crate::resp::Reply;
use crate::store::db::Keyspace;
use crate::store::list::List;
use crate::store::value::{Str, Value};

/// Pops up to `count` elements from `end` of the list at `key`, in pop order
/// (listPopRangeAndReply without the reply). None when the key is missing;
/// an emptied key is deleted. Counts the popped elements as dirty.
pub fn pop_from_key(
    ks: &mut Keyspace,
    db: usize,
    key: &[u8],
    end: End,
    count: usize,
) -> Result<Option<Vec<Str>>, CmdError> {
    let Some(o) = ks.lookup_write(db, key) else {
        return Ok(None);
    };
    let l = as_list_mut(&mut o.val)?;
    let n = count.min(l.len());
    let mut popped = Vec::with_capacity(n);
    for _ in 0..n {
        if let Some(s) = l.pop(end) {
            popped.push(s);
        }
    }
    let emptied = l.is_empty();
    if !popped.is_empty() {
        ks.event(class::LIST, end.pop_event(), db, key);
    }
    if emptied {
        ks.delete(db, key);
        ks.event(class::GENERIC, "del", db, key);
    }
    ks.dirty += popped.len() as u64;
    Ok(Some(popped))
}

/// Pops one element from `end` of the list at `key` (the single-element
/// form of [`pop_from_key`], without allocating). None when the key is missing.
pub fn pop_one(
    ks: &mut Keyspace,
    db: usize,
    key: &[u8],
    end: End,
) -> Result<Option<Str>, CmdError> {
    let Some(o) = ks.lookup_write(db, key) else {
        return Ok(None);
    };
    let l = as_list_mut(&mut o.val)?;
    let popped = l.pop(end);
    let emptied = l.is_empty();
    if popped.is_some() {
        ks.event(class::LIST, end.pop_event(), db, key);
    }
    if emptied {
        ks.delete(db, key);
        ks.event(class::GENERIC, "del", db, key);
    }
    if popped.is_some() {
        ks.dirty += 1;
    }
    Ok(popped)
}

/// Moves one element from `from` of `src` to `to` of `dst` (lmoveGenericCommand
/// without the reply): false when `src` is missing. `dst` is created with
/// `template`'s settings when missing; WRONGTYPE on either key moves nothing.
/// `moved` sees the element before it is pushed (to reply with it).
pub fn move_element(
    ks: &mut Keyspace,
    db: usize,
    src: &[u8],
    dst: &[u8],
    (from, to): (End, End),
    template: impl FnOnce() -> List,
    moved: impl FnOnce(&Str),
) -> Result<bool, CmdError> {
    let Some(o) = ks.lookup_write(db, src) else {
        return Ok(false);
    };
    if as_list(&o.val)?.is_empty() {
        return Ok(false);
    }
    let same = src == dst;
    if !same {
        if let Some(d) = ks.lookup_write(db, dst) {
            as_list(&d.val)?;
        }
    }
    // Both keys were looked up (expiry, access clock) above: plain gets now.
    let Some(o) = ks.dbs[db].dict.get_mut(src) else {
        return Ok(false);
    };
    let l = as_list_mut(&mut o.val)?;
    let Some(elem) = l.pop(from) else {
        return Ok(false);
    };
    moved(&elem);
    let mut emptied = false;
    if same {
        l.push_str(to, elem);
    } else {
        emptied = l.is_empty();
        if emptied {
            ks.delete(db, src);
        }
        match ks.dbs[db].dict.get_mut(dst) {
            Some(d) => as_list_mut(&mut d.val)?.push_str(to, elem),
            None => {
                let mut l = template();
                l.push_str(to, elem);
                ks.add(db, dst, Value::List(l));
            }
        }
    }
    // Redis pushes first, then raises the pop and the deletion of src.
    ks.event(class::LIST, to.push_event(), db, dst);
    ks.event(class::LIST, from.pop_event(), db, src);
    if emptied {
        ks.event(class::GENERIC, "del", db, src);
    }
    ks.dirty += 1;
    Ok(true)
}

fn bulk_str(out: &mut Reply, s: &Str) {
    s.with_bytes(|b| out.bulk(b));
}

fn reply_elems(out: &mut Reply, elems: &[Str]) {
    out.array(elems.len());
    for s in elems {
        bulk_str(out, s);
    }
}

/// popGenericCommand: LPOP/RPOP key [count].
fn pop_generic(ctx: &mut Ctx, end: End) -> CmdResult {
    if ctx.argc() > 3 {
        return Err(format!(
            "ERR wrong number of arguments for '{}' command",
            ctx.cmd.name
        )
        .into());
    }
    let count = if ctx.argc() == 3 {
        Some(ranged_arg(ctx.arg(2), 0, i64::MAX, ERR_POSITIVE)? as usize)
    } else {
        None
    };
    let args = ctx.args;
    let db = ctx.db();
    let ks = &mut ctx.st.ks;
    match count {
        None => match pop_one(ks, db, &args[1], end)? {
            Some(s) => bulk_str(ctx.out, &s),
            None => ctx.out.null(),
        },
        Some(0) => match ks.lookup_write(db, &args[1]) {
            None => ctx.out.null_array(),
            Some(o) => {
                as_list(&o.val)?;
                ctx.out.array(0);
            }
        },
        Some(n) => match pop_from_key(ks, db, &args[1], end, n)? {
            Some(v) => reply_elems(ctx.out, &v),
            None => ctx.out.null_array(),
        },
    }
    Ok(())
}

/// LPOP key [count]
pub fn lpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, End::Left)
}

/// RPOP key [count]
pub fn rpop(ctx: &mut Ctx) -> CmdResult {
    pop_generic(ctx, End::Right)
}

/// The parsed arguments of LMPOP (or BLMPOP from `numkeys_idx`):
/// lmpopGenericCommand's checks, in its order.
pub struct MpopArgs {
    /// Index of the first key and the number of keys.
    pub first_key: usize,
    pub numkeys: usize,
    pub end: End,
    pub count: usize,
}

pub fn parse_mpop(ctx: &Ctx, numkeys_idx: usize) -> Result<MpopArgs, CmdError> {
    let numkeys = ranged_arg(
        ctx.arg(numkeys_idx),
        1,
        i64::MAX,
        "ERR numkeys should be greater than 0",
    )? as usize;
    let where_idx = numkeys_idx
        .checked_add(numkeys)
        .and_then(|i| i.checked_add(1))
        .filter(|&i| i < ctx.argc())
        .ok_or(CmdError::from(ERR_SYNTAX))?;
    let end = End::parse(ctx.arg(where_idx)).ok_or(CmdError::from(ERR_SYNTAX))?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < ctx.argc() {
        if count.is_none() && ctx.arg_is(j, "count") && j + 1 < ctx.argc() {
            j += 1;
            count = Some(ranged_arg(
                ctx.arg(j),
                1,
                i64::MAX,
                "ERR count should be greater than 0",
            )? as usize);
        } else {
            return Err(ERR_SYNTAX.into());
        }
        j += 1;
    }
    Ok(MpopArgs {
        first_key: numkeys_idx + 1,
        numkeys,
        end,
        count: count.unwrap_or(1),
    })
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn lmpop(ctx: &mut Ctx) -> CmdResult {
    let a = parse_mpop(ctx, 1)?;
    let args = ctx.args;
    let db = ctx.db();
    for key in &args[a.first_key..a.first_key + a.numkeys] {
        // Missing keys are skipped; a key of another type stops the command.
        if let Some(v) = pop_from_key(&mut ctx.st.ks, db, key, a.end, a.count)? {
            if v.is_empty() {
                continue;
            }
            // LMPOP replicates as LPOP/RPOP key <popped>.
            let word: &'static [u8] = match a.end {
                End::Left => b"LPOP",
                End::Right => b"RPOP",
            };
            let n = v.len() as i64;
            ctx.propagate_as(|| {
                vec![
                    bytes::Bytes::from_static(word),
                    key.clone(),
                    crate::commands::int_arg_bytes(n),
                ]
            });
            ctx.out.array(2);
            ctx.out.bulk(key);
            reply_elems(ctx.out, &v);
            return Ok(());
        }
    }
    ctx.out.null_array();
    Ok(())
}

pub(super) fn move_generic(ctx: &mut Ctx, from: End, to: End) -> CmdResult {
    let args = ctx.args;
    let db = ctx.db();
    let cfg = &ctx.st.config;
    let template = || new_list(cfg);
    let out = &mut *ctx.out;
    let reply = |s: &Str| bulk_str(out, s);
    let ends = (from, to);
    if !move_element(
        &mut ctx.st.ks,
        db,
        &args[1],
        &args[2],
        ends,
        template,
        reply,
    )? {
        ctx.out.null();
    }
    Ok(())
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub fn lmove(ctx: &mut Ctx) -> CmdResult {
    let from = End::parse(ctx.arg(3)).ok_or(CmdError::from(ERR_SYNTAX))?;
    let to = End::parse(ctx.arg(4)).ok_or(CmdError::from(ERR_SYNTAX))?;
    move_generic(ctx, from, to)
}

/// RPOPLPUSH source destination
pub fn rpoplpush(ctx: &mut Ctx) -> CmdResult {
    move_generic(ctx, End::Right, End::Left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::list::push::push_to_key;

    fn ks_with(key: &[u8], items: &[&str]) -> Keyspace {
        let mut ks = Keyspace::new(1);
        let elems = items.iter().map(|s| s.as_bytes());
        let r = push_to_key(&mut ks, 0, key, End::Right, elems, false, || {
            List::new(-2, 0)
        });
        assert_eq!(r, Ok(Some(items.len())));
        ks
    }

    fn contents(ks: &mut Keyspace, key: &[u8]) -> Option<Vec<Vec<u8>>> {
        let o = ks.lookup_read(0, key)?;
        let l = as_list(&o.val).ok()?;
        Some(l.iter().map(|s| s.into_owned()).collect())
    }

    fn texts(v: &[Str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().into_owned()).collect()
    }

    #[test]
    fn pop_reports_missing_keys_and_deletes_emptied_ones() {
        let mut ks = ks_with(b"l", &["a", "b", "c"]);
        assert_eq!(pop_from_key(&mut ks, 0, b"nokey", End::Left, 1), Ok(None));
        let v = pop_from_key(&mut ks, 0, b"l", End::Right, 2).ok().flatten();
        assert_eq!(
            v.as_deref().map(texts),
            Some(vec![b"c".to_vec(), b"b".to_vec()])
        );
        let v = pop_from_key(&mut ks, 0, b"l", End::Left, 5).ok().flatten();
        assert_eq!(v.map(|v| v.len()), Some(1));
        assert!(!ks.contains(0, b"l"));
        assert_eq!(ks.dirty, 3 + 3);
    }

    #[test]
    fn push_only_existing_leaves_missing_keys_alone() {
        let mut ks = Keyspace::new(1);
        let elems = [b"a".as_slice()].into_iter();
        let r = push_to_key(&mut ks, 0, b"l", End::Left, elems, true, || {
            List::new(-2, 0)
        });
        assert_eq!(r, Ok(None));
        assert!(!ks.contains(0, b"l"));
    }

    #[test]
    fn move_rotates_creates_and_checks_types() {
        let mut ks = ks_with(b"l", &["a", "b"]);
        let t = || List::new(-2, 0);
        let mut seen = Vec::new();
        let m = move_element(&mut ks, 0, b"l", b"l", (End::Left, End::Right), t, |s| {
            seen = s.as_bytes().into_owned()
        });
        assert_eq!((m, seen), (Ok(true), b"a".to_vec()));
        assert_eq!(
            contents(&mut ks, b"l"),
            Some(vec![b"b".to_vec(), b"a".to_vec()])
        );
        ks.add(0, b"s", Value::Str(Str::from_bytes(b"v")));
        let t = || List::new(-2, 0);
        let m = move_element(&mut ks, 0, b"l", b"s", (End::Left, End::Left), t, |_| {});
        assert!(m.is_err());
        assert_eq!(contents(&mut ks, b"l").map(|v| v.len()), Some(2));
        for _ in 0..2 {
            let t = || List::new(-2, 0);
            let m = move_element(&mut ks, 0, b"l", b"d", (End::Right, End::Left), t, |_| {});
            assert_eq!(m, Ok(true));
        }
        assert!(!ks.contains(0, b"l"));
        assert_eq!(
            contents(&mut ks, b"d"),
            Some(vec![b"b".to_vec(), b"a".to_vec()])
        );
        let t = || List::new(-2, 0);
        let m = move_element(&mut ks, 0, b"l", b"d", (End::Right, End::Left), t, |_| {});
        assert_eq!(m, Ok(false));
        assert_eq!(
            pop_one(&mut ks, 0, b"d", End::Left).map(|s| s.is_some()),
            Ok(true)
        );
        assert_eq!(
            pop_one(&mut ks, 0, b"d", End::Left).map(|s| s.is_some()),
            Ok(true)
        );
        assert_eq!(pop_one(&mut ks, 0, b"d", End::Left), Ok(None));
        assert!(!ks.contains(0, b"d"));
    }
}
