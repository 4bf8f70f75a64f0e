//! The descriptive half of COMMAND INFO/DOCS (ACL categories, tips, key specs,
//! summaries, arguments...), dumped from redis-server 7.0.15 by
//! `scripts/gen-command-meta` into `command_meta.json` with the RESP3 type of
//! every node kept, so replies render byte for byte in RESP2 and RESP3.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::resp::Reply;

/// One RESP3 node of the dump.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Int(i64),
    Simple(String),
    Bulk(String),
    Null,
    Array(Vec<Node>),
    Set(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// Decodes the JSON spelling described in scripts/gen-command-meta.
    fn from_json(v: &serde_json::Value) -> Result<Node, String> {
        use serde_json::Value as J;
        Ok(match v {
            J::Null => Node::Null,
            J::Number(n) => Node::Int(n.as_i64().ok_or_else(|| format!("bad integer {n}"))?),
            J::String(s) => match s.as_bytes().first() {
                Some(b'+') => Node::Simple(s[1..].to_string()),
                Some(b'$') => Node::Bulk(s[1..].to_string()),
                _ => return Err(format!("string without type prefix: {s:?}")),
            },
            J::Array(a) => Node::Array(a.iter().map(Node::from_json).collect::<Result<_, _>>()?),
            J::Object(o) => {
                if let Some(J::Array(a)) = o.get("set") {
                    Node::Set(a.iter().map(Node::from_json).collect::<Result<_, _>>()?)
                } else if let Some(J::Array(a)) = o.get("map") {
                    if a.len() % 2 != 0 {
                        return Err("map with an odd number of elements".into());
                    }
                    let mut pairs = Vec::with_capacity(a.len() / 2);
                    for kv in a.chunks(2) {
                        pairs.push((Node::from_json(&kv[0])?, Node::from_json(&kv[1])?));
                    }
                    Node::Map(pairs)
                } else {
                    return Err("object that is neither a set nor a map".into());
                }
            }
            J::Bool(_) => return Err("boolean nodes are not expected".into()),
        })
    }

    /// Writes the node in the connection's protocol (maps and sets become arrays in RESP2).
    pub fn render(&self, out: &mut Reply) {
        match self {
            Node::Int(n) => out.int(*n),
            Node::Simple(s) => out.simple(s),
            Node::Bulk(s) => out.bulk(s.as_bytes()),
            Node::Null => out.null(),
            Node::Array(a) => {
                out.array(a.len());
                a.iter().for_each(|n| n.render(out));
            }
            Node::Set(a) => {
                out.set(a.len());
                a.iter().for_each(|n| n.render(out));
            }
            Node::Map(m) => {
                out.map(m.len());
                for (k, v) in m {
                    k.render(out);
                    v.render(out);
                }
            }
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Simple(s) | Node::Bulk(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Node::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// Elements of an array or a set.
    pub fn items(&self) -> &[Node] {
        match self {
            Node::Array(a) | Node::Set(a) => a,
            _ => &[],
        }
    }

    /// Value of a map entry by key name.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(m) => m
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Metadata of every redis 7.0.15 command, by lowercase name.
pub struct Meta {
    /// COMMAND INFO entries (10-element arrays; subcommands nested at index 9).
    pub info: HashMap<String, Node>,
    /// COMMAND DOCS values (maps; subcommands nested under "subcommands").
    pub docs: HashMap<String, Node>,
}

const META_JSON: &str = include_str!("command_meta.json");

fn load(text: &str) -> Result<Meta, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut meta = Meta {
        info: HashMap::new(),
        docs: HashMap::new(),
    };
    for (section, dst) in [("info", &mut meta.info), ("docs", &mut meta.docs)] {
        let obj = v
            .get(section)
            .and_then(|s| s.as_object())
            .ok_or_else(|| format!("missing section {section}"))?;
        for (name, node) in obj {
            dst.insert(name.clone(), Node::from_json(node)?);
        }
    }
    Ok(meta)
}

/// The metadata, decoded on first use. A broken data file is caught by the unit
/// tests; at run time it degrades to empty metadata rather than a crash.
pub fn meta() -> &'static Meta {
    static M: OnceLock<Meta> = OnceLock::new();
    M.get_or_init(|| {
        load(META_JSON).unwrap_or_else(|e| {
            tracing::warn!("command metadata unreadable: {e}");
            Meta {
                info: HashMap::new(),
                docs: HashMap::new(),
            }
        })
    })
}

/// The COMMAND INFO entry of `name` ("get", or "config|get" for a subcommand).
pub fn info_of(name: &str) -> Option<&'static Node> {
    match name.split_once('|') {
        None => meta().info.get(name),
        Some((parent, _)) => meta()
            .info
            .get(parent)?
            .items()
            .get(9)?
            .items()
            .iter()
            .find(|s| s.items().first().and_then(Node::as_str) == Some(name)),
    }
}

/// The COMMAND DOCS map of `name` ("get", or "config|get").
pub fn docs_of(name: &str) -> Option<&'static Node> {
    match name.split_once('|') {
        None => meta().docs.get(name),
        Some((parent, _)) => meta().docs.get(parent)?.get("subcommands")?.get(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_file_loads() {
        let m = load(META_JSON).expect("command_meta.json decodes");
        assert_eq!(m.info.len(), m.docs.len());
        assert!(m.info.len() >= 240);
        let get = info_of("get").expect("get");
        assert_eq!(get.items()[1], Node::Int(2));
        assert!(info_of("config|get").is_some());
        assert!(docs_of("client|kill")
            .and_then(|d| d.get("arguments"))
            .is_some());
    }

    #[test]
    fn renders_per_protocol() {
        let n = Node::Map(vec![(
            Node::Bulk("flags".into()),
            Node::Set(vec![Node::Simple("RO".into())]),
        )]);
        let mut r2 = Reply::new(false);
        n.render(&mut r2);
        assert_eq!(&r2.buf[..], b"*2\r\n$5\r\nflags\r\n*1\r\n+RO\r\n");
        let mut r3 = Reply::new(true);
        n.render(&mut r3);
        assert_eq!(&r3.buf[..], b"%1\r\n$5\r\nflags\r\n~1\r\n+RO\r\n");
    }
}
