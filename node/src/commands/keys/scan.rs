//! KEYS and SCAN: whole-keyspace listing and the cursor-based iteration over
//! the database's hash table (scanGenericCommand).

use super::super::{CmdError, CmdResult, Ctx, ERR_SYNTAX};
use super::lookup_notouch;
use crate::store::db::Key;
use crate::store::dict::Dict;
use crate::util::glob_match;

/// KEYS pattern: every key matching the glob, skipping expired keys (which are
/// left in place, as Redis does).
pub fn keys(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let pattern: &[u8] = &args[1];
    let all = pattern == b"*";
    let now = ctx.st.ks.now_ms;
    let d = &ctx.st.ks.dbs[ctx.client.db];
    let check_ttl = !d.expires.is_empty();
    let found: Vec<&Key> = d
        .dict
        .keys()
        .filter(|k| all || glob_match(pattern, k, false))
        .filter(|k| !check_ttl || d.expires.get(k).is_none_or(|&when| when >= now))
        .collect();
    ctx.out.array(found.len());
    for k in found {
        ctx.out.bulk(k);
    }
    Ok(())
}

/// The cursor as strtoul reads it in parseScanCursorOrReply: an optional sign
/// ("-1" wraps to 2^64-1), decimal digits, nothing after; the empty string is
/// 0; leading whitespace, junk or overflow are refused. Like any C string it
/// ends at the first NUL byte.
pub fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let s = match arg.iter().position(|&b| b == 0) {
        Some(i) => &arg[..i],
        None => arg,
    };
    let Some(&first) = s.first() else {
        return Some(0);
    };
    if matches!(first, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        return None;
    }
    let (neg, digits) = match first {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// The options of SCAN and of HSCAN/SSCAN/ZSCAN (scanGenericCommand): COUNT
/// (at least 1), MATCH ("*" is the same as none) and, for SCAN only, TYPE.
pub(crate) struct ScanOpts<'a> {
    pub count: i64,
    pub pattern: Option<&'a [u8]>,
    pub type_name: Option<&'a [u8]>,
}

/// Parses scan options from `args[from..]`.
pub(crate) fn parse_scan_opts(
    args: &[bytes::Bytes],
    from: usize,
    allow_type: bool,
) -> Result<ScanOpts<'_>, CmdError> {
    let mut o = ScanOpts {
        count: 10,
        pattern: None,
        type_name: None,
    };
    let mut i = from;
    while i < args.len() {
        let more = args.len() - i;
        let opt = &args[i];
        if opt.eq_ignore_ascii_case(b"count") && more >= 2 {
            o.count = crate::util::string2ll(&args[i + 1])
                .ok_or(CmdError::from(crate::commands::ERR_NOT_INT))?;
            if o.count < 1 {
                return Err(ERR_SYNTAX.into());
            }
        } else if opt.eq_ignore_ascii_case(b"match") && more >= 2 {
            let p: &[u8] = &args[i + 1];
            o.pattern = if p == b"*" { None } else { Some(p) };
        } else if allow_type && opt.eq_ignore_ascii_case(b"type") && more >= 2 {
            o.type_name = Some(&args[i + 1]);
        } else {
            return Err(ERR_SYNTAX.into());
        }
        i += 2;
    }
    Ok(o)
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub fn scan(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let mut cursor = parse_cursor(&args[1]).ok_or(CmdError::from("ERR invalid cursor"))?;
    let ScanOpts {
        count,
        pattern,
        type_name,
    } = parse_scan_opts(args, 2, true)?;

    let db = ctx.client.db;
    let ks = &mut ctx.st.ks;
    let mut found: Vec<Key> = Vec::new();
    {
        let dict = &ks.dbs[db].dict;
        cursor = scan_table(dict, cursor, count, 1, |k, _| found.push(k.clone()));
    }
    found.retain(|k| {
        if let Some(p) = pattern {
            if !glob_match(p, k, false) {
                return false;
            }
        }
        if let Some(t) = type_name {
            // getObjectTypeName: a key that expired on the lookup reads "none".
            let actual = lookup_notouch(ks, db, k).map_or("none", |o| o.val.type_name());
            if !t.eq_ignore_ascii_case(actual.as_bytes()) {
                return false;
            }
        }
        !ks.expire_if_needed(db, k)
    });

    let out = &mut *ctx.out;
    out.array(2);
    out.bulk(itoa::Buffer::new().format(cursor).as_bytes());
    out.array(found.len());
    for k in &found {
        out.bulk(k);
    }
    Ok(())
}

/// scanGenericCommand's walk of a hash table from `cursor`: bucket after
/// bucket until `count` elements were seen (an entry counts `weight`: 2 where
/// Redis counts a field and its value, or a member and its score), the table
/// ends, or count*10 more bucket visits after the first were spent, which
/// bounds the work on a sparse table. Returns the next cursor.
pub fn scan_table<K: std::borrow::Borrow<[u8]>, V>(
    d: &Dict<K, V>,
    mut cursor: u64,
    count: i64,
    weight: i64,
    mut f: impl FnMut(&K, &V),
) -> u64 {
    let mut seen = 0i64;
    let mut budget = count.saturating_mul(10);
    loop {
        cursor = d.scan(cursor, |k, v| {
            seen += weight;
            f(k, v);
        });
        if cursor == 0 || budget == 0 {
            return cursor;
        }
        budget -= 1;
        if seen >= count {
            return cursor;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_parses_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"00"), Some(0));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"-0"), Some(0));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"-18446744073709551615"), Some(1));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"7\0junk"), Some(7));
        for bad in [
            &b" 1"[..],
            b"\x0b1",
            b"1 ",
            b"0x10",
            b"abc",
            b"-",
            b"+",
            b"18446744073709551616",
            b"-18446744073709551616",
        ] {
            assert_eq!(parse_cursor(bad), None, "{}", bad.escape_ascii());
        }
    }
}
