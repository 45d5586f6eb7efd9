//! One `midi bench` runs every measure in several rounds, alternating engine and baseline, so
//! that one run gives figures steady enough for a verdict. This folds the rounds (each the
//! same JSON shape) into the figures it reports: every figure's median and its spread.

use serde_json::{Map, Value, json};

/// The median of `values` (the mean of the middle two for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Counts of lost or early messages add up across rounds (one lost message in one round is a
/// loss however the others went); every other figure is the median.
fn adds_up(key: &str) -> bool {
    ["lost", "early"]
        .iter()
        .any(|c| key == *c || key.ends_with(&format!("_{c}")))
}

/// The rounds folded into one object of the same shape: each number the median across rounds
/// (or the sum, for counts of lost and early messages).
pub fn medians(rounds: &[Value]) -> Value {
    fold(&rounds.iter().collect::<Vec<_>>(), "", &|key, v| {
        let whole = v.iter().all(|x| x.fract() == 0.0 && *x >= 0.0);
        let m = if adds_up(key) {
            v.iter().sum()
        } else {
            median(v)
        };
        if whole && m.fract() == 0.0 {
            json!(m as u64)
        } else {
            json!(m)
        }
    })
}

/// The rounds folded into one object of the same shape, each number replaced by the lowest
/// and highest value any round had: `{"min": …, "max": …}`.
pub fn spreads(rounds: &[Value]) -> Value {
    fold(&rounds.iter().collect::<Vec<_>>(), "", &|_, v| {
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        json!({ "min": min, "max": max })
    })
}

/// Walks the first round's shape; at each number, hands `leaf` that number from every round.
fn fold(rounds: &[&Value], key: &str, leaf: &dyn Fn(&str, &[f64]) -> Value) -> Value {
    match rounds.first() {
        Some(Value::Object(first)) => {
            let mut out = Map::new();
            for k in first.keys() {
                let children: Vec<&Value> = rounds.iter().filter_map(|r| r.get(k)).collect();
                out.insert(k.clone(), fold(&children, k, leaf));
            }
            Value::Object(out)
        }
        Some(Value::Number(_)) => {
            let numbers: Vec<f64> = rounds.iter().filter_map(|v| v.as_f64()).collect();
            leaf(key, &numbers)
        }
        Some(other) => (*other).clone(),
        None => Value::Null,
    }
}

/// Half the spread of a figure as a share of its median (0.05 = ±5 %).
pub fn relative_spread(median: f64, min: f64, max: f64) -> f64 {
    if median == 0.0 || !median.is_finite() {
        0.0
    } else {
        (max - min) / 2.0 / median.abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounds() -> Vec<Value> {
        vec![
            json!({"engine": {"p50_us": 30.0, "lost": 0, "quick": true}, "messages": 100}),
            json!({"engine": {"p50_us": 50.0, "lost": 2, "quick": true}, "messages": 100}),
            json!({"engine": {"p50_us": 31.0, "lost": 1, "quick": true}, "messages": 100}),
        ]
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn figures_take_the_median_and_losses_add_up() {
        let m = medians(&rounds());
        assert_eq!(m["engine"]["p50_us"], json!(31));
        assert_eq!(m["engine"]["lost"], json!(3));
        assert_eq!(m["engine"]["quick"], json!(true));
        assert_eq!(m["messages"], json!(100));
    }

    #[test]
    fn spreads_keep_the_extremes() {
        let s = spreads(&rounds());
        assert_eq!(s["engine"]["p50_us"], json!({"min": 30.0, "max": 50.0}));
        assert_eq!(relative_spread(31.0, 30.0, 50.0), 10.0 / 31.0);
    }
}
