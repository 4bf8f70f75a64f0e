//! Counters behind INFO stats/commandstats/errorstats, SLOWLOG and LATENCY.

use std::collections::{BTreeMap, VecDeque};

use ahash::AHashMap as HashMap;

#[derive(Default, Debug, Clone)]
pub struct CmdStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    /// Executions per latency level (LATENCY HISTOGRAM), see [`LatencyHistogram`].
    pub latency: LatencyHistogram,
    /// Call durations in ns (INFO latencystats), when latency-tracking is on.
    pub hdr: Option<HdrHistogram>,
}

/// Number of reporting levels: 1024 ns doubling up to the 1 s cap (2^30 ns).
const LATENCY_LEVELS: usize = 21;

/// A command's latency distribution as Redis 7.0 reports it: its hdr_histogram
/// (1 ns .. 1 s, 2 significant figures) read by a log iterator starting at
/// 1024 ns with base 2. Level k covers values up to the highest value
/// equivalent to 1024·2^k ns, which is all the iterator can tell apart, so
/// keeping one counter per level gives exactly the same report.
#[derive(Default, Debug, Clone)]
pub struct LatencyHistogram {
    pub levels: [u64; LATENCY_LEVELS],
    pub total: u64,
}

impl LatencyHistogram {
    /// The highest value (ns) hdr_histogram treats as equal to level k's bound.
    fn level_top_ns(k: usize) -> u64 {
        let l = 1024u64 << k;
        (l + l / 128 - 1).min((1 << 30) - 1)
    }

    /// Records one execution of `us` microseconds (clamped to 1 ns .. 1 s).
    pub fn record(&mut self, us: u64) {
        let ns = us.saturating_mul(1000).clamp(1, 1_000_000_000);
        let k = (0..LATENCY_LEVELS)
            .find(|&k| ns <= Self::level_top_ns(k))
            .unwrap_or(LATENCY_LEVELS - 1);
        self.levels[k] += 1;
        self.total += 1;
    }

    /// `histogram_usec` of LATENCY HISTOGRAM: (bucket µs, cumulative count) for
    /// the levels where the cumulative count grows.
    pub fn cdf(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut cum = 0;
        for (k, &n) in self.levels.iter().enumerate() {
            if n > 0 {
                cum += n;
                out.push((Self::level_top_ns(k) / 1000, cum));
            }
        }
        out
    }
}

/// A sparse HDR-style histogram with the layout of Redis's hdr_histogram
/// (lowest 1 ns, highest 1 s, 2 significant figures): values below 256 are exact,
/// above that each power-of-two range has 128 buckets.
#[derive(Default, Debug, Clone)]
pub struct HdrHistogram {
    /// Lowest value of each bucket -> count.
    buckets: BTreeMap<u64, u64>,
    total: u64,
}

impl HdrHistogram {
    const MIN: u64 = 1;
    const MAX: u64 = 1_000_000_000;

    /// (lowest equivalent value, bucket size) of `v`.
    fn bucket(v: u64) -> (u64, u64) {
        let bits = 64 - (v | 255).leading_zeros();
        let size = 1u64 << (bits - 8);
        (v & !(size - 1), size)
    }

    pub fn record(&mut self, ns: u64) {
        let v = ns.clamp(Self::MIN, Self::MAX);
        *self.buckets.entry(Self::bucket(v).0).or_default() += 1;
        self.total += 1;
    }

    /// hdr_value_at_percentile: the highest value equivalent to the bucket where
    /// the cumulative count reaches `p` percent of the total.
    pub fn value_at_percentile(&self, p: f64) -> u64 {
        let p = p.min(100.0);
        let want = ((p / 100.0 * self.total as f64 + 0.5) as u64).max(1);
        let mut seen = 0;
        for (&low, &n) in &self.buckets {
            seen += n;
            if seen >= want {
                if p == 0.0 {
                    return low;
                }
                return low + Self::bucket(low).1 - 1;
            }
        }
        0
    }
}

/// Instantaneous rate over the last 16 samples of 100 ms (like Redis's
/// STATS_METRIC_SAMPLES).
#[derive(Default, Debug, Clone)]
pub struct RateSampler {
    last_value: u64,
    last_ms: i64,
    samples: VecDeque<f64>,
}

impl RateSampler {
    pub fn sample(&mut self, value: u64, now_ms: i64) {
        if self.last_ms > 0 && now_ms > self.last_ms {
            let rate = (value.saturating_sub(self.last_value)) as f64 * 1000.0
                / (now_ms - self.last_ms) as f64;
            self.samples.push_back(rate);
            if self.samples.len() > 16 {
                self.samples.pop_front();
            }
        }
        self.last_value = value;
        self.last_ms = now_ms;
    }

    pub fn rate(&self) -> f64 {
        if self.samples.is_empty() {
            0.0
        } else {
            self.samples.iter().sum::<f64>() / self.samples.len() as f64
        }
    }
}

#[derive(Default, Debug)]
pub struct Stats {
    pub total_connections_received: u64,
    pub rejected_connections: u64,
    pub total_commands_processed: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub total_reads_processed: u64,
    pub total_writes_processed: u64,
    pub client_query_buffer_limit_disconnections: u64,
    pub cmd: HashMap<&'static str, CmdStat>,
    pub errors: BTreeMap<String, u64>,
    pub ops_rate: RateSampler,
    pub net_in_rate: RateSampler,
    pub net_out_rate: RateSampler,
    pub evicted_clients: u64,
    pub total_eviction_exceeded_time_ms: u64,
    pub io_threaded_reads_processed: u64,
    pub io_threaded_writes_processed: u64,
}

impl Stats {
    /// Counts an error reply under its code (the first word), as INFO errorstats.
    pub fn count_error(&mut self, err: &str) {
        self.total_error_replies += 1;
        let code = err.split(' ').next().unwrap_or("ERR");
        // Redis keeps at most 128 distinct codes; later unknown codes are dropped.
        if self.errors.len() < 128 || self.errors.contains_key(code) {
            *self.errors.entry(code.to_string()).or_default() += 1;
        }
    }

    pub fn reset(&mut self) {
        let keep_rates = (
            std::mem::take(&mut self.ops_rate),
            std::mem::take(&mut self.net_in_rate),
            std::mem::take(&mut self.net_out_rate),
        );
        *self = Stats::default();
        (self.ops_rate, self.net_in_rate, self.net_out_rate) = keep_rates;
    }
}

#[derive(Debug, Clone)]
pub struct SlowEntry {
    pub id: u64,
    pub time: i64,
    pub duration_us: u64,
    pub args: Vec<Vec<u8>>,
    pub peer: String,
    pub name: Vec<u8>,
}

#[derive(Default, Debug)]
pub struct SlowLog {
    pub entries: VecDeque<SlowEntry>,
    pub next_id: u64,
}

/// Largest number of arguments and bytes per argument a slowlog entry keeps.
const SLOWLOG_ENTRY_MAX_ARGC: usize = 32;
const SLOWLOG_ENTRY_MAX_STRING: usize = 128;

impl SlowLog {
    pub fn push(
        &mut self,
        args: &[bytes::Bytes],
        duration_us: u64,
        peer: &str,
        name: &[u8],
        max_len: usize,
    ) {
        let argc = args.len().min(SLOWLOG_ENTRY_MAX_ARGC);
        let mut kept: Vec<Vec<u8>> = Vec::with_capacity(argc);
        for (i, a) in args.iter().take(argc).enumerate() {
            if argc != args.len() && i == argc - 1 {
                kept.push(format!("... ({} more arguments)", args.len() - argc + 1).into_bytes());
            } else if a.len() > SLOWLOG_ENTRY_MAX_STRING {
                let mut v = a[..SLOWLOG_ENTRY_MAX_STRING].to_vec();
                v.extend_from_slice(
                    format!("... ({} more bytes)", a.len() - SLOWLOG_ENTRY_MAX_STRING).as_bytes(),
                );
                kept.push(v);
            } else {
                kept.push(a.to_vec());
            }
        }
        self.entries.push_front(SlowEntry {
            id: self.next_id,
            time: crate::util::now_ms() / 1000,
            duration_us,
            args: kept,
            peer: peer.to_string(),
            name: name.to_vec(),
        });
        self.next_id += 1;
        while self.entries.len() > max_len {
            self.entries.pop_back();
        }
    }
}

/// LATENCY monitor: per event, the latest sample and a history of up to 160.
#[derive(Default, Debug)]
pub struct Latency {
    pub events: BTreeMap<String, LatencyEvent>,
}

#[cfg(test)]
mod tests {
    use super::HdrHistogram;

    #[test]
    fn percentiles_like_hdr_histogram() {
        let mut h = HdrHistogram::default();
        h.record(6000);
        // Redis prints 6.015 for a single 6 us call.
        assert_eq!(h.value_at_percentile(50.0), 6015);
        h.record(13_000);
        assert_eq!(h.value_at_percentile(50.0), 6015);
        assert_eq!(h.value_at_percentile(99.0), 13055);
        h.record(0);
        assert_eq!(h.value_at_percentile(0.0), 1);
        assert_eq!(HdrHistogram::default().value_at_percentile(50.0), 0);
    }
}

#[derive(Default, Debug, Clone)]
pub struct LatencyEvent {
    pub samples: VecDeque<(i64, u64)>,
    pub max: u64,
}

impl Latency {
    pub fn add(&mut self, event: &str, ms: u64) {
        let now = crate::util::now_ms() / 1000;
        let e = self.events.entry(event.to_string()).or_default();
        e.max = e.max.max(ms);
        // Samples within the same second are merged keeping the max (latencyAddSample).
        if let Some(last) = e.samples.back_mut() {
            if last.0 == now {
                last.1 = last.1.max(ms);
                return;
            }
        }
        e.samples.push_back((now, ms));
        if e.samples.len() > 160 {
            e.samples.pop_front();
        }
    }
}

#[cfg(test)]
mod latency_tests {
    use super::LatencyHistogram;

    /// Bucket labels observed from redis-server 7.0.15's LATENCY HISTOGRAM.
    #[test]
    fn buckets_like_redis() {
        let mut h = LatencyHistogram::default();
        for us in [0, 1, 2, 3, 5, 9, 17, 34, 16_000, 33_000, 130_000, 1_500_000] {
            h.record(us);
        }
        let labels: Vec<u64> = h.cdf().iter().map(|x| x.0).collect();
        assert_eq!(
            labels,
            vec![1, 2, 4, 8, 16, 33, 66, 16908, 33816, 135266, 1073741]
        );
        assert_eq!(h.cdf().last().map(|x| x.1), Some(12));
        assert_eq!(h.total, 12);
    }
}
