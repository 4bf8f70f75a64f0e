//! Creating what must exist once and must then not be overwritten: the generated auth
//! Secret and the master EndpointSlice at epoch 0.

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, PostParams};
use kube::runtime::events::EventType;
use rrs_crds::RedisReplicaSet;

use super::observe::Observed;
use super::Context;
use crate::builders::{endpointslice, secret};
use crate::names::Names;
use crate::Result;

/// Creates `<name>-auth` with a random password unless the user names a Secret or it
/// exists. Never re-applied: that would change the password under running pods.
pub async fn ensure_secret(rrs: &RedisReplicaSet, ctx: &Context) -> Result<()> {
    if rrs.spec.auth.secret_name.is_some() {
        return Ok(());
    }
    let n = Names::of(rrs);
    let api = Api::<Secret>::namespaced(ctx.client.clone(), &n.namespace);
    if api.get_opt(&n.generated_secret()).await?.is_some() {
        return Ok(());
    }
    let s = secret::generated(rrs, &secret::random_password());
    match api.create(&PostParams::default(), &s).await {
        Ok(_) => {
            ctx.event(
                rrs,
                EventType::Normal,
                "SecretCreated",
                format!("generated the password Secret {}", n.generated_secret()),
            )
            .await;
            Ok(())
        }
        // Created by a concurrent reconcile: keep that one.
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Creates the master EndpointSlice at epoch 0 naming `<name>-0`, and fills in that
/// pod's address while the slice is still at epoch 0 without one. Once a sentinel has
/// written the slice (epoch > 0 or another master), the operator leaves it alone; the
/// replace carries the resourceVersion, so a sentinel's concurrent write wins.
pub async fn ensure_master_slice(rrs: &RedisReplicaSet, ctx: &Context, o: &Observed) -> Result<()> {
    let n = Names::of(rrs);
    let api = Api::<EndpointSlice>::namespaced(ctx.client.clone(), &n.namespace);
    let pod0 = o
        .pod(&n.pod(0))
        .filter(|p| p.status.as_ref().is_some_and(|s| s.pod_ip.is_some()));
    let result = match &o.slice {
        None => {
            api.create(&PostParams::default(), &endpointslice::bootstrap(rrs, pod0))
                .await
        }
        Some(slice) => {
            let at_bootstrap = endpointslice::published_master(slice) == Some((n.pod(0), 0));
            if !(at_bootstrap && slice.endpoints.is_empty() && pod0.is_some()) {
                return Ok(());
            }
            let mut fresh = endpointslice::bootstrap(rrs, pod0);
            fresh.metadata.resource_version = slice.metadata.resource_version.clone();
            api.replace(&n.master_service(), &PostParams::default(), &fresh)
                .await
        }
    };
    match result {
        Ok(_) => Ok(()),
        // Someone (a sentinel) wrote it first: theirs is newer.
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}
