//! Differential test: the scripts under tests/cases/*.txt are sent to our node
//! and to a real redis-server 7.0 side by side, in RESP2 and in RESP3, and the
//! raw replies are compared byte for byte.
//!
//! Case file syntax:
//! - `# text` is a comment; a blank line ends a case. Every case starts on fresh
//!   connections after FLUSHALL.
//! - A line is one command, split like redis-cli/inline commands (quotes and
//!   `\xHH` escapes work).
//! - `~ CMD`: compare the top-level elements of the reply as a multiset (order
//!   is unspecified in Redis, e.g. KEYS).
//! - `? CMD`: run on both, compare only the reply type (time, randomness).
//! - `! reason :: CMD`: an intended difference; run on both, not compared. The
//!   reason is required and printed with -- --nocapture.
//!
//! Set RRS_DIFF=<substring> to run only the files whose name contains it.

mod common;

use common::{split_aggregate, start_node, start_redis, Raw};

#[derive(Debug)]
enum Mode {
    Exact,
    Unordered,
    TypeOnly,
    Intended(String),
}

struct Line {
    file: String,
    line: usize,
    mode: Mode,
    args: Vec<Vec<u8>>,
}

fn parse_cases(file: &str, text: &str) -> Vec<Vec<Line>> {
    let mut cases = vec![];
    let mut cur = vec![];
    for (i, raw) in text.lines().enumerate() {
        let t = raw.trim();
        if t.is_empty() {
            if !cur.is_empty() {
                cases.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if t.starts_with('#') {
            continue;
        }
        let (mode, cmd) = if let Some(rest) = t.strip_prefix("~ ") {
            (Mode::Unordered, rest)
        } else if let Some(rest) = t.strip_prefix("? ") {
            (Mode::TypeOnly, rest)
        } else if let Some(rest) = t.strip_prefix("! ") {
            let (why, cmd) = rest
                .split_once(" :: ")
                .unwrap_or_else(|| panic!("{file}:{}: '!' needs 'reason :: command'", i + 1));
            (Mode::Intended(why.to_string()), cmd)
        } else {
            (Mode::Exact, t)
        };
        let args = rrs_node::resp::parse::split_args(cmd.as_bytes())
            .unwrap_or_else(|| panic!("{file}:{}: unbalanced quotes", i + 1));
        cur.push(Line {
            file: file.to_string(),
            line: i + 1,
            mode,
            args,
        });
    }
    if !cur.is_empty() {
        cases.push(cur);
    }
    cases
}

fn show(b: &[u8]) -> String {
    let s: String = b.escape_ascii().to_string();
    if s.len() > 600 {
        format!("{}...", &s[..600])
    } else {
        s
    }
}

fn compare(mode: &Mode, ours: &[u8], theirs: &[u8]) -> bool {
    match mode {
        Mode::Exact => ours == theirs,
        Mode::TypeOnly => ours.first() == theirs.first(),
        Mode::Intended(_) => true,
        Mode::Unordered => match (split_aggregate(ours), split_aggregate(theirs)) {
            (Some((h1, mut a)), Some((h2, mut b))) => {
                a.sort();
                b.sort();
                h1 == h2 && a == b
            }
            _ => ours == theirs,
        },
    }
}

#[test]
fn replies_match_redis_7() {
    assert!(
        common::have_redis(),
        "redis-server 7.0 is required for the differential test: run scripts/test"
    );
    let filter = std::env::var("RRS_DIFF").unwrap_or_default();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    files.sort();
    let node = start_node(&[]);
    let redis = start_redis(&[]);
    let mut failures = vec![];
    let mut compared = 0;
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
    {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.contains(&filter) {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("read case file");
        for case in parse_cases(&name, &text) {
            for resp3 in [false, true] {
                let mut a = Raw::connect(node.port);
                let mut b = Raw::connect(redis.port);
                for c in [&mut a, &mut b] {
                    c.cmd(&[b"FLUSHALL"]);
                    if resp3 {
                        c.cmd(&[b"HELLO", b"3"]);
                    }
                }
                for l in &case {
                    let args: Vec<&[u8]> = l.args.iter().map(|a| a.as_slice()).collect();
                    let ours = a.cmd(&args);
                    let theirs = b.cmd(&args);
                    compared += 1;
                    if let Mode::Intended(why) = &l.mode {
                        println!("{}:{} intended difference ({why})", l.file, l.line);
                    }
                    if !compare(&l.mode, &ours, &theirs) {
                        failures.push(format!(
                            "{}:{} [{}] {}\n   ours:  {}\n   redis: {}",
                            l.file,
                            l.line,
                            if resp3 { "RESP3" } else { "RESP2" },
                            show(&l.args.join(&b' ')),
                            show(&ours),
                            show(&theirs)
                        ));
                    }
                }
            }
        }
    }
    assert!(compared > 0, "no differential case ran (filter '{filter}')");
    println!("{compared} replies compared");
    assert!(
        failures.is_empty(),
        "{} replies differ from redis-server:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
