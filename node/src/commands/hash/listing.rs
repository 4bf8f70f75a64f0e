//! Whole-hash listings (HKEYS, HVALS, HGETALL) and HSCAN.

use super::super::keys::scan::{parse_cursor, scan_table};
use super::super::{CmdError, CmdResult, Ctx};
use super::{as_hash, read};
use crate::store::hash::{Field, Hash};
use crate::util::glob_match;

#[derive(Clone, Copy)]
enum Part {
    Keys,
    Vals,
    Both,
}

fn listing(ctx: &mut Ctx, part: Part) -> CmdResult {
    let db = ctx.client.db;
    let h = read(&mut ctx.st.ks, db, &ctx.args[1])?;
    let out = &mut *ctx.out;
    let n = h.map_or(0, |h| h.len());
    match part {
        Part::Both => out.map(n),
        _ => out.array(n),
    }
    for (f, v) in h.iter().flat_map(|h| h.iter()) {
        match part {
            Part::Keys => out.bulk(f),
            Part::Vals => out.bulk(v),
            Part::Both => {
                out.bulk(f);
                out.bulk(v);
            }
        }
    }
    Ok(())
}

/// HKEYS key
pub fn hkeys(ctx: &mut Ctx) -> CmdResult {
    listing(ctx, Part::Keys)
}

/// HVALS key
pub fn hvals(ctx: &mut Ctx) -> CmdResult {
    listing(ctx, Part::Vals)
}

/// HGETALL key: a map in RESP3.
pub fn hgetall(ctx: &mut Ctx) -> CmdResult {
    listing(ctx, Part::Both)
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]. A listpack is returned
/// whole with cursor 0; a table is walked with the dict's scan cursor. The
/// options are only parsed when the key exists (as in scanGenericCommand).
pub fn hscan(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let cursor = parse_cursor(&args[2]).ok_or(CmdError::from("ERR invalid cursor"))?;
    let db = ctx.client.db;
    let Some(o) = ctx.st.ks.lookup_read(db, &args[1]) else {
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.array(0);
        return Ok(());
    };
    let h = as_hash(&o.val)?;
    let crate::commands::keys::scan::ScanOpts { count, pattern, .. } =
        crate::commands::keys::scan::parse_scan_opts(args, 3, false)?;
    let keep = |f: &[u8]| pattern.is_none_or(|p| glob_match(p, f, false));
    let out = &mut *ctx.out;
    match h {
        Hash::Listpack(_) => {
            let n = h.iter().filter(|(f, _)| keep(f)).count();
            out.array(2);
            out.bulk(b"0");
            out.array(2 * n);
            for (f, v) in h.iter().filter(|(f, _)| keep(f)) {
                out.bulk(f);
                out.bulk(v);
            }
        }
        Hash::Table(d) => {
            let mut found: Vec<(Field, Field)> = Vec::new();
            // Redis counts fields and values, before MATCH filters them,
            // against COUNT.
            let cursor = scan_table(d, cursor, count, 2, |f, v| {
                if keep(f) {
                    found.push((f.clone(), v.clone()));
                }
            });
            out.array(2);
            out.bulk(itoa::Buffer::new().format(cursor).as_bytes());
            out.array(2 * found.len());
            for (f, v) in &found {
                out.bulk(f);
                out.bulk(v);
            }
        }
    }
    Ok(())
}
