//! The password policy: what a new password must be, in words a person can act on. NIST SP 800-63B
//! §5.1.1.2 in spirit: long enough, not a known-common password (a shipped list, checked without regard to
//! case), not the user's own name, and not a keyboard run or one character repeated. No composition rules
//! ("one digit, one symbol"): they make passwords harder to remember, not to guess.

use std::collections::HashSet;
use std::sync::OnceLock;

/// At least this many characters.
pub const MIN_PASSWORD: usize = 8;
/// At most this many (Argon2 takes any length; a bound keeps a pasted novel from tying up a login thread).
pub const MAX_PASSWORD: usize = 128;

static COMMON_TEXT: &str = include_str!("common-passwords.txt");

fn common() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_TEXT
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(str::to_lowercase)
            .collect()
    })
}

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Weakness {
    #[error("the password must have at least {MIN_PASSWORD} characters")]
    TooShort,
    #[error("the password must have at most {MAX_PASSWORD} characters")]
    TooLong,
    #[error("the password must not be blank or only spaces")]
    Blank,
    #[error("the password must not contain the user name")]
    HasName,
    #[error("the password is one of the most common passwords: choose another")]
    Common,
    #[error("the password must not be one character repeated or a run like 12345678 or abcdefgh")]
    Pattern,
}

/// Checks a new password for `name`.
pub fn check(name: &str, password: &str) -> Result<(), Weakness> {
    let chars: Vec<char> = password.chars().collect();
    if password.trim().is_empty() {
        return Err(Weakness::Blank);
    }
    if chars.len() < MIN_PASSWORD {
        return Err(Weakness::TooShort);
    }
    if chars.len() > MAX_PASSWORD {
        return Err(Weakness::TooLong);
    }
    let lower = password.to_lowercase();
    if !name.is_empty() && lower.contains(&name.to_lowercase()) {
        return Err(Weakness::HasName);
    }
    let distinct: HashSet<char> = lower.chars().collect();
    let steps: HashSet<i64> = chars
        .windows(2)
        .map(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0])))
        .collect();
    // "aaaaaaaa", "abababab", "12345678", "87654321", "abcdefgh": a guesser tries these first.
    if distinct.len() <= 2 || (steps.len() == 1 && steps.iter().all(|s| s.abs() <= 1)) {
        return Err(Weakness::Pattern);
    }
    if common().contains(&lower) || common().contains(lower.trim()) {
        return Err(Weakness::Common);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        let cases = [
            ("        ", Weakness::Blank),
            ("\t \t \t \t ", Weakness::Blank),
            ("short", Weakness::TooShort),
            ("12345678", Weakness::Pattern),
            ("iloveyou", Weakness::Common),
            ("qwertyuiop", Weakness::Common),
            ("password", Weakness::Common),
            ("PassWord", Weakness::Common),
            ("contraseña", Weakness::Common),
            ("aaaaaaaa", Weakness::Pattern),
            ("abababababab", Weakness::Pattern),
            ("9876543210", Weakness::Pattern),
            ("lmnopqrstu", Weakness::Pattern),
            ("ana-pozo-7", Weakness::HasName),
            ("xANAx12345", Weakness::HasName),
        ];
        for (pw, why) in cases {
            assert_eq!(check("ana", pw), Err(why.clone()), "{pw:?}");
        }
        assert_eq!(check("ana", &"x1".repeat(70)), Err(Weakness::TooLong));
        for good in [
            "pozo-caliente-7",
            "turno noche 44",
            "Reel#3 torque ok",
            "ñandú-2026-sur",
        ] {
            assert_eq!(check("ana", good), Ok(()), "{good}");
        }
        assert!(common().len() > 8_000, "the shipped list is loaded");
    }
}
