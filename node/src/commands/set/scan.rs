//! SSCAN key cursor [MATCH pattern] [COUNT count] (scanGenericCommand on a
//! set): a hash table is walked with the reverse-binary cursor; an intset is
//! returned whole with cursor 0.

use super::super::keys::parse_cursor;
use super::super::keys::scan::scan_table;
use super::super::{CmdError, CmdResult, Ctx};
use super::as_set;
use crate::store::db::Key;
use crate::store::set::{Member, Set};
use crate::util::glob_match;

pub fn sscan(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let mut cursor = parse_cursor(&args[2]).ok_or(CmdError::from("ERR invalid cursor"))?;
    let db = ctx.db();
    let out = &mut *ctx.out;
    let Some(o) = ctx.st.ks.lookup_read(db, &args[1]) else {
        out.array(2);
        out.bulk(b"0");
        out.array(0);
        return Ok(());
    };
    let set = as_set(&o.val)?;
    let crate::commands::keys::scan::ScanOpts { count, pattern, .. } =
        crate::commands::keys::scan::parse_scan_opts(args, 3, false)?;
    let mut found: Vec<Member> = Vec::new();
    let mut keys: Vec<Key> = Vec::new();
    match set {
        Set::Intset(_) => {
            found.extend(set.iter());
            cursor = 0;
        }
        Set::Hash(d) => {
            cursor = scan_table(d, cursor, count, 1, |k, _| keys.push(k.clone()));
            found.extend(keys.iter().map(|k| Member::Bytes(k.as_bytes())));
        }
    }
    if let Some(p) = pattern {
        found.retain(|m| m.with_bytes(|b| glob_match(p, b, false)));
    }
    out.array(2);
    out.bulk(itoa::Buffer::new().format(cursor).as_bytes());
    out.array(found.len());
    for m in found {
        super::reply_member(out, m);
    }
    Ok(())
}
