//! SORT and SORT_RO (sort.c): lists, sets and sorted sets sorted by their
//! elements or by keys/hash fields named by a pattern, with LIMIT, GET and
//! STORE. The ordering rules are Redis's to the tie: a stable sort (glibc's
//! merge sort under qsort) when the whole vector is sorted, and Redis's own
//! partial quicksort ([`pqsort`]) for BY with a LIMIT.

mod pqsort;

use std::cmp::Ordering;

use super::flags::*;
use super::{class, CmdError, CmdResult, Command, Ctx, ERR_NOT_INT, ERR_SYNTAX, ERR_WRONGTYPE};
use crate::cmd;
use crate::store::db::Keyspace;
use crate::store::list::End;
use crate::store::value::Value;

pub static COMMANDS: &[Command] = &[
    cmd!("sort", -2, WRITE | DENYOOM | MOVABLE_KEYS, (1, 1, 1), sort),
    cmd!("sort_ro", -2, READONLY | MOVABLE_KEYS, (1, 1, 1), sort_ro),
];

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
/// [ALPHA] [STORE destination]
pub fn sort(ctx: &mut Ctx) -> CmdResult {
    sort_generic(ctx, false)
}

/// SORT_RO: SORT without STORE, so it can run on replicas.
pub fn sort_ro(ctx: &mut Ctx) -> CmdResult {
    sort_generic(ctx, true)
}

#[derive(Default)]
struct Options<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    by: Option<&'a [u8]>,
    /// BY without '*': keep the native order.
    dontsort: bool,
    store: Option<&'a [u8]>,
    gets: Vec<&'a [u8]>,
}

fn parse_options(args: &[bytes::Bytes], readonly: bool) -> Result<Options<'_>, CmdError> {
    let mut o = Options {
        limit_count: -1,
        ..Default::default()
    };
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = &args[j][..];
        if a.eq_ignore_ascii_case(b"asc") {
            o.desc = false;
        } else if a.eq_ignore_ascii_case(b"desc") {
            o.desc = true;
        } else if a.eq_ignore_ascii_case(b"alpha") {
            o.alpha = true;
        } else if a.eq_ignore_ascii_case(b"limit") && left >= 2 {
            let num = |b: &[u8]| crate::util::string2ll(b).ok_or(CmdError::from(ERR_NOT_INT));
            o.limit_start = num(&args[j + 1])?;
            o.limit_count = num(&args[j + 2])?;
            j += 2;
        } else if !readonly && a.eq_ignore_ascii_case(b"store") && left >= 1 {
            o.store = Some(&args[j + 1]);
            j += 1;
        } else if a.eq_ignore_ascii_case(b"by") && left >= 1 {
            let p = &args[j + 1][..];
            o.by = Some(p);
            // strchr: a '*' after a NUL byte does not count.
            o.dontsort = !c_str(p).contains(&b'*');
            j += 1;
        } else if a.eq_ignore_ascii_case(b"get") && left >= 1 {
            o.gets.push(&args[j + 1]);
            j += 1;
        } else {
            return Err(ERR_SYNTAX.into());
        }
        j += 1;
    }
    Ok(o)
}

/// A byte string as C string functions see it: up to the first NUL.
fn c_str(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

/// One element of the sorting vector (redisSortObject).
struct Item {
    obj: Vec<u8>,
    score: f64,
    /// The BY value for ALPHA sorting; None when the BY key is missing.
    cmpobj: Option<Vec<u8>>,
}

impl Item {
    fn new(obj: Vec<u8>) -> Item {
        Item {
            obj,
            score: 0.0,
            cmpobj: None,
        }
    }
}

/// lookupKeyByPattern: "#" is the element itself; otherwise the first '*' is
/// replaced by the element and the key read as a string, or with "->field"
/// after the '*' as a hash field. None for anything missing or of another type.
fn lookup_by_pattern(ks: &mut Keyspace, db: usize, pat: &[u8], subst: &[u8]) -> Option<Vec<u8>> {
    if c_str(pat) == b"#" {
        return Some(subst.to_vec());
    }
    let cpat = c_str(pat);
    let star = cpat.iter().position(|&c| c == b'*')?;
    let field = cpat[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&f| f + 2 < cpat.len())
        .map(|f| &pat[f + 2..]);
    let postfix_end = pat.len() - field.map_or(0, |f| f.len() + 2);
    let mut key = Vec::with_capacity(pat.len() + subst.len());
    key.extend_from_slice(&pat[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(&pat[star + 1..postfix_end]);
    let o = ks.lookup_read(db, &key)?;
    match (field, &o.val) {
        (Some(f), Value::Hash(h)) => h.get(f).map(|v| v.to_vec()),
        (None, Value::Str(s)) => Some(s.as_bytes().into_owned()),
        _ => None,
    }
}

/// The elements to sort, and the LIMIT range over them (start, end inclusive,
/// possibly end < start), as sortCommandGeneric loads them.
fn load(
    val: Option<&mut Value>,
    o: &mut Options<'_>,
    store: bool,
) -> Result<(Vec<Item>, i64, i64), CmdError> {
    let len = match &val {
        None => 0,
        Some(Value::List(l)) => l.len(),
        Some(Value::Set(s)) => s.len(),
        Some(Value::ZSet(z)) => z.len(),
        Some(_) => return Err(ERR_WRONGTYPE.into()),
    } as i64;
    // A set has no order of its own: with STORE (or in a script) it is
    // sorted ALPHA so replicas get the same list.
    if o.dontsort && store && matches!(val, Some(Value::Set(_))) {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    let mut start = o.limit_start.max(0);
    let mut end = if o.limit_count < 0 {
        len - 1
    } else {
        start.wrapping_add(o.limit_count).wrapping_sub(1)
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    // Lists and sorted sets keep their order with BY nosort: only the LIMIT
    // range is loaded, from the tail for DESC.
    let native = o.dontsort && matches!(val, Some(Value::List(_) | Value::ZSet(_)));
    let mut items = Vec::new();
    match val {
        None => {}
        Some(Value::List(l)) if native && end >= start => {
            let (s, n) = (start as usize, (end - start + 1) as usize);
            if o.desc {
                items.extend(
                    l.iter()
                        .rev()
                        .skip(s)
                        .take(n)
                        .map(|e| Item::new(e.into_owned())),
                );
            } else {
                items.extend(l.slice(s, s + n - 1).map(|e| Item::new(e.into_owned())));
            }
            end -= start;
            start = 0;
        }
        // An empty LIMIT window: nothing to load.
        Some(Value::List(_)) if native => {}
        Some(Value::List(l)) => {
            items.extend(l.iter().map(|e| Item::new(e.into_owned())));
        }
        Some(Value::Set(s)) => items.extend(s.iter().map(|m| Item::new(m.to_vec()))),
        Some(Value::ZSet(z)) => {
            // Redis converts a listpack sorted set for SORT, for good.
            z.convert_to_skiplist();
            if native {
                let n = if end >= start {
                    (end - start + 1) as usize
                } else {
                    0
                };
                let s = start.max(0) as usize;
                let (lo, hi) = if o.desc {
                    let hi = z.len().saturating_sub(s);
                    (hi.saturating_sub(n), hi)
                } else {
                    (s, s + n)
                };
                z.for_range(lo, hi, o.desc, |m, _| items.push(Item::new(m.to_vec())));
                end = end.wrapping_sub(start);
                start = 0;
            } else {
                z.for_range(0, z.len(), false, |m, _| items.push(Item::new(m.to_vec())));
            }
        }
        Some(_) => return Err(ERR_WRONGTYPE.into()),
    }
    Ok((items, start, end))
}

/// Scores of the BY values (or the elements) for numeric sorting: strtod
/// over the C string; false when one does not convert.
fn load_weights(ks: &mut Keyspace, db: usize, items: &mut [Item], o: &Options<'_>) -> bool {
    let mut ok = true;
    for it in items.iter_mut() {
        let byval = match o.by {
            Some(p) => match lookup_by_pattern(ks, db, p, &it.obj) {
                Some(v) => v,
                None => continue,
            },
            None => {
                if o.alpha {
                    continue;
                }
                it.obj.clone()
            }
        };
        if o.alpha {
            it.cmpobj = Some(byval);
        } else {
            let s = c_str(&byval);
            let (v, n, erange) = crate::commands::zset::parse::strtod(s);
            it.score = v;
            // glibc's strtod reports ERANGE for subnormal results too.
            let tiny = v != 0.0 && v.abs() < f64::MIN_POSITIVE;
            if n != s.len() || erange || tiny || v.is_nan() {
                ok = false;
            }
        }
    }
    ok
}

/// sortCompare, with the settings of this call.
fn compare(a: &Item, b: &Item, o: &Options<'_>, store: bool) -> Ordering {
    let cmp = if !o.alpha {
        match a.score.partial_cmp(&b.score) {
            Some(Ordering::Equal) | None => a.obj.cmp(&b.obj),
            Some(ord) => ord,
        }
    } else if o.by.is_some() {
        match (&a.cmpobj, &b.cmpobj) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            // STORE compares binary-safe; otherwise strcoll, which in the C
            // locale is strcmp and stops at a NUL.
            (Some(x), Some(y)) if store => x.cmp(y),
            (Some(x), Some(y)) => c_str(x).cmp(c_str(y)),
        }
    } else if store {
        a.obj.cmp(&b.obj)
    } else {
        c_str(&a.obj).cmp(c_str(&b.obj))
    };
    if o.desc {
        cmp.reverse()
    } else {
        cmp
    }
}

fn sort_generic(ctx: &mut Ctx, readonly: bool) -> CmdResult {
    let args = ctx.args;
    let db = ctx.db();
    let mut o = parse_options(args, readonly)?;
    let store = o.store.is_some();
    let ks = &mut ctx.st.ks;
    let val = ks.lookup_read(db, &args[1]).map(|obj| &mut obj.val);
    let (mut items, start, end) = load(val, &mut o, store)?;

    let mut converted = true;
    if !o.dontsort {
        converted = load_weights(ks, db, &mut items, &o);
        // With an unconvertible score the reply is an error: no need to sort.
        if converted {
            let len = items.len() as i64;
            let mut cmp = |a: &Item, b: &Item| compare(a, b, &o, store);
            if o.by.is_some() && (start != 0 || end != len - 1) {
                pqsort::pqsort(&mut items, start, end, &mut cmp);
            } else {
                items.sort_by(cmp);
            }
        }
    }
    if !converted {
        return Err("ERR One or more scores can't be converted into double".into());
    }

    let range = if end >= start && start >= 0 {
        &items[start as usize..=(end as usize).min(items.len().saturating_sub(1))]
    } else {
        &items[..0]
    };
    let per = if o.gets.is_empty() { 1 } else { o.gets.len() };
    let outputlen = range.len() * per;
    let Some(dest) = o.store else {
        ctx.out.array(outputlen);
        for it in range {
            if o.gets.is_empty() {
                ctx.out.bulk(&it.obj);
            }
            for g in &o.gets {
                match lookup_by_pattern(ks, db, g, &it.obj) {
                    Some(v) => ctx.out.bulk(&v),
                    None => ctx.out.null(),
                }
            }
        }
        return Ok(());
    };
    let mut list = super::list::new_list(&ctx.st.config);
    for it in range {
        if o.gets.is_empty() {
            list.push(End::Right, &it.obj);
        }
        for g in &o.gets {
            let v = lookup_by_pattern(ks, db, g, &it.obj).unwrap_or_default();
            list.push(End::Right, &v);
        }
    }
    if outputlen > 0 {
        ks.set(db, dest, Value::List(list), false);
        ctx.notify(class::LIST, "sortstore", dest);
        ctx.dirty(outputlen as u64);
    } else if ks.delete(db, dest) {
        ctx.notify(class::GENERIC, "del", dest);
        ctx.dirty(1);
    }
    ctx.out.int(outputlen as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_pattern_substitutes_the_first_star_and_reads_hash_fields() {
        let mut ks = Keyspace::new(1);
        ks.add(
            0,
            b"w_a",
            Value::Str(crate::store::value::Str::from_bytes(b"5")),
        );
        let mut h = crate::store::hash::Hash::new();
        h.set(b"f", b"v", crate::store::hash::Limits::from_config(128, 64));
        ks.add(0, b"h_a", Value::Hash(h));
        assert_eq!(
            lookup_by_pattern(&mut ks, 0, b"w_*", b"a"),
            Some(b"5".to_vec())
        );
        assert_eq!(
            lookup_by_pattern(&mut ks, 0, b"h_*->f", b"a"),
            Some(b"v".to_vec())
        );
        assert_eq!(lookup_by_pattern(&mut ks, 0, b"h_*->g", b"a"), None);
        assert_eq!(lookup_by_pattern(&mut ks, 0, b"h_*", b"a"), None);
        assert_eq!(lookup_by_pattern(&mut ks, 0, b"w_*->f", b"a"), None);
        assert_eq!(
            lookup_by_pattern(&mut ks, 0, b"#", b"a"),
            Some(b"a".to_vec())
        );
        assert_eq!(lookup_by_pattern(&mut ks, 0, b"nostar", b"a"), None);
        // "->" right at the end is part of the key name.
        assert_eq!(lookup_by_pattern(&mut ks, 0, b"w_*->", b"a"), None);
    }

    #[test]
    fn numeric_ties_fall_back_to_the_bytes() {
        let o = Options::default();
        let a = Item {
            obj: b"b".to_vec(),
            score: 1.0,
            cmpobj: None,
        };
        let b = Item {
            obj: b"a".to_vec(),
            score: 1.0,
            cmpobj: None,
        };
        assert_eq!(compare(&a, &b, &o, false), Ordering::Greater);
    }
}
