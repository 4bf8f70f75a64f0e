//! The generated Secret `<name>-auth`, when spec.auth.secretName is empty.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use rrs_crds::RedisReplicaSet;

use super::owned_meta;
use crate::names::{self, Names};

/// The Secret holding `password`. The reconciler creates it once (never re-applies it,
/// which would change the password); the caller supplies the random password.
pub fn generated(rrs: &RedisReplicaSet, password: &str) -> Secret {
    let n = Names::of(rrs);
    Secret {
        metadata: owned_meta(rrs, n.generated_secret(), names::common_labels(&n)),
        string_data: Some(BTreeMap::from([(
            names::PASSWORD_KEY.into(),
            password.into(),
        )])),
        type_: Some("Opaque".into()),
        ..Secret::default()
    }
}

/// A random password: 32 alphanumeric characters (about 190 bits).
pub fn random_password() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::rngs::OsRng, 32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builders::testutil::{assert_golden, minimal};

    #[test]
    fn golden_secret() {
        assert_golden("secret-generated", &generated(&minimal(), "s3cr3t"));
    }

    #[test]
    fn passwords_differ_and_are_long() {
        let (a, b) = (random_password(), random_password());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
    }
}
