//! HyperLogLog values, byte for byte as Redis 7.0 keeps them inside a string
//! (hyperloglog.c), so GET, DUMP and replication carry the same bytes:
//!
//! - a 16-byte header: "HYLL", the encoding (0 dense, 1 sparse), three zero
//!   bytes and the cached cardinality (little endian; the top bit of the last
//!   byte set means "stale");
//! - dense: 16384 registers of 6 bits, packed from the low bits up;
//! - sparse: run-length opcodes ZERO `00xxxxxx` (1..64 zero registers), XZERO
//!   `01xxxxxx yyyyyyyy` (1..16384 zeros) and VAL `1vvvvvxx` (1..4 registers
//!   of value 1..32), promoted to dense when a register passes 32 or the
//!   string would pass hll-sparse-max-bytes.
//!
//! The estimator is Ertl's (arXiv:1702.01284) over the register histogram, as
//! in Redis since 4.0, with the same floating-point operation order so the
//! counts agree exactly.

/// Header size.
pub const HDR: usize = 16;
pub const P: u32 = 14;
pub const REGISTERS: usize = 1 << P;
/// Hash bits left after the register index.
const Q: usize = 64 - P as usize;
const REGISTER_MAX: u8 = 63;
pub const DENSE_SIZE: usize = HDR + (REGISTERS * 6).div_ceil(8);
pub const DENSE: u8 = 0;
pub const SPARSE: u8 = 1;
const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const SPARSE_XZERO_MAX_LEN: usize = 16384;
/// 0.5 / ln(2).
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
/// Redis's seed for element hashes.
const SEED: u64 = 0xadc8_3b19;

/// A sparse or dense representation that does not add up to 16384 registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// isHLLObjectOrReply's checks on the string bytes: size, magic, encoding,
/// and the exact dense size.
pub fn is_valid(b: &[u8]) -> bool {
    b.len() >= HDR
        && &b[..4] == b"HYLL"
        && b[4] <= SPARSE
        && (b[4] != DENSE || b.len() == DENSE_SIZE)
}

/// createHLLObject: an empty sparse HLL (one XZERO opcode), cached count 0.
pub fn new_sparse() -> Vec<u8> {
    let mut v = Vec::with_capacity(HDR + 2);
    v.extend_from_slice(b"HYLL");
    v.push(SPARSE);
    v.extend_from_slice(&[0; 11]);
    let mut left = REGISTERS;
    while left > 0 {
        let n = left.min(SPARSE_XZERO_MAX_LEN);
        push_xzero(&mut v, n);
        left -= n;
    }
    v
}

pub fn invalidate_cache(hll: &mut [u8]) {
    hll[15] |= 0x80;
}

/// The cached cardinality, when still valid.
pub fn cached_count(hll: &[u8]) -> Option<u64> {
    if hll[15] & 0x80 != 0 {
        return None;
    }
    let mut c = [0u8; 8];
    c.copy_from_slice(&hll[8..16]);
    Some(u64::from_le_bytes(c))
}

pub fn set_cached_count(hll: &mut [u8], card: u64) {
    hll[8..16].copy_from_slice(&card.to_le_bytes());
}

/// MurmurHash64A, endian-neutral as Redis modified it.
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    // Redis passes the length as an int and the seed as an unsigned int.
    let mut h = (seed & 0xffff_ffff) ^ (key.len() as i32 as i64 as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        let mut k = u64::from_le_bytes(b);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// hllPatLen: the register an element maps to and the length of the
/// "000..1" run in the rest of its hash (1..=Q+1).
pub fn pat_len(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// One 6-bit register of the dense representation (`regs` starts after the header).
#[inline]
pub fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = regs[byte] as u32;
    // The last register sits in one byte (fb == 2), so reading the next byte
    // is needed only where it exists.
    let b1 = if fb > 2 { regs[byte + 1] as u32 } else { 0 };
    (((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX as u32) as u8
}

#[inline]
pub fn dense_set(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = val as u32;
    regs[byte] &= !((REGISTER_MAX as u32) << fb) as u8;
    regs[byte] |= (v << fb) as u8;
    if fb > 2 {
        regs[byte + 1] &= !((REGISTER_MAX as u32) >> (8 - fb)) as u8;
        regs[byte + 1] |= (v >> (8 - fb)) as u8;
    }
}

/// hllDenseSet: raises register `i` to `count`; true when it changed.
fn dense_raise(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_set(regs, i, count);
        true
    } else {
        false
    }
}

/// A sparse opcode at `p`: (registers covered, value, opcode length). Bytes
/// past the end read as 0, like the NUL after an sds string.
#[inline]
fn sparse_op(sp: &[u8], p: usize) -> (usize, u8, usize) {
    let b = sp[p];
    if b & 0xc0 == 0 {
        ((b & 0x3f) as usize + 1, 0, 1)
    } else if b & 0x80 == 0 {
        let lo = sp.get(p + 1).copied().unwrap_or(0) as usize;
        ((((b & 0x3f) as usize) << 8 | lo) + 1, 0, 2)
    } else {
        ((b & 0x3) as usize + 1, ((b >> 2) & 0x1f) + 1, 1)
    }
}

fn val_op(val: u8, len: usize) -> u8 {
    0x80 | ((val - 1) << 2) | (len as u8 - 1)
}

fn push_xzero(v: &mut Vec<u8>, len: usize) {
    let l = len - 1;
    v.push((l >> 8) as u8 | 0x40);
    v.push((l & 0xff) as u8);
}

/// A zero run as the shortest opcode (ZERO up to 64, else XZERO).
fn push_zeros(v: &mut Vec<u8>, len: usize) {
    if len > SPARSE_ZERO_MAX_LEN {
        push_xzero(v, len);
    } else {
        v.push(len as u8 - 1);
    }
}

/// hllSparseToDense: the dense form, keeping the header (and cached count).
pub fn sparse_to_dense(hll: &[u8]) -> Result<Vec<u8>, Corrupt> {
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR].copy_from_slice(&hll[..HDR]);
    dense[4] = DENSE;
    let regs = &mut dense[HDR..];
    let sp = &hll[HDR..];
    let (mut p, mut idx) = (0, 0);
    while p < sp.len() {
        let (run, val, oplen) = sparse_op(sp, p);
        if val > 0 {
            if run + idx > REGISTERS {
                break;
            }
            for r in idx..idx + run {
                dense_set(regs, r, val);
            }
        }
        idx += run;
        p += oplen;
    }
    if idx != REGISTERS {
        return Err(Corrupt);
    }
    Ok(dense)
}

/// Converts `hll` to dense in place; Ok(true) when it was sparse.
pub fn make_dense(hll: &mut Vec<u8>) -> Result<bool, Corrupt> {
    if hll[4] == DENSE {
        return Ok(false);
    }
    *hll = sparse_to_dense(hll)?;
    Ok(true)
}

/// hllSparseSet: raises register `index` to `count` in a sparse HLL, promoting
/// it to dense when needed. Ok(true) when the register changed.
fn sparse_raise(
    hll: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<bool, Corrupt> {
    if count > SPARSE_VAL_MAX_VALUE {
        return promote(hll, index, count);
    }
    // Step 1: find the opcode covering `index`.
    let end = hll.len();
    let mut p = HDR;
    let mut first = 0;
    let mut prev = None;
    let mut span = 0;
    while p < end {
        let (s, _, oplen) = sparse_op(hll, p);
        span = s;
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Corrupt);
    }
    let (runlen, curval, oldlen) = sparse_op(hll, p);
    let is_val = curval > 0;

    // Step 2: the trivial in-place updates, else the replacement sequence.
    if is_val {
        if curval >= count {
            return Ok(false);
        }
        if runlen == 1 {
            hll[p] = val_op(count, 1);
            merge_adjacent(hll, prev.unwrap_or(HDR));
            return Ok(true);
        }
    } else if oldlen == 1 && runlen == 1 {
        hll[p] = val_op(count, 1);
        merge_adjacent(hll, prev.unwrap_or(HDR));
        return Ok(true);
    }
    let last = first + span - 1;
    let mut seq: Vec<u8> = Vec::with_capacity(5);
    if !is_val {
        if index != first {
            push_zeros(&mut seq, index - first);
        }
        seq.push(val_op(count, 1));
        if index != last {
            push_zeros(&mut seq, last - index);
        }
    } else {
        if index != first {
            seq.push(val_op(curval, index - first));
        }
        seq.push(val_op(count, 1));
        if index != last {
            seq.push(val_op(curval, last - index));
        }
    }

    // Step 3: put the sequence in place of the old opcode.
    let delta = seq.len() as isize - oldlen as isize;
    if delta > 0 && end + delta as usize > max_bytes {
        return promote(hll, index, count);
    }
    let new_len = (end as isize + delta) as usize;
    let old_end = (p + oldlen).min(end);
    hll.splice(p..old_end, seq);
    // An XZERO cut by the end of the string: Redis writes past its length.
    hll.truncate(new_len);
    merge_adjacent(hll, prev.unwrap_or(HDR));
    Ok(true)
}

/// Step 4 of hllSparseSet: merges adjacent VAL opcodes of equal value,
/// looking at up to 5 opcodes from `p`.
fn merge_adjacent(hll: &mut Vec<u8>, mut p: usize) {
    let mut scan = 5;
    while p < hll.len() && scan > 0 {
        scan -= 1;
        let b = hll[p];
        if b & 0xc0 == 0x40 {
            p += 2;
            continue;
        }
        if b & 0xc0 == 0 {
            p += 1;
            continue;
        }
        if p + 1 < hll.len() && hll[p + 1] & 0x80 != 0 {
            let (l1, v1, _) = sparse_op(hll, p);
            let (l2, v2, _) = sparse_op(hll, p + 1);
            if v1 == v2 && l1 + l2 <= SPARSE_VAL_MAX_LEN {
                hll[p + 1] = val_op(v1, l1 + l2);
                hll.remove(p);
                continue;
            }
        }
        p += 1;
    }
    invalidate_cache(hll);
}

/// The promote label of hllSparseSet: convert, then set the register densely.
fn promote(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    make_dense(hll)?;
    Ok(dense_raise(&mut hll[HDR..], index, count))
}

/// Raises one register (by index) whatever the encoding; Ok(true) on change.
pub fn raise(
    hll: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<bool, Corrupt> {
    match hll[4] {
        DENSE => Ok(dense_raise(&mut hll[HDR..], index, count)),
        SPARSE => sparse_raise(hll, index, count, max_bytes),
        _ => Err(Corrupt),
    }
}

/// hllAdd: adds an element; Ok(true) when a register changed.
pub fn add(hll: &mut Vec<u8>, ele: &[u8], max_bytes: usize) -> Result<bool, Corrupt> {
    let (index, count) = pat_len(ele);
    raise(hll, index, count, max_bytes)
}

/// hllMerge: max[i] = MAX(max[i], register i) over a validated HLL.
pub fn merge_into(max: &mut [u8; REGISTERS], hll: &[u8]) -> Result<(), Corrupt> {
    if hll[4] == DENSE {
        let regs = &hll[HDR..];
        for (i, m) in max.iter_mut().enumerate() {
            let v = dense_get(regs, i);
            if v > *m {
                *m = v;
            }
        }
        return Ok(());
    }
    let sp = &hll[HDR..];
    let (mut p, mut i) = (0, 0);
    while p < sp.len() {
        let (run, val, oplen) = sparse_op(sp, p);
        if val > 0 {
            if run + i > REGISTERS {
                break;
            }
            for m in &mut max[i..i + run] {
                if val > *m {
                    *m = val;
                }
            }
        }
        i += run;
        p += oplen;
    }
    if i != REGISTERS {
        return Err(Corrupt);
    }
    Ok(())
}

/// The register histogram of a validated HLL; Err for a sparse form that
/// does not cover exactly 16384 registers.
fn histogram(hll: &[u8]) -> Result<[u32; 64], Corrupt> {
    let mut h = [0u32; 64];
    if hll[4] == DENSE {
        let regs = &hll[HDR..];
        for i in 0..REGISTERS {
            h[dense_get(regs, i) as usize] += 1;
        }
        return Ok(h);
    }
    let sp = &hll[HDR..];
    let (mut p, mut idx) = (0, 0);
    while p < sp.len() {
        let (run, val, oplen) = sparse_op(sp, p);
        h[val as usize] += run as u32;
        idx += run;
        p += oplen;
    }
    if idx != REGISTERS {
        return Err(Corrupt);
    }
    Ok(h)
}

/// The histogram of plain one-byte registers (PFCOUNT over several keys).
pub fn raw_histogram(regs: &[u8; REGISTERS]) -> [u32; 64] {
    let mut h = [0u32; 64];
    for &r in regs.iter() {
        h[(r & 63) as usize] += 1;
    }
    h
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let z_prev = z;
        z += x * y;
        y += y;
        if z_prev == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let z_prev = z;
        y *= 0.5;
        // pow(1-x, 2) in C, which compilers turn into this exact product.
        z -= (1.0 - x) * (1.0 - x) * y;
        if z_prev == z {
            return z / 3.0;
        }
    }
}

/// The cardinality estimate from a register histogram (hllCount).
pub fn estimate(h: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - h[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += h[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(h[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// hllCount of a validated HLL.
pub fn count(hll: &[u8]) -> Result<u64, Corrupt> {
    Ok(estimate(&histogram(hll)?))
}

/// PFDEBUG DECODE: the sparse opcodes as text ("Z:16384", "z:3", "v:2,1").
pub fn decode(hll: &[u8]) -> String {
    let sp = &hll[HDR..];
    let mut parts = Vec::new();
    let mut p = 0;
    while p < sp.len() {
        let (run, val, oplen) = sparse_op(sp, p);
        parts.push(match (val, oplen) {
            (0, 1) => format!("z:{run}"),
            (0, _) => format!("Z:{run}"),
            _ => format!("v:{val},{run}"),
        });
        p += oplen;
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_hll_bytes_match_redis() {
        let v = new_sparse();
        assert_eq!(v, b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
        assert!(is_valid(&v));
        assert_eq!(count(&v), Ok(0));
        assert_eq!(decode(&v), "Z:16384");
    }

    #[test]
    fn pfadd_a_b_c_matches_redis_bytes() {
        // Taken from redis-server 7.0.15: PFADD h a b c; GET h.
        let mut v = new_sparse();
        for e in [b"a", b"b", b"c"] {
            assert_eq!(add(&mut v, e, 3000), Ok(true));
        }
        invalidate_cache(&mut v);
        assert_eq!(
            v,
            b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x60\xf3\x80\x50\xb1\x84\x4b\xfb\x80\x42\x5a"
        );
        assert_eq!(decode(&v), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
        assert_eq!(count(&v), Ok(3));
        assert_eq!(add(&mut v, b"a", 3000), Ok(false));
    }

    #[test]
    fn dense_registers_round_trip() {
        let mut regs = vec![0u8; DENSE_SIZE - HDR];
        for i in 0..REGISTERS {
            dense_set(&mut regs, i, (i % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&regs, i), (i % 64) as u8, "register {i}");
        }
    }

    #[test]
    fn sparse_and_dense_agree_and_promote() {
        let mut sparse = new_sparse();
        let mut dense = sparse_to_dense(&sparse).expect("valid");
        for i in 0..5000u32 {
            let e = i.to_le_bytes();
            let a = add(&mut sparse, &e, 3000).expect("valid");
            let b = add(&mut dense, &e, 3000).expect("valid");
            assert_eq!(a, b, "element {i}");
            if sparse[4] == SPARSE {
                assert!(sparse.len() <= 3000);
                assert_eq!(count(&sparse), count(&dense));
            }
        }
        assert_eq!(sparse[4], DENSE, "promoted at hll-sparse-max-bytes");
        assert_eq!(sparse[HDR..], dense[HDR..]);
        let n = count(&dense).expect("valid") as f64;
        assert!((n - 5000.0).abs() < 5000.0 * 0.05, "estimate {n}");
    }

    #[test]
    fn corrupt_sparse_is_detected() {
        let mut v = new_sparse();
        v[HDR + 1] = 0xfe; // XZERO covering 16383 registers
        assert_eq!(count(&v), Err(Corrupt));
        assert_eq!(sparse_to_dense(&v), Err(Corrupt));
        let mut max = [0u8; REGISTERS];
        assert_eq!(merge_into(&mut max, &v), Err(Corrupt));
        assert!(!is_valid(b"HYLL\x00\0\0\0\0\0\0\0\0\0\0\0"));
        assert!(!is_valid(b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\0"));
        assert!(!is_valid(b"HYL"));
    }

    #[test]
    fn estimator_constants_are_redis_doubles() {
        assert_eq!(
            ALPHA_INF,
            "0.721347520444481703680".parse::<f64>().ok().unwrap_or(0.0)
        );
        assert_eq!(DENSE_SIZE, 12304);
        assert_eq!(sigma(1.0), f64::INFINITY);
        assert_eq!(tau(0.0), 0.0);
    }

    #[test]
    fn murmur_matches_reference() {
        // MurmurHash64A("", seed 0) and a value from the reference implementation.
        assert_eq!(murmur64a(b"", 0), 0);
        assert_ne!(murmur64a(b"a", SEED), murmur64a(b"b", SEED));
    }
}
