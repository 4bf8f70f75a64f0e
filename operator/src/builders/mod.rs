//! Pure builders: one function per desired object of a set (DESIGN section 5). They
//! take the CR (and what was observed, where an object depends on it) and return the
//! object; the reconciler applies them. No client, no clock, no randomness here.

pub mod config;
pub mod endpointslice;
pub mod pdb;
pub mod pod;
pub mod rbac;
pub mod secret;
pub mod services;
pub mod statefulset;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use rrs_crds::RedisReplicaSet;

use crate::names::Names;

/// What the builders need besides the CR.
#[derive(Clone, Debug)]
pub struct BuildContext {
    /// Node image used when spec.image is empty (the operator's own version).
    pub default_image: String,
}

impl BuildContext {
    pub fn image<'a>(&'a self, rrs: &'a RedisReplicaSet) -> &'a str {
        if rrs.spec.image.is_empty() {
            &self.default_image
        } else {
            &rrs.spec.image
        }
    }
}

/// Metadata of an owned object: name, namespace, labels and the controller owner
/// reference that lets the garbage collector delete it with the CR.
pub fn owned_meta(
    rrs: &RedisReplicaSet,
    name: String,
    labels: BTreeMap<String, String>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: Some(Names::of(rrs).namespace),
        labels: Some(labels),
        owner_references: rrs.controller_owner_ref(&()).map(|r| vec![r]),
        ..ObjectMeta::default()
    }
}

/// The name of the Secret holding the password: the user's, or the generated one.
pub fn auth_secret_name(rrs: &RedisReplicaSet) -> String {
    rrs.spec
        .auth
        .secret_name
        .clone()
        .unwrap_or_else(|| Names::of(rrs).generated_secret())
}

#[cfg(test)]
pub(crate) mod testutil {
    use std::path::PathBuf;

    use kube::api::ObjectMeta;
    use rrs_crds::{RedisReplicaSet, RedisReplicaSetSpec};

    use super::BuildContext;

    /// examples/cache.yaml as the API server would hold it (defaults applied, uid set).
    pub fn cache() -> RedisReplicaSet {
        let text = include_str!("../../../examples/cache.yaml");
        let mut rrs: RedisReplicaSet = serde_saphyr::from_str(text).expect("example parses");
        rrs.metadata.namespace = Some("prod".into());
        rrs.metadata.uid = Some("0b7a4e2c-5d1f-4a8e-9c3b-7f6e5d4c3b2a".into());
        rrs.metadata.generation = Some(1);
        rrs
    }

    /// A set with every optional field empty.
    pub fn minimal() -> RedisReplicaSet {
        let mut rrs = RedisReplicaSet::new(
            "sessions",
            serde_json::from_str::<RedisReplicaSetSpec>("{}").expect("defaults"),
        );
        rrs.metadata = ObjectMeta {
            namespace: Some("default".into()),
            uid: Some("5e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b".into()),
            generation: Some(1),
            ..rrs.metadata
        };
        rrs
    }

    pub fn ctx() -> BuildContext {
        BuildContext {
            default_image: "rrs-node:0.1.0".into(),
        }
    }

    /// Compares `obj` as YAML with `operator/testdata/golden/<name>.yaml`;
    /// `UPDATE_GOLDEN=1` rewrites the file.
    pub fn assert_golden<T: serde::Serialize>(name: &str, obj: &T) {
        let yaml = serde_saphyr::to_string(obj).expect("serializes");
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("testdata/golden/{name}.yaml"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &yaml).expect("write golden");
        }
        let golden = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            golden == yaml,
            "{} differs (UPDATE_GOLDEN=1 cargo test -p rrs-operator rewrites it):\n{yaml}",
            path.display()
        );
    }
}
