//! redis.conf and `--name value` argument parsing into [`Config`].

use super::Config;

/// A startup configuration error, printed like redis-server's
/// `*** FATAL CONFIG FILE ERROR ***` block.
#[derive(Debug, thiserror::Error)]
#[error("\n*** FATAL CONFIG FILE ERROR (rrs-node) ***\nReading the configuration file, at line {line}\n>>> '{text}'\n{msg}")]
pub struct ConfigFileError {
    pub line: usize,
    pub text: String,
    pub msg: String,
}

/// Applies config text (file contents followed by command-line options, as
/// redis-server concatenates them) to `cfg`.
pub fn apply_text(cfg: &mut Config, text: &str) -> Result<(), ConfigFileError> {
    let mut save_seen = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |msg: String| ConfigFileError {
            line: i + 1,
            text: line.to_string(),
            msg,
        };
        let args = crate::resp::parse::split_args(line.as_bytes())
            .ok_or_else(|| err("Unbalanced quotes in configuration line".into()))?;
        let Some((name, rest)) = args.split_first() else {
            continue;
        };
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        let joined = rest.join(&b' ');
        let Some(setting) = super::find(&name) else {
            return Err(err("Bad directive or wrong number of arguments".into()));
        };
        let value = if setting.name == "save" {
            // Successive `save` lines add save points; the first one replaces the default.
            let v = if save_seen && !cfg.save.is_empty() && !joined.is_empty() {
                format!("{} {}", cfg.save, String::from_utf8_lossy(&joined)).into_bytes()
            } else {
                joined
            };
            save_seen = true;
            v
        } else {
            joined
        };
        if rest.is_empty()
            && !matches!(
                setting.kind,
                super::SettingKind::Str | super::SettingKind::Special
            )
        {
            return Err(err("wrong number of arguments".into()));
        }
        (setting.set)(cfg, &value).map_err(err)?;
    }
    Ok(())
}

/// Turns redis-server style argv (`[configfile] [--name value ...]`) into config
/// text: each `--name` starts a new line, following words are its arguments.
pub fn argv_to_text(args: &[String]) -> Result<(Option<String>, String), String> {
    let mut file = None;
    let mut rest = args;
    if let Some(first) = args.first() {
        if !first.starts_with("--") {
            file = Some(first.clone());
            rest = &args[1..];
        }
    }
    let mut text = String::new();
    for a in rest {
        if let Some(name) = a.strip_prefix("--") {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(name);
        } else {
            if text.is_empty() {
                return Err(format!(
                    "Invalid argument '{a}': options must start with '--'"
                ));
            }
            text.push(' ');
            text.push_str(&quote(a));
        }
    }
    Ok((file, text))
}

/// Quotes an argument so split_args gives it back unchanged (empty strings too,
/// as in `--save ""`).
fn quote(s: &str) -> String {
    if !s.is_empty()
        && !s
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b == b'"' || b == b'\'' || b == b'\\')
    {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_args() {
        let mut c = Config::default();
        apply_text(
            &mut c,
            "# comment\nport 7000\nsave 900 1\nsave 300 10\nrequirepass \"a b\"\n",
        )
        .expect("valid");
        assert_eq!(c.port, 7000);
        assert_eq!(c.save, "900 1 300 10");
        assert_eq!(c.requirepass.as_deref(), Some(&b"a b"[..]));
        let (file, text) = argv_to_text(&[
            "x.conf".into(),
            "--port".into(),
            "7001".into(),
            "--save".into(),
            "".into(),
        ])
        .expect("valid");
        assert_eq!(file.as_deref(), Some("x.conf"));
        apply_text(&mut c, &text).expect("valid");
        assert_eq!(c.port, 7001);
        assert_eq!(c.save, "");
    }

    #[test]
    fn bad_directive_is_reported_with_line() {
        let mut c = Config::default();
        let e = apply_text(&mut c, "port 1\nnosuch thing\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(e.msg, "Bad directive or wrong number of arguments");
        let e = apply_text(&mut c, "port 99999").unwrap_err();
        assert_eq!(e.msg, "argument must be between 0 and 65535 inclusive");
    }
}
