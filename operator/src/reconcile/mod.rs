//! The reconcile of one RedisReplicaSet: observe, apply the desired objects, bootstrap
//! the master EndpointSlice, follow the sentinels' master into role labels, take the
//! next step of a planned operation, and write the status.
//!
//! Every step is idempotent and every write either applies the whole desired object
//! (server-side apply, one field manager) or is guarded (create-if-absent, replace with
//! the resourceVersion), so a reconcile that fails half-way is simply run again.

mod apply;
mod bootstrap;
mod labels;
pub mod observe;
mod steps;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType, Recorder};
use kube::{Client, Resource, ResourceExt};
use rrs_crds::RedisReplicaSet;
use serde_json::json;
use tracing::{info, instrument, warn};

use crate::builders::{config, pdb, rbac, services, statefulset, BuildContext};
use crate::metrics::Metrics;
use crate::names::{Names, FIELD_MANAGER};
use crate::nodes::NodeOps;
use crate::plan::{self, PendingSwitchover, Step};
use crate::{status, Error, Result};

pub use apply::apply;

/// Requeue while an operation is in progress, and when all is quiet (a resync that
/// catches anything a missed watch event would have told).
const BUSY_REQUEUE: Duration = Duration::from_secs(5);
const IDLE_REQUEUE: Duration = Duration::from_secs(60);

/// Shared by every reconcile.
pub struct Context {
    pub client: Client,
    pub recorder: Recorder,
    pub metrics: Arc<Metrics>,
    pub build: BuildContext,
    pub nodes: Arc<dyn NodeOps>,
    /// Switchovers requested and not yet seen in the EndpointSlice, per set. In memory:
    /// after an operator restart the plan may ask once more, which the sentinels refuse
    /// while a failover is in progress.
    pub pending: Mutex<HashMap<String, PendingSwitchover>>,
    /// Consecutive failures per set, for the backoff of [`error_policy`].
    pub failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    pub fn new(
        client: Client,
        recorder: Recorder,
        metrics: Arc<Metrics>,
        build: BuildContext,
        nodes: Arc<dyn NodeOps>,
    ) -> Self {
        Self {
            client,
            recorder,
            metrics,
            build,
            nodes,
            pending: Mutex::default(),
            failures: Mutex::default(),
        }
    }

    async fn event(&self, rrs: &RedisReplicaSet, type_: EventType, reason: &str, note: String) {
        let ev = Event {
            type_,
            reason: reason.into(),
            note: Some(note),
            action: reason.into(),
            secondary: None,
        };
        // An event that cannot be written is not worth failing the reconcile for.
        if let Err(e) = self.recorder.publish(&ev, &rrs.object_ref(&())).await {
            warn!(error = %e, reason, "could not publish an event");
        }
    }
}

fn key(rrs: &RedisReplicaSet) -> String {
    format!("{}/{}", rrs.namespace().unwrap_or_default(), rrs.name_any())
}

#[instrument(skip_all, fields(rrs = %key(&rrs)))]
pub async fn reconcile(rrs: Arc<RedisReplicaSet>, ctx: Arc<Context>) -> Result<Action> {
    let _timer = ctx.metrics.count_and_measure();
    let result = reconcile_inner(&rrs, &ctx).await;
    if result.is_ok() {
        lock(&ctx.failures).remove(&key(&rrs));
    }
    result
}

async fn reconcile_inner(rrs: &RedisReplicaSet, ctx: &Context) -> Result<Action> {
    let ns = rrs
        .namespace()
        .ok_or(Error::MissingField("metadata.namespace"))?;
    if rrs.uid().is_none() {
        return Err(Error::MissingField("metadata.uid"));
    }
    let n = Names::of(rrs);
    let client = &ctx.client;

    bootstrap::ensure_secret(rrs, ctx).await?;
    apply(
        &Api::<ServiceAccount>::namespaced(client.clone(), &ns),
        &rbac::service_account(rrs),
    )
    .await?;
    apply(
        &Api::<Role>::namespaced(client.clone(), &ns),
        &rbac::role(rrs),
    )
    .await?;
    apply(
        &Api::<RoleBinding>::namespaced(client.clone(), &ns),
        &rbac::role_binding(rrs),
    )
    .await?;
    apply(
        &Api::<ConfigMap>::namespaced(client.clone(), &ns),
        &config::config_map(rrs),
    )
    .await?;
    let svc = Api::<Service>::namespaced(client.clone(), &ns);
    for s in [
        services::headless(rrs),
        services::sentinel(rrs),
        services::master(rrs),
        services::replicas(rrs),
    ] {
        apply(&svc, &s).await?;
    }
    let pdbs = Api::<PodDisruptionBudget>::namespaced(client.clone(), &ns);
    apply(&pdbs, &pdb::data(rrs)).await?;
    apply(&pdbs, &pdb::sentinel(rrs)).await?;
    let sts_api = Api::<StatefulSet>::namespaced(client.clone(), &ns);
    apply(&sts_api, &statefulset::sentinel(rrs, &ctx.build)).await?;

    let observed = observe::observe(client, rrs).await?;
    bootstrap::ensure_master_slice(rrs, ctx, &observed).await?;
    let master = observed.master();
    let master_ref = master.as_ref().map(|(m, e)| (m.as_str(), *e));

    // A switchover we asked for is done once the published master moved.
    let pending = {
        let mut p = lock(&ctx.pending);
        if let (Some(req), Some((m, e))) = (p.get(&key(rrs)), master_ref) {
            if !plan::switchover_in_flight(Some(req), m, e) {
                p.remove(&key(rrs));
            }
        }
        p.get(&key(rrs)).cloned()
    };

    let (current_pods, data_revision) = observe::replicas_and_revision(observed.data_sts.as_ref());
    let (_, sentinel_revision) = observe::replicas_and_revision(observed.sentinel_sts.as_ref());
    let desired_pods = rrs.spec.replicas + 1;
    let scale_input = plan::scale::Input {
        desired_pods,
        current_pods,
        pods: &observed.data,
        master: master_ref,
        sentinel_known_replicas: steps::sentinel_known_replicas(rrs, ctx, &observed, current_pods)
            .await,
        pending: pending.as_ref(),
    };
    let mut step = plan::scale::next(&scale_input);
    let data_pods = match &step {
        Step::ScaleDataTo(p) => *p,
        _ => current_pods.unwrap_or(desired_pods),
    };
    let mut data_sts = statefulset::data(rrs, &ctx.build);
    if let Some(spec) = data_sts.spec.as_mut() {
        spec.replicas = Some(data_pods);
    }
    apply(&sts_api, &data_sts).await?;
    if step == Step::Idle {
        step = plan::rolling::next(&plan::rolling::Input {
            data: &observed.data,
            data_revision,
            sentinels: &observed.sentinels,
            sentinel_revision,
            master: master_ref,
            pending: pending.as_ref(),
        });
    }

    labels::follow_master(rrs, ctx, &observed, master_ref.map(|(m, _)| m)).await?;
    steps::perform(rrs, ctx, &observed, &step, master_ref).await?;

    let status = status::compute(
        rrs,
        &status::Observed {
            data: &observed.data,
            sentinels: &observed.sentinels,
            master: master_ref,
            operation: step.describe(),
            now: Time(Timestamp::now()),
        },
    );
    let previous_master = rrs.status.as_ref().and_then(|s| s.master.clone());
    let api = Api::<RedisReplicaSet>::namespaced(client.clone(), &ns);
    let patch =
        json!({ "apiVersion": "rrs.dev/v1alpha1", "kind": "RedisReplicaSet", "status": status });
    api.patch_status(
        &n.set,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await?;
    if let (Some(from), Some((to, epoch))) = (previous_master, master_ref) {
        if from != to {
            info!(%from, to, epoch, "master changed");
            ctx.event(
                rrs,
                EventType::Normal,
                "MasterChanged",
                format!("master moved from {from} to {to} (config epoch {epoch})"),
            )
            .await;
        }
    }
    Ok(Action::requeue(if step == Step::Idle {
        IDLE_REQUEUE
    } else {
        BUSY_REQUEUE
    }))
}

/// Requeue a failed reconcile with exponential backoff per set: 1 s, 2 s, 4 s ... 5 min.
pub fn error_policy(rrs: Arc<RedisReplicaSet>, error: &Error, ctx: Arc<Context>) -> Action {
    ctx.metrics.failure(error);
    let mut failures = lock(&ctx.failures);
    let n = failures.entry(key(&rrs)).or_insert(0);
    *n = n.saturating_add(1);
    let delay = backoff(*n);
    warn!(rrs = %key(&rrs), %error, attempt = *n, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

pub fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(9)).min(Duration::from_secs(300))
}

/// A poisoned lock only means another reconcile panicked; the map is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests;
