//! The x87 80-bit `long double` that Redis 7.0's INCRBYFLOAT computes with on
//! x86-64: a 64-bit significand, 15-bit exponent, round-half-even arithmetic.
//! Parsing follows glibc's correctly rounded `strtold` (decimal and hex forms,
//! inf, no NaN) plus Redis's string2ld rejections; formatting is `%.17Lf` with
//! trailing zeros stripped (ld2string LD_STR_HUMAN). Everything is done on
//! exact big integers so every result is the correctly rounded one.

use num_bigint::BigUint;

/// Quantum exponent of the subnormals: the smallest value is 2^-16445.
const MIN_Q: i64 = -16445;
/// Finite values are below 2^16384.
const MAX_BITS_EXP: i64 = 16384;
/// Redis's MAX_LONG_DOUBLE_CHARS: string2ld refuses inputs this long or longer.
const MAX_CHARS: usize = 5 * 1024;

/// A long double: `m * 2^q` (zero is `m == 0`), or an infinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongDouble {
    Finite { neg: bool, m: u64, q: i64 },
    Inf { neg: bool },
}

/// The sum is not a number (inf + -inf).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotANumber;

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble::Finite {
        neg: false,
        m: 0,
        q: 0,
    };

    pub fn from_i64(v: i64) -> LongDouble {
        // Every i64 fits in a 64-bit significand exactly.
        LongDouble::Finite {
            neg: v < 0,
            m: v.unsigned_abs(),
            q: 0,
        }
    }

    pub fn is_finite(&self) -> bool {
        matches!(self, LongDouble::Finite { .. })
    }

    /// Parses like Redis's string2ld: the whole input must be a strtold number,
    /// no leading space, not NaN, no overflow and no underflow to zero.
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_CHARS {
            return None;
        }
        let (neg, rest) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::Inf { neg });
        }
        let parsed = if rest.len() > 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
            parse_hex(&rest[2..])?
        } else {
            parse_decimal(rest)?
        };
        match parsed {
            Parsed::Zero => Some(LongDouble::Finite { neg, m: 0, q: 0 }),
            Parsed::Overflow | Parsed::Underflow => None,
            Parsed::Exact(n, e) => match round(neg, &n, e) {
                LongDouble::Finite { m: 0, .. } | LongDouble::Inf { .. } => None,
                v => Some(v),
            },
            Parsed::Quotient(n, d, e) => match round_quotient(neg, &n, &d, e) {
                LongDouble::Finite { m: 0, .. } | LongDouble::Inf { .. } => None,
                v => Some(v),
            },
        }
    }

    /// `self + other` rounded to a long double (may be infinite).
    pub fn plus(self, other: LongDouble) -> Result<LongDouble, NotANumber> {
        use LongDouble::*;
        match (self, other) {
            (Inf { neg: a }, Inf { neg: b }) if a != b => Err(NotANumber),
            (Inf { neg }, _) | (_, Inf { neg }) => Ok(Inf { neg }),
            (
                Finite {
                    neg: na,
                    m: ma,
                    q: qa,
                },
                Finite {
                    neg: nb,
                    m: mb,
                    q: qb,
                },
            ) => {
                if ma == 0 && mb == 0 {
                    return Ok(Finite {
                        neg: na && nb,
                        m: 0,
                        q: 0,
                    });
                }
                if ma == 0 {
                    return Ok(other);
                }
                if mb == 0 {
                    return Ok(self);
                }
                let q = qa.min(qb);
                let a = BigUint::from(ma) << ((qa - q) as usize);
                let b = BigUint::from(mb) << ((qb - q) as usize);
                if na == nb {
                    Ok(round(na, &(a + b), q))
                } else if a == b {
                    Ok(LongDouble::ZERO)
                } else if a > b {
                    Ok(round(na, &(a - b), q))
                } else {
                    Ok(round(nb, &(b - a), q))
                }
            }
        }
    }

    /// `%.17Lf` with trailing zeros (and a bare '.') removed, "-0" made "0".
    pub fn to_human(self) -> String {
        let (neg, m, q) = match self {
            LongDouble::Inf { neg } => return if neg { "-inf".into() } else { "inf".into() },
            LongDouble::Finite { neg, m, q } => (neg, m, q),
        };
        let scale = BigUint::from(10u64).pow(17);
        let scaled: BigUint = if q >= 0 {
            (BigUint::from(m) << (q as usize)) * &scale
        } else {
            let k = (-q) as usize;
            let x = BigUint::from(m) * &scale;
            if k > x.bits() as usize + 1 {
                BigUint::default()
            } else {
                let r = &x >> k;
                let rem = &x - (&r << k);
                let half = BigUint::from(1u8) << (k - 1);
                if rem > half || (rem == half && r.bit(0)) {
                    r + 1u8
                } else {
                    r
                }
            }
        };
        let int_part = &scaled / &scale;
        let frac = (&scaled % &scale).to_string();
        let mut out = String::new();
        if neg {
            out.push('-');
        }
        out.push_str(&int_part.to_string());
        let padded = format!("{frac:0>17}");
        let trimmed = padded.trim_end_matches('0');
        if !trimmed.is_empty() {
            out.push('.');
            out.push_str(trimmed);
        }
        if out == "-0" {
            out = "0".into();
        }
        out
    }
}

enum Parsed {
    Zero,
    Overflow,
    Underflow,
    /// `n * 2^e`.
    Exact(BigUint, i64),
    /// `n / d * 2^e`.
    Quotient(BigUint, BigUint, i64),
}

/// Rounds `n * 2^e` (n > 0) to the nearest long double, ties to even,
/// producing subnormals below 2^-16382 and infinity on overflow.
fn round(neg: bool, n: &BigUint, e: i64) -> LongDouble {
    let bl = n.bits() as i64;
    if bl == 0 {
        return LongDouble::Finite { neg, m: 0, q: 0 };
    }
    let mut q = (e + bl - 64).max(MIN_Q);
    let shift = q - e;
    let mut m: u128 = if shift <= 0 {
        to_u128(&(n << ((-shift) as usize)))
    } else if shift > bl {
        0
    } else {
        let s = shift as usize;
        let kept = n >> s;
        let rem = n - (&kept << s);
        let half = BigUint::from(1u8) << (s - 1);
        let k = to_u128(&kept);
        if rem > half || (rem == half && k & 1 == 1) {
            k + 1
        } else {
            k
        }
    };
    if m == 1u128 << 64 {
        m >>= 1;
        q += 1;
    }
    let mbits = 128 - m.leading_zeros() as i64;
    if m != 0 && q + mbits > MAX_BITS_EXP {
        return LongDouble::Inf { neg };
    }
    LongDouble::Finite {
        neg,
        m: m as u64,
        q,
    }
}

/// Rounds `n / d * 2^e` by computing enough quotient bits plus a sticky bit.
fn round_quotient(neg: bool, n: &BigUint, d: &BigUint, e: i64) -> LongDouble {
    let extra = (d.bits() as i64 - n.bits() as i64 + 67).max(0) as usize;
    let num = n << extra;
    let quo = &num / d;
    let sticky = &quo * d != num;
    let mut x = quo << 1usize;
    if sticky {
        x += 1u8;
    }
    round(neg, &x, e - extra as i64 - 1)
}

fn to_u128(n: &BigUint) -> u128 {
    n.iter_u64_digits()
        .take(2)
        .enumerate()
        .fold(0u128, |acc, (i, d)| acc | ((d as u128) << (64 * i)))
}

/// Reads an exponent's digits saturating (huge exponents only need their sign).
fn parse_exp(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = digits.iter().fold(0i64, |acc, &c| {
        (acc * 10 + (c - b'0') as i64).min(1_000_000_000)
    });
    Some(if neg { -v } else { v })
}

/// Splits `digits[.digits][<exp_char>exp]` into (integer digits, fraction digits,
/// exponent); at least one digit is required.
fn split_number(s: &[u8], exp_char: u8, is_digit: fn(&u8) -> bool) -> Option<(&[u8], &[u8], i64)> {
    let int_len = s.iter().take_while(|c| is_digit(c)).count();
    let int = &s[..int_len];
    let mut rest = &s[int_len..];
    let mut frac: &[u8] = &[];
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| is_digit(c)).count();
        frac = &rest[1..1 + n];
        rest = &rest[1 + n..];
    }
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let exp = if rest.is_empty() {
        0
    } else if rest[0] | 0x20 == exp_char {
        parse_exp(&rest[1..])?
    } else {
        return None;
    };
    Some((int, frac, exp))
}

fn parse_decimal(s: &[u8]) -> Option<Parsed> {
    let (int, frac, exp) = split_number(s, b'e', u8::is_ascii_digit)?;
    let mut digits: Vec<u8> = int.iter().chain(frac).copied().collect();
    let mut e10 = exp - frac.len() as i64;
    let lead = digits.iter().take_while(|&&c| c == b'0').count();
    digits.drain(..lead);
    while digits.last() == Some(&b'0') {
        digits.pop();
        e10 += 1;
    }
    if digits.is_empty() {
        return Some(Parsed::Zero);
    }
    let magnitude = e10 + digits.len() as i64; // value < 10^magnitude
    if magnitude > 4934 {
        return Some(Parsed::Overflow);
    }
    if magnitude < -4952 {
        return Some(Parsed::Underflow);
    }
    let n = BigUint::parse_bytes(&digits, 10)?;
    if e10 >= 0 {
        Some(Parsed::Exact(n * BigUint::from(10u8).pow(e10 as u32), 0))
    } else {
        Some(Parsed::Quotient(
            n,
            BigUint::from(10u8).pow((-e10) as u32),
            0,
        ))
    }
}

fn parse_hex(s: &[u8]) -> Option<Parsed> {
    let (int, frac, exp) = split_number(s, b'p', u8::is_ascii_hexdigit)?;
    let digits: Vec<u8> = int.iter().chain(frac).copied().collect();
    let n = BigUint::parse_bytes(&digits, 16)?;
    if n.bits() == 0 {
        return Some(Parsed::Zero);
    }
    let e2 = exp - 4 * frac.len() as i64;
    let top = e2 + n.bits() as i64;
    if top > MAX_BITS_EXP + 1 {
        return Some(Parsed::Overflow);
    }
    if top < MIN_Q - 1 {
        return Some(Parsed::Underflow);
    }
    Some(Parsed::Exact(n, e2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incr(a: &str, b: &str) -> String {
        let x = LongDouble::parse(a.as_bytes()).expect("valid a");
        let y = LongDouble::parse(b.as_bytes()).expect("valid b");
        x.plus(y).expect("a number").to_human()
    }

    /// Expected values printed by redis-server 7.0.15 (SET k a; INCRBYFLOAT k b).
    #[test]
    fn matches_redis_incrbyfloat() {
        let cases: &[(&str, &str, &str)] = include!("long_double_cases.in");
        for (a, b, want) in cases {
            assert_eq!(&incr(a, b), want, "{a} + {b}");
        }
    }

    #[test]
    fn parse_rules() {
        for bad in [
            "", " 1", "1 ", "nan", "-nan", "1e", "e1", ".", "-", "0x", "0x1p", "1e5000", "1e-5000",
            "abc", "1.2.3", "++1", "0x1.8q1",
        ] {
            assert!(LongDouble::parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
        for good in [
            "1",
            "-1.5",
            ".5",
            "5.",
            "+3",
            "1E3",
            "0x10",
            "0x.8p1",
            "inf",
            "-Infinity",
            "0e99999",
        ] {
            assert!(LongDouble::parse(good.as_bytes()).is_some(), "{good:?}");
        }
        assert!(LongDouble::parse(&[b'1'; 5120]).is_none());
    }

    #[test]
    fn ties_round_to_even_when_printed() {
        assert_eq!(incr("0.000003814697265625", "0"), "0.00000381469726562");
        assert_eq!(incr("0.000011444091796875", "0"), "0.00001144409179688");
        assert_eq!(incr("-0", "-0"), "0");
        assert!(LongDouble::parse(b"inf")
            .and_then(|i| i.plus(LongDouble::parse(b"-inf")?).err())
            .is_some());
    }
}
