//! `rrs-operator`: leader election, then the controller; `/metrics`, `/healthz` and
//! `/readyz` throughout. Configured from the environment (set by its Deployment):
//!
//! - `RRS_NODE_IMAGE`: node image for sets with an empty spec.image
//!   (default `rrs-node:<operator version>`);
//! - `WATCH_NAMESPACE`: watch one namespace only (default: all);
//! - `POD_NAME`, `POD_NAMESPACE`: this replica's identity and the Lease's namespace;
//! - `RRS_LEASE_NAME` (default `rrs-operator`), `RRS_HTTP_ADDR` (default `0.0.0.0:8080`);
//! - `RUST_LOG` (default `info`), `RRS_LOG_FORMAT=json` for JSON logs.

use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kube::runtime::events::{Recorder, Reporter};
use kube::{Api, Client};
use rrs_operator::builders::BuildContext;
use rrs_operator::http::{router, Health};
use rrs_operator::lease::LeaderElector;
use rrs_operator::metrics::Metrics;
use rrs_operator::nodes::Resp;
use rrs_operator::reconcile::Context;
use tracing::{error, info, warn};
use tracing_subscriber::EnvFilter;

const LEASE_DURATION: Duration = Duration::from_secs(15);

fn env(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt().with_env_filter(filter);
    if env("RRS_LOG_FORMAT", "text") == "json" {
        fmt.json().init();
    } else {
        fmt.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let identity = env("POD_NAME", &format!("rrs-operator-{}", std::process::id()));
    let lease_ns = env("POD_NAMESPACE", "default");
    let watch_ns = std::env::var("WATCH_NAMESPACE")
        .ok()
        .filter(|v| !v.is_empty());
    let image = env(
        "RRS_NODE_IMAGE",
        &format!("rrs-node:{}", env!("CARGO_PKG_VERSION")),
    );
    let addr = env("RRS_HTTP_ADDR", "0.0.0.0:8080");

    let metrics = Arc::new(Metrics::default());
    let health = Health {
        metrics: metrics.clone(),
        ..Health::default()
    };
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    info!(%addr, "serving /metrics /healthz /readyz");
    let app = router(health.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            error!(error = %e, "HTTP server stopped");
        }
    });

    let client = Client::try_default().await?;
    let elector = LeaderElector::new(
        Api::<Lease>::namespaced(client.clone(), &lease_ns),
        &env("RRS_LEASE_NAME", "rrs-operator"),
        &identity,
        LEASE_DURATION,
    );
    info!(%identity, "waiting to lead");
    loop {
        match elector.try_acquire_or_renew().await {
            Ok(true) => break,
            Ok(false) => health.ready.store(true, Ordering::Relaxed),
            Err(e) => warn!(error = %e, "leader election round failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(elector.renew_period()) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
    health.ready.store(true, Ordering::Relaxed);
    metrics.leader.set(1);
    info!(%identity, "leading");

    // Keep renewing; once the Lease could have expired without a renewal, stop acting:
    // another replica may take over from then on.
    let (lost_tx, lost_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let mut last = Instant::now();
        loop {
            tokio::time::sleep(elector.renew_period()).await;
            match elector.try_acquire_or_renew().await {
                Ok(true) => last = Instant::now(),
                Ok(false) => break,
                Err(e) => warn!(error = %e, "could not renew the Lease"),
            }
            if last.elapsed() >= LEASE_DURATION {
                break;
            }
        }
        let _ = lost_tx.send(());
    });
    let lost = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let lost_flag = lost.clone();
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = lost_rx => lost_flag.store(true, Ordering::Relaxed),
        }
    };

    let reporter = Reporter {
        controller: "rrs-operator".into(),
        instance: Some(identity),
    };
    let ctx = Arc::new(Context::new(
        client.clone(),
        Recorder::new(client, reporter),
        metrics,
        BuildContext {
            default_image: image,
        },
        Arc::new(Resp::default()),
    ));
    rrs_operator::controller::run(ctx, watch_ns.as_deref(), shutdown).await?;
    if lost.load(Ordering::Relaxed) {
        // Exit so the pod restarts and stands by; never act without the Lease.
        return Err("lost the leader Lease".into());
    }
    Ok(())
}
