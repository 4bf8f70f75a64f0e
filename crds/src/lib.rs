//! The `RedisReplicaSet` custom resource (`rrs.dev/v1alpha1`, short name `rrs`).
//!
//! - [`spec`]: the desired state, its CEL rules and the CRD attributes (printer columns,
//!   status and scale subresources);
//! - [`sentinel`], [`storage`], [`pod`]: the parts of the spec;
//! - [`config_keys`]: the redis.conf settings a user may set through `spec.config`;
//! - [`status`]: what the operator reports back;
//! - [`yaml`]: the CRD as YAML, as committed in `crds/redisreplicasets.rrs.dev.yaml`.
//!
//! Doc comments on the types become the CRD's `description`s (what `kubectl explain`
//! shows), so they are written for users; notes for developers are `//` comments.

pub mod config_keys;
pub mod pod;
pub mod sentinel;
pub mod spec;
pub mod status;
pub mod storage;
pub mod yaml;

pub use pod::{ImagePullPolicy, PodTemplate};
pub use sentinel::SentinelSpec;
pub use spec::{RedisReplicaSet, RedisReplicaSetSpec};
pub use status::{LastFailover, Phase, RedisReplicaSetStatus};
pub use storage::{AuthSpec, PersistenceSpec};

/// The API group of every rrs resource.
pub const GROUP: &str = "rrs.dev";
/// The served (and stored) version.
pub const VERSION: &str = "v1alpha1";
