//! A one-line sparkline as text, so it fits in a table cell next to other columns.

/// Eighth-block bars, lowest first.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// A second with no traffic: visibly "nothing", unlike the lowest bar.
pub const IDLE: char = '·';

/// One character per value, scaled so `max` is a full block; zero shows as [`IDLE`].
pub fn spark_text(values: &[u64], max: u64) -> String {
    let max = max.max(1);
    values
        .iter()
        .map(|&v| {
            if v == 0 {
                IDLE
            } else {
                // Any traffic at all shows at least the lowest bar.
                let level = ((v.min(max) * 8).div_ceil(max)).clamp(1, 8);
                BARS[level as usize - 1]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_max_and_idle_is_distinct() {
        assert_eq!(spark_text(&[0, 1, 4, 8, 9], 8), "·▁▄██");
        assert_eq!(spark_text(&[0, 0], 0), "··");
    }
}
