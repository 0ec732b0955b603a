/// Formats a double the way Redis 7.0 replies with one: C's `%.17g`, with
/// `inf`/`-inf`/`nan` spelled as Redis spells them.
pub fn format_double(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    // Whole numbers below 2^53 (scores, counters) print as plain integers
    // under %.17g; skip the general path's two formatting passes.
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        return (x as i64).to_string();
    }
    const P: i32 = 17;
    // The exponent %g decides on is the one after rounding to P digits.
    let sci = format!("{:.*e}", (P - 1) as usize, x);
    let (mantissa, exp) = sci.split_once('e').expect("rust scientific format has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    if (-4..P).contains(&exp) {
        let fixed = format!("{:.*}", (P - 1 - exp) as usize, x);
        strip_zeros(&fixed).to_string()
    } else {
        let m = strip_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::format_double as f;

    #[test]
    fn matches_c_printf_17g() {
        assert_eq!(f(1.0), "1");
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(0.1), "0.10000000000000001");
        assert_eq!(f(1e20), "1e+20");
        assert_eq!(f(1e16), "10000000000000000");
        assert_eq!(f(9_007_199_254_740_991.0), "9007199254740991");
        assert_eq!(f(9_007_199_254_740_992.0), "9007199254740992");
        assert_eq!(f(-123456.0), "-123456");
        assert_eq!(f(1e17), "1e+17");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(0.00001), "1.0000000000000001e-05");
        assert_eq!(f(-2.5), "-2.5");
        assert_eq!(f(f64::INFINITY), "inf");
        assert_eq!(f(f64::NEG_INFINITY), "-inf");
        assert_eq!(f(3.0e3), "3000");
        assert_eq!(f(123456789.123), "123456789.123");
    }
}
