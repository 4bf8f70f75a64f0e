//! The RDB writer: byte for byte what Redis 7.0 writes for the same data
//! (value types per encoding, integer and LZF strings, AUX order, RESIZEDB,
//! IDLE/FREQ under LRU/LFU policies, EOF and the CRC-64 footer).

use std::io::{self, Write};

use super::packed::{intset_blob, LpWriter};
use super::{crc64, lzf, op, ty, Aux, SaveOpts, Snapshot, RDB_VERSION};
use crate::store::hash::Hash;
use crate::store::list::{allow_insert, List};
use crate::store::set::Set;
use crate::store::value::{Str, Value};
use crate::store::zset::ZSet;
use crate::util::string2ll;

/// rdbSaveLen: the shortest length form.
pub(crate) fn put_len(b: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        b.push(n as u8);
    } else if n < 1 << 14 {
        b.push(0x40 | (n >> 8) as u8);
        b.push(n as u8);
    } else if n <= u32::MAX as u64 {
        b.push(0x80);
        b.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        b.push(0x81);
        b.extend_from_slice(&n.to_be_bytes());
    }
}

/// rdbEncodeInteger: int8/16/32 special encodings; false outside int32.
fn put_int(b: &mut Vec<u8>, v: i64) -> bool {
    if let Ok(x) = i8::try_from(v) {
        b.extend_from_slice(&[0xC0, x as u8]);
    } else if let Ok(x) = i16::try_from(v) {
        b.push(0xC1);
        b.extend_from_slice(&x.to_le_bytes());
    } else if let Ok(x) = i32::try_from(v) {
        b.push(0xC2);
        b.extend_from_slice(&x.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// The LZF string encoding (0xC3, compressed length, original length, data).
fn put_lzf(b: &mut Vec<u8>, compressed: &[u8], original_len: usize) {
    b.push(0xC3);
    put_len(b, compressed.len() as u64);
    put_len(b, original_len as u64);
    b.extend_from_slice(compressed);
}

/// rdbSaveRawString: integer encoding for short canonical integers, LZF for
/// compressible strings over 20 bytes, else length + bytes.
pub(crate) fn put_string(b: &mut Vec<u8>, s: &[u8], compression: bool) {
    if s.len() <= 11 {
        if let Some(v) = string2ll(s) {
            if put_int(b, v) {
                return;
            }
        }
    }
    if compression && s.len() > 20 {
        // rdbSaveLzfStringObject: worth it only when at least 4 bytes shorter.
        if let Some(c) = lzf::compress(s, s.len() - 4) {
            put_lzf(b, &c, s.len());
            return;
        }
    }
    put_len(b, s.len() as u64);
    b.extend_from_slice(s);
}

/// rdbSaveStringObject for a string value.
fn put_str_obj(b: &mut Vec<u8>, s: &Str, compression: bool) {
    match s {
        // rdbSaveLongLongAsStringObject
        Str::Int(n) => {
            if !put_int(b, *n) {
                let mut buf = itoa::Buffer::new();
                let t = buf.format(*n).as_bytes();
                put_len(b, t.len() as u64);
                b.extend_from_slice(t);
            }
        }
        _ => s.with_bytes(|x| put_string(b, x, compression)),
    }
}

/// d2string: a zset listpack keeps each score as this text (integers, when
/// exact below 2^52, as integers; else %.17g).
pub(crate) fn score_text(d: f64) -> String {
    const MIN: f64 = -4503599627370495.0;
    const MAX: f64 = 4503599627370496.0;
    if d != 0.0 && d > MIN && d < MAX && d == (d as i64) as f64 {
        (d as i64).to_string()
    } else {
        crate::util::fmt_double_g17(d)
    }
}

/// The RDB type byte of a value, by its encoding.
pub(crate) fn type_of(v: &Value) -> u8 {
    match v {
        Value::Str(_) => ty::STRING,
        Value::List(_) => ty::LIST_QUICKLIST_2,
        Value::Set(s) => match **s {
            Set::Intset(_) => ty::SET_INTSET,
            Set::Hash(_) => ty::SET,
        },
        Value::Hash(Hash::Listpack(_)) => ty::HASH_LISTPACK,
        Value::Hash(Hash::Table(_)) => ty::HASH,
        Value::ZSet(ZSet::Listpack(_)) => ty::ZSET_LISTPACK,
        Value::ZSet(ZSet::Skiplist(_)) => ty::ZSET_2,
    }
}

/// Below this a quicklist node is never compressed (MIN_COMPRESS_BYTES), and
/// compression must save more than MIN_COMPRESS_IMPROVE bytes.
const MIN_COMPRESS_BYTES: usize = 48;
const MIN_COMPRESS_IMPROVE: usize = 8;

/// The listpacks of the quicklist nodes Redis would hold for this list when
/// built by appends (the layout DEBUG OBJECT models too).
fn quicklist_nodes(l: &List) -> Vec<Vec<u8>> {
    let fill = l.fill();
    let mut nodes = Vec::new();
    let mut cur: Option<LpWriter> = None;
    for e in l.iter() {
        let fits = cur
            .as_ref()
            .is_some_and(|w| allow_insert(w.bytes(), w.count(), fill, e.len()));
        if !fits {
            if let Some(w) = cur.take() {
                nodes.push(w.finish());
            }
            cur = Some(LpWriter::new());
        }
        if let Some(w) = cur.as_mut() {
            w.push(&e);
        }
    }
    if let Some(w) = cur {
        nodes.push(w.finish());
    }
    nodes
}

/// rdbSaveObject: the value body (after the type byte).
pub(crate) fn put_value(b: &mut Vec<u8>, v: &Value, opts: &SaveOpts) {
    let c = opts.compression;
    match v {
        Value::Str(s) => put_str_obj(b, s, c),
        Value::List(l) => {
            let nodes = quicklist_nodes(l);
            let n = nodes.len();
            put_len(b, n as u64);
            let depth = opts.list_compress_depth;
            for (i, node) in nodes.iter().enumerate() {
                put_len(b, 2); // QUICKLIST_NODE_CONTAINER_PACKED
                let inner = depth > 0 && n > depth * 2 && i >= depth && i < n - depth;
                if inner && node.len() >= MIN_COMPRESS_BYTES {
                    if let Some(z) = lzf::compress(node, node.len()) {
                        if z.len() + MIN_COMPRESS_IMPROVE < node.len() {
                            put_lzf(b, &z, node.len());
                            continue;
                        }
                    }
                }
                put_string(b, node, c);
            }
        }
        Value::Set(s) => match &**s {
            Set::Intset(is) => put_string(b, &intset_blob(is.values(), is.width()), c),
            Set::Hash(d) => {
                put_len(b, d.len() as u64);
                for (k, _) in d.iter() {
                    put_string(b, k, c);
                }
            }
        },
        Value::Hash(Hash::Listpack(lp)) => {
            let mut w = LpWriter::new();
            for (f, val) in lp.iter() {
                w.push(f);
                w.push(val);
            }
            put_string(b, &w.finish(), c);
        }
        Value::Hash(Hash::Table(d)) => {
            put_len(b, d.len() as u64);
            for (f, val) in d.iter() {
                put_string(b, f, c);
                put_string(b, val, c);
            }
        }
        Value::ZSet(z @ ZSet::Listpack(_)) => {
            let mut w = LpWriter::new();
            z.for_range(0, z.len(), false, |m, s| {
                w.push(m);
                w.push(score_text(s).as_bytes());
            });
            put_string(b, &w.finish(), c);
        }
        Value::ZSet(z @ ZSet::Skiplist(_)) => {
            // From the highest score down, so loading inserts at the head.
            put_len(b, z.len() as u64);
            z.for_range(0, z.len(), true, |m, s| {
                put_string(b, m, c);
                b.extend_from_slice(&s.to_le_bytes());
            });
        }
    }
}

/// Streams bytes to `out` while keeping the running CRC.
struct CrcOut<'a, W: Write> {
    out: &'a mut W,
    crc: u64,
}

impl<W: Write> CrcOut<'_, W> {
    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.crc = crc64::update(self.crc, b);
        self.out.write_all(b)
    }
}

fn put_aux(b: &mut Vec<u8>, key: &str, val: &[u8]) {
    b.push(op::AUX);
    put_string(b, key.as_bytes(), true);
    put_string(b, val, true);
}

fn put_aux_int(b: &mut Vec<u8>, key: &str, v: i64) {
    put_aux(b, key, itoa::Buffer::new().format(v).as_bytes());
}

/// The header and AUX fields (rdbSaveInfoAuxFields).
fn header(aux: &Aux) -> Vec<u8> {
    let mut b = Vec::with_capacity(256);
    b.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    put_aux(&mut b, "redis-ver", aux.redis_ver.as_bytes());
    put_aux_int(&mut b, "redis-bits", aux.redis_bits);
    put_aux_int(&mut b, "ctime", aux.ctime);
    put_aux_int(&mut b, "used-mem", aux.used_mem);
    if !aux.repl_id.is_empty() {
        put_aux_int(&mut b, "repl-stream-db", aux.repl_stream_db);
        put_aux(&mut b, "repl-id", aux.repl_id.as_bytes());
        put_aux_int(&mut b, "repl-offset", aux.repl_offset);
    }
    put_aux_int(&mut b, "aof-base", aux.aof_base as i64);
    b
}

/// Writes the whole RDB file for `snap` to `out` (run outside the lock).
pub fn write(snap: &Snapshot, aux: &Aux, out: &mut impl Write) -> io::Result<()> {
    let opts = &snap.opts;
    let mut w = CrcOut { out, crc: 0 };
    let mut b = header(aux);
    for db in &snap.dbs {
        b.push(op::SELECTDB);
        put_len(&mut b, db.index as u64);
        b.push(op::RESIZEDB);
        put_len(&mut b, db.entries.len() as u64);
        put_len(&mut b, db.expires as u64);
        for (key, obj, exp) in &db.entries {
            if let Some(t) = exp {
                b.push(op::EXPIRETIME_MS);
                b.extend_from_slice(&t.to_le_bytes());
            }
            if opts.save_lru {
                let idle = crate::store::db::idle_ms(obj.lru, opts.now_ms) / 1000;
                b.push(op::IDLE);
                put_len(&mut b, idle);
            } else if opts.save_lfu {
                let freq = crate::store::db::lfu_decr(obj.lru, opts.now_ms, opts.lfu_decay_minutes);
                b.push(op::FREQ);
                b.push(freq as u8);
            }
            b.push(type_of(&obj.val));
            put_string(&mut b, key, opts.compression);
            put_value(&mut b, &obj.val, opts);
            if b.len() >= 1 << 16 {
                w.put(&b)?;
                b.clear();
            }
        }
    }
    b.push(op::EOF);
    w.put(&b)?;
    let crc = if opts.checksum { w.crc } else { 0 };
    w.out.write_all(&crc.to_le_bytes())?;
    w.out.flush()
}

/// The whole RDB file as bytes.
pub fn to_vec(snap: &Snapshot, aux: &Aux) -> Vec<u8> {
    let mut v = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write(snap, aux, &mut v);
    v
}

/// A DUMP payload: type, value, the RDB version (2 bytes LE) and the CRC-64
/// of all that (8 bytes LE).
pub fn dump_payload(v: &Value, opts: &SaveOpts) -> Vec<u8> {
    let mut b = vec![type_of(v)];
    put_value(&mut b, v, opts);
    b.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64::update(0, &b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}
