//! Reply encoder. Handlers write straight into the connection's output buffer
//! through these methods; each one knows how RESP2 and RESP3 spell the reply
//! (a map is `%n` in RESP3 and a flat `*2n` array in RESP2, a null is `_` or `$-1`).

use bytes::{BufMut, BytesMut};

pub struct Reply {
    pub buf: BytesMut,
    pub resp3: bool,
}

impl Reply {
    pub fn new(resp3: bool) -> Self {
        Reply {
            buf: BytesMut::with_capacity(16 * 1024),
            resp3,
        }
    }

    #[inline]
    pub fn ok(&mut self) {
        self.buf.put_slice(b"+OK\r\n");
    }

    pub fn simple(&mut self, s: &str) {
        self.simple_bytes(s.as_bytes());
    }

    pub fn simple_bytes(&mut self, s: &[u8]) {
        self.buf.put_u8(b'+');
        self.buf.put_slice(s);
        self.buf.put_slice(b"\r\n");
    }

    /// An error line; `s` carries its code (`ERR ...`, `WRONGTYPE ...`). Newlines in
    /// the text are replaced by spaces, as Redis's addReplyError does.
    pub fn error(&mut self, s: &str) {
        self.error_bytes(s.as_bytes());
    }

    /// An error line from raw bytes (arguments echoed into errors are not text).
    pub fn error_bytes(&mut self, s: &[u8]) {
        self.buf.put_u8(b'-');
        for &b in s {
            self.buf
                .put_u8(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.buf.put_slice(b"\r\n");
    }

    #[inline]
    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    #[inline]
    pub fn bulk(&mut self, s: &[u8]) {
        self.header(b'$', s.len() as i64);
        self.buf.put_slice(s);
        self.buf.put_slice(b"\r\n");
    }

    pub fn bulk_int(&mut self, n: i64) {
        let mut b = itoa::Buffer::new();
        self.bulk(b.format(n).as_bytes());
    }

    /// A null where a bulk string is expected.
    #[inline]
    pub fn null(&mut self) {
        self.buf
            .put_slice(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }

    /// A null where an array is expected.
    pub fn null_array(&mut self) {
        self.buf
            .put_slice(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }

    #[inline]
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map of `n` pairs (RESP2: an array of 2n).
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// A set (RESP2: an array).
    pub fn set(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n as i64);
    }

    /// An out-of-band push frame (RESP2: an array).
    pub fn push(&mut self, n: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, n as i64);
    }

    /// A double, formatted like Redis's addReplyDouble (%.17g). RESP2 sends it as a bulk.
    pub fn double(&mut self, d: f64) {
        let s = crate::util::fmt_double_g17(d);
        if self.resp3 {
            self.buf.put_u8(b',');
            self.buf.put_slice(s.as_bytes());
            self.buf.put_slice(b"\r\n");
        } else {
            self.bulk(s.as_bytes());
        }
    }

    /// A boolean (RESP2: integer 1/0).
    pub fn boolean(&mut self, b: bool) {
        if self.resp3 {
            self.buf.put_slice(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(b as i64);
        }
    }

    /// A verbatim string (`=len\r\ntxt:...`), a bulk string in RESP2.
    pub fn verbatim(&mut self, s: &[u8], ext: &str) {
        if self.resp3 {
            self.header(b'=', (s.len() + 4) as i64);
            self.buf.put_slice(ext.as_bytes());
            self.buf.put_u8(b':');
            self.buf.put_slice(s);
            self.buf.put_slice(b"\r\n");
        } else {
            self.bulk(s);
        }
    }

    /// Raw bytes already in RESP form.
    pub fn raw(&mut self, s: &[u8]) {
        self.buf.put_slice(s);
    }

    #[inline]
    fn header(&mut self, t: u8, n: i64) {
        let mut b = itoa::Buffer::new();
        self.buf.put_u8(t);
        self.buf.put_slice(b.format(n).as_bytes());
        self.buf.put_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(f: impl Fn(&mut Reply)) -> (String, String) {
        let mut r2 = Reply::new(false);
        let mut r3 = Reply::new(true);
        f(&mut r2);
        f(&mut r3);
        (
            String::from_utf8_lossy(&r2.buf).into_owned(),
            String::from_utf8_lossy(&r3.buf).into_owned(),
        )
    }

    #[test]
    fn shapes_per_protocol() {
        assert_eq!(both(|r| r.null()), ("$-1\r\n".into(), "_\r\n".into()));
        assert_eq!(both(|r| r.null_array()), ("*-1\r\n".into(), "_\r\n".into()));
        assert_eq!(both(|r| r.map(2)), ("*4\r\n".into(), "%2\r\n".into()));
        assert_eq!(both(|r| r.set(1)), ("*1\r\n".into(), "~1\r\n".into()));
        assert_eq!(
            both(|r| r.double(1.5)),
            ("$3\r\n1.5\r\n".into(), ",1.5\r\n".into())
        );
        assert_eq!(
            both(|r| r.boolean(true)),
            (":1\r\n".into(), "#t\r\n".into())
        );
        assert_eq!(
            both(|r| r.verbatim(b"a", "txt")),
            ("$1\r\na\r\n".into(), "=5\r\ntxt:a\r\n".into())
        );
        assert_eq!(both(|r| r.int(-3)), (":-3\r\n".into(), ":-3\r\n".into()));
        assert_eq!(
            both(|r| r.error("ERR a\nb")),
            ("-ERR a b\r\n".into(), "-ERR a b\r\n".into())
        );
    }
}
