//! BITFIELD key [GET type offset] [SET type offset value]
//! [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ... and BITFIELD_RO
//! (GET only). Types are i1..i64 and u1..u63; `#N` offsets count in fields.

use super::{bit_offset, string_for_bits};
use crate::commands::strings::as_str;
use crate::commands::{CmdError, CmdResult, Ctx, ERR_SYNTAX};

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq)]
enum OpKind {
    Get,
    Set,
    Incrby,
}

struct Op {
    kind: OpKind,
    offset: u64,
    bits: u32,
    signed: bool,
    value: i64,
    overflow: Overflow,
}

const ERR_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

fn field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(ERR_TYPE.into()),
    };
    // Like C, the type name ends at a NUL byte.
    let rest = &arg[1..];
    let rest = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
    match crate::util::string2ll(rest) {
        Some(n) if n >= 1 && ((signed && n <= 64) || (!signed && n <= 63)) => {
            Ok((signed, n as u32))
        }
        _ => Err(ERR_TYPE.into()),
    }
}

fn parse_ops(ctx: &Ctx) -> Result<(Vec<Op>, bool), CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut readonly = true;
    let mut j = 2;
    while j < ctx.argc() {
        let rem = ctx.argc() - j - 1;
        let kind = if ctx.arg_is(j, "get") && rem >= 2 {
            OpKind::Get
        } else if ctx.arg_is(j, "set") && rem >= 3 {
            OpKind::Set
        } else if ctx.arg_is(j, "incrby") && rem >= 3 {
            OpKind::Incrby
        } else if ctx.arg_is(j, "overflow") && rem >= 1 {
            overflow = if ctx.arg_is(j + 1, "wrap") {
                Overflow::Wrap
            } else if ctx.arg_is(j + 1, "sat") {
                Overflow::Sat
            } else if ctx.arg_is(j + 1, "fail") {
                Overflow::Fail
            } else {
                return Err("ERR Invalid OVERFLOW type specified".into());
            };
            j += 2;
            continue;
        } else {
            return Err(ERR_SYNTAX.into());
        };
        let (signed, bits) = field_type(ctx.arg(j + 1))?;
        let offset = bit_offset(ctx, j + 2, true, bits)?;
        let mut value = 0;
        if kind != OpKind::Get {
            readonly = false;
            value = ctx.int_arg(j + 3)?;
        }
        ops.push(Op {
            kind,
            offset,
            bits,
            signed,
            value,
            overflow,
        });
        j += if kind == OpKind::Get { 3 } else { 4 };
    }
    Ok((ops, readonly))
}

/// Reads `bits` bits at bit `offset`, most significant first (bits past the
/// end of `b` read as zero).
fn get_unsigned(b: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for i in 0..bits as u64 {
        let pos = offset + i;
        let byte = b.get((pos >> 3) as usize).copied().unwrap_or(0);
        v = (v << 1) | ((byte >> (7 - (pos & 7))) & 1) as u64;
    }
    v
}

fn get_signed(b: &[u8], offset: u64, bits: u32) -> i64 {
    let v = get_unsigned(b, offset, bits);
    if bits < 64 && v & (1 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

fn set_bits(b: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..bits as u64 {
        let bit = ((value >> (bits as u64 - 1 - i)) & 1) as u8;
        let pos = offset + i;
        let byte = &mut b[(pos >> 3) as usize];
        let shift = 7 - (pos & 7);
        *byte = (*byte & !(1 << shift)) | (bit << shift);
    }
}

/// checkUnsignedBitfieldOverflow: whether `value + incr` leaves the field, and
/// the wrapped or saturated value to store then.
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max: u64 = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = (value as i64).wrapping_neg();
    let wrap = || value.wrapping_add(incr as u64) & !(u64::MAX.checked_shl(bits).unwrap_or(0));
    if value > max || (incr > 0 && incr > maxincr) {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => max,
        })
    } else if incr < 0 && incr < minincr {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => 0,
        })
    } else {
        None
    }
}

/// checkSignedBitfieldOverflow, same contract for signed fields.
fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => max,
        })
    } else if value < min
        || (bits != 64 && incr < minincr)
        || (value < 0 && incr < 0 && incr < minincr)
    {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => min,
        })
    } else {
        None
    }
}

/// Applies a SET or INCRBY to `b`; None when OVERFLOW FAIL refused it.
fn apply_write(b: &mut [u8], op: &Op) -> Option<i64> {
    if op.signed {
        let old = get_signed(b, op.offset, op.bits);
        let (new, ret) = if op.kind == OpKind::Incrby {
            let ov = signed_overflow(old, op.value, op.bits, op.overflow);
            if ov.is_some() && op.overflow == Overflow::Fail {
                return None;
            }
            let n = ov.unwrap_or(old.wrapping_add(op.value));
            (n, n)
        } else {
            let ov = signed_overflow(op.value, 0, op.bits, op.overflow);
            if ov.is_some() && op.overflow == Overflow::Fail {
                return None;
            }
            (ov.unwrap_or(op.value), old)
        };
        set_bits(b, op.offset, op.bits, new as u64);
        Some(ret)
    } else {
        let old = get_unsigned(b, op.offset, op.bits);
        let (new, ret) = if op.kind == OpKind::Incrby {
            let ov = unsigned_overflow(old, op.value, op.bits, op.overflow);
            if ov.is_some() && op.overflow == Overflow::Fail {
                return None;
            }
            let n = ov.unwrap_or(old.wrapping_add(op.value as u64));
            (n, n)
        } else {
            let ov = unsigned_overflow(op.value as u64, 0, op.bits, op.overflow);
            if ov.is_some() && op.overflow == Overflow::Fail {
                return None;
            }
            (ov.unwrap_or(op.value as u64), old)
        };
        set_bits(b, op.offset, op.bits, new);
        Some(ret as i64)
    }
}

fn read_field(b: &[u8], op: &Op) -> i64 {
    if op.signed {
        get_signed(b, op.offset, op.bits)
    } else {
        get_unsigned(b, op.offset, op.bits) as i64
    }
}

fn generic(ctx: &mut Ctx, ro_cmd: bool) -> CmdResult {
    let (ops, readonly) = parse_ops(ctx)?;
    if readonly {
        let args = ctx.args;
        let db = ctx.client.db;
        if let Some(o) = ctx.st.ks.lookup_read(db, &args[1]) {
            as_str(&o.val)?;
        }
        let values: Vec<i64> = super::with_string(ctx, &args[1], |b| {
            ops.iter().map(|op| read_field(b, op)).collect()
        });
        ctx.out.array(ops.len());
        for (i, op) in ops.iter().enumerate() {
            ctx.out.int(
                values
                    .get(i)
                    .copied()
                    .unwrap_or_else(|| read_field(&[], op)),
            );
        }
        return Ok(());
    }
    if ro_cmd {
        return Err("ERR BITFIELD_RO only supports the GET subcommand".into());
    }
    let highest = ops
        .iter()
        .filter(|o| o.kind != OpKind::Get)
        .map(|o| o.offset + o.bits as u64 - 1)
        .max()
        .unwrap_or(0);
    let mut replies: Vec<Option<i64>> = Vec::with_capacity(ops.len());
    let mut changes = 0;
    {
        let (v, grown) = string_for_bits(ctx, highest)?;
        for op in &ops {
            if op.kind == OpKind::Get {
                replies.push(Some(read_field(v, op)));
            } else {
                // Only writes that changed something count (7.0).
                let old = read_field(v, op);
                replies.push(apply_write(v, op));
                if grown || read_field(v, op) != old {
                    changes += 1;
                }
            }
        }
    }
    if changes > 0 {
        ctx.dirty(changes);
        let args = ctx.args;
        ctx.notify(crate::commands::class::STRING, "setbit", &args[1]);
    }
    ctx.out.array(replies.len());
    for r in replies {
        match r {
            Some(n) => ctx.out.int(n),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// BITFIELD key [GET|SET|INCRBY|OVERFLOW ...]
pub fn bitfield(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, false)
}

/// BITFIELD_RO key [GET type offset ...]
pub fn bitfield_ro(ctx: &mut Ctx) -> CmdResult {
    generic(ctx, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_overflow() {
        let mut b = vec![0u8; 2];
        set_bits(&mut b, 4, 8, 0xab);
        assert_eq!(b, vec![0x0a, 0xb0]);
        assert_eq!(get_unsigned(&b, 4, 8), 0xab);
        assert_eq!(get_signed(&b, 4, 8), 0xab_u8 as i8 as i64);
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Wrap), Some(4));
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Sat), Some(255));
        assert_eq!(unsigned_overflow(5, -10, 8, Overflow::Sat), Some(0));
        assert_eq!(unsigned_overflow(5, 1, 8, Overflow::Sat), None);
        assert_eq!(signed_overflow(120, 10, 8, Overflow::Wrap), Some(-126));
        assert_eq!(signed_overflow(-120, -10, 8, Overflow::Sat), Some(-128));
        assert_eq!(
            signed_overflow(i64::MAX, 1, 64, Overflow::Wrap),
            Some(i64::MIN)
        );
    }
}
