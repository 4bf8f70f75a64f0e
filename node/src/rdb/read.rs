//! The RDB reader: every type code and opcode Redis 7.0 reads that maps to
//! our types, validating as it goes. Nothing is installed until the whole
//! file parsed and its checksum matched; no input makes it panic or allocate
//! more than the input can justify.

use std::borrow::Cow;

use super::packed::{self, Elem};
use super::{crc64, lzf, op, ty, Aux, Encodings, RdbError, RDB_VERSION};
use crate::store::db::{Clock, Db, Key, LFU_INIT_VAL, LRU_CLOCK_MAX};
use crate::store::dict::Dict;
use crate::store::hash::Hash;
use crate::store::list::{End, List};
use crate::store::set::{Intset, Set};
use crate::store::value::{Obj, Str, Value};
use crate::store::zset::ZSet;
use crate::util::{string2d, string2ll};

type Result<T> = std::result::Result<T, RdbError>;

fn corrupt(what: impl Into<String>) -> RdbError {
    RdbError::Corrupt(what.into())
}

/// How to load: the encodings and clock of the server, and what to keep.
#[derive(Debug, Clone, Copy)]
pub struct LoadOpts {
    pub enc: Encodings,
    pub now_ms: i64,
    /// A master drops keys already expired; a replica keeps them for its
    /// master's DEL.
    pub drop_expired: bool,
    pub databases: usize,
    /// rdbchecksum: verify the CRC-64 footer (a stored zero is never checked).
    pub verify_checksum: bool,
}

/// A parsed RDB file, ready for [`super::install`].
pub struct Loaded {
    pub dbs: Vec<(usize, Db)>,
    pub aux: Aux,
    pub keys_loaded: u64,
    pub keys_expired: u64,
    pub empty_keys_skipped: u64,
}

/// A cursor over RDB bytes; every read is bounds-checked.
pub(crate) struct Reader<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

/// A length, or the special string encoding that replaced it.
enum Len {
    Plain(u64),
    Special(u8),
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn u8(&mut self) -> Result<u8> {
        let b = *self.buf.get(self.pos).ok_or(RdbError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8]> {
        let n = usize::try_from(n).map_err(|_| RdbError::Truncated)?;
        let end = self.pos.checked_add(n).ok_or(RdbError::Truncated)?;
        let s = self.buf.get(self.pos..end).ok_or(RdbError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N as u64)?);
        Ok(a)
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn len_or_enc(&mut self) -> Result<Len> {
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => Len::Plain((b & 0x3f) as u64),
            1 => Len::Plain((((b & 0x3f) as u64) << 8) | self.u8()? as u64),
            2 => match b {
                0x80 => Len::Plain(u32::from_be_bytes(self.array()?) as u64),
                0x81 => Len::Plain(u64::from_be_bytes(self.array()?)),
                _ => {
                    return Err(corrupt(format!(
                        "Unknown length encoding {b} in rdbLoadLen()"
                    )))
                }
            },
            _ => Len::Special(b & 0x3f),
        })
    }

    pub fn len(&mut self) -> Result<u64> {
        match self.len_or_enc()? {
            Len::Plain(n) => Ok(n),
            Len::Special(_) => Err(corrupt("unexpected encoded length")),
        }
    }

    /// A count of items that each take at least one byte: larger than the
    /// rest of the input means corruption (and must not size an allocation).
    fn count(&mut self) -> Result<usize> {
        let n = self.len()?;
        if n > self.remaining() as u64 {
            return Err(RdbError::Truncated);
        }
        Ok(n as usize)
    }

    pub fn string(&mut self) -> Result<Cow<'a, [u8]>> {
        match self.len_or_enc()? {
            Len::Plain(n) => Ok(Cow::Borrowed(self.take(n)?)),
            Len::Special(0) => Ok(int_text(self.u8()? as i8 as i64)),
            Len::Special(1) => Ok(int_text(i16::from_le_bytes(self.array()?) as i64)),
            Len::Special(2) => Ok(int_text(i32::from_le_bytes(self.array()?) as i64)),
            Len::Special(3) => {
                let clen = self.len()?;
                let ulen = self.len()?;
                let c = self.take(clen)?;
                // An LZF back-reference of 3 bytes expands to at most 264.
                if ulen > (clen + 1).saturating_mul(100) {
                    return Err(corrupt("Invalid LZF compressed string"));
                }
                lzf::decompress(c, ulen as usize)
                    .map(Cow::Owned)
                    .ok_or_else(|| corrupt("Invalid LZF compressed string"))
            }
            Len::Special(e) => Err(corrupt(format!("Unknown RDB string encoding type {e}"))),
        }
    }

    fn binary_double(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// The old text double of type 3 zsets.
    fn text_double(&mut self) -> Result<f64> {
        match self.u8()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let t = self.take(n as u64)?;
                std::str::from_utf8(t)
                    .ok()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .ok_or_else(|| corrupt("bad double value"))
            }
        }
    }
}

fn int_text(v: i64) -> Cow<'static, [u8]> {
    Cow::Owned(itoa::Buffer::new().format(v).as_bytes().to_vec())
}

/// A hash from field/value pairs, in the encoding hashTypeSet would reach.
fn hash_from_pairs<'b>(
    pairs: impl IntoIterator<Item = (Cow<'b, [u8]>, Cow<'b, [u8]>)>,
    count_hint: usize,
    enc: &Encodings,
) -> Result<Hash> {
    let mut h = Hash::new();
    if count_hint > enc.hash.entries {
        h.convert();
    }
    for (f, v) in pairs {
        if !h.set(&f, &v, enc.hash) {
            return Err(corrupt("Duplicate hash fields detected"));
        }
    }
    Ok(h)
}

/// A field/value pair, borrowed from the input where possible.
type Pair<'b> = (Cow<'b, [u8]>, Cow<'b, [u8]>);

fn elems_to_pairs<'b>(elems: &[Elem<'b>]) -> Result<Vec<Pair<'b>>> {
    if elems.len() % 2 != 0 {
        return Err(corrupt("odd number of elements in a pair listpack"));
    }
    Ok(elems
        .chunks_exact(2)
        .map(|p| (elem_bytes(p[0]), elem_bytes(p[1])))
        .collect())
}

fn elem_bytes(e: Elem<'_>) -> Cow<'_, [u8]> {
    match e {
        Elem::Str(s) => Cow::Borrowed(s),
        Elem::Int(n) => int_text(n),
    }
}

/// A sorted set from (member, score) pairs in any order.
fn zset_from(mut items: Vec<(Box<[u8]>, f64)>, enc: &Encodings) -> Result<ZSet> {
    if items.iter().any(|(_, s)| s.is_nan()) {
        return Err(corrupt("Zset with NAN score detected"));
    }
    items.sort_by(|a, b| crate::store::zset::cmp((a.1, &a.0), (b.1, &b.0)));
    let mut seen: Dict<Key, ()> = Dict::new();
    for (m, _) in &items {
        if seen.contains_key(m) {
            return Err(corrupt("Duplicate zset fields detected"));
        }
        seen.insert_new(Key::from(&m[..]), ());
    }
    Ok(ZSet::from_sorted(items, enc.zset))
}

fn zset_from_elems(elems: &[Elem<'_>], enc: &Encodings) -> Result<ZSet> {
    if elems.len() % 2 != 0 {
        return Err(corrupt("odd number of elements in a zset listpack"));
    }
    let mut items = Vec::with_capacity(elems.len() / 2);
    for p in elems.chunks_exact(2) {
        let score = match p[1] {
            Elem::Int(n) => n as f64,
            Elem::Str(s) => string2d(s).ok_or_else(|| corrupt("bad zset score"))?,
        };
        items.push((elem_bytes(p[0]).into_owned().into_boxed_slice(), score));
    }
    zset_from(items, enc)
}

fn new_list(enc: &Encodings) -> List {
    List::new(enc.list_fill, enc.list_compress_depth)
}

fn push_elems(l: &mut List, elems: &[Elem<'_>]) {
    for e in elems {
        e.with_bytes(|b| l.push(End::Right, b));
    }
}

/// rdbLoadObject: the value of type `t`. Ok(None) for an empty collection
/// (Redis skips those keys).
pub(crate) fn read_value(r: &mut Reader<'_>, t: u8, enc: &Encodings) -> Result<Option<Value>> {
    let v = match t {
        ty::STRING => Value::Str(Str::from_bytes(&r.string()?)),
        ty::LIST => {
            let n = r.count()?;
            let mut l = new_list(enc);
            for _ in 0..n {
                l.push(End::Right, &r.string()?);
            }
            Value::List(l)
        }
        ty::LIST_ZIPLIST => {
            let blob = r.string()?;
            let elems = packed::ziplist_elems(&blob)
                .ok_or_else(|| corrupt("Ziplist integrity check failed."))?;
            let mut l = new_list(enc);
            push_elems(&mut l, &elems);
            Value::List(l)
        }
        ty::LIST_QUICKLIST | ty::LIST_QUICKLIST_2 => {
            let n = r.count()?;
            let mut l = new_list(enc);
            for _ in 0..n {
                let container = if t == ty::LIST_QUICKLIST_2 {
                    r.len()?
                } else {
                    2
                };
                let blob = r.string()?;
                match (t, container) {
                    (ty::LIST_QUICKLIST_2, 1) => l.push(End::Right, &blob),
                    (ty::LIST_QUICKLIST_2, 2) => {
                        let elems = packed::listpack_elems(&blob)
                            .ok_or_else(|| corrupt("Listpack integrity check failed."))?;
                        push_elems(&mut l, &elems);
                    }
                    (ty::LIST_QUICKLIST, _) => {
                        let elems = packed::ziplist_elems(&blob)
                            .ok_or_else(|| corrupt("Ziplist integrity check failed."))?;
                        push_elems(&mut l, &elems);
                    }
                    _ => {
                        return Err(corrupt(format!(
                            "Quicklist integrity check failed: container {container}"
                        )))
                    }
                }
            }
            Value::List(l)
        }
        ty::SET => {
            let n = r.count()?;
            let mut s = if n > enc.set_max_intset {
                Set::Hash(Dict::new())
            } else {
                Set::new_intset()
            };
            for _ in 0..n {
                if !s.add(&r.string()?, usize::MAX) {
                    return Err(corrupt("Duplicate set members detected"));
                }
            }
            Value::Set(Box::new(s))
        }
        ty::SET_INTSET => {
            let blob = r.string()?;
            let (vals, width) = packed::intset_values(&blob)
                .ok_or_else(|| corrupt("Intset integrity check failed."))?;
            let n = vals.len();
            let mut s = Set::Intset(Intset::from_sorted(vals, width));
            if n > enc.set_max_intset {
                s.convert_to_hash();
            }
            Value::Set(Box::new(s))
        }
        ty::HASH => {
            let n = r.count()?;
            let mut pairs = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                let f = r.string()?;
                let v = r.string()?;
                pairs.push((f, v));
            }
            Value::Hash(hash_from_pairs(pairs, n, enc)?)
        }
        ty::HASH_ZIPMAP => {
            let blob = r.string()?;
            let pairs = packed::zipmap_pairs(&blob)
                .ok_or_else(|| corrupt("Zipmap integrity check failed."))?;
            let n = pairs.len();
            let pairs = pairs
                .into_iter()
                .map(|(f, v)| (Cow::Borrowed(f), Cow::Borrowed(v)));
            Value::Hash(hash_from_pairs(pairs, n, enc)?)
        }
        ty::HASH_ZIPLIST | ty::HASH_LISTPACK => {
            let blob = r.string()?;
            let elems = if t == ty::HASH_LISTPACK {
                packed::listpack_elems(&blob)
            } else {
                packed::ziplist_elems(&blob)
            }
            .ok_or_else(|| corrupt("Hash listpack integrity check failed."))?;
            let pairs = elems_to_pairs(&elems)?;
            let n = pairs.len();
            Value::Hash(hash_from_pairs(pairs, n, enc)?)
        }
        ty::ZSET | ty::ZSET_2 => {
            let n = r.count()?;
            let mut items = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                let m = r.string()?.into_owned().into_boxed_slice();
                let s = if t == ty::ZSET_2 {
                    r.binary_double()?
                } else {
                    r.text_double()?
                };
                items.push((m, s));
            }
            Value::ZSet(zset_from(items, enc)?)
        }
        ty::ZSET_ZIPLIST | ty::ZSET_LISTPACK => {
            let blob = r.string()?;
            let elems = if t == ty::ZSET_LISTPACK {
                packed::listpack_elems(&blob)
            } else {
                packed::ziplist_elems(&blob)
            }
            .ok_or_else(|| corrupt("Zset listpack integrity check failed."))?;
            Value::ZSet(zset_from_elems(&elems, enc)?)
        }
        ty::STREAM_LISTPACKS | ty::STREAM_LISTPACKS_2 | 21 => {
            return Err(RdbError::Unsupported(
                "The RDB holds a stream, and streams are not supported".into(),
            ))
        }
        ty::MODULE | ty::MODULE_2 => {
            return Err(RdbError::Unsupported(
                "The RDB holds a module value, and modules are not supported".into(),
            ))
        }
        _ => return Err(corrupt(format!("Unknown RDB encoding type {t}"))),
    };
    let empty = match &v {
        Value::Str(_) => false,
        Value::List(l) => l.is_empty(),
        Value::Set(s) => s.is_empty(),
        Value::Hash(h) => h.is_empty(),
        Value::ZSet(z) => z.is_empty(),
    };
    Ok((!empty).then_some(v))
}

/// The access clock of a loaded object (objectSetLRUOrLFU).
fn clock_for(enc: &Encodings, now_ms: i64, idle: Option<u64>, freq: Option<u8>) -> u32 {
    let lru_clock = ((now_ms / 1000) as u64 & LRU_CLOCK_MAX as u64) as u32;
    let minutes = crate::store::db::lfu_minutes(now_ms);
    match enc.clock {
        Clock::Lfu { .. } => (minutes << 8) | freq.map_or(LFU_INIT_VAL, |f| f as u32),
        Clock::Lru => match idle {
            Some(secs) => {
                let secs = (secs % (LRU_CLOCK_MAX as u64 + 1)) as u32;
                if secs <= lru_clock {
                    lru_clock - secs
                } else {
                    LRU_CLOCK_MAX - (secs - lru_clock)
                }
            }
            None => lru_clock,
        },
    }
}

/// Parses a whole RDB file. Fails on any corruption, truncation, checksum
/// mismatch or content we cannot hold (streams, modules, functions).
pub fn load(bytes: &[u8], opts: &LoadOpts) -> Result<Loaded> {
    if bytes.len() < 9 || &bytes[..5] != b"REDIS" {
        return Err(RdbError::Signature);
    }
    let version = std::str::from_utf8(&bytes[5..9])
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .ok_or(RdbError::Signature)?;
    if version < 1 || version > RDB_VERSION as u32 {
        return Err(RdbError::Version(version));
    }
    let mut r = Reader::new(bytes);
    r.pos = 9;
    let mut aux = Aux {
        redis_ver: String::new(),
        redis_bits: 0,
        ctime: 0,
        used_mem: 0,
        repl_stream_db: 0,
        repl_id: String::new(),
        repl_offset: 0,
        aof_base: false,
    };
    let mut dbs: Vec<(usize, Db)> = Vec::new();
    let mut cur: Option<usize> = None;
    let (mut expire, mut idle, mut freq): (Option<i64>, Option<u64>, Option<u8>) =
        (None, None, None);
    let (mut loaded, mut expired, mut empty) = (0u64, 0u64, 0u64);
    loop {
        let t = r.u8()?;
        match t {
            op::EOF => break,
            op::SELECTDB => {
                let n = r.len()?;
                if n >= opts.databases as u64 {
                    return Err(RdbError::TooManyDbs(opts.databases));
                }
                let n = n as usize;
                cur = Some(match dbs.iter().position(|(i, _)| *i == n) {
                    Some(p) => p,
                    None => {
                        dbs.push((n, Db::default()));
                        dbs.len() - 1
                    }
                });
            }
            op::RESIZEDB => {
                r.len()?;
                r.len()?;
            }
            op::EXPIRETIME_MS => expire = Some(i64::from_le_bytes(r.array()?)),
            op::EXPIRETIME => expire = Some(i32::from_le_bytes(r.array()?) as i64 * 1000),
            op::IDLE => idle = Some(r.len()?),
            op::FREQ => freq = Some(r.u8()?),
            op::AUX => {
                let k = r.string()?;
                let v = r.string()?;
                let int = || string2ll(&v).unwrap_or(0);
                match &k[..] {
                    b"redis-ver" => aux.redis_ver = String::from_utf8_lossy(&v).into_owned(),
                    b"redis-bits" => aux.redis_bits = int(),
                    b"ctime" => aux.ctime = int(),
                    b"used-mem" => aux.used_mem = int(),
                    b"repl-stream-db" => aux.repl_stream_db = int(),
                    b"repl-id" if v.len() == 40 => {
                        aux.repl_id = String::from_utf8_lossy(&v).into_owned()
                    }
                    b"repl-offset" => aux.repl_offset = int(),
                    b"aof-base" => aux.aof_base = int() != 0,
                    // Unknown and informational fields are skipped, as Redis does.
                    _ => {}
                }
            }
            op::MODULE_AUX => {
                return Err(RdbError::Unsupported(
                    "The RDB holds module data, and modules are not supported".into(),
                ))
            }
            op::FUNCTION | op::FUNCTION2 => {
                return Err(RdbError::Unsupported(
                    "The RDB holds functions, and functions are not supported".into(),
                ))
            }
            _ => {
                let key = r.string()?;
                let val = read_value(&mut r, t, &opts.enc)?;
                let (exp, i, f) = (expire.take(), idle.take(), freq.take());
                let Some(val) = val else {
                    empty += 1;
                    continue;
                };
                // Keys before any SELECTDB go to db 0, as Redis loads them.
                let slot = match cur {
                    Some(s) => s,
                    None => {
                        dbs.push((0, Db::default()));
                        cur = Some(dbs.len() - 1);
                        dbs.len() - 1
                    }
                };
                let (index, db) = &mut dbs[slot];
                if db.dict.contains_key(&key) {
                    return Err(corrupt(format!(
                        "RDB has duplicated key '{}' in DB {index}",
                        String::from_utf8_lossy(&key)
                    )));
                }
                if opts.drop_expired && exp.is_some_and(|t| t < opts.now_ms) {
                    expired += 1;
                    continue;
                }
                let lru = clock_for(&opts.enc, opts.now_ms, i, f);
                let k = Key::from(&key[..]);
                if let Some(t) = exp {
                    db.expires.insert_new(k.clone(), t);
                }
                db.dict.insert_new(k, Obj { val, lru });
                loaded += 1;
            }
        }
    }
    let body_end = r.pos;
    if version >= 5 {
        let stored = u64::from_le_bytes(r.array()?);
        if opts.verify_checksum && stored != 0 {
            let got = crc64::update(0, &bytes[..body_end]);
            if got != stored {
                return Err(RdbError::Checksum {
                    expected: stored,
                    got,
                });
            }
        }
    }
    Ok(Loaded {
        dbs,
        aux,
        keys_loaded: loaded,
        keys_expired: expired,
        empty_keys_skipped: empty,
    })
}

/// Parses a DUMP payload (type, value, 2-byte version, CRC-64) into a value.
/// None for an empty collection.
pub fn restore_payload(
    p: &[u8],
    enc: &Encodings,
    verify: bool,
) -> std::result::Result<Option<Value>, RestoreError> {
    if p.len() < 10 {
        return Err(RestoreError::Footer);
    }
    let (body, footer) = p.split_at(p.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return Err(RestoreError::Footer);
    }
    if verify {
        let crc = crc64::update(0, &p[..p.len() - 8]);
        if crc.to_le_bytes() != footer[2..10] {
            return Err(RestoreError::Footer);
        }
    }
    let mut r = Reader::new(body);
    let t = r.u8().map_err(|_| RestoreError::BadData)?;
    read_value(&mut r, t, enc).map_err(|_| RestoreError::BadData)
}

/// RESTORE's two payload errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreError {
    /// "DUMP payload version or checksum are wrong"
    Footer,
    /// "Bad data format"
    BadData,
}
