//! Reading the set's current state from the API: its pods, StatefulSets and the master
//! EndpointSlice.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, ListParams};
use kube::Client;
use rrs_crds::RedisReplicaSet;

use crate::builders::endpointslice;
use crate::names::{self, Names};
use crate::plan::PodState;
use crate::Result;

#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub data: Vec<PodState>,
    pub sentinels: Vec<PodState>,
    /// The raw pods, for labels and addresses.
    pub pods: Vec<Pod>,
    pub data_sts: Option<StatefulSet>,
    pub sentinel_sts: Option<StatefulSet>,
    pub slice: Option<EndpointSlice>,
}

impl Observed {
    pub fn master(&self) -> Option<(String, i64)> {
        self.slice
            .as_ref()
            .and_then(endpointslice::published_master)
    }
    pub fn pod(&self, name: &str) -> Option<&Pod> {
        self.pods
            .iter()
            .find(|p| p.metadata.name.as_deref() == Some(name))
    }
}

pub async fn observe(client: &Client, rrs: &RedisReplicaSet) -> Result<Observed> {
    let n = Names::of(rrs);
    let ns = n.namespace.as_str();
    let selector = format!(
        "{}=rrs,{}={}",
        names::LABEL_NAME,
        names::LABEL_INSTANCE,
        n.set
    );
    let pods = Api::<Pod>::namespaced(client.clone(), ns)
        .list(&ListParams::default().labels(&selector))
        .await?
        .items;
    let sts = Api::<StatefulSet>::namespaced(client.clone(), ns);
    let data_sts = sts.get_opt(&n.data()).await?;
    let sentinel_sts = sts.get_opt(&n.sentinel()).await?;
    let slice = Api::<EndpointSlice>::namespaced(client.clone(), ns)
        .get_opt(&n.master_service())
        .await?;
    let mut o = Observed {
        data_sts,
        sentinel_sts,
        slice,
        ..Observed::default()
    };
    for pod in pods {
        let component = pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(names::LABEL_COMPONENT))
            .cloned();
        match component.as_deref() {
            Some(names::COMPONENT_DATA) => o.data.extend(state(&pod, &n.data())),
            Some(names::COMPONENT_SENTINEL) => o.sentinels.extend(state(&pod, &n.sentinel())),
            _ => continue,
        }
        o.pods.push(pod);
    }
    o.data.sort_by_key(|p| p.ordinal);
    o.sentinels.sort_by_key(|p| p.ordinal);
    Ok(o)
}

/// A pod of StatefulSet `sts` as the plans see it; None for a pod that is not one of its
/// ordinals (someone else's pod with our labels).
pub fn state(pod: &Pod, sts: &str) -> Option<PodState> {
    let name = pod.metadata.name.clone()?;
    let ordinal = names::ordinal_of(sts, &name)?;
    let ready = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    Some(PodState {
        revision: pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(names::LABEL_REVISION))
            .cloned(),
        ready,
        terminating: pod.metadata.deletion_timestamp.is_some(),
        name,
        ordinal,
    })
}

/// A StatefulSet's spec.replicas and status.updateRevision.
pub fn replicas_and_revision(sts: Option<&StatefulSet>) -> (Option<i32>, Option<&str>) {
    let replicas = sts.and_then(|s| s.spec.as_ref()).and_then(|s| s.replicas);
    let revision = sts
        .and_then(|s| s.status.as_ref())
        .and_then(|s| s.update_revision.as_deref());
    (replicas, revision)
}
