//! The CRD as YAML, exactly as committed in `crds/redisreplicasets.rrs.dev.yaml`.

use kube::CustomResourceExt;

use crate::RedisReplicaSet;

/// Path of the committed CRD, relative to the `crds/` crate.
pub const FILE: &str = "redisreplicasets.rrs.dev.yaml";

/// The CustomResourceDefinition generated from the types, as YAML.
pub fn crd_yaml() -> Result<String, serde_saphyr::ser::Error> {
    let body = serde_saphyr::to_string(&RedisReplicaSet::crd())?;
    Ok(format!(
        "# Generated from the Rust types in crds/src by `cargo run -p rrs-crds --bin rrs-crdgen`.\n# Do not edit: crds/tests/crd_sync.rs fails when this file and the types disagree.\n{body}"
    ))
}
