//! GetRandomPassword: a password drawn from the service's entropy, so that
//! `--deterministic` reproduces it too.
//!
//! Each character is a uniform choice among the allowed ones: a random byte is taken only
//! when it falls below the largest multiple of the set's size (rejection sampling), so no
//! character is favoured by a modulo. With every included type required, one position per
//! type is chosen at random and filled from that type, the rest from the whole set: the
//! time is bounded, unlike redrawing until every type appears.

use super::{Error, Kms, Result};
use crate::crypto::SecretBytes;

/// Shortest password (Secrets Manager's bound; KMS's GetRandomPassword asks for 8 and
/// checks that itself).
pub const MIN_PASSWORD: usize = 1;
/// Longest password (Secrets Manager's bound; KMS's is 128).
pub const MAX_PASSWORD: usize = 4096;
/// The 32 ASCII punctuation characters.
pub const PUNCTUATION: &str = r##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##;

/// What a password may and must contain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordRules {
    /// Its length, 8 to 128.
    pub length: usize,
    /// Characters never used.
    pub exclude_characters: String,
    /// No `a`–`z`.
    pub exclude_lowercase: bool,
    /// No `A`–`Z`.
    pub exclude_uppercase: bool,
    /// No `0`–`9`.
    pub exclude_numbers: bool,
    /// No punctuation.
    pub exclude_punctuation: bool,
    /// At least one character of every type not excluded.
    pub require_each_included_type: bool,
    /// The space character is a type of its own (Secrets Manager's `IncludeSpace`).
    pub include_space: bool,
}

impl PasswordRules {
    /// The character types left, each as its allowed characters (none empty).
    fn classes(&self) -> Vec<Vec<u8>> {
        let types: [(bool, &[u8]); 5] = [
            (self.exclude_lowercase, b"abcdefghijklmnopqrstuvwxyz"),
            (self.exclude_uppercase, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            (self.exclude_numbers, b"0123456789"),
            (self.exclude_punctuation, PUNCTUATION.as_bytes()),
            (!self.include_space, b" "),
        ];
        types
            .into_iter()
            .filter(|(excluded, _)| !excluded)
            .map(|(_, set)| {
                set.iter()
                    .copied()
                    .filter(|c| !self.exclude_characters.as_bytes().contains(c))
                    .collect::<Vec<u8>>()
            })
            .filter(|set| !set.is_empty())
            .collect()
    }
}

/// Uniform draws below `n` from the service's entropy, a buffer at a time.
struct Draws<'a> {
    kms: &'a Kms,
    buf: zeroize::Zeroizing<Vec<u8>>,
}

impl Draws<'_> {
    /// A uniform index below `n` (1 ≤ n ≤ 65536): one byte per draw up to 256, two above
    /// (positions in passwords of up to 4096 characters).
    fn below(&mut self, n: usize) -> Result<usize> {
        let space: usize = if n <= 256 { 256 } else { 65_536 };
        // Draws at or above the largest multiple of n would favour the low indices.
        let limit = space - space % n;
        loop {
            let mut b = self.byte()?;
            if space > 256 {
                b = (b << 8) | self.byte()?;
            }
            if b < limit {
                return Ok(b % n);
            }
        }
    }

    fn byte(&mut self) -> Result<usize> {
        if self.buf.is_empty() {
            self.buf.resize(64, 0);
            self.kms.random(&mut self.buf)?;
        }
        Ok(usize::from(self.buf.pop().unwrap_or(0)))
    }

    fn pick(&mut self, set: &[u8]) -> Result<u8> {
        let i = self.below(set.len())?;
        set.get(i)
            .copied()
            .ok_or_else(|| Error::internal("index out of range"))
    }
}

impl Kms {
    /// GetRandomPassword.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a length outside 1–4096, when every character is
    /// excluded, or when each included type is required and the length is shorter than
    /// the number of types.
    pub fn random_password(&self, rules: &PasswordRules) -> Result<SecretBytes> {
        self.allow_account()?;
        if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&rules.length) {
            return Err(Error::invalid("PasswordLength", "It must be 1 to 4096."));
        }
        let classes = rules.classes();
        if classes.is_empty() {
            return Err(Error::invalid(
                "ExcludeCharacters",
                "Every character is excluded: nothing is left to make a password of.",
            ));
        }
        if rules.require_each_included_type && rules.length < classes.len() {
            return Err(Error::invalid(
                "PasswordLength",
                format!(
                    "It is shorter than the {} character types that must each appear.",
                    classes.len()
                ),
            ));
        }
        let all: Vec<u8> = classes.concat();
        let mut draws = Draws {
            kms: self,
            buf: zeroize::Zeroizing::new(Vec::new()),
        };
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(rules.length));
        for _ in 0..rules.length {
            out.push(draws.pick(&all)?);
        }
        if rules.require_each_included_type {
            // Distinct random positions, one per type (a partial Fisher–Yates shuffle).
            let mut positions: Vec<usize> = (0..rules.length).collect();
            for (i, class) in classes.iter().enumerate() {
                let j = i + draws.below(rules.length - i)?;
                positions.swap(i, j);
                let at = positions.get(i).copied().unwrap_or(0);
                if let Some(slot) = out.get_mut(at) {
                    *slot = draws.pick(class)?;
                }
            }
        }
        Ok(SecretBytes::from_slice(&out))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::{ControlledClock, Mode};
    use crate::store::MemoryStore;

    fn kms() -> Kms {
        let clock = Arc::new(ControlledClock::new(Mode::Fixed(0)));
        super::super::test_kms(Arc::new(MemoryStore::new()), clock)
    }

    fn rules(length: usize) -> PasswordRules {
        PasswordRules {
            length,
            require_each_included_type: true,
            ..PasswordRules::default()
        }
    }

    #[test]
    fn every_type_appears_and_exclusions_hold() {
        let kms = kms();
        for _ in 0..200 {
            let p = kms.random_password(&rules(8)).unwrap();
            let p = p.expose();
            assert_eq!(p.len(), 8);
            assert!(p.iter().any(u8::is_ascii_lowercase));
            assert!(p.iter().any(u8::is_ascii_uppercase));
            assert!(p.iter().any(u8::is_ascii_digit));
            assert!(p.iter().any(|c| PUNCTUATION.as_bytes().contains(c)));
        }
        let only_some = PasswordRules {
            exclude_characters: "abc".into(),
            exclude_uppercase: true,
            exclude_punctuation: true,
            ..rules(64)
        };
        let p = kms.random_password(&only_some).unwrap();
        assert!(
            p.expose()
                .iter()
                .all(|c| (c.is_ascii_lowercase() && !b"abc".contains(c)) || c.is_ascii_digit())
        );
    }

    #[test]
    fn refusals() {
        let kms = kms();
        for bad in [4097, 0] {
            assert!(matches!(
                kms.random_password(&rules(bad)),
                Err(Error::InvalidParameter {
                    name: "PasswordLength",
                    ..
                })
            ));
        }
        let nothing = PasswordRules {
            exclude_lowercase: true,
            exclude_uppercase: true,
            exclude_numbers: true,
            exclude_characters: PUNCTUATION.into(),
            ..rules(8)
        };
        assert!(matches!(
            kms.random_password(&nothing),
            Err(Error::InvalidParameter {
                name: "ExcludeCharacters",
                ..
            })
        ));
    }

    #[test]
    fn draws_are_uniform() {
        let kms = kms();
        let mut draws = Draws {
            kms: &kms,
            buf: zeroize::Zeroizing::new(Vec::new()),
        };
        // 94 does not divide 256: a plain modulo would favour the first 68 indices by 4/3.
        let mut counts = [0usize; 94];
        for _ in 0..94_000 {
            counts[draws.below(94).unwrap()] += 1;
        }
        let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(*lo > 800 && *hi < 1200, "{lo}..{hi}");
    }

    /// Passwords longer than 256 characters place each required type at a uniform position
    /// too (positions above 255 need two bytes per draw).
    #[test]
    fn long_passwords_finish_and_hold_every_type() {
        let kms = kms();
        for length in [257, 4096] {
            let p = kms.random_password(&rules(length)).unwrap();
            assert_eq!(p.len(), length);
        }
        let mut draws = Draws {
            kms: &kms,
            buf: zeroize::Zeroizing::new(Vec::new()),
        };
        let mut high = 0;
        for _ in 0..4000 {
            if draws.below(4096).unwrap() >= 2048 {
                high += 1;
            }
        }
        assert!((1700..2300).contains(&high), "{high}");
    }
}
