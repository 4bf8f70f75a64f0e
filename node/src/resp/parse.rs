//! Incremental request decoder: RESP multibulk arrays and inline commands, with
//! Redis 7.0's limits and error texts (`networking.c`: processMultibulkBuffer and
//! processInlineBuffer).
//!
//! Arguments are split off the read buffer as `Bytes` without copying. The decoder
//! keeps its position inside a multibulk request between reads, so a request with a
//! million arguments arriving in small reads is decoded in linear time.

use bytes::{Buf, Bytes, BytesMut};

/// Longest inline request, or multibulk/bulk header line, Redis accepts (PROTO_INLINE_MAX_SIZE).
pub const INLINE_MAX: usize = 64 * 1024;
/// Above this many elements or bytes an unauthenticated client is refused (7.0 hardening).
const UNAUTH_MAX_MULTIBULK: i64 = 10;
const UNAUTH_MAX_BULK: i64 = 16 * 1024;

/// A malformed request. The text is what Redis replies (after `-ERR `) before it
/// closes the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Protocol error: {0}")]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(s: impl Into<String>) -> Self {
        ProtocolError(s.into())
    }
}

/// Limits that come from the configuration and the client's auth state.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bulk_len: i64,
    pub authenticated: bool,
}

#[derive(Debug, Default)]
pub struct RequestParser {
    args: Vec<Bytes>,
    /// Elements still to read in the current multibulk request; 0 when between requests.
    remaining: usize,
    /// Length of the bulk being read, once its `$len` header was consumed.
    bulk_len: Option<usize>,
    /// An emptied argument vector handed back by the caller, reused so a request
    /// costs no allocation for its argument list.
    spare: Vec<Bytes>,
}

impl RequestParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives back a request's argument vector for reuse.
    pub fn recycle(&mut self, mut args: Vec<Bytes>) {
        args.clear();
        if args.capacity() <= 1024 {
            self.spare = args;
        }
    }

    /// True while in the middle of a request (bytes consumed but not yet a command).
    pub fn in_request(&self) -> bool {
        self.remaining > 0
    }

    /// How many more bytes the current bulk needs, so the reader can size its buffer.
    pub fn bulk_hint(&self, buffered: usize) -> Option<usize> {
        self.bulk_len.map(|n| (n + 2).saturating_sub(buffered))
    }

    /// Decodes the next whole request from `buf`. `Ok(None)`: more bytes needed.
    /// Empty requests (`*0`, `*-1`, blank inline lines) are skipped, as Redis does.
    pub fn next(
        &mut self,
        buf: &mut BytesMut,
        lim: Limits,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            if self.remaining == 0 {
                if buf.is_empty() {
                    return Ok(None);
                }
                if buf[0] != b'*' {
                    match self.inline(buf)? {
                        None => return Ok(None),
                        Some(args) if args.is_empty() => continue,
                        Some(args) => return Ok(Some(args)),
                    }
                }
                let Some(line) = take_line(buf, "too big mbulk count string")? else {
                    return Ok(None);
                };
                let n = match parse_i64(&line[1..]) {
                    Some(n) if n <= i32::MAX as i64 => n,
                    _ => return Err(ProtocolError::new("invalid multibulk length")),
                };
                if n > UNAUTH_MAX_MULTIBULK && !lim.authenticated {
                    return Err(ProtocolError::new("unauthenticated multibulk length"));
                }
                if n <= 0 {
                    continue;
                }
                self.remaining = n as usize;
                self.args = std::mem::take(&mut self.spare);
                self.args.reserve(self.remaining.min(1024));
            }
            while self.remaining > 0 {
                let len = match self.bulk_len {
                    Some(len) => len,
                    None => {
                        if buf.is_empty() {
                            return Ok(None);
                        }
                        let Some(line) = take_line(buf, "too big bulk count string")? else {
                            return Ok(None);
                        };
                        if line[0] != b'$' {
                            return Err(ProtocolError(format!(
                                "expected '$', got '{}'",
                                line[0] as char
                            )));
                        }
                        let len = match parse_i64(&line[1..]) {
                            Some(n) if n >= 0 && n <= lim.max_bulk_len => n,
                            _ => return Err(ProtocolError::new("invalid bulk length")),
                        };
                        if len > UNAUTH_MAX_BULK && !lim.authenticated {
                            return Err(ProtocolError::new("unauthenticated bulk length"));
                        }
                        let len = len as usize;
                        self.bulk_len = Some(len);
                        if buf.capacity() < len + 2 {
                            buf.reserve(len + 2 - buf.len());
                        }
                        len
                    }
                };
                if buf.len() < len + 2 {
                    return Ok(None);
                }
                self.args.push(buf.split_to(len).freeze());
                // Redis skips the two bytes after a bulk without checking them.
                buf.advance(2);
                self.bulk_len = None;
                self.remaining -= 1;
            }
            return Ok(Some(std::mem::take(&mut self.args)));
        }
    }

    fn inline(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let Some(nl) = strchr(b'\n', buf) else {
            if buf.len() > INLINE_MAX {
                return Err(ProtocolError::new("too big inline request"));
            }
            return Ok(None);
        };
        let line = buf.split_to(nl + 1);
        let mut end = nl;
        if end > 0 && line[end - 1] == b'\r' {
            end -= 1;
        }
        match split_args(&line[..end]) {
            Some(args) => Ok(Some(args.into_iter().map(Bytes::from).collect())),
            None => Err(ProtocolError::new("unbalanced quotes in request")),
        }
    }
}

/// Takes one `\r\n`-terminated header line off the buffer (without the terminator).
fn take_line(buf: &mut BytesMut, too_big: &str) -> Result<Option<BytesMut>, ProtocolError> {
    match strchr(b'\r', buf) {
        Some(cr) if cr + 1 < buf.len() => {
            let line = buf.split_to(cr);
            buf.advance(2);
            Ok(Some(line))
        }
        Some(_) => Ok(None),
        None if buf.len() > INLINE_MAX => Err(ProtocolError::new(too_big)),
        None => Ok(None),
    }
}

/// Like C's strchr over Redis's NUL-terminated query buffer: a NUL byte before
/// `b` hides it, so Redis keeps waiting for a line end it will never see.
fn strchr(b: u8, s: &[u8]) -> Option<usize> {
    match s.iter().position(|&c| c == b || c == 0) {
        Some(i) if s[i] == b => Some(i),
        _ => None,
    }
}

/// Parses a decimal integer the way Redis's string2ll does: no spaces, no '+',
/// no leading zeros, fits in i64.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    crate::util::string2ll(s)
}

/// Splits an inline command line like sdssplitargs: whitespace separates
/// arguments; "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes;
/// 'single quotes' take \'. A closing quote must be followed by a space or the end.
/// Returns None on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            if inq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && line[i + 2].is_ascii_hexdigit()
                    && line[i + 3].is_ascii_hexdigit()
                {
                    cur.push(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                    i += 3;
                } else if line[i] == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    });
                } else if line[i] == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else if insq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if line[i] == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        i += 1;
                        break;
                    }
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: Limits = Limits {
        max_bulk_len: 512 * 1024 * 1024,
        authenticated: true,
    };

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(args) = p.next(&mut buf, LIM)? {
            out.push(args);
        }
        Ok(out)
    }

    fn strs(v: &[Vec<Bytes>]) -> Vec<Vec<&[u8]>> {
        v.iter()
            .map(|a| a.iter().map(|b| b.as_ref()).collect())
            .collect()
    }

    #[test]
    fn multibulk_and_inline_mixed() {
        let got =
            parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nx\r\nPING\r\n\r\nSET a \"b c\"\n*0\r\n*-1\r\n")
                .unwrap();
        assert_eq!(
            strs(&got),
            vec![
                vec![&b"GET"[..], b"x"],
                vec![b"PING"],
                vec![b"SET", b"a", b"b c"]
            ]
        );
    }

    #[test]
    fn byte_at_a_time_gives_the_same_requests() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\nECHO hi\r\n";
        let mut p = RequestParser::new();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for &b in input.iter() {
            buf.extend_from_slice(&[b]);
            while let Some(args) = p.next(&mut buf, LIM).unwrap() {
                out.push(args);
            }
        }
        assert_eq!(
            strs(&out),
            vec![vec![&b"SET"[..], b"k", b"hello"], vec![b"ECHO", b"hi"]]
        );
    }

    #[test]
    fn errors_use_redis_texts() {
        let cases: &[(&[u8], &str)] = &[
            (b"*abc\r\n", "invalid multibulk length"),
            (b"*3000000000\r\n", "invalid multibulk length"),
            (b"*1\r\n:5\r\n", "expected '$', got ':'"),
            (b"*1\r\n$-5\r\n", "invalid bulk length"),
            (b"*1\r\n$600000000\r\n", "invalid bulk length"),
            (b"PING \"abc\r\n", "unbalanced quotes in request"),
            (b"*1\r\n$01\r\n", "invalid bulk length"),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_all(input).unwrap_err().0,
                *want,
                "input {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn oversized_headers_are_refused() {
        let mut big = vec![b'*'];
        big.extend(std::iter::repeat_n(b'1', INLINE_MAX + 10));
        assert_eq!(parse_all(&big).unwrap_err().0, "too big mbulk count string");
        let inline = vec![b'a'; INLINE_MAX + 10];
        assert_eq!(parse_all(&inline).unwrap_err().0, "too big inline request");
    }

    #[test]
    fn unauthenticated_limits() {
        let mut p = RequestParser::new();
        let lim = Limits {
            authenticated: false,
            ..LIM
        };
        let mut buf = BytesMut::from(&b"*11\r\n"[..]);
        assert_eq!(
            p.next(&mut buf, lim).unwrap_err().0,
            "unauthenticated multibulk length"
        );
        let mut p = RequestParser::new();
        let mut buf = BytesMut::from(&b"*1\r\n$16385\r\n"[..]);
        assert_eq!(
            p.next(&mut buf, lim).unwrap_err().0,
            "unauthenticated bulk length"
        );
    }

    #[test]
    fn split_args_quotes_and_escapes() {
        let s = |x: &str| {
            split_args(x.as_bytes()).map(|v| {
                v.into_iter()
                    .map(|a| String::from_utf8_lossy(&a).into_owned())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(s("a  b\tc").unwrap(), vec!["a", "b", "c"]);
        assert_eq!(s(r#""x\x41\n" 'it\'s'"#).unwrap(), vec!["xA\n", "it's"]);
        assert_eq!(s(r#""""#).unwrap(), vec![""]);
        assert!(s(r#""abc"d"#).is_none());
        assert!(s("'abc").is_none());
    }
}
