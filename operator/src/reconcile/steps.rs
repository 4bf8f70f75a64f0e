//! Performing the plans' steps: restarting a pod, a planned switchover, SENTINEL RESET.
//! (Scaling is done by the StatefulSet apply in the reconcile itself.)

use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::api::{Api, DeleteParams};
use kube::runtime::events::EventType;
use rrs_crds::RedisReplicaSet;
use tracing::info;

use super::observe::Observed;
use super::{key, lock, Context};
use crate::builders::auth_secret_name;
use crate::names::{self, Names};
use crate::nodes::ReplicaInfo;
use crate::plan::{PendingSwitchover, Step};
use crate::{Error, Result};

pub async fn perform(
    rrs: &RedisReplicaSet,
    ctx: &Context,
    o: &Observed,
    step: &Step,
    master: Option<(&str, i64)>,
) -> Result<()> {
    let n = Names::of(rrs);
    match step {
        Step::Idle | Step::Wait(_) | Step::ScaleDataTo(_) => Ok(()),
        Step::RestartPod(pod) => {
            info!(pod, "restarting for the rolling update");
            Api::<Pod>::namespaced(ctx.client.clone(), &n.namespace)
                .delete(pod, &DeleteParams::default())
                .await?;
            ctx.metrics.operation("restart_pod");
            ctx.event(
                rrs,
                EventType::Normal,
                "PodRestarted",
                format!("restarted {pod} to update it"),
            )
            .await;
            Ok(())
        }
        Step::Switchover { from, avoid } => {
            let epoch = master.map(|(_, e)| e).unwrap_or(0);
            let others: Vec<&String> = avoid.iter().filter(|p| *p != from).collect();
            if !others.is_empty() {
                let password = password(rrs, ctx).await?;
                for p in &others {
                    ctx.nodes
                        .set_replica_priority(&n.pod_addr(p), &password, 0)
                        .await?;
                }
            }
            let group = n.master_group();
            let mut last_error = None;
            for s in o.sentinels.iter().filter(|s| s.ready) {
                let addr = n.sentinel_addr(&s.name);
                // A sentinel reads a replica's priority from INFO every 10 s: ask only
                // one that already sees priority 0 on every pod that must not win.
                if !others.is_empty() {
                    match ctx.nodes.replicas(&addr, &group).await {
                        Ok(replicas) if sees_priority_zero(&n, &replicas, &others) => {}
                        Ok(_) => continue,
                        Err(e) => {
                            last_error = Some(e);
                            continue;
                        }
                    }
                }
                match ctx.nodes.failover(&addr, &group).await {
                    Ok(()) => {
                        lock(&ctx.pending).insert(
                            key(rrs),
                            PendingSwitchover {
                                from: from.clone(),
                                epoch,
                            },
                        );
                        ctx.metrics.operation("switchover");
                        ctx.event(
                            rrs,
                            EventType::Normal,
                            "SwitchoverRequested",
                            format!("asked {} to switch over from {from}", s.name),
                        )
                        .await;
                        return Ok(());
                    }
                    Err(e) => last_error = Some(e),
                }
            }
            match last_error {
                Some(e) => Err(e),
                // No sentinel sees the priorities yet: the next reconcile asks again.
                None if !others.is_empty() => {
                    info!(from, "waiting for the sentinels to see replica-priority 0");
                    Ok(())
                }
                None => Err(Error::Node(
                    "no ready sentinel to ask for the switchover".into(),
                )),
            }
        }
        Step::SentinelReset => {
            let group = n.master_group();
            for s in o.sentinels.iter().filter(|s| s.ready) {
                ctx.nodes.reset(&n.sentinel_addr(&s.name), &group).await?;
            }
            ctx.metrics.operation("sentinel_reset");
            ctx.event(
                rrs,
                EventType::Normal,
                "SentinelReset",
                "sentinels forgot the removed replicas".into(),
            )
            .await;
            Ok(())
        }
    }
}

/// How many replicas the sentinels know, asked only when it can matter: the data
/// StatefulSet has its desired size and no extra pod is left. Unreachable sentinels
/// give None (nothing to reset yet), not an error.
pub async fn sentinel_known_replicas(
    rrs: &RedisReplicaSet,
    ctx: &Context,
    o: &Observed,
    current_pods: Option<i32>,
) -> Option<usize> {
    let desired = rrs.spec.replicas + 1;
    if current_pods != Some(desired) || o.data.iter().any(|p| p.ordinal >= desired) {
        return None;
    }
    let n = Names::of(rrs);
    let group = n.master_group();
    let mut most = None;
    for s in o.sentinels.iter().filter(|s| s.ready) {
        if let Ok(r) = ctx.nodes.replicas(&n.sentinel_addr(&s.name), &group).await {
            most = Some(most.map_or(r.len(), |m: usize| m.max(r.len())));
        }
    }
    most
}

/// Whether every pod in `pods` that the sentinel lists has priority 0 there.
fn sees_priority_zero(n: &Names, replicas: &[ReplicaInfo], pods: &[&String]) -> bool {
    pods.iter().all(|p| {
        let host = n.pod_host(p);
        replicas
            .iter()
            .filter(|r| r.ip == host && i32::from(r.port) == names::REDIS_PORT)
            .all(|r| r.priority == 0)
    })
}

async fn password(rrs: &RedisReplicaSet, ctx: &Context) -> Result<String> {
    let n = Names::of(rrs);
    let secret = Api::<Secret>::namespaced(ctx.client.clone(), &n.namespace)
        .get(&auth_secret_name(rrs))
        .await?;
    let bytes = secret
        .data
        .as_ref()
        .and_then(|d| d.get(names::PASSWORD_KEY))
        .map(|b| b.0.clone())
        .or_else(|| {
            secret
                .string_data
                .as_ref()
                .and_then(|d| d.get(names::PASSWORD_KEY))
                .map(|s| s.clone().into_bytes())
        })
        .ok_or(Error::MissingField("password in the auth Secret"))?;
    String::from_utf8(bytes).map_err(|_| Error::Node("the password is not UTF-8".into()))
}
