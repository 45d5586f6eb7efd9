//! Per-direction traffic counters of a pair. They live with the state (each running pair
//! owns two); the router only adds to them.

use crate::core::model::DirectionStats;

/// The counters of one direction of a pair, and what the current rate is made from.
#[derive(Debug, Default, Clone)]
pub struct DirectionCounters {
    pub stats: DirectionStats,
    /// The second (of the monotonic clock) `this_second` counts.
    second: u64,
    this_second: u64,
    last_second: u64,
}

impl DirectionCounters {
    /// Counts messages accepted at `now_ns`. The rate needs no timer: buckets roll over when
    /// traffic arrives, and a reader works out how stale they are, so an idle engine sleeps.
    pub fn count(&mut self, messages: u64, words: u64, now_ns: u64) {
        self.stats.messages += messages;
        self.stats.words += words;
        let sec = now_ns / 1_000_000_000;
        if sec != self.second {
            self.last_second = if sec == self.second + 1 {
                self.this_second
            } else {
                0
            };
            self.second = sec;
            self.this_second = 0;
        }
        self.this_second += messages;
    }

    /// The counters, with the rate of the last whole second.
    pub fn snapshot(&self, now_ns: u64) -> DirectionStats {
        let sec = now_ns / 1_000_000_000;
        let rate = if sec == self.second {
            self.last_second
        } else if sec == self.second + 1 {
            self.this_second
        } else {
            0
        };
        DirectionStats {
            rate_msgs_per_s: rate,
            ..self.stats
        }
    }
}
