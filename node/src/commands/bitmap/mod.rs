//! Bitmap commands over strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, and
//! BITFIELD / BITFIELD_RO (in `bitfield`). Bit 0 is the most significant bit of
//! the first byte.

mod bitfield;

use super::flags::*;
use super::strings::{as_str, as_str_mut};
use super::{class, CmdError, CmdResult, Command, Ctx, ERR_SYNTAX};
use crate::cmd;
use crate::store::value::{Str, Value};

pub static COMMANDS: &[Command] = &[
    cmd!("setbit", 4, WRITE | DENYOOM, (1, 1, 1), setbit),
    cmd!("getbit", 3, READONLY | FAST, (1, 1, 1), getbit),
    cmd!("bitcount", -2, READONLY, (1, 1, 1), bitcount),
    cmd!("bitpos", -3, READONLY, (1, 1, 1), bitpos),
    cmd!("bitop", -4, WRITE | DENYOOM, (2, -1, 1), bitop),
    cmd!(
        "bitfield",
        -2,
        WRITE | DENYOOM,
        (1, 1, 1),
        bitfield::bitfield
    ),
    cmd!(
        "bitfield_ro",
        -2,
        READONLY | FAST,
        (1, 1, 1),
        bitfield::bitfield_ro
    ),
];

const ERR_BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";

/// getBitOffsetFromArgument: a bit offset, or `#N` (N fields of `bits` bits)
/// where `hash` allows it, below proto-max-bulk-len bytes.
fn bit_offset(ctx: &Ctx, i: usize, hash: bool, bits: u32) -> Result<u64, CmdError> {
    let arg = ctx.arg(i);
    let use_hash = hash && bits > 0 && arg.first() == Some(&b'#');
    let digits = if use_hash { &arg[1..] } else { arg };
    let mut off = crate::util::string2ll(digits).ok_or(ERR_BIT_OFFSET)?;
    if use_hash {
        off = off.wrapping_mul(bits as i64);
    }
    if off < 0 || (off >> 3) >= ctx.st.config.proto_max_bulk_len {
        return Err(ERR_BIT_OFFSET.into());
    }
    Ok(off as u64)
}

/// lookupStringForBitCommand: the raw string at argument 1, created or
/// zero-grown to hold bit `max_bit`. Returns it and whether it was created/grown.
fn string_for_bits<'a>(
    ctx: &'a mut Ctx,
    max_bit: u64,
) -> Result<(&'a mut Vec<u8>, bool), CmdError> {
    let args = ctx.args;
    let db = ctx.client.db;
    let need = (max_bit >> 3) as usize + 1;
    let ks = &mut ctx.st.ks;
    let exists = match ks.lookup_write(db, &args[1]) {
        Some(o) => {
            as_str(&o.val)?;
            true
        }
        None => false,
    };
    if !exists {
        ks.add(db, &args[1], Value::Str(Str::Raw(vec![0; need])));
    }
    let o = ks.dbs[db]
        .dict
        .get_mut(&args[1])
        .ok_or(CmdError::from("ERR no such key"))?;
    let v = as_str_mut(&mut o.val)?.make_raw();
    let grown = v.len() < need;
    if grown {
        v.resize(need, 0);
    }
    Ok((v, !exists || grown))
}

/// SETBIT key offset value: returns the previous bit.
fn setbit(ctx: &mut Ctx) -> CmdResult {
    let off = bit_offset(ctx, 2, false, 0)?;
    let on = match crate::util::string2ll(ctx.arg(3)) {
        Some(v @ (0 | 1)) => v as u8,
        _ => return Err("ERR bit is not an integer or out of range".into()),
    };
    let (v, changed) = string_for_bits(ctx, off)?;
    let byte = (off >> 3) as usize;
    let shift = 7 - (off & 7) as u8;
    let old = (v[byte] >> shift) & 1;
    v[byte] = (v[byte] & !(1 << shift)) | (on << shift);
    if changed || old != on {
        ctx.dirty(1);
        let args = ctx.args;
        ctx.notify(class::STRING, "setbit", &args[1]);
    }
    ctx.out.int(old as i64);
    Ok(())
}

/// GETBIT key offset
fn getbit(ctx: &mut Ctx) -> CmdResult {
    let off = bit_offset(ctx, 2, false, 0)?;
    let args = ctx.args;
    let db = ctx.client.db;
    let bit = match ctx.st.ks.lookup_read(db, &args[1]) {
        None => 0,
        Some(o) => as_str(&o.val)?.with_bytes(|b| {
            b.get((off >> 3) as usize)
                .map_or(0, |c| (c >> (7 - (off & 7))) & 1)
        }),
    };
    ctx.out.int(bit as i64);
    Ok(())
}

/// Resolves a start/end pair like Redis (negative from the end, clamped) over
/// `total` units; None when the range is empty.
fn clamp_range(mut start: i64, mut end: i64, total: i64) -> Option<(i64, i64)> {
    if start < 0 {
        start = total.saturating_add(start);
    }
    if end < 0 {
        end = total.saturating_add(end);
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    (start <= end).then_some((start, end))
}

fn bit_at(b: &[u8], i: i64) -> u8 {
    (b[(i >> 3) as usize] >> (7 - (i & 7))) & 1
}

/// Parses BYTE|BIT at argument `i`: true for BIT.
fn unit_arg(ctx: &Ctx, i: usize) -> Result<bool, CmdError> {
    if ctx.arg_is(i, "bit") {
        Ok(true)
    } else if ctx.arg_is(i, "byte") {
        Ok(false)
    } else {
        Err(ERR_SYNTAX.into())
    }
}

/// Runs `f` over the bytes of the string at `key`, already looked up (and
/// type-checked) by the caller in this command, without side effects.
fn with_string<R: Default>(ctx: &Ctx, key: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    match ctx.st.ks.dbs[ctx.client.db].dict.get(key) {
        Some(o) => match as_str(&o.val) {
            Ok(s) => s.with_bytes(f),
            Err(_) => R::default(),
        },
        None => R::default(),
    }
}

/// The length of the string at argument 1 (None when missing), WRONGTYPE for
/// other values; counts as a read access.
fn read_len(ctx: &mut Ctx) -> Result<Option<i64>, CmdError> {
    let args = ctx.args;
    let db = ctx.client.db;
    match ctx.st.ks.lookup_read(db, &args[1]) {
        None => Ok(None),
        Some(o) => Ok(Some(as_str(&o.val)?.len() as i64)),
    }
}

/// BITCOUNT key [start end [BYTE|BIT]]
fn bitcount(ctx: &mut Ctx) -> CmdResult {
    let argc = ctx.argc();
    let Some(len) = read_len(ctx)? else {
        ctx.out.int(0);
        return Ok(());
    };
    // The range in bits.
    let range = if argc == 4 || argc == 5 {
        let start = ctx.int_arg(2)?;
        let end = ctx.int_arg(3)?;
        if start < 0 && end < 0 && start > end {
            None
        } else if argc == 5 && unit_arg(ctx, 4)? {
            clamp_range(start, end, len * 8)
        } else {
            clamp_range(start, end, len).map(|(s, e)| (s * 8, e * 8 + 7))
        }
    } else if argc == 2 {
        clamp_range(0, len - 1, len).map(|(s, e)| (s * 8, e * 8 + 7))
    } else {
        return Err(ERR_SYNTAX.into());
    };
    let args = ctx.args;
    let count = match range {
        None => 0,
        Some((s, e)) => with_string(ctx, &args[1], |b| count_bits(b, s, e)),
    };
    ctx.out.int(count);
    Ok(())
}

/// Set bits in the inclusive bit range [s, e].
fn count_bits(b: &[u8], s: i64, e: i64) -> i64 {
    let (sb, eb) = ((s >> 3) as usize, (e >> 3) as usize);
    let first = 0xffu8 >> (s & 7);
    let last = 0xffu8 << (7 - (e & 7));
    if sb == eb {
        return (b[sb] & first & last).count_ones() as i64;
    }
    (b[sb] & first).count_ones() as i64
        + popcount(&b[sb + 1..eb])
        + (b[eb] & last).count_ones() as i64
}

fn popcount(b: &[u8]) -> i64 {
    let mut chunks = b.chunks_exact(8);
    let mut n: i64 = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        n += u64::from_ne_bytes(w).count_ones() as i64;
    }
    n + chunks
        .remainder()
        .iter()
        .map(|c| c.count_ones() as i64)
        .sum::<i64>()
}

/// BITPOS key bit [start [end [BYTE|BIT]]]
fn bitpos(ctx: &mut Ctx) -> CmdResult {
    let bit = ctx.int_arg(2)?;
    if bit != 0 && bit != 1 {
        return Err("ERR The bit argument must be 1 or 0.".into());
    }
    let bit = bit as u8;
    let argc = ctx.argc();
    let Some(len) = read_len(ctx)? else {
        ctx.out.int(if bit == 1 { -1 } else { 0 });
        return Ok(());
    };
    // The range in bits, and whether the user bounded it on the right.
    let (range, end_given) = if (4..=6).contains(&argc) {
        let start = ctx.int_arg(3)?;
        let is_bit = argc == 6 && unit_arg(ctx, 5)?;
        let (end, given) = if argc >= 5 {
            (ctx.int_arg(4)?, true)
        } else if is_bit {
            (len * 8 + 7, false)
        } else {
            (len - 1, false)
        };
        let range = if is_bit {
            clamp_range(start, end, len * 8)
        } else {
            clamp_range(start, end, len).map(|(s, e)| (s * 8, e * 8 + 7))
        };
        (range, given)
    } else if argc == 3 {
        (
            clamp_range(0, len - 1, len).map(|(s, e)| (s * 8, e * 8 + 7)),
            false,
        )
    } else {
        return Err(ERR_SYNTAX.into());
    };
    let args = ctx.args;
    let pos = match range {
        None => -1,
        Some((s, e)) => match with_string(ctx, &args[1], |b| find_bit(b, s, e, bit)) {
            Some(p) => p,
            None if bit == 0 && !end_given => e + 1,
            None => -1,
        },
    };
    ctx.out.int(pos);
    Ok(())
}

/// The first bit equal to `bit` in the inclusive bit range [s, e].
fn find_bit(b: &[u8], s: i64, e: i64, bit: u8) -> Option<i64> {
    let skip = if bit == 1 { 0x00 } else { 0xff };
    // Bytes before this one lie wholly inside the range.
    let full_end = ((e + 1) >> 3) as usize;
    let mut i = s;
    while i <= e {
        if i & 7 == 0 {
            let mut byte = (i >> 3) as usize;
            while byte + 8 <= full_end && b[byte..byte + 8] == [skip; 8] {
                byte += 8;
            }
            while byte < full_end && b[byte] == skip {
                byte += 1;
            }
            i = (byte as i64) << 3;
            if i > e {
                break;
            }
        }
        if bit_at(b, i) == bit {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]
fn bitop(ctx: &mut Ctx) -> CmdResult {
    #[derive(PartialEq)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let op = if ctx.arg_is(1, "and") {
        Op::And
    } else if ctx.arg_is(1, "or") {
        Op::Or
    } else if ctx.arg_is(1, "xor") {
        Op::Xor
    } else if ctx.arg_is(1, "not") {
        Op::Not
    } else {
        return Err(ERR_SYNTAX.into());
    };
    if op == Op::Not && ctx.argc() != 4 {
        return Err("ERR BITOP NOT must be called with a single source key.".into());
    }
    let args = ctx.args;
    let db = ctx.client.db;
    let mut srcs: Vec<Vec<u8>> = Vec::with_capacity(args.len() - 3);
    for k in &args[3..] {
        match ctx.st.ks.lookup_read(db, k) {
            None => srcs.push(Vec::new()),
            Some(o) => srcs.push(as_str(&o.val)?.as_bytes().into_owned()),
        }
    }
    let maxlen = srcs.iter().map(Vec::len).max().unwrap_or(0);
    let ks = &mut ctx.st.ks;
    if maxlen > 0 {
        let mut res = vec![0u8; maxlen];
        for (i, r) in res.iter_mut().enumerate() {
            let byte = |s: &Vec<u8>| s.get(i).copied().unwrap_or(0);
            *r = match op {
                Op::Not => !byte(&srcs[0]),
                Op::And => srcs.iter().fold(0xff, |acc, s| acc & byte(s)),
                Op::Or => srcs.iter().fold(0, |acc, s| acc | byte(s)),
                Op::Xor => srcs.iter().fold(0, |acc, s| acc ^ byte(s)),
            };
        }
        ks.expire_if_needed(db, &args[2]);
        ks.set(db, &args[2], Value::Str(Str::Raw(res)), false);
        ctx.dirty(1);
        ctx.notify(class::STRING, "set", &args[2]);
    } else if ks.delete(db, &args[2]) {
        ctx.dirty(1);
        ctx.notify(class::GENERIC, "del", &args[2]);
    }
    ctx.out.int(maxlen as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_search_and_ranges() {
        let b = [0xff, 0xf0, 0x00];
        assert_eq!(find_bit(&b, 0, 23, 0), Some(12));
        assert_eq!(find_bit(&b, 0, 23, 1), Some(0));
        assert_eq!(find_bit(&b, 16, 23, 1), None);
        assert_eq!(clamp_range(-2, -1, 3), Some((1, 2)));
        assert_eq!(clamp_range(5, 10, 3), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 3), Some((0, 2)));
        assert_eq!(popcount(&[0xff; 19]), 152);
        assert_eq!(count_bits(&[0xff, 0x0f, 0xf0], 4, 19), 12);
        assert_eq!(count_bits(&[0xff, 0x0f, 0xf0], 5, 5), 1);
        let mut long = vec![0u8; 40];
        long[33] = 0x02;
        assert_eq!(find_bit(&long, 3, 319, 1), Some(33 * 8 + 6));
        assert_eq!(find_bit(&long, 0, 33 * 8 + 5, 1), None);
        assert_eq!(find_bit(&[0xff; 40], 0, 319, 0), None);
    }
}
