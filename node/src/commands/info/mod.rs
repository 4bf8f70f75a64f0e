//! INFO [section ...]: the sections of Redis 7.0.15 with the same headers, field
//! names and order, filled from this server's state.

mod sections;
mod sys;

use super::flags::*;
use super::{CmdResult, Command, Ctx};
use crate::cmd;

pub static COMMANDS: &[Command] = &[cmd!("info", -1, LOADING | STALE, (0, 0, 0), info)];

/// Every section in output order, and whether `INFO` / `INFO default` has it.
pub const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

/// Which sections the arguments ask for (genInfoSectionDict): `default`, `all`
/// and `everything` expand; unknown names select nothing; case-insensitive.
pub fn selected(args: &[&[u8]]) -> Vec<&'static str> {
    let mut want = vec![false; SECTIONS.len()];
    if args.is_empty() {
        for (w, (_, def)) in want.iter_mut().zip(SECTIONS) {
            *w = *def;
        }
    }
    for a in args {
        let a = String::from_utf8_lossy(a).to_ascii_lowercase();
        match a.as_str() {
            "all" | "everything" => want.iter_mut().for_each(|w| *w = true),
            "default" => {
                for (w, (_, def)) in want.iter_mut().zip(SECTIONS) {
                    *w |= *def;
                }
            }
            name => {
                if let Some(i) = SECTIONS.iter().position(|(n, _)| *n == name) {
                    want[i] = true;
                }
            }
        }
    }
    SECTIONS
        .iter()
        .zip(want)
        .filter(|(_, w)| *w)
        .map(|((n, _), _)| *n)
        .collect()
}

/// INFO [section ...]
fn info(ctx: &mut Ctx) -> CmdResult {
    let args: Vec<&[u8]> = ctx.args[1..].iter().map(|a| &a[..]).collect();
    let mut text = String::new();
    for name in selected(&args) {
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        sections::write(name, ctx, &mut text);
    }
    ctx.out.verbatim(text.as_bytes(), "txt");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::selected;

    #[test]
    fn section_selection() {
        let d = selected(&[]);
        assert_eq!(d.len(), 11);
        assert!(!d.contains(&"commandstats"));
        assert_eq!(selected(&[b"ALL"]).len(), 13);
        assert_eq!(
            selected(&[b"keyspace", b"server"]),
            vec!["server", "keyspace"]
        );
        assert!(selected(&[b"nosuch"]).is_empty());
        assert_eq!(selected(&[b"default", b"commandstats"]).len(), 12);
    }
}
