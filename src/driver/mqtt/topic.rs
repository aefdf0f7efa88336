//! MQTT topic names and filters (MQTT 3.1.1 §4.7): validation and matching. Owns no state.

/// Why a topic filter is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("a topic filter must not be empty")]
    Empty,
    #[error("'#' must be a whole level and the last one (e.g. 'site/#')")]
    BadHash,
    #[error("'+' must be a whole level (e.g. 'site/+/telemetry')")]
    BadPlus,
    #[error("topic contains a NUL character")]
    Nul,
    #[error("a topic filter may have at most 65535 bytes (MQTT 3.1.1 §1.5.3), this one has {0}")]
    TooLong(usize),
}

/// The longest topic name or filter MQTT can carry (a two-byte length prefix).
pub const MAX_TOPIC_BYTES: usize = 65_535;

/// Checks a subscription filter: wildcards only as whole levels, '#' only last.
pub fn validate_filter(filter: &str) -> Result<(), FilterError> {
    if filter.is_empty() {
        return Err(FilterError::Empty);
    }
    if filter.contains('\0') {
        return Err(FilterError::Nul);
    }
    if filter.len() > MAX_TOPIC_BYTES {
        return Err(FilterError::TooLong(filter.len()));
    }
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || i + 1 != levels.len()) {
            return Err(FilterError::BadHash);
        }
        if level.contains('+') && *level != "+" {
            return Err(FilterError::BadPlus);
        }
    }
    Ok(())
}

/// Checks a topic name that will be published or bound to a tag: no wildcards.
pub fn validate_name(topic: &str) -> Result<(), &'static str> {
    if topic.is_empty() {
        return Err("a topic must not be empty");
    }
    if topic.contains(['+', '#']) {
        return Err(
            "a tag's topic must be a concrete topic, without '+' or '#' (wildcards belong in [[driver.mqtt.json]] filters)",
        );
    }
    if topic.contains('\0') {
        return Err("topic contains a NUL character");
    }
    if topic.len() > MAX_TOPIC_BYTES {
        return Err("a topic may have at most 65535 bytes (MQTT 3.1.1 §1.5.3)");
    }
    Ok(())
}

/// Whether `topic` (a concrete name) matches `filter`. Topics starting with '$' only match filters
/// that name that first level explicitly (MQTT 3.1.1 §4.7.2).
pub fn matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_validate_like_the_spec() {
        for ok in ["a", "a/b", "+", "#", "a/+/c", "a/#", "+/+", "/a", "a//b"] {
            assert_eq!(validate_filter(ok), Ok(()), "{ok}");
        }
        assert_eq!(validate_filter(""), Err(FilterError::Empty));
        assert_eq!(validate_filter("a/#/b"), Err(FilterError::BadHash));
        assert_eq!(validate_filter("a#"), Err(FilterError::BadHash));
        assert_eq!(validate_filter("a/b+"), Err(FilterError::BadPlus));
    }

    #[test]
    fn matching_follows_the_spec_examples() {
        let cases = [
            ("sport/tennis/player1/#", "sport/tennis/player1", true),
            ("sport/tennis/player1/#", "sport/tennis/player1/ranking", true),
            ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true),
            ("sport/#", "sport", true),
            ("sport/tennis/+", "sport/tennis/player1", true),
            ("sport/tennis/+", "sport/tennis/player1/tournament", false),
            ("sport/+", "sport", false),
            ("sport/+", "sport/", true),
            ("+/+", "/finance", true),
            ("/+", "/finance", true),
            ("+", "/finance", false),
            ("#", "$SYS/broker", false),
            ("$SYS/#", "$SYS/broker", true),
            ("a/b", "a/b", true),
            ("a/b", "a/c", false),
        ];
        for (filter, topic, want) in cases {
            assert_eq!(matches(filter, topic), want, "{filter} vs {topic}");
        }
    }
}
