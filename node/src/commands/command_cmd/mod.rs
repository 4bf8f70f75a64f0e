//! COMMAND and its subcommands. The structural fields (arity, flags, key
//! positions) come from our table; the descriptive ones from [`meta`], the dump
//! of redis-server 7.0.15. Only commands (and subcommands) we implement are listed.

pub mod keys;
pub mod meta;

use super::flags::*;
use super::{lookup, CmdResult, Command, Ctx, ERR_SYNTAX};
use crate::cmd;
use crate::resp::Reply;
use meta::Node;

pub static COMMANDS: &[Command] = &[cmd!(
    "command",
    -1,
    LOADING | STALE,
    (0, 0, 0),
    command_all,
    &SUBCOMMANDS
)];

static SUBCOMMANDS: [Command; 7] = [
    cmd!("docs", -2, LOADING | STALE, (0, 0, 0), docs),
    cmd!("getkeys", -4, LOADING | STALE, (0, 0, 0), getkeys),
    cmd!("info", -2, LOADING | STALE, (0, 0, 0), info),
    cmd!("help", 2, LOADING | STALE, (0, 0, 0), help),
    cmd!("list", -2, LOADING | STALE, (0, 0, 0), list),
    cmd!(
        "getkeysandflags",
        -4,
        LOADING | STALE,
        (0, 0, 0),
        getkeysandflags
    ),
    cmd!("count", 2, LOADING | STALE, (0, 0, 0), count),
];

/// Flags COMMAND INFO never shows (addReplyCommandFlags hides them on purpose).
pub const HIDDEN_FLAGS: u32 = MAY_REPLICATE | SENTINEL | ONLY_SENTINEL | PROTECTED;

/// Finds a command by "name" or "parent|sub" (lookupCommandBySds).
pub fn lookup_full(name: &[u8]) -> Option<(Option<&'static Command>, &'static Command)> {
    let mut parts = name.split(|&b| b == b'|');
    let base = lookup(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some((None, base)),
        (Some(sub), None) => {
            let s = base
                .subcommands
                .iter()
                .find(|c| sub.eq_ignore_ascii_case(c.name.as_bytes()))?;
            Some((Some(base), s))
        }
        _ => None,
    }
}

/// Writes one COMMAND INFO entry: our structure, redis's description.
pub fn render_info(out: &mut Reply, parent: Option<&Command>, cmd: &Command) {
    let name = super::full_name(parent, cmd);
    let m = meta::info_of(&name);
    let field = |i: usize| m.and_then(|n| n.items().get(i));
    out.array(10);
    out.bulk(name.as_bytes());
    out.int(cmd.arity as i64);
    let shown: Vec<&str> = NAMES
        .iter()
        .filter(|(f, _)| cmd.is(*f) && f & HIDDEN_FLAGS == 0)
        .map(|(_, n)| *n)
        .collect();
    out.set(shown.len());
    for f in shown {
        out.simple(f);
    }
    out.int(cmd.first_key as i64);
    out.int(cmd.last_key as i64);
    out.int(cmd.step as i64);
    for i in 6..=8 {
        match field(i) {
            Some(n) => n.render(out),
            None => {
                if i == 8 {
                    out.array(0)
                } else {
                    out.set(0)
                }
            }
        }
    }
    // Subcommands in the order redis listed them, restricted to the ones we have.
    let subs: Vec<&Command> = match field(9) {
        Some(list) => list
            .items()
            .iter()
            .filter_map(|s| {
                let full = s.items().first()?.as_str()?;
                let short = full.split_once('|')?.1;
                cmd.subcommands.iter().find(|c| c.name == short)
            })
            .collect(),
        None => cmd.subcommands.iter().collect(),
    };
    if cmd.subcommands.is_empty() {
        // Redis sends an empty set for a command without subcommands, an array otherwise.
        out.set(0);
        return;
    }
    out.array(subs.len());
    for s in subs {
        render_info(out, Some(cmd), s);
    }
}

/// Writes one COMMAND DOCS value, with "subcommands" restricted to ours.
fn render_docs(out: &mut Reply, parent: Option<&Command>, cmd: &Command) {
    let name = super::full_name(parent, cmd);
    let Some(Node::Map(pairs)) = meta::docs_of(&name) else {
        out.map(0);
        return;
    };
    out.map(pairs.len());
    for (k, v) in pairs {
        k.render(out);
        if k.as_str() == Some("subcommands") {
            let subs: Vec<&Command> = match v {
                Node::Map(m) => m
                    .iter()
                    .filter_map(|(sk, _)| {
                        let short = sk.as_str()?.split_once('|')?.1;
                        cmd.subcommands.iter().find(|c| c.name == short)
                    })
                    .collect(),
                _ => Vec::new(),
            };
            out.map(subs.len());
            for s in subs {
                out.bulk(super::full_name(Some(cmd), s).as_bytes());
                render_docs(out, Some(cmd), s);
            }
        } else {
            v.render(out);
        }
    }
}

/// COMMAND: the info of every command.
fn command_all(ctx: &mut Ctx) -> CmdResult {
    let all = super::commands();
    ctx.out.array(all.len());
    for c in all {
        render_info(ctx.out, None, c);
    }
    Ok(())
}

/// COMMAND COUNT. Counts the commands this node implements, so it differs from
/// redis-server until every command exists.
fn count(ctx: &mut Ctx) -> CmdResult {
    ctx.out.int(super::commands().len() as i64);
    Ok(())
}

/// COMMAND INFO [command-name ...]
fn info(ctx: &mut Ctx) -> CmdResult {
    if ctx.argc() == 2 {
        return command_all(ctx);
    }
    ctx.out.array(ctx.argc() - 2);
    for i in 2..ctx.argc() {
        match lookup_full(&ctx.args[i]) {
            Some((p, c)) => render_info(ctx.out, p, c),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// COMMAND DOCS [command-name ...]: unknown names are left out.
fn docs(ctx: &mut Ctx) -> CmdResult {
    let found: Vec<(Option<&Command>, &Command)> = if ctx.argc() == 2 {
        super::commands().iter().map(|c| (None, *c)).collect()
    } else {
        ctx.args[2..]
            .iter()
            .filter_map(|a| lookup_full(a))
            .collect()
    };
    ctx.out.map(found.len());
    for (p, c) in found {
        ctx.out.bulk(super::full_name(p, c).as_bytes());
        render_docs(ctx.out, p, c);
    }
    Ok(())
}

/// ACL categories of a command, without the '@' ("string", "fast").
fn acl_categories(name: &str) -> Vec<&'static str> {
    meta::info_of(name)
        .and_then(|n| n.items().get(6))
        .map(|s| {
            s.items()
                .iter()
                .filter_map(|c| c.as_str().map(|x| x.trim_start_matches('@')))
                .collect()
        })
        .unwrap_or_default()
}

enum Filter<'a> {
    None,
    Module,
    AclCat(&'a [u8]),
    Pattern(&'a [u8]),
}

/// COMMAND LIST [FILTERBY MODULE name|ACLCAT category|PATTERN pattern]
fn list(ctx: &mut Ctx) -> CmdResult {
    let mut filter = Filter::None;
    let mut i = 2;
    while i < ctx.argc() {
        let more = ctx.argc() - 1 - i;
        if ctx.arg_is(i, "filterby") && more == 2 {
            let arg = &ctx.args[i + 2][..];
            filter = if ctx.arg_is(i + 1, "module") {
                Filter::Module
            } else if ctx.arg_is(i + 1, "aclcat") {
                Filter::AclCat(arg)
            } else if ctx.arg_is(i + 1, "pattern") {
                Filter::Pattern(arg)
            } else {
                return Err(ERR_SYNTAX.into());
            };
            i += 3;
        } else {
            return Err(ERR_SYNTAX.into());
        }
    }
    let mut names = Vec::new();
    for c in super::commands() {
        names.push(c.name.to_string());
        for s in c.subcommands {
            names.push(super::full_name(Some(c), s));
        }
    }
    names.retain(|n| match &filter {
        Filter::None => true,
        // No modules exist, so no command belongs to one.
        Filter::Module => false,
        Filter::AclCat(cat) => acl_categories(n)
            .iter()
            .any(|c| c.as_bytes().eq_ignore_ascii_case(cat)),
        Filter::Pattern(p) => crate::util::glob_match(p, n.as_bytes(), true),
    });
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
    Ok(())
}

/// COMMAND GETKEYS command [arg ...]
fn getkeys(ctx: &mut Ctx) -> CmdResult {
    getkeys_impl(ctx, false)
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
fn getkeysandflags(ctx: &mut Ctx) -> CmdResult {
    getkeys_impl(ctx, true)
}

fn getkeys_impl(ctx: &mut Ctx, with_flags: bool) -> CmdResult {
    let argv = &ctx.args[2..];
    let Some(top) = lookup(&argv[0]) else {
        return Err("ERR Invalid command specified".into());
    };
    let (parent, cmd) = if argv.len() == 1 || top.subcommands.is_empty() {
        (None, top)
    } else {
        match top
            .subcommands
            .iter()
            .find(|c| argv[1].eq_ignore_ascii_case(c.name.as_bytes()))
        {
            Some(s) => (Some(top), s),
            None => return Err("ERR Invalid command specified".into()),
        }
    };
    let name = super::full_name(parent, cmd);
    let specs = meta::info_of(&name)
        .and_then(|n| n.items().get(8))
        .map(|n| n.items())
        .unwrap_or_default();
    if specs.is_empty() {
        return Err("ERR The command has no key arguments".into());
    }
    let argc = argv.len() as i32;
    if (cmd.arity > 0 && cmd.arity != argc) || argc < -cmd.arity {
        return Err("ERR Invalid number of arguments specified for command".into());
    }
    match keys::find_keys(&name, specs, argv) {
        Some(found) => {
            ctx.out.array(found.len());
            for (pos, flags) in found {
                if with_flags {
                    ctx.out.array(2);
                    ctx.out.bulk(&argv[pos]);
                    ctx.out.set(flags.len());
                    for f in flags {
                        ctx.out.simple(f);
                    }
                } else {
                    ctx.out.bulk(&argv[pos]);
                }
            }
            Ok(())
        }
        None if cmd.is(NO_MANDATORY_KEYS) => {
            ctx.out.array(0);
            Ok(())
        }
        None => Err("ERR Invalid arguments specified for command".into()),
    }
}

const HELP: &[&str] = &[
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
];

/// Replies a HELP text like addReplyHelp: the lines, then the HELP entry.
pub fn reply_help(out: &mut Reply, lines: &[&str]) {
    out.array(lines.len() + 2);
    for l in lines {
        out.simple(l);
    }
    out.simple("HELP");
    out.simple("    Prints this help.");
}

fn help(ctx: &mut Ctx) -> CmdResult {
    reply_help(ctx.out, HELP);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row of our table (and every subcommand row) must equal what
    /// redis-server 7.0.15's COMMAND INFO says about arity, flags and key positions.
    #[test]
    fn table_rows_match_redis_metadata() {
        let mut bad = Vec::new();
        for top in super::super::commands() {
            let rows = std::iter::once((None, *top))
                .chain(top.subcommands.iter().map(|s| (Some(*top), s)));
            for (parent, c) in rows {
                let name = super::super::full_name(parent, c);
                let Some(m) = meta::info_of(&name) else {
                    bad.push(format!("{name}: not a redis 7.0.15 command"));
                    continue;
                };
                let it = m.items();
                let int = |i: usize| it.get(i).and_then(Node::as_int).unwrap_or(i64::MIN);
                if int(1) != c.arity as i64 {
                    bad.push(format!(
                        "{name}: arity is {} in our table, {} in redis",
                        c.arity,
                        int(1)
                    ));
                }
                for (i, field, ours) in [
                    (3, "first_key", c.first_key),
                    (4, "last_key", c.last_key),
                    (5, "step", c.step),
                ] {
                    if int(i) != ours as i64 {
                        bad.push(format!(
                            "{name}: {field} is {ours} in our table, {} in redis",
                            int(i)
                        ));
                    }
                }
                let theirs: Vec<&str> = it
                    .get(2)
                    .map(|s| s.items().iter().filter_map(Node::as_str).collect())
                    .unwrap_or_default();
                let ours: Vec<&str> = NAMES
                    .iter()
                    .filter(|(f, _)| c.is(*f) && f & HIDDEN_FLAGS == 0)
                    .map(|(_, n)| *n)
                    .collect();
                let mut a = ours.clone();
                let mut b = theirs.clone();
                a.sort();
                b.sort();
                if a != b {
                    bad.push(format!(
                        "{name}: flags are {ours:?} in our table, {theirs:?} in redis"
                    ));
                }
            }
        }
        assert!(
            bad.is_empty(),
            "table rows differ from redis 7.0.15:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn acl_categories_come_from_metadata() {
        assert_eq!(acl_categories("ping"), vec!["fast", "connection"]);
        assert_eq!(
            acl_categories("client|kill"),
            vec!["admin", "slow", "dangerous", "connection"]
        );
        assert!(acl_categories("nosuch").is_empty());
    }

    #[test]
    fn lookup_full_splits_subcommands() {
        assert!(lookup_full(b"command|info").is_some());
        assert!(lookup_full(b"COMMAND").is_some());
        assert!(lookup_full(b"command|nosuch").is_none());
        assert!(lookup_full(b"command|info|x").is_none());
    }
}
