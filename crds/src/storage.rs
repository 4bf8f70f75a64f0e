//! `spec.persistence` and `spec.auth`.

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where the data pods keep their snapshot. Fixed at creation: StatefulSet volume
/// claim templates cannot change, so to change persistence create a new
/// RedisReplicaSet and move the data.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PersistenceSpec {
    /// Keep each data pod's dataset on a PersistentVolumeClaim so that a restarted pod
    /// reloads it. Without persistence a restarted pod starts empty and always rejoins
    /// as a replica, never as master.
    #[serde(default = "default_enabled")]
    pub enabled: bool,

    /// Size of each data pod's volume claim, for example 1Gi. Leave room for a snapshot
    /// being written next to the previous one (about twice the dataset).
    #[serde(default = "default_size")]
    pub size: Quantity,

    /// StorageClass of the volume claims. Empty uses the cluster's default class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
}

fn default_enabled() -> bool {
    true
}
fn default_size() -> Quantity {
    Quantity("1Gi".into())
}

impl Default for PersistenceSpec {
    fn default() -> Self {
        Self {
            enabled: default_enabled(),
            size: default_size(),
            storage_class_name: None,
        }
    }
}

/// The password clients, replicas and sentinels use. Every set requires one.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct AuthSpec {
    /// Name of a Secret in this namespace whose key password holds the password.
    /// When empty, the operator creates the Secret <name>-auth with a random password
    /// and keeps it for the life of the set. Pods read the password when they start;
    /// changing it in a running set is not supported yet (restarted pods would not
    /// authenticate to the others), so set it before creating the set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub secret_name: Option<String>,
}
