//! LEB128 varints, the length and score headers of our packed encodings
//! (listpack.rs, lpack.rs, zpack.rs): 7 bits per byte, low groups first, the
//! high bit set on every byte but the last.

/// `n`'s bytes and how many of them are used.
#[inline]
pub fn encode(mut n: u64) -> ([u8; 10], usize) {
    let mut h = [0u8; 10];
    let mut i = 0;
    while n >= 0x80 {
        h[i] = (n as u8) | 0x80;
        n >>= 7;
        i += 1;
    }
    h[i] = n as u8;
    (h, i + 1)
}

#[inline]
pub fn put(out: &mut Vec<u8>, n: u64) {
    let (h, hl) = encode(n);
    out.extend_from_slice(&h[..hl]);
}

/// The varint at `pos`, and the position after it.
#[inline]
pub fn get(buf: &[u8], mut pos: usize) -> (u64, usize) {
    let mut n = 0u64;
    let mut shift = 0;
    loop {
        let b = buf[pos];
        pos += 1;
        n |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return (n, pos);
        }
        shift += 7;
    }
}

/// How many bytes `encode(n)` uses.
#[inline]
pub fn len(n: u64) -> usize {
    let bits = u64::BITS - (n | 1).leading_zeros();
    bits.div_ceil(7) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_sizes() {
        for n in [0, 1, 127, 128, 16383, 16384, 2097151, 2097152, u64::MAX] {
            let (h, hl) = encode(n);
            assert_eq!(len(n), hl, "{n}");
            assert_eq!(get(&h[..hl], 0), (n, hl));
        }
    }
}
