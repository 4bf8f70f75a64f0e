//! The whole command table: each family module owns its rows (`COMMANDS`), this
//! module only lists the families.

use std::sync::OnceLock;

use super::Command;

const FAMILIES: &[&[Command]] = &[
    super::server_cmd::COMMANDS,
    super::strings::COMMANDS,
    super::bitmap::COMMANDS,
    super::keys::COMMANDS,
    super::list::COMMANDS,
    super::expire::COMMANDS,
    super::info::COMMANDS,
    super::client_cmd::COMMANDS,
    super::config_cmd::COMMANDS,
    super::debug::COMMANDS,
    super::command_cmd::COMMANDS,
    super::admin::COMMANDS,
    super::hash::COMMANDS,
    super::set::COMMANDS,
    super::pubsub::COMMANDS,
    super::tx::COMMANDS,
    super::zset::COMMANDS,
    super::hll::COMMANDS,
    super::sort::COMMANDS,
    super::repl_cmd::COMMANDS,
];

/// Every top-level command.
pub fn all() -> &'static [&'static Command] {
    static ALL: OnceLock<Vec<&'static Command>> = OnceLock::new();
    ALL.get_or_init(|| FAMILIES.iter().flat_map(|f| f.iter()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::flags::*;

    /// The checks Redis's generator makes on commands.def, over our table.
    #[test]
    fn table_is_consistent() {
        let mut names = std::collections::HashSet::new();
        for c in all() {
            assert!(names.insert(c.name), "duplicate command {}", c.name);
            for row in std::iter::once(*c).chain(c.subcommands.iter()) {
                assert_eq!(
                    row.name,
                    row.name.to_ascii_lowercase(),
                    "{} is lowercase",
                    row.name
                );
                assert_ne!(row.arity, 0, "{} arity", row.name);
                assert!(
                    !(row.is(WRITE) && row.is(READONLY)),
                    "{} both write and readonly",
                    row.name
                );
                assert!(
                    !row.is(ONLY_SENTINEL) || row.is(SENTINEL),
                    "{} only_sentinel without sentinel",
                    row.name
                );
                if row.first_key > 0 && row.arity > 0 && row.last_key > 0 {
                    assert!(
                        row.last_key < row.arity,
                        "{} key positions beyond arity",
                        row.name
                    );
                }
            }
        }
    }
}
