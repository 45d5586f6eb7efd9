//! Traffic meters from counters: the engine's counters only grow, so the dashboard takes the
//! difference between two polls and divides by the time between them. A burst therefore shows
//! within one poll, whatever the engine's own one-second rate says.

use crate::core::model::DirectionStats;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Seconds of history kept per direction (the widest sparkline shows up to this much).
pub const HISTORY_SECONDS: usize = 240;
/// The shortest span a sparkline covers (the issue asks for at least a minute).
pub const MIN_SPAN_SECONDS: usize = 60;

/// The rate is averaged over about this long: long enough that two polls a few milliseconds
/// apart (one right after a command) do not make a spike, short enough that a burst shows in
/// the very next poll.
pub const RATE_WINDOW: Duration = Duration::from_secs(1);
/// Readings closer together than this do not change the rate on their own.
const MIN_RATE_SPAN: Duration = Duration::from_millis(100);

/// The meter of one direction of one pair.
#[derive(Debug, Clone, Default)]
pub struct DirectionMeter {
    /// The counters as last read.
    pub stats: DirectionStats,
    /// Messages per second over the last [`RATE_WINDOW`] or so.
    pub rate: f64,
    /// The highest `rate` seen while the dashboard watched.
    pub peak: f64,
    /// Messages seen since the dashboard started watching, restarts of the engine included,
    /// with the time of each reading inside the rate window (oldest first).
    seen: u64,
    readings: VecDeque<(Instant, u64)>,
    /// Messages per whole second, oldest first; the second in progress is `current`.
    seconds: VecDeque<u64>,
    current: u64,
    current_start: Option<Instant>,
}

impl DirectionMeter {
    /// Takes in the counters read at `at`.
    pub fn observe(&mut self, stats: DirectionStats, at: Instant) {
        if self.readings.is_empty() {
            // No earlier reading to subtract: trust the engine's own rate for the first one.
            self.stats = stats;
            self.rate = stats.rate_msgs_per_s as f64;
            self.peak = self.rate;
            self.readings.push_back((at, 0));
            self.current_start = Some(at);
            return;
        }
        // A counter that went down means the engine restarted and counts from zero again.
        let delta = stats
            .messages
            .checked_sub(self.stats.messages)
            .unwrap_or(stats.messages);
        self.stats = stats;
        self.seen += delta;
        self.readings.push_back((at, self.seen));
        // Keep one reading at or before the window's start as the base to subtract from.
        while self
            .readings
            .get(1)
            .is_some_and(|&(t, _)| at.saturating_duration_since(t) >= RATE_WINDOW)
        {
            self.readings.pop_front();
        }
        let (base_at, base_seen) = self.readings[0];
        let span = at.saturating_duration_since(base_at);
        if span >= MIN_RATE_SPAN {
            self.rate = (self.seen - base_seen) as f64 / span.as_secs_f64();
            self.peak = self.peak.max(self.rate);
        }
        self.roll_to(at);
        self.current += delta;
    }

    /// Closes the whole seconds that ended before `at` (empty ones included).
    fn roll_to(&mut self, at: Instant) {
        let start = self.current_start.get_or_insert(at);
        while at.saturating_duration_since(*start) >= Duration::from_secs(1) {
            self.seconds.push_back(self.current);
            self.current = 0;
            *start += Duration::from_secs(1);
            if self.seconds.len() > HISTORY_SECONDS {
                self.seconds.pop_front();
            }
        }
    }

    /// Drops, total: messages lost to full queues and to muting.
    pub fn drops(&self) -> u64 {
        self.stats.dropped_overflow + self.stats.dropped_muted
    }

    /// Values for a sparkline of `columns` bars, each covering `seconds_per_column` seconds
    /// (the busiest second in it), newest last. The newest bar is the current rate, so a burst
    /// shows at once instead of when its second ends.
    pub fn sparkline(&self, columns: usize, seconds_per_column: usize) -> Vec<u64> {
        if columns == 0 {
            return Vec::new();
        }
        let per = seconds_per_column.max(1);
        let mut out = vec![0u64; columns];
        let newest = columns - 1;
        out[newest] = self.rate.round() as u64;
        // Walk whole seconds from the newest back; the first `per - 1` of them share the newest
        // bar with the current rate.
        for (age, &count) in self.seconds.iter().rev().enumerate() {
            let column = (age + 1) / per;
            if column > newest {
                break;
            }
            let slot = &mut out[newest - column];
            *slot = (*slot).max(count);
        }
        out
    }
}

/// How many seconds each of `columns` bars covers so the whole line spans at least
/// [`MIN_SPAN_SECONDS`], and the span that results.
pub fn span_for(columns: usize) -> (usize, usize) {
    let columns = columns.max(1);
    let per = MIN_SPAN_SECONDS.div_ceil(columns);
    (per, per * columns)
}

/// The two meters of a pair, indexed by [`crate::core::ids::Direction::index`].
pub type PairMeters = [DirectionMeter; 2];

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(messages: u64) -> DirectionStats {
        DirectionStats {
            messages,
            ..Default::default()
        }
    }

    #[test]
    fn rate_comes_from_the_delta_between_polls() {
        let t0 = Instant::now();
        let mut m = DirectionMeter::default();
        m.observe(stats(100), t0);
        m.observe(stats(150), t0 + Duration::from_millis(250));
        assert_eq!(m.rate, 200.0);
        // A reading right after another one does not spike the rate: it averages over the
        // window, not over the 3 ms since the last reading.
        m.observe(stats(152), t0 + Duration::from_millis(253));
        assert_eq!(m.rate, 52.0 / 0.253);
        // An engine restart resets the counters: count from zero, never negative.
        m.observe(stats(10), t0 + Duration::from_millis(500));
        assert_eq!(m.rate, 62.0 / 0.5);
        // Over a second later, the rate covers about the last second only.
        m.observe(stats(10), t0 + Duration::from_millis(1500));
        assert_eq!(m.rate, 0.0);
    }

    #[test]
    fn history_covers_whole_seconds_and_the_current_rate() {
        let t0 = Instant::now();
        let mut m = DirectionMeter::default();
        m.observe(stats(0), t0);
        let mut total = 0;
        for s in 1..=3u64 {
            total += 10 * s;
            m.observe(stats(total), t0 + Duration::from_secs(s));
        }
        // Seconds closed: [0], [10], [20]; the 30 of the last poll sit in the second in progress.
        assert_eq!(m.sparkline(4, 1), vec![0, 10, 20, 30]);
        assert_eq!(m.sparkline(2, 2), vec![10, 30]);
        assert_eq!(span_for(12), (5, 60));
        assert_eq!(span_for(100), (1, 100));
    }
}
