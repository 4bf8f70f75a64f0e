//! The `rrs.dev/role` label of each data pod follows the master the sentinels published:
//! `master` on it, `replica` on the others (the replicas Service selects those).

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams};
use rrs_crds::RedisReplicaSet;
use serde_json::json;

use super::observe::Observed;
use super::Context;
use crate::names::{self, Names};
use crate::Result;

pub async fn follow_master(
    rrs: &RedisReplicaSet,
    ctx: &Context,
    o: &Observed,
    master: Option<&str>,
) -> Result<()> {
    let Some(master) = master else { return Ok(()) };
    let n = Names::of(rrs);
    let api = Api::<Pod>::namespaced(ctx.client.clone(), &n.namespace);
    for p in &o.data {
        let want = if p.name == master {
            names::ROLE_MASTER
        } else {
            names::ROLE_REPLICA
        };
        let has = o
            .pod(&p.name)
            .and_then(|pod| pod.metadata.labels.as_ref())
            .and_then(|l| l.get(names::LABEL_ROLE))
            .map(String::as_str);
        if has != Some(want) && !p.terminating {
            let patch = json!({ "metadata": { "labels": { names::LABEL_ROLE: want } } });
            api.patch(&p.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await?;
        }
    }
    Ok(())
}
