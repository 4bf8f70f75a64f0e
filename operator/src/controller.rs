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
    use crate::builders::testutil;
    use crate::fake_api::FakeApi;
    use crate::metrics::Metrics;
    use crate::nodes::NodeOps;
    use futures::future::BoxFuture;
    use kube::api::ObjectMeta;
    use kube::runtime::events::{Recorder, Reporter};
    use serde_json::{json, Value};
    use std::time::Duration;

    /// No sentinel is reachable in this test.
    struct Unreachable;
    impl NodeOps for Unreachable {
        fn failover<'a>(&'a self, s: &'a str, _: &'a str) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move { Err(crate::Error::Node(format!("{s}: unreachable"))) })
        }
        fn reset<'a>(&'a self, s: &'a str, _: &'a str) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move { Err(crate::Error::Node(format!("{s}: unreachable"))) })
        }
        fn replicas<'a>(
            &'a self,
            s: &'a str,
            _: &'a str,
        ) -> BoxFuture<'a, Result<Vec<crate::nodes::ReplicaInfo>>> {
            Box::pin(async move { Err(crate::Error::Node(format!("{s}: unreachable"))) })
        }
        fn set_replica_priority<'a>(
            &'a self,
            n: &'a str,
            _: &'a str,
            _: u32,
        ) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move { Err(crate::Error::Node(format!("{n}: unreachable"))) })
        }
    }

    const CR: &str = "/apis/rrs.dev/v1alpha1/namespaces/prod/redisreplicasets/cache";
    const DATA: &str = "/apis/apps/v1/namespaces/prod/statefulsets/cache";

    /// Polls `f` until it holds, failing after 20 s.
    async fn eventually(what: &str, f: impl Fn() -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !f() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The real kube-rs Controller over the in-memory API server (watches held open):
    /// a new set is reconciled, a spec change arriving by watch is followed, and a
    /// shutdown stops it.
    #[tokio::test]
    async fn the_real_controller_reconciles_and_follows_watch_events() {
        let api = FakeApi::default();
        let mut cr = serde_json::to_value(testutil::cache()).expect("JSON");
        cr["apiVersion"] = json!("rrs.dev/v1alpha1");
        cr["kind"] = json!("RedisReplicaSet");
        api.put(CR, cr);
        let client = api.client();
        let ctx = Arc::new(Context::new(
            client.clone(),
            Recorder::new(
                client,
                Reporter {
                    controller: "rrs-operator".into(),
                    instance: None,
                },
            ),
            Arc::new(Metrics::default()),
            testutil::ctx(),
            Arc::new(Unreachable),
        ));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(run(ctx, Some("prod"), async move {
            let _ = stopped.await;
        }));
        let replicas = |api: &FakeApi| api.get(DATA).map(|s| s["spec"]["replicas"].clone());
        eventually("the data StatefulSet", || replicas(&api) == Some(json!(3))).await;
        eventually("the status", || {
            api.get(CR)
                .is_some_and(|c| c["status"]["observedGeneration"] == json!(1))
        })
        .await;
        let mut cr: Value = api.get(CR).expect("CR");
        cr["spec"]["replicas"] = json!(4);
        cr["metadata"]["generation"] = json!(2);
        api.put(CR, cr);
        eventually("the scaled StatefulSet", || {
            replicas(&api) == Some(json!(5))
        })
        .await;
        // A deleted child is recreated: the Controller watches what it owns.
        api.delete("/api/v1/namespaces/prod/services/cache-replicas");
        eventually("the recreated Service", || {
            api.get("/api/v1/namespaces/prod/services/cache-replicas")
                .is_some()
        })
        .await;
        let _ = stop.send(());
        let ran = tokio::time::timeout(Duration::from_secs(20), task).await;
        assert!(
            matches!(ran, Ok(Ok(Ok(())))),
            "the controller stops on shutdown: {ran:?}"
        );
    }

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
