//! The timeout argument of the blocking commands (getTimeoutFromObjectOrReply
//! with UNIT_SECONDS), including its C corner cases: the value is a long
//! double (strtold syntax, hex included), converted to milliseconds with
//! ceill and then cast to long long, so out-of-range values come out as
//! LLONG_MIN and are reported as negative.

use crate::commands::CmdError;

const ERR_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
const ERR_NEGATIVE: &str = "ERR timeout is negative";

/// Decimal exponent range of an x87 long double (about 1.19e4932 down to the
/// smallest subnormal, 3.6e-4951): strtold reports ERANGE beyond it.
const LD_MAX_EXP10: i64 = 4932;
const LD_MIN_EXP10: i64 = -4950;

/// The absolute deadline (unix ms) for a timeout argument; 0 waits forever.
pub fn parse_deadline(arg: &[u8], now_ms: i64) -> Result<i64, CmdError> {
    let secs = parse_long_double(arg).ok_or(CmdError::from(ERR_NOT_FLOAT))?;
    let ms = (secs * 1000.0).ceil();
    // (long long) of a value out of range (or infinite) is LLONG_MIN on x86.
    if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&ms) || ms < 0.0 {
        return Err(ERR_NEGATIVE.into());
    }
    let ms = ms as i64;
    Ok(if ms > 0 { now_ms.saturating_add(ms) } else { 0 })
}

/// string2ld: strtold syntax, nothing around it, not NaN, no ERANGE.
fn parse_long_double(arg: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(arg).ok()?;
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let (neg, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let v = if lower == "inf" || lower == "infinity" {
        f64::INFINITY
    } else if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex(hex)?
    } else {
        if !lower
            .bytes()
            .all(|c| c.is_ascii_digit() || b".e+-".contains(&c))
        {
            return None;
        }
        let v: f64 = lower.parse().ok()?;
        // f64 overflows and underflows long before a long double does.
        if v.is_infinite() || (v == 0.0 && has_nonzero_digit(&lower)) {
            let e = decimal_exponent(&lower)?;
            if !(LD_MIN_EXP10..=LD_MAX_EXP10).contains(&e) {
                return None;
            }
        }
        v
    };
    Some(if neg { -v } else { v })
}

fn has_nonzero_digit(s: &str) -> bool {
    let mantissa = s.split('e').next().unwrap_or("");
    mantissa.bytes().any(|c| (b'1'..=b'9').contains(&c))
}

/// The decimal exponent of a decimal literal's leading digit (1e400 -> 400).
fn decimal_exponent(s: &str) -> Option<i64> {
    let (mantissa, exp) = match s.split_once('e') {
        Some((m, e)) => (m, e.parse::<i64>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let int = int.trim_start_matches('0');
    let lead = if !int.is_empty() {
        int.len() as i64 - 1
    } else {
        let zeros = frac.bytes().take_while(|&c| c == b'0').count() as i64;
        -(zeros + 1)
    };
    Some(lead.saturating_add(exp))
}

/// A strtold hex float body after "0x": hex digits, an optional fraction and
/// an optional binary exponent (0x1p-20, 0x.8).
fn parse_hex(s: &str) -> Option<f64> {
    let (mantissa, exp) = match s.split_once('p') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What redis-server 7.0.15 answered to BLPOP k <timeout>.
    #[test]
    fn timeouts_as_redis_parses_them() {
        let now = 1_000_000;
        let ok = |s: &str| parse_deadline(s.as_bytes(), now);
        assert_eq!(ok("0"), Ok(0));
        assert_eq!(ok("-0"), Ok(0));
        assert_eq!(ok("-0.0001"), Ok(0), "ceil(-0.1 ms) is 0: forever");
        assert_eq!(ok("0.0001"), Ok(now + 1));
        assert_eq!(ok("1e-5"), Ok(now + 1));
        assert_eq!(ok("1.5"), Ok(now + 1500));
        assert_eq!(ok("0x10"), Ok(now + 16_000));
        assert_eq!(ok("0x1p-20"), Ok(now + 1));
        assert_eq!(ok("0x.8"), Ok(now + 500));
        for neg in [
            "-1",
            "inf",
            "-inf",
            "1e16",
            "1e17",
            "1e400",
            "9223372036854775808",
        ] {
            assert_eq!(ok(neg), Err(ERR_NEGATIVE.into()), "{neg}");
        }
        for bad in [
            "", " 1", "1 ", "1.x", "nan", "1e5000", "1e-5000", "abc", "0x",
        ] {
            assert_eq!(ok(bad), Err(ERR_NOT_FLOAT.into()), "{bad:?}");
        }
    }
}
