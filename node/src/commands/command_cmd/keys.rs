//! Key extraction from redis key specs (getKeysUsingKeySpecs), for COMMAND
//! GETKEYS and GETKEYSANDFLAGS.

use super::meta::Node;

/// A found key: its argument position and its key-spec flags ("RW", "access"...).
pub type FoundKey = (usize, Vec<&'static str>);

/// Positions and flags of the keys of `argv` (argv[0] is the command name), or
/// None when the arguments cannot be parsed (getKeysFromCommandWithSpecs): the
/// key specs first, unless a spec has variable flags; then the command's own
/// key finder when redis has one and the specs could not answer.
pub fn find_keys(
    name: &str,
    specs: &'static [Node],
    argv: &[bytes::Bytes],
) -> Option<Vec<FoundKey>> {
    let varflags = specs.iter().any(|s| has_flag(s, "variable_flags"));
    if !varflags {
        if let Some(found) = from_specs(specs, argv) {
            return Some(found);
        }
    }
    match name {
        "set" => Some(set_keys(argv)),
        "bitfield" => Some(bitfield_keys(argv)),
        "sort" => Some(sort_keys(argv)),
        "sort_ro" => Some(vec![(1, vec!["RO", "access"])]),
        "migrate" => migrate_keys(argv),
        _ if varflags => from_specs(specs, argv),
        _ => None,
    }
}

fn has_flag(spec: &Node, flag: &str) -> bool {
    spec.get("flags")
        .is_some_and(|f| f.items().iter().any(|x| x.as_str() == Some(flag)))
}

/// getKeysUsingKeySpecs: None for an invalid or incomplete spec.
fn from_specs(specs: &'static [Node], argv: &[bytes::Bytes]) -> Option<Vec<FoundKey>> {
    let argc = argv.len() as i64;
    let mut out = Vec::new();
    for spec in specs {
        let flags: Vec<&'static str> = spec
            .get("flags")
            .map(|f| f.items().iter().filter_map(Node::as_str).collect())
            .unwrap_or_default();
        if flags.contains(&"not_key") {
            continue;
        }
        if flags.contains(&"incomplete") {
            return None;
        }
        let bs = spec.get("begin_search")?;
        let bs_spec = bs.get("spec")?;
        let first = match bs.get("type")?.as_str()? {
            "index" => bs_spec.get("index")?.as_int()?,
            "keyword" => {
                let kw = bs_spec.get("keyword")?.as_str()?;
                let from = bs_spec.get("startfrom")?.as_int()?;
                let (start, end) = if from > 0 {
                    (from, argc - 1)
                } else {
                    (argc + from, 0)
                };
                let mut i = start;
                let mut found = 0;
                loop {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if argv[i as usize].eq_ignore_ascii_case(kw.as_bytes()) {
                        found = i + 1;
                        break;
                    }
                    if i == end {
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                if found == 0 {
                    continue;
                }
                found
            }
            _ => return None,
        };
        let fk = spec.get("find_keys")?;
        let fk_spec = fk.get("spec")?;
        let (first, last, step) = match fk.get("type")?.as_str()? {
            "range" => {
                let lastkey = fk_spec.get("lastkey")?.as_int()?;
                let step = fk_spec.get("keystep")?.as_int()?;
                let limit = fk_spec.get("limit")?.as_int()?;
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / limit + lastkey)
                };
                (first, last, step)
            }
            "keynum" => {
                let idx = fk_spec.get("keynumidx")?.as_int()?;
                let firstkey = fk_spec.get("firstkey")?.as_int()?;
                let step = fk_spec.get("keystep")?.as_int()?;
                let numarg = argv.get((first + idx) as usize)?;
                let n = crate::util::string2ll(numarg).filter(|n| *n >= 0)?;
                let f = first + firstkey;
                (f, f + n - 1, step)
            }
            _ => return None,
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut i = first;
        while i <= last {
            out.push((i as usize, flags.clone()));
            i += step.max(1);
        }
    }
    Some(out)
}

/// SET's keys (setGetKeys): the flags depend on the GET option.
fn set_keys(argv: &[bytes::Bytes]) -> Vec<FoundKey> {
    let get = argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
    let flags = if get {
        vec!["RW", "access", "update"]
    } else {
        vec!["OW", "update"]
    };
    vec![(1, flags)]
}

/// BITFIELD's key (bitfieldGetKeys): read-only when only GET/OVERFLOW appear.
fn bitfield_keys(argv: &[bytes::Bytes]) -> Vec<FoundKey> {
    let mut readonly = true;
    let mut i = 2;
    while i < argv.len() {
        let rem = argv.len() - i - 1;
        let a = &argv[i];
        if a.eq_ignore_ascii_case(b"get") && rem >= 2 {
            i += 3;
        } else if a.eq_ignore_ascii_case(b"overflow") && rem >= 1 {
            i += 2;
        } else {
            // SET/INCRBY, or a syntax error: assume it writes.
            readonly = false;
            break;
        }
    }
    let flags = if readonly {
        vec!["RO", "access"]
    } else {
        vec!["RW", "access", "update"]
    };
    vec![(1, flags)]
}

/// SORT's keys (sortGetKeys): the sorted key and the last STORE destination.
fn sort_keys(argv: &[bytes::Bytes]) -> Vec<FoundKey> {
    let mut out = vec![(1, vec!["RO", "access"])];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < argv.len() {
            store = Some(i + 1);
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        }
        i += 1;
    }
    if let Some(p) = store {
        out.push((p, vec!["OW", "update"]));
    }
    out
}

/// MIGRATE's keys (migrateGetKeys): argv[3], or everything after KEYS.
fn migrate_keys(argv: &[bytes::Bytes]) -> Option<Vec<FoundKey>> {
    let flags = || vec!["RW", "access", "delete"];
    if argv.len() > 6 {
        if let Some(k) = (6..argv.len()).find(|&i| argv[i].eq_ignore_ascii_case(b"keys")) {
            if !argv.get(3)?.is_empty() {
                return None;
            }
            return Some((k + 1..argv.len()).map(|p| (p, flags())).collect());
        }
    }
    Some(vec![(3, flags())])
}

#[cfg(test)]
mod tests {
    use super::super::meta;
    use super::*;

    fn keys(name: &str, args: &[&str]) -> Option<Vec<usize>> {
        let specs = meta::info_of(name)?.items().get(8)?.items();
        let argv: Vec<bytes::Bytes> = args
            .iter()
            .map(|a| bytes::Bytes::from(a.to_string()))
            .collect();
        find_keys(name, specs, &argv).map(|v| v.into_iter().map(|(p, _)| p).collect())
    }

    #[test]
    fn specs_of_common_shapes() {
        assert_eq!(keys("get", &["get", "a"]), Some(vec![1]));
        assert_eq!(
            keys("mset", &["mset", "a", "1", "b", "2"]),
            Some(vec![1, 3])
        );
        assert_eq!(
            keys("zunionstore", &["zunionstore", "d", "2", "a", "b"]),
            Some(vec![1, 3, 4])
        );
        assert_eq!(keys("zunionstore", &["zunionstore", "d", "3", "a"]), None);
        assert_eq!(
            keys(
                "georadius",
                &["georadius", "k", "1", "2", "3", "m", "STORE", "d"]
            ),
            Some(vec![1, 7])
        );
    }
}
