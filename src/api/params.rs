//! A request's query parameters, read strictly: every name must be one the endpoint takes, each at most
//! once, and a value that is not what it must be is answered 400 with the parameter named and what it
//! takes. Owns parsing only; the endpoints say which names they take and what the values mean.

use crate::tag::Timestamp;

/// A parameter that is not what it must be: answered 400 with `parameter` named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}: {message}")]
pub struct BadParam {
    pub parameter: String,
    pub message: String,
}

impl BadParam {
    pub fn new(parameter: &str, message: impl Into<String>) -> Self {
        Self {
            parameter: parameter.to_owned(),
            message: message.into(),
        }
    }
}

/// The most parameters one query may carry, and the longest value read: a query is a few names.
const MAX_PARAMS: usize = 16;
const MAX_VALUE: usize = 4_096;

#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Reads `raw` (the query string, without '?'), taking only the names in `allowed`.
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Self, BadParam> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if k.is_empty() {
                continue;
            }
            if !allowed.contains(&k.as_ref()) {
                let takes = if allowed.is_empty() {
                    "this endpoint takes no parameters".to_owned()
                } else {
                    format!("this endpoint takes {}", allowed.join(", "))
                };
                return Err(BadParam::new(&clip(&k), format!("unknown parameter; {takes}")));
            }
            if pairs.iter().any(|(n, _)| *n == k) {
                return Err(BadParam::new(&k, "given more than once"));
            }
            if v.len() > MAX_VALUE {
                return Err(BadParam::new(&k, format!("longer than {MAX_VALUE} bytes")));
            }
            if pairs.len() >= MAX_PARAMS {
                return Err(BadParam::new(&k, "too many parameters"));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(Self { pairs })
    }

    /// The value given for `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A time: RFC 3339 (`2026-12-05T10:00:00Z`, with its offset), `now`, or an offset from now (`-2h`,
    /// `-30m`, `-7d`). Local times without an offset are refused: the server's zone is not the caller's.
    pub fn time(&self, name: &str, default: Timestamp, now: Timestamp) -> Result<Timestamp, BadParam> {
        let Some(v) = self.get(name) else {
            return Ok(default);
        };
        let bad = || {
            BadParam::new(
                name,
                format!(
                    "'{}' is not a time: use RFC 3339 with its offset (2026-12-05T10:00:00Z), 'now', or an offset from now like -2h, -30m, -7d",
                    clip(v)
                ),
            )
        };
        let v = v.trim();
        if v == "now" || v.starts_with('-') {
            return crate::historian::export::parse_time(v, now).map_err(|_| bad());
        }
        chrono::DateTime::parse_from_rfc3339(v)
            .map(|t| Timestamp(t.timestamp_micros()))
            .map_err(|_| bad())
    }

    /// A whole number in `1..=max`, `default` when not given.
    pub fn count(&self, name: &str, default: usize, max: usize) -> Result<usize, BadParam> {
        let Some(v) = self.get(name) else {
            return Ok(default.min(max));
        };
        match v.trim().parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(BadParam::new(
                name,
                format!("'{}' is not a whole number from 1 to {max}", clip(v)),
            )),
        }
    }

    /// A whole number ≥ 0 (a position to read after), `0` when not given.
    pub fn position(&self, name: &str) -> Result<i64, BadParam> {
        let Some(v) = self.get(name) else {
            return Ok(0);
        };
        match v.trim().parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n),
            _ => Err(BadParam::new(name, format!("'{}' is not a whole number ≥ 0", clip(v)))),
        }
    }

    /// One of `options`, `None` when not given.
    pub fn choice<'o>(&self, name: &str, options: &[&'o str]) -> Result<Option<&'o str>, BadParam> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        options
            .iter()
            .find(|o| **o == v.trim())
            .map(|o| Some(*o))
            .ok_or_else(|| BadParam::new(name, format!("'{}' is not one of {}", clip(v), options.join(", "))))
    }
}

/// A value as quoted back in a message: at most 64 characters, no control characters.
fn clip(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(64).collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_764_900_000_000_000);

    #[test]
    fn unknown_repeated_and_malformed_parameters_are_named() {
        let e = Params::parse(Some("from=-1h&form=2"), &["from", "to"]).unwrap_err();
        assert_eq!(e.parameter, "form");
        assert!(e.message.contains("from, to"), "{e}");
        assert_eq!(
            Params::parse(Some("to=now&to=now"), &["to"]).unwrap_err().parameter,
            "to"
        );
        let p = Params::parse(
            Some("from=yesterday&limit=0&after=-3&res=2m"),
            &["from", "limit", "after", "res"],
        )
        .unwrap();
        assert_eq!(p.time("from", NOW, NOW).unwrap_err().parameter, "from");
        assert_eq!(p.count("limit", 10, 100).unwrap_err().parameter, "limit");
        assert_eq!(p.position("after").unwrap_err().parameter, "after");
        let e = p.choice("res", &["raw", "1m"]).unwrap_err();
        assert_eq!(e.parameter, "res");
        assert!(e.message.contains("raw, 1m"));
        let e = Params::parse(Some("limit=100000"), &["limit"])
            .unwrap()
            .count("limit", 10, 5_000)
            .unwrap_err();
        assert!(e.message.contains("1 to 5000"), "{e}");
    }

    #[test]
    fn times_are_rfc3339_now_or_an_offset_never_a_local_time() {
        let p = Params::parse(
            Some("a=2026-12-05T10:00:00Z&b=-2h&c=now&d=2026-12-05%2010:00&e=2026-12-05T07:00:00-03:00"),
            &["a", "b", "c", "d", "e"],
        )
        .unwrap();
        let a = p.time("a", NOW, NOW).unwrap();
        assert_eq!(p.time("e", NOW, NOW).unwrap(), a);
        assert_eq!(p.time("b", NOW, NOW).unwrap(), Timestamp(NOW.0 - 7_200_000_000));
        assert_eq!(p.time("c", Timestamp(0), NOW).unwrap(), NOW);
        assert_eq!(p.time("d", NOW, NOW).unwrap_err().parameter, "d");
        assert_eq!(p.time("missing", Timestamp(5), NOW).unwrap(), Timestamp(5));
    }

    #[test]
    fn a_hostile_query_is_bounded() {
        let long = "x".repeat(10_000);
        assert!(Params::parse(Some(&format!("a={long}")), &["a"]).is_err());
        let many: Vec<String> = (0..40).map(|i| format!("p{i}=1")).collect();
        let names: Vec<String> = (0..40).map(|i| format!("p{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert!(Params::parse(Some(&many.join("&")), &names).is_err());
        let e = Params::parse(Some(&format!("{long}=1")), &["a"]).unwrap_err();
        assert!(e.parameter.chars().count() <= 65);
    }
}
