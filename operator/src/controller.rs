//! The kube-rs Controller: watches RedisReplicaSets, the objects they own and their pods,
//! and runs [`reconcile`] for the set each change belongs to.

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, ListParams};
use kube::runtime::controller::Controller;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use rrs_crds::RedisReplicaSet;
use tracing::{debug, warn};

use crate::names;
use crate::reconcile::{error_policy, reconcile, Context};
use crate::Result;

/// Watches in one namespace, or in all.
fn api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// The set a pod belongs to, from its instance label.
pub fn set_of_pod(pod: &Pod) -> Option<ObjectRef<RedisReplicaSet>> {
    let set = pod.labels().get(names::LABEL_INSTANCE)?;
    Some(ObjectRef::new(set).within(&pod.namespace()?))
}

/// Runs until `shutdown` resolves. Fails at once if the CRD is not installed.
pub async fn run(
    ctx: Arc<Context>,
    namespace: Option<&str>,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) -> Result<()> {
    let client = ctx.client.clone();
    let sets = api::<RedisReplicaSet>(&client, namespace);
    if let Err(e) = sets.list(&ListParams::default().limit(1)).await {
        warn!(error = %e, "cannot list RedisReplicaSets: is crds/redisreplicasets.rrs.dev.yaml applied and may the operator read it?");
        return Err(e.into());
    }
    let owned = watcher::Config::default().labels(&format!(
        "{}={}",
        names::LABEL_MANAGED_BY,
        names::FIELD_MANAGER
    ));
    // The sentinels rewrite the slice, so select it by the slice's own manager label.
    let slices = watcher::Config::default().labels(&format!(
        "{}={}",
        names::LABEL_SLICE_MANAGED_BY,
        names::SLICE_MANAGER
    ));
    let pods = watcher::Config::default().labels(&format!("{}=rrs", names::LABEL_NAME));
    Controller::new(sets, watcher::Config::default().any_semantic())
        .owns(api::<StatefulSet>(&client, namespace), owned.clone())
        .owns(api::<Service>(&client, namespace), owned.clone())
        .owns(api::<ConfigMap>(&client, namespace), owned)
        .owns(api::<EndpointSlice>(&client, namespace), slices)
        .watches(api::<Pod>(&client, namespace), pods, |pod| set_of_pod(&pod))
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            match result {
                Ok((set, _)) => debug!(rrs = %set, "reconciled"),
                Err(e) => debug!(error = %e, "reconcile error (requeued)"),
            }
        })
        .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::api::ObjectMeta;

    #[test]
    fn pods_map_to_their_set() {
        let pod = Pod {
            metadata: ObjectMeta {
                name: Some("cache-1".into()),
                namespace: Some("prod".into()),
                labels: Some([(names::LABEL_INSTANCE.to_string(), "cache".to_string())].into()),
                ..ObjectMeta::default()
            },
            ..Pod::default()
        };
        assert_eq!(
            set_of_pod(&pod),
            Some(ObjectRef::new("cache").within("prod"))
        );
        assert_eq!(set_of_pod(&Pod::default()), None);
    }
}
