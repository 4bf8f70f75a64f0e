//! ZSCAN key cursor [MATCH pattern] [COUNT count]: a listpack is returned
//! whole with cursor 0; a skiplist is walked with the member table's SCAN
//! cursor. Scores are sent as strings, as Redis's scan does.

use super::as_zset;
use crate::commands::keys::scan::{parse_cursor, scan_table};
use crate::commands::{CmdError, CmdResult, Ctx};
use crate::store::zset::ZSet;
use crate::util::{fmt_double_g17, glob_match};

pub fn zscan(ctx: &mut Ctx) -> CmdResult {
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
    let z = as_zset(&o.val)?;
    let crate::commands::keys::scan::ScanOpts { count, pattern, .. } =
        crate::commands::keys::scan::parse_scan_opts(args, 3, false)?;
    let mut found: Vec<(Vec<u8>, f64)> = Vec::new();
    match z {
        ZSet::Listpack(v) => {
            found.extend(v.iter().map(|e| (e.member.to_vec(), e.score)));
            cursor = 0;
        }
        ZSet::Skiplist(s) => {
            cursor = scan_table(&s.dict, cursor, count, 2, |k, v| {
                found.push((k.to_vec(), *v))
            });
        }
    }
    if let Some(p) = pattern {
        found.retain(|(m, _)| glob_match(p, m, false));
    }
    out.array(2);
    out.bulk(itoa::Buffer::new().format(cursor).as_bytes());
    out.array(found.len() * 2);
    for (m, s) in &found {
        out.bulk(m);
        out.bulk(fmt_double_g17(*s).as_bytes());
    }
    Ok(())
}
