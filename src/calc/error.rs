//! The one error of the calc room: an input outside the range where a formula means anything. It names the
//! field (as the JSON of `wellconsole calc` spells it), the value and the rule, so an engineer can fix the
//! input; a calculation never answers NaN, infinity or a silently clamped number instead.

/// An invalid input to an engineering calculation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalcError {
    /// A number outside its valid range.
    #[error("{field} = {value}: {rule}")]
    Invalid {
        field: &'static str,
        value: f64,
        rule: &'static str,
    },
    /// A combination of inputs that has no answer (e.g. a wall thicker than half the diameter).
    #[error("{field}: {reason}")]
    Inconsistent { field: &'static str, reason: String },
}

impl CalcError {
    /// The field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            CalcError::Invalid { field, .. } | CalcError::Inconsistent { field, .. } => field,
        }
    }
}

/// Checks one input: finite and satisfying `ok`, or `CalcError::Invalid` with the rule in words.
pub fn check(
    field: &'static str,
    value: f64,
    ok: impl FnOnce(f64) -> bool,
    rule: &'static str,
) -> Result<f64, CalcError> {
    if value.is_finite() && ok(value) {
        Ok(value)
    } else {
        Err(CalcError::Invalid { field, value, rule })
    }
}

/// `value > 0`, finite.
pub fn positive(field: &'static str, value: f64) -> Result<f64, CalcError> {
    check(field, value, |v| v > 0.0, "must be a finite number greater than 0")
}

/// `value ≥ 0`, finite.
pub fn non_negative(field: &'static str, value: f64) -> Result<f64, CalcError> {
    check(field, value, |v| v >= 0.0, "must be a finite number, 0 or more")
}

/// Any finite number.
pub fn finite(field: &'static str, value: f64) -> Result<f64, CalcError> {
    check(field, value, |_| true, "must be a finite number")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_name_the_field_and_refuse_non_finite_numbers() {
        assert_eq!(positive("od_in", 1.5), Ok(1.5));
        let e = positive("od_in", 0.0).unwrap_err();
        assert_eq!(e.field(), "od_in");
        assert_eq!(e.to_string(), "od_in = 0: must be a finite number greater than 0");
        assert!(non_negative("rate", f64::NAN).is_err());
        assert!(finite("force", f64::INFINITY).is_err());
        assert_eq!(non_negative("rate", 0.0), Ok(0.0));
    }
}
