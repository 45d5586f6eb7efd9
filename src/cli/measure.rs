//! Summaries of timing samples, shared by `service ping` and `bench`.

use serde::Serialize;

/// Percentiles of a set of samples, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub count: usize,
    pub min_us: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
}

/// Summarises samples given in nanoseconds (nearest-rank percentiles).
pub fn summarize(samples_ns: &mut [u64]) -> Summary {
    samples_ns.sort_unstable();
    let n = samples_ns.len();
    let at = |p: f64| -> f64 {
        if n == 0 {
            return 0.0;
        }
        let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as usize;
        samples_ns[rank.min(n) - 1] as f64 / 1000.0
    };
    let mean = if n == 0 {
        0.0
    } else {
        samples_ns.iter().map(|&s| s as f64).sum::<f64>() / n as f64 / 1000.0
    };
    Summary {
        count: n,
        min_us: at(0.0),
        p50_us: at(50.0),
        p90_us: at(90.0),
        p99_us: at(99.0),
        p999_us: at(99.9),
        max_us: samples_ns.last().map(|&m| m as f64 / 1000.0).unwrap_or(0.0),
        mean_us: mean,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let mut v: Vec<u64> = (1..=100).map(|i| i * 1000).collect();
        let s = summarize(&mut v);
        assert_eq!(
            (s.min_us, s.p50_us, s.p99_us, s.max_us),
            (1.0, 50.0, 99.0, 100.0)
        );
    }
}
