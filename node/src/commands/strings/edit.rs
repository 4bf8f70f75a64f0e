//! Length and in-place edits: APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE.

use super::{as_str, as_str_mut, check_string_length};
use crate::commands::{class, CmdResult, Ctx};
use crate::store::value::{Str, Value};

/// APPEND key value: a new key is stored as SET would; an existing one becomes raw.
pub fn append(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let db = ctx.client.db;
    let max = ctx.st.config.proto_max_bulk_len;
    let add = &args[2];
    let len = match ctx.st.ks.lookup_write(db, &args[1]) {
        None => {
            ctx.st
                .ks
                .add(db, &args[1], Value::Str(Str::from_bytes(add)));
            add.len()
        }
        Some(o) => {
            let s = as_str_mut(&mut o.val)?;
            check_string_length(max, s.len() as u64 + add.len() as u64)?;
            let v = s.make_raw();
            v.extend_from_slice(add);
            v.len()
        }
    };
    ctx.dirty(1);
    ctx.notify(class::STRING, "append", &args[1]);
    ctx.out.int(len as i64);
    Ok(())
}

/// STRLEN key
pub fn strlen(ctx: &mut Ctx) -> CmdResult {
    let args = ctx.args;
    let db = ctx.client.db;
    let n = match ctx.st.ks.lookup_read(db, &args[1]) {
        None => 0,
        Some(o) => as_str(&o.val)?.len(),
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// GETRANGE key start end (SUBSTR is the same command).
pub fn getrange(ctx: &mut Ctx) -> CmdResult {
    let start = ctx.int_arg(2)?;
    let end = ctx.int_arg(3)?;
    let args = ctx.args;
    let db = ctx.client.db;
    let Some(o) = ctx.st.ks.lookup_read(db, &args[1]) else {
        ctx.out.bulk(b"");
        return Ok(());
    };
    let s = as_str(&o.val)?;
    let out = &mut *ctx.out;
    s.with_bytes(|b| out.bulk(slice_range(b, start, end)));
    Ok(())
}

/// The bytes GETRANGE returns for a start/end pair (negative from the end).
fn slice_range(b: &[u8], mut start: i64, mut end: i64) -> &[u8] {
    let len = b.len() as i64;
    if start < 0 && end < 0 && start > end {
        return &[];
    }
    if start < 0 {
        start = len.saturating_add(start);
    }
    if end < 0 {
        end = len.saturating_add(end);
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return &[];
    }
    &b[start as usize..=end as usize]
}

/// SETRANGE key offset value: overwrites from `offset`, zero-padding as needed.
pub fn setrange(ctx: &mut Ctx) -> CmdResult {
    let offset = ctx.int_arg(2)?;
    if offset < 0 {
        return Err("ERR offset is out of range".into());
    }
    let args = ctx.args;
    let db = ctx.client.db;
    let max = ctx.st.config.proto_max_bulk_len;
    let val = &args[3];
    let offset = offset as u64;
    let len = match ctx.st.ks.lookup_write(db, &args[1]) {
        None => {
            if val.is_empty() {
                ctx.out.int(0);
                return Ok(());
            }
            check_string_length(max, offset + val.len() as u64)?;
            let mut v = vec![0u8; offset as usize];
            v.extend_from_slice(val);
            let n = v.len();
            ctx.st.ks.add(db, &args[1], Value::Str(Str::Raw(v)));
            n
        }
        Some(o) => {
            let s = as_str_mut(&mut o.val)?;
            if val.is_empty() {
                ctx.out.int(s.len() as i64);
                return Ok(());
            }
            check_string_length(max, offset + val.len() as u64)?;
            let v = s.make_raw();
            let end = offset as usize + val.len();
            if v.len() < end {
                v.resize(end, 0);
            }
            v[offset as usize..end].copy_from_slice(val);
            v.len()
        }
    };
    ctx.dirty(1);
    ctx.notify(class::STRING, "setrange", &args[1]);
    ctx.out.int(len as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::slice_range;

    #[test]
    fn getrange_indexes() {
        let s = b"Hello World";
        assert_eq!(slice_range(s, 0, 4), b"Hello");
        assert_eq!(slice_range(s, -5, -1), b"World");
        assert_eq!(slice_range(s, -1, -5), b"");
        assert_eq!(slice_range(s, 5, 2), b"");
        assert_eq!(slice_range(s, -100, 100), s);
        assert_eq!(slice_range(s, i64::MIN, i64::MAX), s);
        assert_eq!(slice_range(b"", 0, -1), b"");
    }
}
