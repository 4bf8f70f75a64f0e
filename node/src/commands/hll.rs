//! HyperLogLog commands (hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG and
//! PFSELFTEST over HLL strings kept in ordinary string values; the
//! representation itself is `store::hll`.

use super::flags::*;
use super::strings::as_str;
use super::{class, err_quoting, CmdError, CmdResult, Command, Ctx};
use crate::cmd;
use crate::store::hll::{self, Corrupt, DENSE, HDR, REGISTERS};
use crate::store::value::{Str, Value};

pub static COMMANDS: &[Command] = &[
    cmd!("pfadd", -2, WRITE | DENYOOM | FAST, (1, 1, 1), pfadd),
    cmd!("pfcount", -2, READONLY, (1, -1, 1), pfcount),
    cmd!("pfmerge", -2, WRITE | DENYOOM, (1, -1, 1), pfmerge),
    cmd!("pfdebug", 3, WRITE | DENYOOM | ADMIN, (2, 2, 1), pfdebug),
    cmd!("pfselftest", 1, ADMIN, (0, 0, 0), pfselftest),
];

const ERR_CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";
const ERR_NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";

impl From<Corrupt> for CmdError {
    fn from(_: Corrupt) -> Self {
        ERR_CORRUPT.into()
    }
}

/// isHLLObjectOrReply: a string (else the usual WRONGTYPE) that is not
/// integer-encoded and has a valid HLL header and size.
fn check(v: &Value) -> Result<&Str, CmdError> {
    let s = as_str(v)?;
    if matches!(s, Str::Int(_)) || !s.with_bytes(hll::is_valid) {
        return Err(ERR_NOT_HLL.into());
    }
    Ok(s)
}

/// A checked HLL, unshared for modification (dbUnshareStringValue).
fn check_mut(v: &mut Value) -> Result<&mut Vec<u8>, CmdError> {
    check(v)?;
    match v {
        Value::Str(s) => Ok(s.make_raw()),
        _ => Err(ERR_NOT_HLL.into()),
    }
}

fn sparse_max(ctx: &Ctx) -> usize {
    ctx.st.config.hll_sparse_max_bytes.max(0) as usize
}

/// PFADD key [element ...]: 1 when a register changed or the key was created.
pub fn pfadd(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let max = sparse_max(ctx);
    let args = ctx.args;
    let ks = &mut ctx.st.ks;
    let mut updated = 0u64;
    let add_all = |v: &mut Vec<u8>, updated: &mut u64| -> Result<(), Corrupt> {
        for e in &args[2..] {
            if hll::add(v, e, max)? {
                *updated += 1;
            }
        }
        if *updated > 0 {
            hll::invalidate_cache(v);
        }
        Ok(())
    };
    match ks.lookup_write(db, &args[1]) {
        Some(o) => add_all(check_mut(&mut o.val)?, &mut updated)?,
        None => {
            let mut v = hll::new_sparse();
            updated = 1;
            add_all(&mut v, &mut updated)?;
            ks.add(db, &args[1], Value::Str(Str::Raw(v)));
        }
    }
    if updated > 0 {
        ctx.notify(class::STRING, "pfadd", &args[1]);
    }
    ctx.dirty(updated);
    ctx.out.int((updated > 0) as i64);
    Ok(())
}

/// PFCOUNT key [key ...]: one key answers from (and refreshes) the cached
/// count in its header; several keys are merged into a temporary HLL.
pub fn pfcount(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let args = ctx.args;
    if args.len() > 2 {
        let mut max = Box::new([0u8; REGISTERS]);
        for k in &args[1..] {
            let Some(o) = ctx.st.ks.lookup_read(db, k) else {
                continue;
            };
            check(&o.val)?.with_bytes(|b| hll::merge_into(&mut max, b))?;
        }
        let n = hll::estimate(&hll::raw_histogram(&max));
        ctx.out.int(n as i64);
        return Ok(());
    }
    let Some(o) = ctx.st.ks.lookup_write(db, &args[1]) else {
        ctx.out.int(0);
        return Ok(());
    };
    let v = check_mut(&mut o.val)?;
    let card = match hll::cached_count(v) {
        Some(c) => c,
        None => {
            let c = hll::count(v)?;
            hll::set_cached_count(v, c);
            ctx.dirty(1);
            c
        }
    };
    ctx.out.int(card as i64);
    Ok(())
}

/// PFMERGE destkey [sourcekey ...]: the register-wise maximum of all the HLLs
/// (the destination included) into the destination, dense if any input was.
pub fn pfmerge(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let max_bytes = sparse_max(ctx);
    let args = ctx.args;
    let ks = &mut ctx.st.ks;
    let mut max = Box::new([0u8; REGISTERS]);
    let mut use_dense = false;
    for k in &args[1..] {
        let Some(o) = ks.lookup_read(db, k) else {
            continue;
        };
        check(&o.val)?.with_bytes(|b| {
            use_dense |= b[4] == DENSE;
            hll::merge_into(&mut max, b)
        })?;
    }
    let write = |v: &mut Vec<u8>| -> Result<(), Corrupt> {
        if use_dense {
            hll::make_dense(v)?;
        }
        for (i, &m) in max.iter().enumerate() {
            if m > 0 {
                // Redis ignores a failure here: the inputs were checked above.
                let _ = hll::raise(v, i, m, max_bytes);
            }
        }
        hll::invalidate_cache(v);
        Ok(())
    };
    match ks.lookup_write(db, &args[1]) {
        Some(o) => write(check_mut(&mut o.val)?)?,
        None => {
            let mut v = hll::new_sparse();
            write(&mut v)?;
            ks.add(db, &args[1], Value::Str(Str::Raw(v)));
        }
    }
    // Redis raises pfadd for PFMERGE too: a merge is a mass add.
    ctx.notify(class::STRING, "pfadd", &args[1]);
    ctx.dirty(1);
    ctx.out.ok();
    Ok(())
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key.
pub fn pfdebug(ctx: &mut Ctx) -> CmdResult {
    let db = ctx.db();
    let args = ctx.args;
    let Some(o) = ctx.st.ks.lookup_write(db, &args[2]) else {
        return Err("ERR The specified key does not exist".into());
    };
    let v = check_mut(&mut o.val)?;
    let sub = &args[1];
    let mut converted = false;
    if sub.eq_ignore_ascii_case(b"getreg") {
        converted = hll::make_dense(v)?;
        ctx.out.array(REGISTERS);
        for i in 0..REGISTERS {
            ctx.out.int(hll::dense_get(&v[HDR..], i) as i64);
        }
    } else if sub.eq_ignore_ascii_case(b"decode") {
        if v[4] != hll::SPARSE {
            return Err("ERR HLL encoding is not sparse".into());
        }
        ctx.out.bulk(hll::decode(v).as_bytes());
    } else if sub.eq_ignore_ascii_case(b"encoding") {
        ctx.out
            .simple(if v[4] == DENSE { "dense" } else { "sparse" });
    } else if sub.eq_ignore_ascii_case(b"todense") {
        converted = hll::make_dense(v)?;
        ctx.out.int(converted as i64);
    } else {
        return Err(err_quoting("ERR Unknown PFDEBUG subcommand '", sub, "'"));
    }
    // A conversion changes the bytes: it must reach replicas.
    if converted {
        ctx.dirty(1);
    }
    Ok(())
}

/// PFSELFTEST: the dense register accessors on random values, then a dense and
/// a sparse HLL fed the same ten million elements must agree with each other
/// and stay within six standard errors of the true count at each power of ten.
pub fn pfselftest(ctx: &mut Ctx) -> CmdResult {
    let max_bytes = sparse_max(ctx);
    selftest(max_bytes, 1000, 10_000_000)?;
    ctx.out.ok();
    Ok(())
}

fn selftest(max_bytes: usize, cycles: usize, elements: u64) -> Result<(), CmdError> {
    let mut regs = vec![0u8; hll::DENSE_SIZE - HDR];
    let mut expect = vec![0u8; REGISTERS];
    for _ in 0..cycles {
        for (i, e) in expect.iter_mut().enumerate() {
            *e = rand::random::<u8>() & 63;
            hll::dense_set(&mut regs, i, *e);
        }
        for (i, &e) in expect.iter().enumerate() {
            let got = hll::dense_get(&regs, i);
            if got != e {
                return Err(format!(
                    "ERR TESTFAILED Register error, counter {i} should be {e} but is {got}"
                )
                .into());
            }
        }
    }

    let mut dense = hll::sparse_to_dense(&hll::new_sparse())?;
    let mut sparse = hll::new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let seed: u64 = rand::random();
    let mut checkpoint = 1u64;
    for j in 1..=elements {
        let ele = (j ^ seed).to_le_bytes();
        hll::add(&mut dense, &ele, max_bytes)?;
        hll::add(&mut sparse, &ele, max_bytes)?;
        if j != checkpoint {
            continue;
        }
        if j < (max_bytes / 2) as u64 && sparse[4] != hll::SPARSE {
            return Err("ERR TESTFAILED sparse encoding not used".into());
        }
        let card = hll::count(&dense)?;
        if card != hll::count(&sparse)? {
            return Err("ERR TESTFAILED dense/sparse disagree".into());
        }
        let abserr = checkpoint.abs_diff(card);
        // Cardinality 10 often shows a larger error from a single collision.
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(
                format!("ERR TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}").into(),
            );
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn selftest_passes_on_a_shorter_run() {
        assert_eq!(super::selftest(3000, 5, 100_000), Ok(()));
    }
}
