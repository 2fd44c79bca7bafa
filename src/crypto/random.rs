//! The entropy source. Every random choice the KMS makes (IDs, nonces, tokens, generated
//! material, data keys) goes through one [`Entropy`] value, so a later deterministic mode
//! only has to swap this one object.

use std::fmt;

/// A source of random bytes.
pub trait Entropy: Send + Sync + fmt::Debug {
    /// Fills `buf` with random bytes.
    ///
    /// # Errors
    /// Fails only if the operating system's generator is unavailable.
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError>;
}

/// The operating system's generator could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct RandomError;

/// A fresh lowercase UUID (v4 layout) from `entropy`: key IDs, version IDs and request IDs
/// all come from the one source, so a deterministic source reproduces them all.
///
/// # Errors
/// The source failed.
pub fn new_uuid(entropy: &dyn Entropy) -> Result<String, RandomError> {
    let mut bytes = [0u8; 16];
    entropy.fill(&mut bytes)?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string())
}

/// The operating system's cryptographic generator (`getrandom`).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError> {
        getrandom::fill(buf).map_err(|_| RandomError)
    }
}

/// A deterministic generator for `--deterministic SEED`: HMAC-SHA-256 in counter mode
/// under a key derived from the seed. The same seed and the same sequence of requests give
/// the same bytes. FOR TESTS ONLY: anyone who knows the seed knows every key.
pub struct DeterministicEntropy {
    key: super::SecretBytes,
    state: std::sync::Mutex<DrbgState>,
}

#[derive(Default)]
struct DrbgState {
    counter: u64,
    buffer: Vec<u8>,
}

impl fmt::Debug for DeterministicEntropy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeterministicEntropy([REDACTED])")
    }
}

impl DeterministicEntropy {
    /// A generator seeded with `seed`.
    #[must_use]
    pub fn new(seed: &str) -> Self {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(b"qkms deterministic v1\0");
        h.update(seed.as_bytes());
        Self {
            key: super::SecretBytes::new(h.finalize().to_vec()),
            state: std::sync::Mutex::new(DrbgState::default()),
        }
    }
}

impl Entropy for DeterministicEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError> {
        let mut state = self.state.lock().map_err(|_| RandomError)?;
        let mut filled = 0;
        while filled < buf.len() {
            if state.buffer.is_empty() {
                let block = super::root::hmac_sha256(&self.key, &state.counter.to_be_bytes());
                state.counter += 1;
                state.buffer = block;
            }
            let take = (buf.len() - filled).min(state.buffer.len());
            let chunk: Vec<u8> = state.buffer.drain(..take).collect();
            if let Some(dst) = buf.get_mut(filled..filled + take) {
                dst.copy_from_slice(&chunk);
            }
            filled += take;
        }
        Ok(())
    }
}

/// Adapts an [`Entropy`] to the `rand_core` traits, for key generation that must draw
/// from the service's source (deterministic RSA wrapping keys).
pub struct EntropyRng<'a>(pub &'a dyn Entropy);

impl rsa::rand_core::TryRng for EntropyRng<'_> {
    type Error = RandomError;

    fn try_next_u32(&mut self) -> Result<u32, RandomError> {
        let mut b = [0u8; 4];
        self.0.fill(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, RandomError> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), RandomError> {
        self.0.fill(dst)
    }
}

impl rsa::rand_core::TryCryptoRng for EntropyRng<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_entropy_repeats_per_seed() {
        let (a, b, c) = (
            DeterministicEntropy::new("s"),
            DeterministicEntropy::new("s"),
            DeterministicEntropy::new("t"),
        );
        let mut x = [0u8; 50];
        let mut y = [0u8; 20];
        let mut y2 = [0u8; 30];
        let mut z = [0u8; 50];
        a.fill(&mut x).unwrap();
        b.fill(&mut y).unwrap();
        b.fill(&mut y2).unwrap();
        c.fill(&mut z).unwrap();
        assert_eq!(&x[..20], &y);
        assert_eq!(&x[20..], &y2);
        assert_ne!(x, z);
    }
}
