//! `rrs-operator`: turns a `RedisReplicaSet` into Kubernetes objects and keeps them so.
//!
//! - [`controller`]: the kube-rs Controller and what it watches;
//! - [`http`], [`metrics`]: `/metrics`, `/healthz`, `/readyz`;
//! - [`lease`]: leader election through a Lease;
//! - [`names`]: object names, labels, annotations, ports (one place);
//! - [`builders`]: pure functions, one per desired object (DESIGN section 5);
//! - [`nodes`]: talking to sentinels and data nodes (a trait, faked in tests);
//! - [`plan`]: pure state machines for scaling and rolling updates;
//! - [`reconcile`]: the reconcile of one set and its error policy;
//! - [`status`]: the status computed from the observed pods and published master;
//!
//! The sentinels, not the operator, decide who is master; the operator bootstraps,
//! follows their decision into status and role labels, and does planned work.

pub mod builders;
pub mod controller;
#[cfg(test)]
pub(crate) mod fake_api;
pub mod http;
pub mod lease;
pub mod metrics;
pub mod names;
pub mod nodes;
pub mod plan;
pub mod reconcile;
pub mod status;

/// Errors of a reconcile; each is retried with backoff by the controller.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("serializing an object: {0}")]
    Serialization(#[from] serde_json::Error),
    #[error("the RedisReplicaSet has no {0}")]
    MissingField(&'static str),
    #[error("talking to the set's nodes: {0}")]
    Node(String),
}

impl Error {
    /// A short label for the failures metric.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Error::Kube(kube::Error::Api(_)) => "api",
            Error::Kube(_) => "client",
            Error::Serialization(_) => "serialization",
            Error::MissingField(_) => "invalid_object",
            Error::Node(_) => "node",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
