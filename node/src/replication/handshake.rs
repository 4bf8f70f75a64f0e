//! The replica's handshake with its master as an explicit state machine,
//! free of I/O so it is unit-tested: PING, then AUTH / REPLCONF
//! listening-port / REPLCONF ip-address / REPLCONF capa sent in one burst
//! and their replies checked in order, then PSYNC and its reply.

/// One request of the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Ping,
    Auth,
    Port,
    Ip,
    Capa,
    Psync,
}

/// What the handshake sends, from the replica's settings.
#[derive(Debug, Clone, Default)]
pub struct Conf {
    pub masterauth: Option<Vec<u8>>,
    pub masteruser: Option<Vec<u8>>,
    /// replica-announce-port, else our port.
    pub port: i64,
    pub announce_ip: Option<String>,
    /// The history we hold and the next byte we want of it.
    pub replid: String,
    pub offset: i64,
}

/// How the master answered PSYNC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Psync {
    /// +FULLRESYNC: an RDB follows. An id of the wrong length is blanked,
    /// as Redis does.
    Full { replid: String, offset: i64 },
    /// +CONTINUE, with the master's (maybe new) replid.
    Continue { replid: Option<String> },
    /// -NOMASTERLINK / -LOADING: try again later.
    TryLater(String),
    /// Any other error.
    Error(String),
}

pub struct Handshake {
    pub conf: Conf,
    /// The steps sent and not answered yet, in order.
    waiting: std::collections::VecDeque<Step>,
}

impl Handshake {
    pub fn new(conf: Conf) -> Self {
        Handshake {
            conf,
            waiting: Default::default(),
        }
    }

    /// The requests of the next burst: PING alone, then everything up to
    /// (not including) PSYNC, then PSYNC. Empty when a reply is awaited.
    pub fn next_burst(&mut self, after: Option<Step>) -> Vec<(Step, Vec<Vec<u8>>)> {
        let steps: Vec<Step> = match after {
            None => vec![Step::Ping],
            Some(Step::Ping) => {
                let mut v = Vec::new();
                if self.conf.masterauth.is_some() {
                    v.push(Step::Auth);
                }
                v.push(Step::Port);
                if self.conf.announce_ip.is_some() {
                    v.push(Step::Ip);
                }
                v.push(Step::Capa);
                v
            }
            Some(Step::Capa) => vec![Step::Psync],
            Some(_) => vec![],
        };
        self.waiting.extend(steps.iter().copied());
        steps.into_iter().map(|s| (s, self.request(s))).collect()
    }

    fn request(&self, s: Step) -> Vec<Vec<u8>> {
        let w = |x: &[u8]| x.to_vec();
        match s {
            Step::Ping => vec![w(b"PING")],
            Step::Auth => {
                let pass = self.conf.masterauth.clone().unwrap_or_default();
                match &self.conf.masteruser {
                    Some(u) => vec![w(b"AUTH"), u.clone(), pass],
                    None => vec![w(b"AUTH"), pass],
                }
            }
            Step::Port => vec![
                w(b"REPLCONF"),
                w(b"listening-port"),
                self.conf.port.to_string().into_bytes(),
            ],
            Step::Ip => vec![
                w(b"REPLCONF"),
                w(b"ip-address"),
                self.conf
                    .announce_ip
                    .clone()
                    .unwrap_or_default()
                    .into_bytes(),
            ],
            Step::Capa => vec![
                w(b"REPLCONF"),
                w(b"capa"),
                w(b"eof"),
                w(b"capa"),
                w(b"psync2"),
            ],
            Step::Psync => vec![
                w(b"PSYNC"),
                self.conf.replid.clone().into_bytes(),
                self.conf.offset.to_string().into_bytes(),
            ],
        }
    }

    /// Checks the reply line to the oldest unanswered request (not PSYNC).
    /// Err ends the handshake.
    pub fn on_reply(&mut self, line: &str) -> Result<Step, String> {
        let step = self
            .waiting
            .pop_front()
            .ok_or_else(|| format!("unexpected reply from master: {line}"))?;
        match step {
            // An auth error is fine here: AUTH comes next.
            Step::Ping
                if !(line.starts_with('+')
                    || line.starts_with("-NOAUTH")
                    || line.starts_with("-NOPERM")
                    || line.starts_with("-ERR operation not permitted")) =>
            {
                Err(format!("Error reply to PING from master: '{line}'"))
            }
            Step::Auth if line.starts_with('-') => Err(format!("Unable to AUTH to MASTER: {line}")),
            // Errors to REPLCONF are tolerated: older masters lack options.
            _ => Ok(step),
        }
    }

    /// Parses the reply to PSYNC (empty keep-alive lines are skipped by the
    /// caller).
    pub fn on_psync_reply(&mut self, line: &str) -> Psync {
        self.waiting.retain(|s| *s != Step::Psync);
        if let Some(rest) = line.strip_prefix("+FULLRESYNC") {
            let mut w = rest.split_whitespace();
            let id = w.next().unwrap_or("");
            let offset = w.next().and_then(|o| o.parse().ok()).unwrap_or(-1);
            let replid = if id.len() == 40 {
                id.to_string()
            } else {
                String::new()
            };
            Psync::Full { replid, offset }
        } else if let Some(rest) = line.strip_prefix("+CONTINUE") {
            let id = rest.trim();
            Psync::Continue {
                replid: (id.len() == 40).then(|| id.to_string()),
            }
        } else if line.starts_with("-NOMASTERLINK") || line.starts_with("-LOADING") {
            Psync::TryLater(line.to_string())
        } else {
            Psync::Error(line.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(b: &[(Step, Vec<Vec<u8>>)]) -> Vec<String> {
        b.iter()
            .map(|(_, a)| {
                a.iter()
                    .map(|x| String::from_utf8_lossy(x).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    fn conf() -> Conf {
        Conf {
            port: 6380,
            replid: "?".into(),
            offset: -1,
            ..Default::default()
        }
    }

    #[test]
    fn plain_handshake_order() {
        let mut h = Handshake::new(conf());
        assert_eq!(names(&h.next_burst(None)), ["PING"]);
        assert_eq!(h.on_reply("+PONG"), Ok(Step::Ping));
        let burst = h.next_burst(Some(Step::Ping));
        assert_eq!(
            names(&burst),
            [
                "REPLCONF listening-port 6380",
                "REPLCONF capa eof capa psync2"
            ]
        );
        assert_eq!(h.on_reply("+OK"), Ok(Step::Port));
        // REPLCONF errors are tolerated.
        assert_eq!(h.on_reply("-ERR unknown"), Ok(Step::Capa));
        assert_eq!(names(&h.next_burst(Some(Step::Capa))), ["PSYNC ? -1"]);
        assert_eq!(
            h.on_psync_reply("+FULLRESYNC 0123456789012345678901234567890123456789 42"),
            Psync::Full {
                replid: "0123456789012345678901234567890123456789".into(),
                offset: 42
            }
        );
    }

    #[test]
    fn auth_and_announce_ip() {
        let mut c = conf();
        c.masterauth = Some(b"secretpw".to_vec());
        c.masteruser = Some(b"repluser".to_vec());
        c.announce_ip = Some("10.0.0.7".into());
        let mut h = Handshake::new(c);
        h.next_burst(None);
        assert_eq!(
            h.on_reply("-NOAUTH Authentication required."),
            Ok(Step::Ping)
        );
        assert_eq!(
            names(&h.next_burst(Some(Step::Ping))),
            [
                "AUTH repluser secretpw",
                "REPLCONF listening-port 6380",
                "REPLCONF ip-address 10.0.0.7",
                "REPLCONF capa eof capa psync2"
            ]
        );
        assert!(h
            .on_reply("-WRONGPASS invalid username-password pair")
            .is_err());
    }

    #[test]
    fn ping_errors_other_than_auth_abort() {
        let mut h = Handshake::new(conf());
        h.next_burst(None);
        assert!(h.on_reply("-ERR something else").is_err());
        let mut h = Handshake::new(conf());
        assert!(h.on_reply("+PONG").is_err(), "a reply nobody asked for");
    }

    #[test]
    fn psync_replies() {
        let mut h = Handshake::new(conf());
        let id = "a".repeat(40);
        assert_eq!(
            h.on_psync_reply(&format!("+CONTINUE {id}")),
            Psync::Continue { replid: Some(id) }
        );
        assert_eq!(
            h.on_psync_reply("+CONTINUE"),
            Psync::Continue { replid: None }
        );
        assert_eq!(
            h.on_psync_reply("+FULLRESYNC short 5"),
            Psync::Full {
                replid: String::new(),
                offset: 5
            }
        );
        assert!(matches!(
            h.on_psync_reply("-NOMASTERLINK Can't SYNC while not connected with my master"),
            Psync::TryLater(_)
        ));
        assert!(matches!(
            h.on_psync_reply("-LOADING Redis is loading"),
            Psync::TryLater(_)
        ));
        assert!(matches!(h.on_psync_reply("-ERR nope"), Psync::Error(_)));
    }
}
