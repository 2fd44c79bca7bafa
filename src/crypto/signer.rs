//! A signing key pair parsed once: the key cache keeps one per version, so that Sign and
//! Verify do not parse PKCS #8 (and, for the NIST curves, recompute the public point) on
//! every call. The libraries' key types clear their private halves when dropped.

use std::fmt;

use aws_lc_rs::signature as sig;

use super::SecretBytes;
use super::asym::{
    AsymError, Result, SM2_DEFAULT_ID, SignInput, ecdsa_signing, ecdsa_verifying, ml_dsa,
    ml_dsa_mu, prehash, public_spki, rsa_padding,
};
use super::random::{Entropy, EntropyRng};
use crate::model::{KeySpec, SigningAlgorithm};

/// The parsed private key of one spec family.
enum Inner {
    Rsa(sig::RsaKeyPair),
    Ecdsa(sig::EcdsaKeyPair),
    MlDsa(sig::PqdsaKeyPair),
    K256(k256::ecdsa::SigningKey),
    Sm2(Box<sm2::dsa::SigningKey>),
}

/// A SIGN/VERIFY key pair of one spec, ready to sign and verify.
pub struct SigningPair {
    spec: KeySpec,
    inner: Inner,
    /// DER SubjectPublicKeyInfo, for the AWS-LC verifiers.
    spki: Vec<u8>,
    /// The PKCS #8 again, for ML-DSA's external-μ path (another library, used rarely).
    pkcs8: SecretBytes,
}

impl fmt::Debug for SigningPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key: only what it is.
        f.debug_struct("SigningPair")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

fn bad_key<E>(_: E) -> AsymError {
    AsymError::BadKey
}

fn lib<E>(_: E) -> AsymError {
    AsymError::Library
}
impl SigningPair {
    /// Parses `private` (PKCS #8 DER) as a signing key of `spec`.
    ///
    /// # Errors
    /// [`AsymError::BadKey`] when it is not one; [`AsymError::Unsupported`] for a spec that
    /// does not sign.
    pub fn parse(spec: KeySpec, private: &[u8]) -> Result<Self> {
        use k256::pkcs8::DecodePrivateKey as _;
        // The public key as GetPublicKey gives it (which also checks an RSA key's size).
        let spki = public_spki(spec, private)?;
        let inner = if matches!(spec, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096) {
            Inner::Rsa(sig::RsaKeyPair::from_pkcs8(private).map_err(bad_key)?)
        } else if let Some(sa) = ecdsa_signing(spec) {
            Inner::Ecdsa(sig::EcdsaKeyPair::from_pkcs8(sa, private).map_err(bad_key)?)
        } else if let Some((sa, _)) = ml_dsa(spec) {
            Inner::MlDsa(sig::PqdsaKeyPair::from_pkcs8(sa, private).map_err(bad_key)?)
        } else if spec == KeySpec::EcP256k {
            Inner::K256(k256::ecdsa::SigningKey::from_pkcs8_der(private).map_err(bad_key)?)
        } else if spec == KeySpec::EcSm2 {
            let secret = sm2::SecretKey::from_pkcs8_der(private).map_err(bad_key)?;
            let key = sm2::dsa::SigningKey::new(SM2_DEFAULT_ID, &secret).map_err(bad_key)?;
            Inner::Sm2(Box::new(key))
        } else {
            return Err(AsymError::Unsupported);
        };
        Ok(Self {
            spec,
            inner,
            spki,
            pkcs8: SecretBytes::from_slice(private),
        })
    }

    /// Signs with `alg` (which the service matched with the spec).
    ///
    /// # Errors
    /// [`AsymError::Unsupported`] for a pairing the service should have refused;
    /// [`AsymError::BadInput`] for a digest the library refuses; [`AsymError::Library`].
    pub fn sign(
        &self,
        alg: SigningAlgorithm,
        input: SignInput<'_>,
        entropy: &dyn Entropy,
    ) -> Result<Vec<u8>> {
        if !self.spec.signing_algorithms().contains(&alg) {
            return Err(AsymError::Unsupported);
        }
        match &self.inner {
            Inner::Rsa(key) => {
                let (padding, _) = rsa_padding(alg).ok_or(AsymError::Unsupported)?;
                let mut out = vec![0u8; key.public_modulus_len()];
                key.sign_digest(padding, &prehash(alg, input)?, &mut out)
                    .map_err(lib)?;
                Ok(out)
            }
            Inner::Ecdsa(key) => {
                let s = key.sign_digest(&prehash(alg, input)?).map_err(lib)?;
                Ok(s.as_ref().to_vec())
            }
            Inner::MlDsa(key) => match input {
                SignInput::Message(msg) => {
                    let mut out = vec![0u8; key.algorithm().signature_len()];
                    let n = key.sign(msg, &mut out).map_err(lib)?;
                    out.truncate(n);
                    Ok(out)
                }
                SignInput::ExternalMu(mu) => {
                    ml_dsa_mu::sign(self.spec, self.pkcs8.expose(), mu, entropy)
                }
                SignInput::Digest(_) => Err(AsymError::Unsupported),
            },
            Inner::K256(key) => {
                use k256::ecdsa::signature::hazmat::PrehashSigner as _;
                let d = prehash(alg, input)?;
                let s: k256::ecdsa::Signature = key.sign_prehash(d.as_ref()).map_err(lib)?;
                Ok(s.to_der().as_bytes().to_vec())
            }
            Inner::Sm2(key) => sign_sm2(key, input, entropy),
        }
    }

    /// Verifies `signature`; one that does not parse is simply not valid: `Ok(false)`.
    ///
    /// # Errors
    /// As [`SigningPair::sign`].
    pub fn verify(
        &self,
        alg: SigningAlgorithm,
        input: SignInput<'_>,
        signature: &[u8],
    ) -> Result<bool> {
        if !self.spec.signing_algorithms().contains(&alg) {
            return Err(AsymError::Unsupported);
        }
        match &self.inner {
            Inner::Rsa(_) => {
                let (_, params) = rsa_padding(alg).ok_or(AsymError::Unsupported)?;
                let key = sig::UnparsedPublicKey::new(params, &self.spki);
                Ok(key.verify_digest(&prehash(alg, input)?, signature).is_ok())
            }
            Inner::Ecdsa(_) => {
                let va = ecdsa_verifying(self.spec).ok_or(AsymError::Unsupported)?;
                let key = sig::UnparsedPublicKey::new(va, &self.spki);
                Ok(key.verify_digest(&prehash(alg, input)?, signature).is_ok())
            }
            Inner::MlDsa(_) => match input {
                SignInput::Message(msg) => {
                    let (_, va) = ml_dsa(self.spec).ok_or(AsymError::Unsupported)?;
                    let key = sig::UnparsedPublicKey::new(va, &self.spki);
                    Ok(key.verify(msg, signature).is_ok())
                }
                SignInput::ExternalMu(mu) => {
                    ml_dsa_mu::verify(self.spec, self.pkcs8.expose(), mu, signature)
                }
                SignInput::Digest(_) => Err(AsymError::Unsupported),
            },
            Inner::K256(key) => verify_k256(key, alg, input, signature),
            Inner::Sm2(key) => verify_sm2(key, input, signature),
        }
    }

    /// The public key, DER SubjectPublicKeyInfo.
    #[must_use]
    pub fn spki(&self) -> &[u8] {
        &self.spki
    }
}

fn sign_sm2(
    key: &sm2::dsa::SigningKey,
    input: SignInput<'_>,
    entropy: &dyn Entropy,
) -> Result<Vec<u8>> {
    use sm2::dsa::signature::RandomizedSigner as _;
    use sm2::dsa::signature::hazmat::RandomizedPrehashSigner as _;
    let mut rng = EntropyRng(entropy);
    let s: sm2::dsa::Signature = match input {
        SignInput::Digest(e) => key
            .sign_prehash_with_rng(&mut rng, e)
            .map_err(|_| AsymError::BadInput)?,
        SignInput::Message(m) => key.try_sign_with_rng(&mut rng, m).map_err(lib)?,
        SignInput::ExternalMu(_) => return Err(AsymError::Unsupported),
    };
    Ok(s.to_der().as_bytes().to_vec())
}

fn verify_k256(
    key: &k256::ecdsa::SigningKey,
    alg: SigningAlgorithm,
    input: SignInput<'_>,
    signature: &[u8],
) -> Result<bool> {
    use k256::ecdsa::signature::hazmat::PrehashVerifier as _;
    let d = prehash(alg, input)?;
    let Ok(s) = k256::ecdsa::Signature::from_der(signature) else {
        return Ok(false);
    };
    // k256 refuses high-S signatures, which OpenSSL and most wallets make half the time;
    // ECDSA itself accepts both, and so does the service.
    let s = s.normalize_s();
    Ok(key.verifying_key().verify_prehash(d.as_ref(), &s).is_ok())
}

fn verify_sm2(key: &sm2::dsa::SigningKey, input: SignInput<'_>, signature: &[u8]) -> Result<bool> {
    use sm2::dsa::signature::Verifier as _;
    use sm2::dsa::signature::hazmat::PrehashVerifier as _;
    let key = key.verifying_key();
    // DER as the service emits; a 64-byte r ‖ s is accepted too (harmless leniency).
    let parsed = sm2::dsa::Signature::from_der(signature)
        .or_else(|_| sm2::dsa::Signature::from_slice(signature));
    let Ok(s) = parsed else {
        return Ok(false);
    };
    Ok(match input {
        SignInput::Digest(e) => key.verify_prehash(e, &s).is_ok(),
        SignInput::Message(m) => key.verify(m, &s).is_ok(),
        SignInput::ExternalMu(_) => return Err(AsymError::Unsupported),
    })
}
