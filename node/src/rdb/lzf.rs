//! LZF, as Redis 7.0 builds liblzf (HLOG 16, VERY_FAST): the compressor makes
//! the same choices as lzf_compress so DUMP payloads and RDB files match
//! redis-server's byte for byte, and gives up the same way when the output
//! would not fit `out_len`. The hash table starts zeroed (Redis leaves it
//! uninitialised; the match checks make that only a rare missed match).

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

#[inline]
fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// lzf_compress: the compressed bytes, or None when they would not fit in
/// `out_len` bytes (or the input is empty).
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let in_len = input.len();
    if in_len == 0 || out_len == 0 {
        return None;
    }
    // Positions + 1, so 0 means "empty slot" (never a usable reference).
    let mut htab = vec![0u32; HSIZE];
    // Slack past out_len: the C code may write up to 3 bytes after its last check.
    let mut out = vec![0u8; out_len + 8];
    let out_end = out_len;
    let mut ip = 0usize;
    let mut op = 1usize; // start run
    let mut lit = 0usize;
    let frst = |p: usize| ((input[p] as u32) << 8) | input[p + 1] as u32;
    let mut hval = if in_len >= 2 { frst(0) } else { 0 };
    while in_len >= 3 && ip < in_len - 2 {
        hval = (hval << 8) | input[ip + 2] as u32;
        let slot = idx(hval);
        let r = htab[slot] as usize;
        htab[slot] = ip as u32 + 1;
        let matched = r > 1 // ref > in_data: the reference is past the first byte
            && {
                let rf = r - 1;
                let off = ip - rf - 1;
                off < MAX_OFF
                    && ip + 4 < in_len
                    && input[rf] == input[ip]
                    && input[rf + 1] == input[ip + 1]
                    && input[rf + 2] == input[ip + 2]
            };
        if matched {
            let rf = r - 1;
            let off = ip - rf - 1;
            let mut len = 2usize;
            let maxlen = (in_len - ip - len).min(MAX_REF);
            // stop run
            out[op - lit - 1] = (lit as u8).wrapping_sub(1);
            if lit == 0 {
                op -= 1;
            }
            if op + 3 + 1 >= out_end {
                return None;
            }
            let mut done = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if input[rf + len] != input[ip + len] {
                        done = true;
                        break;
                    }
                }
            }
            if !done {
                loop {
                    len += 1;
                    if !(len < maxlen && input[rf + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            len -= 2;
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1; // start run
            ip += len + 1;
            if ip >= in_len - 2 {
                break;
            }
            ip -= 2;
            hval = frst(ip);
            hval = (hval << 8) | input[ip + 2] as u32;
            htab[idx(hval)] = ip as u32 + 1;
            ip += 1;
            hval = (hval << 8) | input[ip + 2] as u32;
            htab[idx(hval)] = ip as u32 + 1;
            ip += 1;
        } else {
            if op >= out_end {
                return None;
            }
            lit += 1;
            out[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > out_end {
        return None;
    }
    while ip < in_len {
        lit += 1;
        out[op] = input[ip];
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    if lit == 0 {
        op -= 1;
    }
    if op > out_len {
        return None;
    }
    out.truncate(op);
    Some(out)
}

/// lzf_decompress into exactly `ulen` bytes; None on any malformed input.
pub fn decompress(input: &[u8], ulen: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(ulen);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            if out.len() + n > ulen || ip + n > input.len() {
                return None;
            }
            out.extend_from_slice(&input[ip..ip + n]);
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip)? as usize;
                ip += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(ip)? as usize + 1;
            ip += 1;
            let n = len + 2;
            if out.len() + n > ulen || back > out.len() {
                return None;
            }
            let start = out.len() - back;
            for i in 0..n {
                let b = out[start + i];
                out.push(b);
            }
        }
    }
    (out.len() == ulen).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_bytes_for_a_run() {
        // From a real 7.0.15 dump: 40 x "a" is stored as these 9 bytes.
        let c = compress(&[b'a'; 40], 36).unwrap();
        assert_eq!(c, [0x01, 0x61, 0x61, 0xe0, 0x1b, 0x00, 0x01, 0x61, 0x61]);
        assert_eq!(decompress(&c, 40).unwrap(), vec![b'a'; 40]);
    }

    #[test]
    fn round_trips_and_limits() {
        let mut data = Vec::new();
        for i in 0..5000u32 {
            data.extend_from_slice(format!("key:{}:{} ", i % 97, i % 13).as_bytes());
        }
        let c = compress(&data, data.len()).unwrap();
        assert!(c.len() < data.len() / 2);
        assert_eq!(decompress(&c, data.len()).unwrap(), data);
        // Incompressible input does not fit len - 4.
        let noise: Vec<u8> = (0..200u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert!(compress(&noise, noise.len() - 4).is_none());
        for n in 1..40 {
            let d: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
            if let Some(c) = compress(&d, d.len() + 16) {
                assert_eq!(decompress(&c, d.len()).unwrap(), d, "len {n}");
            }
        }
        assert!(decompress(&c, data.len() + 1).is_none());
        assert!(decompress(&[0xe0], 10).is_none());
        assert!(
            decompress(&[0x20, 0x05], 10).is_none(),
            "reference before the start"
        );
    }
}
