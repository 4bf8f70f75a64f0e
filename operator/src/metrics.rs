//! Prometheus metrics of the operator: reconcile counts, failures by kind, durations,
//! planned operations and whether this replica leads.

use std::sync::atomic::{AtomicI64, AtomicU64};
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub error: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub operation: String,
}

pub struct Metrics {
    pub registry: Registry,
    pub reconciles: Counter<u64, AtomicU64>,
    pub failures: Family<ErrorLabels, Counter<u64, AtomicU64>>,
    pub duration: Histogram,
    pub operations: Family<OperationLabels, Counter<u64, AtomicU64>>,
    pub leader: Gauge<i64, AtomicI64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("rrs_operator");
        let reconciles = Counter::default();
        let failures = Family::default();
        // 1 ms .. about 16 s.
        let duration = Histogram::new(exponential_buckets(0.001, 2.0, 15));
        let operations = Family::default();
        let leader = Gauge::default();
        registry.register("reconciles", "Reconciles run", reconciles.clone());
        registry.register(
            "reconcile_failures",
            "Reconciles that failed, by error kind",
            failures.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Time a reconcile took",
            duration.clone(),
        );
        registry.register(
            "operations",
            "Planned operation steps performed",
            operations.clone(),
        );
        registry.register(
            "leader",
            "1 while this replica holds the leader Lease",
            leader.clone(),
        );
        Self {
            registry,
            reconciles,
            failures,
            duration,
            operations,
            leader,
        }
    }
}

impl Metrics {
    /// Counts a reconcile and measures it until the guard drops.
    pub fn count_and_measure(&self) -> ReconcileTimer<'_> {
        self.reconciles.inc();
        ReconcileTimer {
            start: Instant::now(),
            metrics: self,
        }
    }

    pub fn failure(&self, e: &crate::Error) {
        self.failures
            .get_or_create(&ErrorLabels {
                error: e.metric_label().into(),
            })
            .inc();
    }

    pub fn operation(&self, op: &str) {
        self.operations
            .get_or_create(&OperationLabels {
                operation: op.into(),
            })
            .inc();
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

pub struct ReconcileTimer<'a> {
    start: Instant,
    metrics: &'a Metrics,
}

impl Drop for ReconcileTimer<'_> {
    fn drop(&mut self) {
        self.metrics
            .duration
            .observe(self.start.elapsed().as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposes_counts_failures_and_durations() {
        let m = Metrics::default();
        drop(m.count_and_measure());
        m.failure(&crate::Error::MissingField("metadata.namespace"));
        m.operation("switchover");
        let text = m.encode();
        assert!(text.contains("rrs_operator_reconciles_total 1"), "{text}");
        assert!(
            text.contains("rrs_operator_reconcile_failures_total{error=\"invalid_object\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("rrs_operator_reconcile_duration_seconds_count 1"),
            "{text}"
        );
        assert!(
            text.contains("rrs_operator_operations_total{operation=\"switchover\"} 1"),
            "{text}"
        );
        assert!(text.contains("rrs_operator_leader 0"), "{text}");
    }
}
