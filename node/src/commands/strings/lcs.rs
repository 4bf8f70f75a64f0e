//! LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest
//! common subsequence by the classic dynamic-programming table, walked back
//! from the end to emit the matching ranges (as Redis does, last first).

use super::as_str;
use crate::commands::{CmdError, CmdResult, Ctx, ERR_SYNTAX};

fn load(ctx: &mut Ctx, i: usize) -> Result<Option<Vec<u8>>, CmdError> {
    let args = ctx.args;
    let db = ctx.client.db;
    match ctx.st.ks.lookup_read(db, &args[i]) {
        None => Ok(None),
        Some(o) => match as_str(&o.val) {
            Ok(s) => Ok(Some(s.as_bytes().into_owned())),
            Err(_) => Err("ERR The specified keys must contain string values".into()),
        },
    }
}

/// One matching range: positions in a and b (inclusive) and its length.
struct Match {
    a: (u32, u32),
    b: (u32, u32),
    len: u32,
}

pub fn lcs(ctx: &mut Ctx) -> CmdResult {
    let a = load(ctx, 1);
    let b = load(ctx, 2);
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a.unwrap_or_default(), b.unwrap_or_default()),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let mut getlen = false;
    let mut getidx = false;
    let mut withmatchlen = false;
    let mut minmatchlen: i64 = 0;
    let mut j = 3;
    while j < ctx.argc() {
        let more = ctx.argc() - 1 - j;
        if ctx.arg_is(j, "idx") {
            getidx = true;
        } else if ctx.arg_is(j, "len") {
            getlen = true;
        } else if ctx.arg_is(j, "withmatchlen") {
            withmatchlen = true;
        } else if ctx.arg_is(j, "minmatchlen") && more > 0 {
            minmatchlen = ctx.int_arg(j + 1)?.max(0);
            j += 1;
        } else {
            return Err(ERR_SYNTAX.into());
        }
        j += 1;
    }
    if getidx && getlen {
        return Err("ERR If you want both the length and indexes, please just use IDX.".into());
    }
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Err("ERR String too long for LCS".into());
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells.saturating_mul(4) > ctx.st.config.proto_max_bulk_len.max(0) as u64 {
        return Err(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len".into(),
        );
    }
    let mut table: Vec<u32> = Vec::new();
    if table.try_reserve_exact(cells as usize).is_err() {
        return Err("ERR Insufficient memory, failed allocating transient memory for LCS".into());
    }
    table.resize(cells as usize, 0);
    let w = blen + 1;
    for i in 1..=alen {
        for jj in 1..=blen {
            table[i * w + jj] = if a[i - 1] == b[jj - 1] {
                table[(i - 1) * w + jj - 1] + 1
            } else {
                table[(i - 1) * w + jj].max(table[i * w + jj - 1])
            };
        }
    }
    let total = table[alen * w + blen];
    let compute = getidx || !getlen;
    let mut result = vec![0u8; if compute { total as usize } else { 0 }];
    let mut matches: Vec<Match> = Vec::new();
    let mut idx = total as usize;
    let (mut i, mut jj) = (alen, blen);
    // `None` while no range is open.
    let mut range: Option<((usize, usize), (usize, usize))> = None;
    while compute && i > 0 && jj > 0 {
        let mut emit = false;
        if a[i - 1] == b[jj - 1] {
            result[idx - 1] = a[i - 1];
            match &mut range {
                None => range = Some(((i - 1, i - 1), (jj - 1, jj - 1))),
                Some((ar, br)) => {
                    if ar.0 == i && br.0 == jj {
                        ar.0 -= 1;
                        br.0 -= 1;
                    } else {
                        emit = true;
                    }
                }
            }
            if let Some((ar, br)) = range {
                if ar.0 == 0 || br.0 == 0 {
                    emit = true;
                }
            }
            idx -= 1;
            i -= 1;
            jj -= 1;
        } else {
            if table[(i - 1) * w + jj] > table[i * w + jj - 1] {
                i -= 1;
            } else {
                jj -= 1;
            }
            if range.is_some() {
                emit = true;
            }
        }
        if emit {
            if let Some((ar, br)) = range.take() {
                let len = (ar.1 - ar.0 + 1) as u32;
                if minmatchlen == 0 || len as i64 >= minmatchlen {
                    matches.push(Match {
                        a: (ar.0 as u32, ar.1 as u32),
                        b: (br.0 as u32, br.1 as u32),
                        len,
                    });
                }
            }
        }
    }
    let out = &mut *ctx.out;
    if getidx {
        out.map(2);
        out.bulk(b"matches");
        out.array(matches.len());
        for m in &matches {
            out.array(2 + withmatchlen as usize);
            out.array(2);
            out.int(m.a.0 as i64);
            out.int(m.a.1 as i64);
            out.array(2);
            out.int(m.b.0 as i64);
            out.int(m.b.1 as i64);
            if withmatchlen {
                out.int(m.len as i64);
            }
        }
        out.bulk(b"len");
        out.int(total as i64);
    } else if getlen {
        out.int(total as i64);
    } else {
        out.bulk(&result);
    }
    Ok(())
}
