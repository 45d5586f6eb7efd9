//! Numbers and durations in the few columns a table cell has.

/// A count in at most five characters: `999`, `12.3k`, `4.56M`.
pub fn count(n: u64) -> String {
    compact(n as f64, false)
}

/// A rate: like [`count`], with one decimal for slow rates (`0.5`), since "0" would hide a
/// trickle.
pub fn rate(r: f64) -> String {
    compact(r, true)
}

fn compact(v: f64, decimals_when_small: bool) -> String {
    if v.is_nan() || v <= 0.0 {
        return "0".to_string();
    }
    const UNITS: [(f64, &str); 3] = [(1e9, "G"), (1e6, "M"), (1e3, "k")];
    for (scale, unit) in UNITS {
        if v >= scale * 0.9995 {
            let x = v / scale;
            return if x >= 99.95 {
                format!("{x:.0}{unit}")
            } else if x >= 9.995 {
                format!("{x:.1}{unit}")
            } else {
                format!("{x:.2}{unit}")
            };
        }
    }
    if decimals_when_small && v > 0.0 && v < 9.95 && v.fract().abs() > 0.05 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// A count with thousands separators, for where there is room: `1,234,567`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_numbers_fit_five_columns() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1.00k");
        assert_eq!(count(12_345), "12.3k");
        assert_eq!(count(999_999), "1.00M");
        assert_eq!(rate(0.5), "0.5");
        assert_eq!(rate(4.0), "4");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}
