//! Leader election through a coordination.k8s.io Lease, so that of several operator
//! replicas exactly one reconciles. The holder renews the Lease every few seconds; a
//! replica takes it over only once it has expired. Writes use the resourceVersion as a
//! precondition, so two replicas racing for an expired Lease cannot both win.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, ObjectMeta, PostParams};

use crate::Result;

/// What to do with the Lease as observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// No Lease yet: create it, holding it.
    Create,
    /// We hold it: renew.
    Renew,
    /// Someone else held it and it expired: take it over.
    TakeOver,
    /// Someone else holds it: stand by.
    Follow,
}

pub fn decide(lease: Option<&Lease>, me: &str, now: Timestamp) -> Decision {
    let Some(spec) = lease.and_then(|l| l.spec.as_ref()) else {
        return if lease.is_some() {
            Decision::TakeOver
        } else {
            Decision::Create
        };
    };
    match spec.holder_identity.as_deref() {
        Some(h) if h == me => Decision::Renew,
        None | Some("") => Decision::TakeOver,
        Some(_) => {
            let duration =
                SignedDuration::from_secs(i64::from(spec.lease_duration_seconds.unwrap_or(15)));
            let renewed = spec
                .renew_time
                .as_ref()
                .or(spec.acquire_time.as_ref())
                .map(|t| t.0);
            match renewed {
                Some(t) if t + duration > now => Decision::Follow,
                _ => Decision::TakeOver,
            }
        }
    }
}

/// One replica's view of the Lease.
pub struct LeaderElector {
    api: Api<Lease>,
    name: String,
    identity: String,
    duration: Duration,
}

impl LeaderElector {
    pub fn new(api: Api<Lease>, name: &str, identity: &str, duration: Duration) -> Self {
        Self {
            api,
            name: name.into(),
            identity: identity.into(),
            duration,
        }
    }

    /// How often the holder renews (a third of the lease duration).
    pub fn renew_period(&self) -> Duration {
        self.duration / 3
    }

    /// One round: acquire or renew if possible. Returns whether we hold the Lease now.
    /// A lost race (409 Conflict) is "not leader", not an error.
    pub async fn try_acquire_or_renew(&self) -> Result<bool> {
        let now = Timestamp::now();
        let current = self.api.get_opt(&self.name).await?;
        let decision = decide(current.as_ref(), &self.identity, now);
        let transitions = current
            .as_ref()
            .and_then(|l| l.spec.as_ref())
            .and_then(|s| s.lease_transitions)
            .unwrap_or(0);
        let acquire_time = current
            .as_ref()
            .and_then(|l| l.spec.as_ref())
            .and_then(|s| s.acquire_time.clone());
        let spec = |acquired: Option<MicroTime>, transitions: i32| LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: Some(self.duration.as_secs() as i32),
            acquire_time: Some(acquired.unwrap_or(MicroTime(now))),
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        };
        let result = match (decision, current) {
            (Decision::Follow, _) => return Ok(false),
            (Decision::Create, _) => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.name.clone()),
                        ..ObjectMeta::default()
                    },
                    spec: Some(spec(None, 0)),
                };
                self.api.create(&PostParams::default(), &lease).await
            }
            (Decision::Renew, Some(mut lease)) => {
                lease.spec = Some(spec(acquire_time, transitions));
                self.api
                    .replace(&self.name, &PostParams::default(), &lease)
                    .await
            }
            (Decision::TakeOver, Some(mut lease)) => {
                lease.spec = Some(spec(None, transitions + 1));
                self.api
                    .replace(&self.name, &PostParams::default(), &lease)
                    .await
            }
            (Decision::Renew | Decision::TakeOver, None) => return Ok(false),
        };
        match result {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(holder: &str, renewed: i64, duration: i32) -> Lease {
        Lease {
            metadata: ObjectMeta::default(),
            spec: Some(LeaseSpec {
                holder_identity: Some(holder.into()),
                lease_duration_seconds: Some(duration),
                renew_time: Some(MicroTime(Timestamp::from_second(renewed).expect("time"))),
                ..LeaseSpec::default()
            }),
        }
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).expect("time")
    }

    #[test]
    fn decisions() {
        assert_eq!(decide(None, "a", t(100)), Decision::Create);
        assert_eq!(
            decide(Some(&lease("a", 90, 15)), "a", t(100)),
            Decision::Renew
        );
        assert_eq!(
            decide(Some(&lease("b", 90, 15)), "a", t(100)),
            Decision::Follow
        );
        assert_eq!(
            decide(Some(&lease("b", 80, 15)), "a", t(100)),
            Decision::TakeOver
        );
        assert_eq!(
            decide(Some(&lease("", 99, 15)), "a", t(100)),
            Decision::TakeOver
        );
        // Even our own expired lease is renewed, not taken over (no transition counted).
        assert_eq!(
            decide(Some(&lease("a", 10, 15)), "a", t(100)),
            Decision::Renew
        );
    }
}
