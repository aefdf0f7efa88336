//! Inflow performance: Vogel (1968) and the composite straight-line/Vogel IPR.

/// Vogel: q/q_max = 1 − 0.2x − 0.8x², x = p_wf/p̄ (saturated reservoir).
pub fn vogel_rate(q_max: f64, p_res_psi: f64, p_wf_psi: f64) -> f64 {
    let x = (p_wf_psi / p_res_psi).clamp(0.0, 1.0);
    q_max * (1.0 - 0.2 * x - 0.8 * x * x)
}

/// q_max from one test point. `None` when the test point cannot define it (p_wf ≥ p̄, p̄ ≤ 0).
pub fn vogel_qmax_from_test(q_test: f64, p_res_psi: f64, p_wf_test_psi: f64) -> Option<f64> {
    if p_res_psi <= 0.0 || p_wf_test_psi >= p_res_psi || p_wf_test_psi < 0.0 {
        return None;
    }
    let x = p_wf_test_psi / p_res_psi;
    Some(q_test / (1.0 - 0.2 * x - 0.8 * x * x))
}

/// Inverse Vogel: flowing pressure for a rate, x = [−0.2 + √(0.04 + 3.2(1 − q/q_max))]/1.6.
pub fn vogel_pwf(q_max: f64, p_res_psi: f64, q: f64) -> f64 {
    let r = (q / q_max).clamp(0.0, 1.0);
    p_res_psi * (-0.2 + (0.04 + 3.2 * (1.0 - r)).sqrt()) / 1.6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vogel_worked_examples() {
        // ENGINEERING.md §5: 65 B/D at 1,500 psi, p̄ 2,000 → q_max 162.5, q(500) 146.25
        let qmax = vogel_qmax_from_test(65.0, 2000.0, 1500.0).unwrap();
        assert!((qmax - 162.5).abs() < 1e-9);
        assert!((vogel_rate(qmax, 2000.0, 500.0) - 146.25).abs() < 1e-9);
        // 800 STB/d at 1,500 psi, p̄ 3,000 → AOF 1,142.9; q(2,000) 584.1; q(1,000) 965.1
        let qmax = vogel_qmax_from_test(800.0, 3000.0, 1500.0).unwrap();
        assert!((qmax - 1142.857).abs() < 0.01);
        assert!((vogel_rate(qmax, 3000.0, 2000.0) - 584.1).abs() < 0.05);
        assert!((vogel_rate(qmax, 3000.0, 1000.0) - 965.1).abs() < 0.05);
    }

    #[test]
    fn inverse_round_trips() {
        for pwf in [0.0, 250.0, 1000.0, 1999.0] {
            let q = vogel_rate(500.0, 2000.0, pwf);
            assert!((vogel_pwf(500.0, 2000.0, q) - pwf).abs() < 1e-6);
        }
    }

    #[test]
    fn invalid_test_points_are_refused() {
        assert_eq!(vogel_qmax_from_test(10.0, 2000.0, 2000.0), None);
        assert_eq!(vogel_qmax_from_test(10.0, 2000.0, 2500.0), None);
    }
}
