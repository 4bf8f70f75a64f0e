//! Reconciles against the in-memory API server of `crate::fake_api`, with the
//! sentinels and nodes faked behind `NodeOps`.

use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use http::Method;
use kube::runtime::events::{Recorder, Reporter};
use rrs_crds::RedisReplicaSet;
use serde_json::{json, Value};

use super::{backoff, error_policy, reconcile, Context};
use crate::builders::testutil;
use crate::fake_api::FakeApi;
use crate::metrics::Metrics;
use crate::nodes::{NodeOps, ReplicaInfo};
use crate::Result;

const NS: &str = "/api/v1/namespaces/prod";
const CR: &str = "/apis/rrs.dev/v1alpha1/namespaces/prod/redisreplicasets/cache";
const STS: &str = "/apis/apps/v1/namespaces/prod/statefulsets";
const SLICE: &str = "/apis/discovery.k8s.io/v1/namespaces/prod/endpointslices/cache";

#[derive(Default)]
struct FakeNodes {
    calls: Mutex<Vec<String>>,
    /// What every sentinel answers to SENTINEL REPLICAS.
    replicas: Mutex<Vec<ReplicaInfo>>,
}

impl FakeNodes {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
    fn record(&self, call: String) {
        if let Ok(mut c) = self.calls.lock() {
            c.push(call);
        }
    }
}

impl NodeOps for FakeNodes {
    fn failover<'a>(&'a self, sentinel: &'a str, group: &'a str) -> BoxFuture<'a, Result<()>> {
        self.record(format!("failover {sentinel} {group}"));
        Box::pin(async { Ok(()) })
    }
    fn reset<'a>(&'a self, sentinel: &'a str, group: &'a str) -> BoxFuture<'a, Result<()>> {
        self.record(format!("reset {sentinel} {group}"));
        Box::pin(async { Ok(()) })
    }
    fn replicas<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Result<Vec<ReplicaInfo>>> {
        let r = self.replicas.lock().map(|r| r.clone()).unwrap_or_default();
        Box::pin(async move { Ok(r) })
    }
    fn set_replica_priority<'a>(
        &'a self,
        node: &'a str,
        password: &'a str,
        priority: u32,
    ) -> BoxFuture<'a, Result<()>> {
        self.record(format!(
            "priority {node} {priority} {}",
            !password.is_empty()
        ));
        Box::pin(async { Ok(()) })
    }
}

struct Harness {
    api: FakeApi,
    nodes: Arc<FakeNodes>,
    ctx: Arc<Context>,
}

impl Harness {
    fn new(rrs: &RedisReplicaSet) -> Self {
        let api = FakeApi::default();
        let mut cr = serde_json::to_value(rrs).expect("CR to JSON");
        cr["apiVersion"] = json!("rrs.dev/v1alpha1");
        cr["kind"] = json!("RedisReplicaSet");
        api.put(CR, cr);
        let nodes = Arc::new(FakeNodes::default());
        let client = api.client();
        let recorder = Recorder::new(
            client.clone(),
            Reporter {
                controller: "rrs-operator".into(),
                instance: None,
            },
        );
        let ctx = Arc::new(Context::new(
            client,
            recorder,
            Arc::new(Metrics::default()),
            testutil::ctx(),
            nodes.clone(),
        ));
        Self { api, nodes, ctx }
    }

    /// The CR as stored (with the status the last reconcile wrote).
    fn cr(&self) -> RedisReplicaSet {
        serde_json::from_value(self.api.get(CR).expect("CR stored")).expect("CR parses")
    }

    fn edit(&self, f: impl FnOnce(&mut RedisReplicaSet)) {
        let mut cr = self.cr();
        f(&mut cr);
        cr.metadata.generation = cr.metadata.generation.map(|g| g + 1);
        let mut v = serde_json::to_value(cr).expect("JSON");
        v["apiVersion"] = json!("rrs.dev/v1alpha1");
        v["kind"] = json!("RedisReplicaSet");
        self.api.put(CR, v);
    }

    async fn reconcile(&self) -> Result<kube::runtime::controller::Action> {
        reconcile(Arc::new(self.cr()), self.ctx.clone()).await
    }

    /// A pod as the StatefulSet controller would make it.
    fn pod(&self, sts: &str, ordinal: i32, ready: bool, revision: &str) {
        let component = if sts.ends_with("-sentinel") {
            "sentinel"
        } else {
            "data"
        };
        let name = format!("{sts}-{ordinal}");
        self.api.put(
            &format!("{NS}/pods/{name}"),
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": "prod", "uid": format!("uid-{name}"), "labels": {
                    "app.kubernetes.io/name": "rrs", "app.kubernetes.io/instance": "cache",
                    "app.kubernetes.io/component": component, "controller-revision-hash": revision}},
                "status": {"podIP": format!("10.0.0.{ordinal}"),
                           "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}
            }),
        );
    }

    /// A running set: data pods cache-0..n-1 and 3 sentinels, all ready at revision r1.
    fn running(&self, data: i32) {
        for o in 0..data {
            self.pod("cache", o, true, "r1");
        }
        for o in 0..3 {
            self.pod("cache-sentinel", o, true, "s1");
        }
    }

    /// What the sentinels' publisher does on a failover.
    fn publish_master(&self, master: &str, epoch: i64) {
        let mut slice = self.api.get(SLICE).expect("slice exists");
        slice["metadata"]["annotations"] =
            json!({"rrs.dev/master": master, "rrs.dev/config-epoch": epoch.to_string()});
        self.api.put(SLICE, slice);
    }

    fn set_sts_revision(&self, name: &str, revision: &str) {
        let path = format!("{STS}/{name}");
        let mut sts = self.api.get(&path).expect("sts");
        sts["status"] = json!({"updateRevision": revision, "replicas": 0});
        self.api.put(&path, sts);
    }

    fn role(&self, pod: &str) -> Value {
        self.api.get(&format!("{NS}/pods/{pod}")).expect("pod")["metadata"]["labels"]
            ["rrs.dev/role"]
            .clone()
    }

    fn data_replicas(&self) -> Value {
        self.api.get(&format!("{STS}/cache")).expect("data sts")["spec"]["replicas"].clone()
    }
}

#[tokio::test]
async fn a_new_set_gets_every_object_owned_and_labelled() {
    let rrs = testutil::cache();
    let h = Harness::new(&rrs);
    h.reconcile().await.expect("reconcile");
    let uid = rrs.metadata.uid.clone().expect("uid");
    let expected = [
        format!("{NS}/serviceaccounts/cache"),
        "/apis/rbac.authorization.k8s.io/v1/namespaces/prod/roles/cache".into(),
        "/apis/rbac.authorization.k8s.io/v1/namespaces/prod/rolebindings/cache".into(),
        format!("{NS}/configmaps/cache-config"),
        format!("{NS}/secrets/cache-auth"),
        format!("{NS}/services/cache"),
        format!("{NS}/services/cache-headless"),
        format!("{NS}/services/cache-replicas"),
        format!("{NS}/services/cache-sentinel"),
        "/apis/policy/v1/namespaces/prod/poddisruptionbudgets/cache".into(),
        "/apis/policy/v1/namespaces/prod/poddisruptionbudgets/cache-sentinel".into(),
        format!("{STS}/cache"),
        format!("{STS}/cache-sentinel"),
        SLICE.into(),
    ];
    for path in &expected {
        let obj = h
            .api
            .get(path)
            .unwrap_or_else(|| panic!("{path} was not created"));
        let owner = &obj["metadata"]["ownerReferences"][0];
        assert_eq!(owner["uid"], json!(uid), "{path}: owner");
        assert_eq!(owner["controller"], json!(true), "{path}: controller owner");
        assert_eq!(
            obj["metadata"]["labels"]["app.kubernetes.io/instance"],
            json!("cache"),
            "{path}: labels"
        );
    }
    // Every apply uses the one field manager, forced.
    for r in h
        .api
        .requests()
        .iter()
        .filter(|r| r.method == Method::PATCH && !r.uri.contains("/pods/"))
    {
        assert!(
            r.uri.contains("fieldManager=rrs-operator") && r.uri.contains("force=true"),
            "{}",
            r.uri
        );
    }
    // Probes, security context and the data pods' count.
    let sts = h.api.get(&format!("{STS}/cache")).expect("sts");
    assert_eq!(sts["spec"]["replicas"], json!(3));
    let c = &sts["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], json!("/readyz"));
    assert_eq!(
        c["securityContext"]["allowPrivilegeEscalation"],
        json!(false)
    );
    assert_eq!(
        sts["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"],
        json!(true)
    );
    // RBAC: the pods may patch only their own pods and the master slice.
    let role = h
        .api
        .get("/apis/rbac.authorization.k8s.io/v1/namespaces/prod/roles/cache")
        .expect("role");
    assert_eq!(role["rules"][3]["resourceNames"], json!(["cache"]));
    // Bootstrap: epoch 0 naming cache-0, no address until the pod has one.
    let slice = h.api.get(SLICE).expect("slice");
    assert_eq!(
        slice["metadata"]["annotations"]["rrs.dev/master"],
        json!("cache-0")
    );
    assert_eq!(
        slice["metadata"]["annotations"]["rrs.dev/config-epoch"],
        json!("0")
    );
    assert_eq!(slice["endpoints"], json!([]));
    // A password was generated, and the status written.
    let secret = h
        .api
        .get(&format!("{NS}/secrets/cache-auth"))
        .expect("secret");
    assert_eq!(
        secret["stringData"]["password"].as_str().map(str::len),
        Some(32)
    );
    let status = h.cr().status.expect("status");
    assert_eq!(status.phase, Some(rrs_crds::Phase::Pending));
    assert_eq!(status.observed_generation, Some(1));
    let events: Vec<_> = h
        .api
        .paths()
        .into_iter()
        .filter(|p| p.contains("/events/"))
        .collect();
    assert!(!events.is_empty(), "SecretCreated event");
}

#[tokio::test]
async fn bootstrap_fills_in_pod_zero_and_labels_roles() {
    let h = Harness::new(&testutil::cache());
    h.reconcile().await.expect("first");
    h.running(3);
    h.reconcile().await.expect("second");
    let slice = h.api.get(SLICE).expect("slice");
    assert_eq!(slice["endpoints"][0]["addresses"], json!(["10.0.0.0"]));
    assert_eq!(slice["endpoints"][0]["targetRef"]["name"], json!("cache-0"));
    assert_eq!(h.role("cache-0"), json!("master"));
    assert_eq!(h.role("cache-1"), json!("replica"));
    assert_eq!(h.role("cache-2"), json!("replica"));
    let status = h.cr().status.expect("status");
    assert_eq!(status.phase, Some(rrs_crds::Phase::Ready));
    assert_eq!(
        (status.master.as_deref(), status.ready_replicas),
        (Some("cache-0"), 2)
    );
}

#[tokio::test]
async fn a_changed_spec_updates_the_objects() {
    let h = Harness::new(&testutil::cache());
    h.reconcile().await.expect("first");
    h.running(3);
    h.reconcile().await.expect("second");
    let hash = |h: &Harness| {
        h.api.get(&format!("{STS}/cache")).expect("sts")["spec"]["template"]["metadata"]
            ["annotations"]["rrs.dev/config-hash"]
            .clone()
    };
    let before = hash(&h);
    h.edit(|r| {
        r.spec.replicas = 4;
        r.spec.config.insert("maxmemory".into(), "1gb".into());
        r.spec.sentinel.down_after_milliseconds = 3000;
    });
    h.reconcile().await.expect("after the edit");
    assert_eq!(h.data_replicas(), json!(5));
    assert_ne!(hash(&h), before);
    let cm = h
        .api
        .get(&format!("{NS}/configmaps/cache-config"))
        .expect("cm");
    assert!(cm["data"]["node.conf"]
        .as_str()
        .is_some_and(|c| c.contains("maxmemory 1gb\n")));
    assert!(cm["data"]["sentinel.conf"]
        .as_str()
        .is_some_and(|c| c.contains("down-after-milliseconds prod.cache 3000\n")));
    let role = h
        .api
        .get("/apis/rbac.authorization.k8s.io/v1/namespaces/prod/roles/cache")
        .expect("role");
    assert_eq!(
        role["rules"][1]["resourceNames"].as_array().map(Vec::len),
        Some(5)
    );
    assert_eq!(h.cr().status.and_then(|s| s.observed_generation), Some(2));
}

#[tokio::test]
async fn a_failover_in_the_slice_moves_status_and_role_labels() {
    let h = Harness::new(&testutil::cache());
    h.reconcile().await.expect("first");
    h.running(3);
    h.reconcile().await.expect("bootstrapped");
    // cache-0 dies; the sentinels promote cache-2 and publish it.
    h.pod("cache", 0, false, "r1");
    h.publish_master("cache-2", 1);
    h.reconcile().await.expect("after the failover");
    assert_eq!(h.role("cache-2"), json!("master"));
    assert_eq!(h.role("cache-0"), json!("replica"));
    let status = h.cr().status.expect("status");
    assert_eq!(status.master.as_deref(), Some("cache-2"));
    assert_eq!(status.config_epoch, Some(1));
    let lf = status.last_failover.expect("lastFailover");
    assert_eq!(
        (lf.from.as_str(), lf.to.as_str(), lf.config_epoch),
        ("cache-0", "cache-2", 1)
    );
    // The operator does not touch a slice a sentinel owns.
    let slice = h.api.get(SLICE).expect("slice");
    assert_eq!(
        slice["metadata"]["annotations"]["rrs.dev/master"],
        json!("cache-2")
    );
    let events = h
        .api
        .requests()
        .into_iter()
        .filter(|r| r.uri.contains("/events"));
    assert!(events
        .filter_map(|r| r.body)
        .any(|b| b["reason"] == json!("MasterChanged")));
}

#[tokio::test]
async fn scaling_down_with_the_master_on_top_switches_over_first() {
    let h = Harness::new(&testutil::cache());
    h.reconcile().await.expect("first");
    h.running(3);
    h.reconcile().await.expect("bootstrapped");
    h.publish_master("cache-2", 1);
    h.reconcile().await.expect("master moved to cache-2");
    h.edit(|r| r.spec.replicas = 1);
    h.reconcile().await.expect("scale-down requested");
    // cache-2 (the master) would go: switch over, avoiding it; keep 3 pods for now.
    assert_eq!(h.data_replicas(), json!(3));
    let calls = h.nodes.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(
        calls[0].starts_with("failover cache-sentinel-"),
        "{calls:?}"
    );
    assert!(calls[0].ends_with(" prod.cache"), "{calls:?}");
    assert_eq!(
        h.cr().status.and_then(|s| s.phase),
        Some(rrs_crds::Phase::Upgrading)
    );
    // Again before the switch lands: no second switchover.
    h.reconcile().await.expect("waiting");
    assert_eq!(h.nodes.calls().len(), 1);
    // The sentinels moved the master to cache-0: now shrink.
    h.publish_master("cache-0", 2);
    h.reconcile().await.expect("shrink");
    assert_eq!(h.data_replicas(), json!(2));
    // cache-2 is gone, but the sentinels still list 2 replicas: reset them.
    *h.nodes.replicas.lock().expect("lock") = vec![replica("cache-1", 100), replica("cache-2", 0)];
    remove_pod(&h, "cache-2");
    h.reconcile().await.expect("reset");
    let resets = h
        .nodes
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("reset"))
        .count();
    assert_eq!(resets, 3, "{:?}", h.nodes.calls());
}

fn replica(pod: &str, priority: i64) -> ReplicaInfo {
    ReplicaInfo {
        ip: format!("{pod}.cache-headless.prod.svc"),
        port: 6379,
        priority,
    }
}

/// Scaling away a replica and the master: the pod that goes gets priority 0, and the
/// switchover waits until a sentinel has seen it (sentinels read INFO every 10 s).
#[tokio::test]
async fn the_switchover_waits_until_the_sentinels_see_priority_zero() {
    let h = Harness::new(&testutil::cache());
    h.reconcile().await.expect("first");
    h.running(3);
    h.reconcile().await.expect("bootstrapped");
    h.publish_master("cache-2", 1);
    h.reconcile().await.expect("master moved to cache-2");
    *h.nodes.replicas.lock().expect("lock") =
        vec![replica("cache-0", 100), replica("cache-1", 100)];
    h.edit(|r| r.spec.replicas = 0);
    h.reconcile()
        .await
        .expect("priority set, sentinels not there yet");
    let calls = h.nodes.calls();
    assert!(
        calls
            .iter()
            .any(|c| c == "priority cache-1.cache-headless.prod.svc:6379 0 true"),
        "{calls:?}"
    );
    assert!(
        !calls.iter().any(|c| c.starts_with("failover")),
        "{calls:?}"
    );
    *h.nodes.replicas.lock().expect("lock") = vec![replica("cache-0", 100), replica("cache-1", 0)];
    h.reconcile().await.expect("now the switchover");
    assert_eq!(
        h.nodes
            .calls()
            .iter()
            .filter(|c| c.starts_with("failover"))
            .count(),
        1
    );
}

/// The StatefulSet controller removes a pod.
fn remove_pod(h: &Harness, name: &str) {
    h.api.delete(&format!("{NS}/pods/{name}"));
}

#[tokio::test]
async fn a_rolling_update_restarts_replicas_then_switches_over_once() {
    let h = Harness::new(&testutil::cache());
    h.reconcile().await.expect("first");
    h.running(3);
    h.reconcile().await.expect("bootstrapped");
    // The image changed: the StatefulSets have new revisions; the pods are old.
    h.set_sts_revision("cache", "r2");
    h.set_sts_revision("cache-sentinel", "s1");
    h.reconcile().await.expect("step 1");
    assert!(
        h.api.get(&format!("{NS}/pods/cache-2")).is_none(),
        "highest replica restarted first"
    );
    h.pod("cache", 2, false, "r2");
    h.reconcile().await.expect("waits for cache-2");
    assert!(
        h.api.get(&format!("{NS}/pods/cache-1")).is_some(),
        "no restart while cache-2 syncs"
    );
    h.pod("cache", 2, true, "r2");
    h.reconcile().await.expect("step 2");
    assert!(h.api.get(&format!("{NS}/pods/cache-1")).is_none());
    h.pod("cache", 1, true, "r2");
    h.reconcile().await.expect("switchover");
    assert_eq!(
        h.nodes
            .calls()
            .iter()
            .filter(|c| c.starts_with("failover"))
            .count(),
        1
    );
    assert!(
        h.api.get(&format!("{NS}/pods/cache-0")).is_some(),
        "the master is not restarted before the switch"
    );
    h.publish_master("cache-2", 1);
    h.reconcile().await.expect("old master restarted");
    assert!(h.api.get(&format!("{NS}/pods/cache-0")).is_none());
    h.pod("cache", 0, true, "r2");
    h.reconcile().await.expect("done");
    assert_eq!(
        h.nodes
            .calls()
            .iter()
            .filter(|c| c.starts_with("failover"))
            .count(),
        1
    );
    assert_eq!(
        h.cr().status.and_then(|s| s.phase),
        Some(rrs_crds::Phase::Ready)
    );
}

#[tokio::test]
async fn api_errors_and_conflicts_are_retried_without_losing_state() {
    let h = Harness::new(&testutil::cache());
    h.api.fail_next(Method::PATCH, "/statefulsets/cache", 500);
    let err = h
        .reconcile()
        .await
        .expect_err("the injected 500 fails the reconcile");
    let action = error_policy(Arc::new(h.cr()), &err, h.ctx.clone());
    assert_eq!(
        action,
        kube::runtime::controller::Action::requeue(backoff(1))
    );
    let text = h.ctx.metrics.encode();
    assert!(
        text.contains("rrs_operator_reconcile_failures_total{error=\"api\"} 1"),
        "{text}"
    );
    // The password generated in the failed run is kept, not replaced.
    let password = h
        .api
        .get(&format!("{NS}/secrets/cache-auth"))
        .expect("secret")["stringData"]["password"]
        .clone();
    h.reconcile().await.expect("the retry succeeds");
    assert!(h.api.get(&format!("{STS}/cache")).is_some());
    let again = h
        .api
        .get(&format!("{NS}/secrets/cache-auth"))
        .expect("secret")["stringData"]["password"]
        .clone();
    assert_eq!(password, again);
    // A sentinel writes the slice between our read and our write: our replace gets a
    // 409, the reconcile goes on, and the sentinel's write stands.
    h.running(3);
    h.api.fail_next(Method::PUT, "/endpointslices/cache", 409);
    h.reconcile().await.expect("a conflict is not an error");
    assert_eq!(
        h.api.get(SLICE).expect("slice")["endpoints"],
        json!([]),
        "the replace was refused"
    );
    assert_eq!(h.cr().status.and_then(|s| s.master), Some("cache-0".into()));
    h.reconcile()
        .await
        .expect("and the next round fills the address in");
    assert_eq!(
        h.api.get(SLICE).expect("slice")["endpoints"][0]["addresses"],
        json!(["10.0.0.0"])
    );
}

#[test]
fn backoff_doubles_up_to_five_minutes() {
    let secs: Vec<u64> = (1..=12).map(|n| backoff(n).as_secs()).collect();
    assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
}
