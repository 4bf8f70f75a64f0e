//! Parsing of sorted-set arguments: scores as C's strtod reads them
//! (getDoubleFromObject for scores and increments, zslParseRange for score
//! ranges), and lexicographic range items (zslParseLexRangeItem).

use std::cmp::Ordering;

/// What strtod makes of `s`: the value, how many bytes it consumed (0 when
/// nothing converted) and whether it overflowed or underflowed to zero.
pub(crate) fn strtod(s: &[u8]) -> (f64, usize, bool) {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let rest = &s[i..];
    let starts = |w: &[u8]| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w);
    let sign = if neg { -1.0 } else { 1.0 };
    if starts(b"infinity") {
        return (sign * f64::INFINITY, i + 8, false);
    }
    if starts(b"inf") {
        return (sign * f64::INFINITY, i + 3, false);
    }
    if starts(b"nan") {
        return (f64::NAN, i + 3, false);
    }
    let hexdig = |c: u8| (c as char).to_digit(16);
    if starts(b"0x")
        && rest.get(2).is_some_and(|&c| {
            hexdig(c).is_some() || (c == b'.' && rest.get(3).and_then(|&d| hexdig(d)).is_some())
        })
    {
        let mut j = 2;
        let mut mant = 0f64;
        let mut exp: i64 = 0;
        while let Some(d) = rest.get(j).and_then(|&c| hexdig(c)) {
            mant = mant * 16.0 + d as f64;
            j += 1;
        }
        if rest.get(j) == Some(&b'.') {
            j += 1;
            while let Some(d) = rest.get(j).and_then(|&c| hexdig(c)) {
                mant = mant * 16.0 + d as f64;
                exp -= 4;
                j += 1;
            }
        }
        if matches!(rest.get(j), Some(b'p' | b'P')) {
            let mut k = j + 1;
            let mut eneg = false;
            if matches!(rest.get(k), Some(b'+' | b'-')) {
                eneg = rest[k] == b'-';
                k += 1;
            }
            if rest.get(k).is_some_and(|c| c.is_ascii_digit()) {
                let mut e: i64 = 0;
                while let Some(c) = rest.get(k).filter(|c| c.is_ascii_digit()) {
                    e = (e * 10 + (c - b'0') as i64).min(100_000);
                    k += 1;
                }
                exp += if eneg { -e } else { e };
                j = k;
            }
        }
        let v = sign * mant * 2f64.powi(exp.clamp(-10_000, 10_000) as i32);
        let erange = v.is_infinite() || (v == 0.0 && mant != 0.0);
        return (v, i + j, erange);
    }
    let mut j = 0;
    let mut digits = 0;
    let mut nonzero = false;
    while j < rest.len() && rest[j].is_ascii_digit() {
        nonzero |= rest[j] != b'0';
        j += 1;
        digits += 1;
    }
    if j < rest.len() && rest[j] == b'.' {
        j += 1;
        while j < rest.len() && rest[j].is_ascii_digit() {
            nonzero |= rest[j] != b'0';
            j += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return (0.0, 0, false);
    }
    if j < rest.len() && (rest[j] == b'e' || rest[j] == b'E') {
        let mut k = j + 1;
        if k < rest.len() && (rest[k] == b'+' || rest[k] == b'-') {
            k += 1;
        }
        if k < rest.len() && rest[k].is_ascii_digit() {
            while k < rest.len() && rest[k].is_ascii_digit() {
                k += 1;
            }
            j = k;
        }
    }
    let text = std::str::from_utf8(&rest[..j]).unwrap_or("0");
    let v: f64 = text.parse().unwrap_or(0.0);
    let erange = v.is_infinite() || (v == 0.0 && nonzero);
    (sign * v, i + j, erange)
}

/// A score or increment argument (getDoubleFromObject): the whole string, no
/// leading space, no overflow, not NaN.
pub fn score(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s[0].is_ascii_whitespace() || s[0] == 0x0b {
        return None;
    }
    let (v, n, erange) = strtod(s);
    if n != s.len() || erange || v.is_nan() {
        return None;
    }
    Some(v)
}

/// One bound of a score range as zslParseRange reads it: strtod up to the end
/// of the C string, NaN refused.
fn range_value(s: &[u8]) -> Option<f64> {
    let s = &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())];
    let (v, n, _) = strtod(s);
    if n != s.len() || v.is_nan() {
        return None;
    }
    Some(v)
}

/// A score interval with optional exclusive ends ("(1.5").
#[derive(Debug, Clone, Copy)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let item = |s: &[u8]| match s.first() {
            Some(b'(') => range_value(&s[1..]).map(|v| (v, true)),
            _ => range_value(s).map(|v| (v, false)),
        };
        let (min, minex) = item(min)?;
        let (max, maxex) = item(max)?;
        Some(ScoreRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    #[inline]
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    #[inline]
    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }
}

/// One end of a lexicographic range: `-`, `+`, `[value` or `(value`.
#[derive(Debug, Clone, Copy)]
pub enum LexItem<'a> {
    Min,
    Max,
    Val(&'a [u8], bool),
}

impl LexItem<'_> {
    fn parse(s: &[u8]) -> Option<LexItem<'_>> {
        match s.first()? {
            b'+' if s.len() == 1 => Some(LexItem::Max),
            b'-' if s.len() == 1 => Some(LexItem::Min),
            b'(' => Some(LexItem::Val(&s[1..], true)),
            b'[' => Some(LexItem::Val(&s[1..], false)),
            _ => None,
        }
    }

    /// sdscmplex(value, item).
    fn cmp_value(&self, v: &[u8]) -> Ordering {
        match self {
            LexItem::Min => Ordering::Greater,
            LexItem::Max => Ordering::Less,
            LexItem::Val(b, _) => v.cmp(b),
        }
    }

    fn excl(&self) -> bool {
        !matches!(self, LexItem::Val(_, false))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct LexRange<'a> {
    pub min: LexItem<'a>,
    pub max: LexItem<'a>,
}

impl<'a> LexRange<'a> {
    pub fn parse(min: &'a [u8], max: &'a [u8]) -> Option<LexRange<'a>> {
        Some(LexRange {
            min: LexItem::parse(min)?,
            max: LexItem::parse(max)?,
        })
    }

    /// No string can be in it (the first check of zslIsInLexRange).
    pub fn is_empty(&self) -> bool {
        let c = match (self.min, self.max) {
            (LexItem::Min, LexItem::Min) | (LexItem::Max, LexItem::Max) => Ordering::Equal,
            (LexItem::Min, _) | (_, LexItem::Max) => Ordering::Less,
            (LexItem::Max, _) | (_, LexItem::Min) => Ordering::Greater,
            (LexItem::Val(a, _), LexItem::Val(b, _)) => a.cmp(b),
        };
        c.is_gt() || (c.is_eq() && (self.min.excl() || self.max.excl()))
    }

    #[inline]
    pub fn gte_min(&self, v: &[u8]) -> bool {
        let c = self.min.cmp_value(v);
        if self.min.excl() {
            c.is_gt()
        } else {
            c.is_ge()
        }
    }

    #[inline]
    pub fn lte_max(&self, v: &[u8]) -> bool {
        let c = self.max.cmp_value(v);
        if self.max.excl() {
            c.is_lt()
        } else {
            c.is_le()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_parse_like_redis() {
        assert_eq!(score(b"0x10"), Some(16.0));
        assert_eq!(score(b"0x1p3"), Some(8.0));
        assert_eq!(score(b".5"), Some(0.5));
        assert_eq!(score(b"5."), Some(5.0));
        assert_eq!(score(b"-INF"), Some(f64::NEG_INFINITY));
        assert_eq!(score(b"+inf"), Some(f64::INFINITY));
        assert!(score(b"1e-310").is_some());
        for bad in [
            &b"1e400"[..],
            b"1e-400",
            b" 1",
            b"1 ",
            b"",
            b"nan",
            b"1e",
            b"abc",
        ] {
            assert_eq!(score(bad), None, "{:?}", bad);
        }
        let r = ScoreRange::parse(b"(", b"1e400").expect("valid");
        assert!(r.minex && r.min == 0.0 && r.max.is_infinite());
        assert!(ScoreRange::parse(b" 1", b"").is_some());
        assert!(ScoreRange::parse(b"1 ", b"2").is_none());
        assert!(ScoreRange::parse(b"(nan", b"2").is_none());
    }

    #[test]
    fn lex_items() {
        let r = LexRange::parse(b"[b", b"(d").expect("valid");
        assert!(r.gte_min(b"b") && !r.gte_min(b"a"));
        assert!(r.lte_max(b"c") && !r.lte_max(b"d"));
        let all = LexRange::parse(b"-", b"+").expect("valid");
        assert!(all.gte_min(b"") && all.lte_max(b"\xff"));
        assert!(LexRange::parse(b"a", b"+").is_none());
        assert!(LexRange::parse(b"+x", b"+").is_none());
        assert!(LexRange::parse(b"", b"+").is_none());
    }
}
