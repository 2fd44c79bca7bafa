//! Key pairs: generation, the public key, signing, verification, public-key encryption,
//! ECDH and ML-KEM, for every asymmetric [`KeySpec`].
//!
//! The private key is held as its PKCS #8 DER (ML-KEM: the FIPS 203 decapsulation key
//! bytes, which have no PKCS #8 form in AWS-LC), sealed at rest like symmetric material and
//! parsed per operation. Which library does what, and why (the crypto sheet measured them):
//!
//! | spec | library |
//! |---|---|
//! | RSA, NIST P-256/384/521, ML-DSA, ML-KEM | `aws-lc-rs` (constant-time, blinded RSA; 7× the pure-Rust RSA rate) |
//! | secp256k1 | RustCrypto `k256` (verify normalises high-S first, so OpenSSL's signatures verify) |
//! | SM2 (SM2DSA, SM2PKE, ECDH) | RustCrypto `sm2` with `sm3` (AWS-LC has no ShangMi) |
//!
//! Every caller-supplied digest is signed as given: nothing here hashes it again.

use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey,
    OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use base64::Engine as _;

use super::SecretBytes;
use super::random::{Entropy, EntropyRng};
use super::signer::SigningPair;
use super::sm2pke;
use crate::model::{AsymmetricAlgorithm, KeySpec, SigningAlgorithm};

/// The SM2 signer ID every Alibaba and AWS client uses (GB/T 35276 default).
pub const SM2_DEFAULT_ID: &str = "1234567812345678";

/// Why a key-pair operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AsymError {
    /// The spec does not do this (a caller mistake the service checks first, so this is
    /// a second line of defence).
    #[error("the key spec does not support this operation")]
    Unsupported,
    /// The caller's input (a ciphertext, a peer public key) is not valid for this key.
    #[error("the input is not valid for this key")]
    BadInput,
    /// The private key does not parse as a key of its spec (imported material of another
    /// kind, or a damaged record).
    #[error("the private key is not a key of this spec")]
    BadKey,
    /// The library failed (entropy, encoding).
    #[error("the cryptographic library failed")]
    Library,
}

/// A key-pair operation's result.
pub type Result<T> = std::result::Result<T, AsymError>;

/// What a signature covers.
#[derive(Debug, Clone, Copy)]
pub enum SignInput<'a> {
    /// A digest the caller computed with the algorithm's hash (for SM2DSA: e = SM3(Z_A ‖ M)).
    Digest(&'a [u8]),
    /// The message itself, hashed here (for ML-DSA: signed as it is).
    Message(&'a [u8]),
    /// ML-DSA's 64-byte message representative μ, computed by the caller.
    ExternalMu(&'a [u8]),
}

fn lib<E>(_: E) -> AsymError {
    AsymError::Library
}

fn bad_key<E>(_: E) -> AsymError {
    AsymError::BadKey
}

fn rsa_size(spec: KeySpec) -> Option<KeySize> {
    match spec {
        KeySpec::Rsa2048 => Some(KeySize::Rsa2048),
        KeySpec::Rsa3072 => Some(KeySize::Rsa3072),
        KeySpec::Rsa4096 => Some(KeySize::Rsa4096),
        _ => None,
    }
}

fn rsa_bits(spec: KeySpec) -> usize {
    match spec {
        KeySpec::Rsa2048 => 2048,
        KeySpec::Rsa3072 => 3072,
        _ => 4096,
    }
}

pub(super) fn ecdsa_signing(spec: KeySpec) -> Option<&'static sig::EcdsaSigningAlgorithm> {
    match spec {
        KeySpec::EcP256 => Some(&sig::ECDSA_P256_SHA256_ASN1_SIGNING),
        KeySpec::EcP384 => Some(&sig::ECDSA_P384_SHA384_ASN1_SIGNING),
        KeySpec::EcP521 => Some(&sig::ECDSA_P521_SHA512_ASN1_SIGNING),
        _ => None,
    }
}

pub(super) fn ecdsa_verifying(spec: KeySpec) -> Option<&'static sig::EcdsaVerificationAlgorithm> {
    match spec {
        KeySpec::EcP256 => Some(&sig::ECDSA_P256_SHA256_ASN1),
        KeySpec::EcP384 => Some(&sig::ECDSA_P384_SHA384_ASN1),
        KeySpec::EcP521 => Some(&sig::ECDSA_P521_SHA512_ASN1),
        _ => None,
    }
}

pub(super) fn ml_dsa(
    spec: KeySpec,
) -> Option<(
    &'static sig::PqdsaSigningAlgorithm,
    &'static sig::PqdsaVerificationAlgorithm,
)> {
    match spec {
        KeySpec::MlDsa44 => Some((&sig::ML_DSA_44_SIGNING, &sig::ML_DSA_44)),
        KeySpec::MlDsa65 => Some((&sig::ML_DSA_65_SIGNING, &sig::ML_DSA_65)),
        KeySpec::MlDsa87 => Some((&sig::ML_DSA_87_SIGNING, &sig::ML_DSA_87)),
        _ => None,
    }
}

fn ml_kem(
    spec: KeySpec,
) -> Option<&'static aws_lc_rs::kem::Algorithm<aws_lc_rs::kem::AlgorithmId>> {
    match spec {
        KeySpec::MlKem512 => Some(&aws_lc_rs::kem::ML_KEM_512),
        KeySpec::MlKem768 => Some(&aws_lc_rs::kem::ML_KEM_768),
        KeySpec::MlKem1024 => Some(&aws_lc_rs::kem::ML_KEM_1024),
        _ => None,
    }
}

/// Generates a fresh private key of `spec`, as it is stored. RSA takes tens to hundreds
/// of milliseconds: call it off the async executor.
///
/// # Errors
/// [`AsymError::Unsupported`] for a spec that is not a key pair; [`AsymError::Library`].
pub fn generate(spec: KeySpec, entropy: &dyn Entropy) -> Result<SecretBytes> {
    if let Some(size) = rsa_size(spec) {
        let key = sig::RsaKeyPair::generate(size).map_err(lib)?;
        let der: Pkcs8V1Der<'static> = key.as_der().map_err(lib)?;
        return Ok(SecretBytes::from_slice(der.as_ref()));
    }
    if let Some(alg) = ecdsa_signing(spec) {
        let key = sig::EcdsaKeyPair::generate(alg).map_err(lib)?;
        let der = key.to_pkcs8v1().map_err(lib)?;
        return Ok(SecretBytes::from_slice(der.as_ref()));
    }
    if let Some((alg, _)) = ml_dsa(spec) {
        let key = sig::PqdsaKeyPair::generate(alg).map_err(lib)?;
        let der = key.to_pkcs8v1().map_err(lib)?;
        return Ok(SecretBytes::from_slice(der.as_ref()));
    }
    if let Some(alg) = ml_kem(spec) {
        let key = aws_lc_rs::kem::DecapsulationKey::generate(alg).map_err(lib)?;
        let bytes = key.key_bytes().map_err(lib)?;
        return Ok(SecretBytes::from_slice(bytes.as_ref()));
    }
    use k256::pkcs8::EncodePrivateKey as _;
    let der = match spec {
        KeySpec::EcP256k => {
            let key = random_scalar(entropy, |b| k256::SecretKey::from_slice(b).ok())?;
            key.to_pkcs8_der().map_err(lib)?
        }
        KeySpec::EcSm2 => {
            let key = random_scalar(entropy, |b| sm2::SecretKey::from_slice(b).ok())?;
            key.to_pkcs8_der().map_err(lib)?
        }
        _ => return Err(AsymError::Unsupported),
    };
    Ok(SecretBytes::from_slice(der.as_bytes()))
}

/// A uniformly random private scalar drawn from the service's entropy by rejection
/// sampling (the curve crates' own `random` wants an infallible RNG, which an
/// [`Entropy`] is not). Both curves' orders are within 2^-32 of 2^256, so a retry is
/// rare; 64 failures in a row means the entropy is broken.
fn random_scalar<K>(entropy: &dyn Entropy, parse: impl Fn(&[u8]) -> Option<K>) -> Result<K> {
    random_scalar_of(32, entropy, parse)
}

/// As [`random_scalar`] for `len` bytes; for P-521 (66 bytes) the top byte is masked to the
/// order's 521 bits, so that about half the draws succeed rather than one in 128.
fn random_scalar_of<K>(
    len: usize,
    entropy: &dyn Entropy,
    parse: impl Fn(&[u8]) -> Option<K>,
) -> Result<K> {
    let mut buf = zeroize::Zeroizing::new(vec![0u8; len]);
    for _ in 0..64 {
        entropy.fill(buf.as_mut()).map_err(lib)?;
        if len == 66
            && let Some(top) = buf.first_mut()
        {
            *top &= 0x01;
        }
        if let Some(k) = parse(buf.as_ref()) {
            return Ok(k);
        }
    }
    Err(AsymError::Library)
}

/// A key pair of `spec` drawn from `entropy` alone, for `--deterministic`: the same seed
/// gives the same keys every run. RSA comes from the pure-Rust `rsa` crate (slower, so for
/// this mode only), NIST curves from a sampled scalar, ML-DSA from a FIPS 204 seed;
/// secp256k1 and SM2 always draw from `entropy`. ML-KEM keys stay random: AWS-LC takes
/// no seed for them.
///
/// # Errors
/// [`AsymError::Library`] if generation or encoding fails.
pub fn generate_from(spec: KeySpec, entropy: &dyn Entropy) -> Result<SecretBytes> {
    use aws_lc_rs::agreement;
    if rsa_size(spec).is_some() {
        use rsa::pkcs8::EncodePrivateKey as _;
        let key = rsa::PrivateKey::new(&mut EntropyRng(entropy), rsa_bits(spec)).map_err(lib)?;
        let der = key.to_pkcs8_der().map_err(lib)?;
        return Ok(SecretBytes::from_slice(der.as_bytes()));
    }
    if let Some(sa) = ecdsa_signing(spec) {
        let (ka, len) = match spec {
            KeySpec::EcP384 => (&agreement::ECDH_P384, 48),
            KeySpec::EcP521 => (&agreement::ECDH_P521, 66),
            _ => (&agreement::ECDH_P256, 32),
        };
        let key = random_scalar_of(len, entropy, |b| {
            agreement::PrivateKey::from_private_key(ka, b).ok()
        })?;
        let sec1: aws_lc_rs::encoding::EcPrivateKeyRfc5915Der<'static> =
            key.as_der().map_err(lib)?;
        let pair = sig::EcdsaKeyPair::from_private_key_der(sa, sec1.as_ref()).map_err(lib)?;
        let der = pair.to_pkcs8v1().map_err(lib)?;
        return Ok(SecretBytes::from_slice(der.as_ref()));
    }
    if let Some((sa, _)) = ml_dsa(spec) {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        entropy.fill(seed.as_mut()).map_err(lib)?;
        let pair = sig::PqdsaKeyPair::from_seed(sa, seed.as_ref()).map_err(lib)?;
        let der = pair.to_pkcs8v1().map_err(lib)?;
        return Ok(SecretBytes::from_slice(der.as_ref()));
    }
    generate(spec, entropy)
}

/// Checks that `private` (an imported PKCS #8 DER) is a private key of `spec` and returns
/// it as qkms stores it.
///
/// # Errors
/// [`AsymError::BadKey`] when it is not.
pub fn check_private(spec: KeySpec, private: &[u8]) -> Result<SecretBytes> {
    if ml_kem(spec).is_some() {
        // AWS does not import ML-KEM keys either.
        return Err(AsymError::Unsupported);
    }
    public_spki(spec, private)?;
    Ok(SecretBytes::from_slice(private))
}

/// The public key of `private`, as DER SubjectPublicKeyInfo.
///
/// # Errors
/// [`AsymError::BadKey`] when `private` is not a key of `spec`.
pub fn public_spki(spec: KeySpec, private: &[u8]) -> Result<Vec<u8>> {
    if rsa_size(spec).is_some() {
        let key = sig::RsaKeyPair::from_pkcs8(private).map_err(bad_key)?;
        if key.public_modulus_len() * 8 != rsa_bits(spec) {
            return Err(AsymError::BadKey);
        }
        let der: PublicKeyX509Der<'static> = key.public_key().as_der().map_err(lib)?;
        return Ok(der.as_ref().to_vec());
    }
    if let Some(alg) = ecdsa_signing(spec) {
        let key = sig::EcdsaKeyPair::from_pkcs8(alg, private).map_err(bad_key)?;
        let der: PublicKeyX509Der<'static> = key.public_key().as_der().map_err(lib)?;
        return Ok(der.as_ref().to_vec());
    }
    if let Some((alg, _)) = ml_dsa(spec) {
        let key = sig::PqdsaKeyPair::from_pkcs8(alg, private).map_err(bad_key)?;
        let der: PublicKeyX509Der<'static> = key.public_key().as_der().map_err(lib)?;
        return Ok(der.as_ref().to_vec());
    }
    if ml_kem(spec).is_some() {
        return ml_kem_spki(spec, ml_kem_public(spec, private)?);
    }
    use k256::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _};
    let der = match spec {
        KeySpec::EcP256k => k256::SecretKey::from_pkcs8_der(private)
            .map_err(bad_key)?
            .public_key()
            .to_public_key_der()
            .map_err(lib)?,
        KeySpec::EcSm2 => sm2::SecretKey::from_pkcs8_der(private)
            .map_err(bad_key)?
            .public_key()
            .to_public_key_der()
            .map_err(lib)?,
        _ => return Err(AsymError::Unsupported),
    };
    Ok(der.as_bytes().to_vec())
}

/// The encapsulation key inside an ML-KEM decapsulation key. FIPS 203 §7.3 lays the
/// decapsulation key out as `dk_PKE ‖ ek ‖ H(ek) ‖ z` with `|dk_PKE| = |ek| − 32`;
/// aws-lc-rs cannot derive `ek` from a decapsulation key it did not generate itself.
fn ml_kem_public(spec: KeySpec, private: &[u8]) -> Result<&[u8]> {
    // FIPS 203 Table 3: |ek| = 384k + 32 and |dk| = 768k + 96 for k = 2, 3, 4.
    let ek_len = match spec {
        KeySpec::MlKem512 => 800,
        KeySpec::MlKem768 => 1184,
        KeySpec::MlKem1024 => 1568,
        _ => return Err(AsymError::Unsupported),
    };
    if private.len() != 2 * ek_len + 32 {
        return Err(AsymError::BadKey);
    }
    private
        .get(ek_len - 32..2 * ek_len - 32)
        .ok_or(AsymError::BadKey)
}

/// The FIPS 203 object identifiers (NIST CSOR, id-alg-ml-kem-*).
fn ml_kem_spki(spec: KeySpec, raw: &[u8]) -> Result<Vec<u8>> {
    use der::Encode as _;
    let oid = match spec {
        KeySpec::MlKem512 => "2.16.840.1.101.3.4.4.1",
        KeySpec::MlKem768 => "2.16.840.1.101.3.4.4.2",
        _ => "2.16.840.1.101.3.4.4.3",
    };
    let info = spki::SubjectPublicKeyInfoRef {
        algorithm: spki::AlgorithmIdentifierRef {
            oid: der::asn1::ObjectIdentifier::new(oid).map_err(lib)?,
            parameters: None,
        },
        subject_public_key: der::asn1::BitStringRef::from_bytes(raw).map_err(lib)?,
    };
    info.to_der().map_err(lib)
}

/// PEM SubjectPublicKeyInfo as Aliyun's GetPublicKey returns it: base64 in 64-character
/// lines, `\n` line ends and a trailing `\n`.
#[must_use]
pub fn pem(spki: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(spki);
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 64);
    out.push_str("-----BEGIN PUBLIC KEY-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END PUBLIC KEY-----\n");
    out
}

fn digest_algorithm(alg: SigningAlgorithm) -> &'static digest::Algorithm {
    match alg.digest_len() {
        48 => &digest::SHA384,
        64 => &digest::SHA512,
        _ => &digest::SHA256,
    }
}

/// The digest the algorithm signs: the caller's (length checked by the service), or the
/// message hashed with the algorithm's hash.
pub(super) fn prehash(alg: SigningAlgorithm, input: SignInput<'_>) -> Result<Digest> {
    let d = digest_algorithm(alg);
    match input {
        SignInput::Digest(bytes) => {
            Digest::import_less_safe(bytes, d).map_err(|_| AsymError::BadInput)
        }
        SignInput::Message(msg) => Ok(digest::digest(d, msg)),
        SignInput::ExternalMu(_) => Err(AsymError::Unsupported),
    }
}

pub(super) fn rsa_padding(
    alg: SigningAlgorithm,
) -> Option<(&'static dyn sig::RsaEncoding, &'static sig::RsaParameters)> {
    use SigningAlgorithm as S;
    Some(match alg {
        S::RsaPssSha256 => (&sig::RSA_PSS_SHA256, &sig::RSA_PSS_2048_8192_SHA256),
        S::RsaPssSha384 => (&sig::RSA_PSS_SHA384, &sig::RSA_PSS_2048_8192_SHA384),
        S::RsaPssSha512 => (&sig::RSA_PSS_SHA512, &sig::RSA_PSS_2048_8192_SHA512),
        S::RsaPkcs1Sha256 => (&sig::RSA_PKCS1_SHA256, &sig::RSA_PKCS1_2048_8192_SHA256),
        S::RsaPkcs1Sha384 => (&sig::RSA_PKCS1_SHA384, &sig::RSA_PKCS1_2048_8192_SHA384),
        S::RsaPkcs1Sha512 => (&sig::RSA_PKCS1_SHA512, &sig::RSA_PKCS1_2048_8192_SHA512),
        _ => return None,
    })
}

/// Signs with `private` (a key of `spec`, which the service matched with `alg`).
///
/// # Errors
/// [`AsymError::Unsupported`] for a pairing of spec, algorithm and input the service
/// should have refused; [`AsymError::BadKey`]; [`AsymError::Library`].
pub fn sign(
    spec: KeySpec,
    private: &[u8],
    alg: SigningAlgorithm,
    input: SignInput<'_>,
    entropy: &dyn Entropy,
) -> Result<Vec<u8>> {
    SigningPair::parse(spec, private)?.sign(alg, input, entropy)
}

/// ML-DSA over an external μ (FIPS 204 Algorithm 7 line 6 computed by the caller), with
/// RustCrypto's `ml-dsa`: AWS-LC signs and verifies whole messages only. The key is the
/// same PKCS #8 (seed form) that AWS-LC writes, so both libraries sign with one key.
pub(super) mod ml_dsa_mu {
    use ml_dsa::{MlDsa44, MlDsa65, MlDsa87, Signature, SigningKey};
    use sm2::pkcs8::PrivateKeyInfoRef;

    use super::{AsymError, Entropy, EntropyRng, KeySpec, Result};

    fn mu(bytes: &[u8]) -> Result<[u8; 64]> {
        bytes.try_into().map_err(|_| AsymError::BadInput)
    }

    // A macro per parameter set rather than a generic function: the crate's PKCS #8 bounds
    // are several traits deep, and the three arms are otherwise identical.
    macro_rules! with_key {
        ($spec:expr, $private:expr, |$key:ident, $p:ident| $body:expr) => {{
            let info = PrivateKeyInfoRef::try_from($private).map_err(|_| AsymError::BadKey)?;
            match $spec {
                KeySpec::MlDsa44 => {
                    type $p = MlDsa44;
                    let $key = SigningKey::<$p>::try_from(info).map_err(|_| AsymError::BadKey)?;
                    $body
                }
                KeySpec::MlDsa65 => {
                    type $p = MlDsa65;
                    let $key = SigningKey::<$p>::try_from(info).map_err(|_| AsymError::BadKey)?;
                    $body
                }
                KeySpec::MlDsa87 => {
                    type $p = MlDsa87;
                    let $key = SigningKey::<$p>::try_from(info).map_err(|_| AsymError::BadKey)?;
                    $body
                }
                _ => Err(AsymError::Unsupported),
            }
        }};
    }

    /// Signs the 64-byte μ.
    pub(in crate::crypto) fn sign(
        spec: KeySpec,
        private: &[u8],
        m: &[u8],
        entropy: &dyn Entropy,
    ) -> Result<Vec<u8>> {
        let m = mu(m)?.into();
        with_key!(spec, private, |key, P| {
            let s = key
                .expanded_key()
                .sign_mu_randomized(&m, &mut EntropyRng(entropy))
                .map_err(|_| AsymError::Library)?;
            Ok(s.encode().to_vec())
        })
    }

    /// Verifies a signature over the 64-byte μ; one that does not decode is not valid.
    pub(in crate::crypto) fn verify(
        spec: KeySpec,
        private: &[u8],
        m: &[u8],
        signature: &[u8],
    ) -> Result<bool> {
        let m = mu(m)?.into();
        with_key!(spec, private, |key, P| {
            let decoded = signature.try_into().ok().and_then(Signature::<P>::decode);
            Ok(decoded.is_some_and(|s| key.expanded_key().verifying_key().verify_mu(&m, &s)))
        })
    }
}

/// Verifies `signature` with the public half of `private`. A signature that does not
/// parse is simply not valid: `Ok(false)`.
///
/// # Errors
/// As [`sign`].
pub fn verify(
    spec: KeySpec,
    private: &[u8],
    alg: SigningAlgorithm,
    input: SignInput<'_>,
    signature: &[u8],
) -> Result<bool> {
    SigningPair::parse(spec, private)?.verify(alg, input, signature)
}

/// Encrypts `plaintext` to the public half of `private` (size checked by the service).
///
/// # Errors
/// As [`sign`].
pub fn encrypt(
    spec: KeySpec,
    private: &[u8],
    alg: AsymmetricAlgorithm,
    plaintext: &[u8],
    entropy: &dyn Entropy,
) -> Result<Vec<u8>> {
    if !spec.encryption_algorithms().contains(&alg) {
        return Err(AsymError::Unsupported);
    }
    if spec == KeySpec::EcSm2 {
        use k256::pkcs8::DecodePrivateKey as _;
        let secret = sm2::SecretKey::from_pkcs8_der(private).map_err(bad_key)?;
        return sm2pke::encrypt(&secret.public_key(), plaintext, entropy);
    }
    let public = PublicEncryptingKey::from_der(&public_spki(spec, private)?).map_err(lib)?;
    let key = OaepPublicEncryptingKey::new(public).map_err(lib)?;
    let mut out = vec![0u8; key.ciphertext_size()];
    let oaep = if alg == AsymmetricAlgorithm::RsaOaepSha1 {
        &OAEP_SHA1_MGF1SHA1
    } else {
        &OAEP_SHA256_MGF1SHA256
    };
    let n = key
        .encrypt(oaep, plaintext, &mut out, None)
        .map_err(|_| AsymError::BadInput)?
        .len();
    out.truncate(n);
    Ok(out)
}

/// Decrypts a standard ciphertext (RSAES-OAEP of exactly k bytes; SM2 in any layout
/// [`sm2pke::decrypt`] accepts).
///
/// # Errors
/// [`AsymError::BadInput`] when it does not decrypt under this key and algorithm.
pub fn decrypt(
    spec: KeySpec,
    private: &[u8],
    alg: AsymmetricAlgorithm,
    ciphertext: &[u8],
) -> Result<SecretBytes> {
    if !spec.encryption_algorithms().contains(&alg) {
        return Err(AsymError::Unsupported);
    }
    if spec == KeySpec::EcSm2 {
        use k256::pkcs8::DecodePrivateKey as _;
        let secret = sm2::SecretKey::from_pkcs8_der(private).map_err(bad_key)?;
        return sm2pke::decrypt(&secret, ciphertext);
    }
    let key = PrivateDecryptingKey::from_pkcs8(private).map_err(bad_key)?;
    if ciphertext.len() != key.key_size_bytes() {
        return Err(AsymError::BadInput);
    }
    let key = OaepPrivateDecryptingKey::new(key).map_err(lib)?;
    let mut out = zeroize::Zeroizing::new(vec![0u8; ciphertext.len()]);
    let oaep = if alg == AsymmetricAlgorithm::RsaOaepSha1 {
        &OAEP_SHA1_MGF1SHA1
    } else {
        &OAEP_SHA256_MGF1SHA256
    };
    key.decrypt(oaep, ciphertext, &mut out, None)
        .map(|p| SecretBytes::from_slice(p))
        .map_err(|_| AsymError::BadInput)
}

/// ECDH: the shared secret (the x-coordinate of d·Q) of `private` and the peer's public
/// key, given as DER SubjectPublicKeyInfo.
///
/// # Errors
/// [`AsymError::BadInput`] for a peer key that is not a point of the key's curve.
pub fn derive_shared_secret(
    spec: KeySpec,
    private: &[u8],
    peer_spki: &[u8],
) -> Result<SecretBytes> {
    use aws_lc_rs::agreement;
    let alg = match spec {
        KeySpec::EcP256 => &agreement::ECDH_P256,
        KeySpec::EcP384 => &agreement::ECDH_P384,
        KeySpec::EcP521 => &agreement::ECDH_P521,
        KeySpec::EcSm2 => return sm2pke::ecdh(private, peer_spki),
        _ => return Err(AsymError::Unsupported),
    };
    let key = agreement::PrivateKey::from_private_key_der(alg, private).map_err(bad_key)?;
    let peer = agreement::UnparsedPublicKey::new(alg, peer_spki);
    agreement::agree(&key, peer, AsymError::BadInput, |s| {
        Ok(SecretBytes::from_slice(s))
    })
}

/// ML-KEM encapsulation to the public half of `private`: (ciphertext, shared secret).
///
/// # Errors
/// As [`sign`].
pub fn encapsulate(spec: KeySpec, private: &[u8]) -> Result<(Vec<u8>, SecretBytes)> {
    let alg = ml_kem(spec).ok_or(AsymError::Unsupported)?;
    let public = aws_lc_rs::kem::EncapsulationKey::new(alg, ml_kem_public(spec, private)?)
        .map_err(bad_key)?;
    let (ct, secret) = public.encapsulate().map_err(lib)?;
    Ok((
        ct.as_ref().to_vec(),
        SecretBytes::from_slice(secret.as_ref()),
    ))
}

/// ML-KEM decapsulation.
///
/// # Errors
/// [`AsymError::BadInput`] for a ciphertext of the wrong length.
pub fn decapsulate(spec: KeySpec, private: &[u8], ciphertext: &[u8]) -> Result<SecretBytes> {
    let alg = ml_kem(spec).ok_or(AsymError::Unsupported)?;
    let key = aws_lc_rs::kem::DecapsulationKey::new(alg, private).map_err(bad_key)?;
    let secret = key
        .decapsulate(ciphertext.into())
        .map_err(|_| AsymError::BadInput)?;
    Ok(SecretBytes::from_slice(secret.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::random::OsEntropy;
    use base64::engine::general_purpose::STANDARD as B64;

    const SM2_EXAMPLE_D: &str = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";

    fn sm2_example_key() -> Vec<u8> {
        use k256::pkcs8::EncodePrivateKey as _;
        let d = hex::decode(SM2_EXAMPLE_D).unwrap();
        let key = sm2::SecretKey::from_slice(&d).unwrap();
        key.to_pkcs8_der().unwrap().as_bytes().to_vec()
    }

    /// The crypto sheet's §9 vectors: the example key's GetPublicKey body, its PEM shape,
    /// and the standard signature over `e = SM3(Z_A ‖ "message digest")` in DER and r‖s.
    #[test]
    fn sm2_known_answers() {
        let private = sm2_example_key();
        let spki = public_spki(KeySpec::EcSm2, &private).unwrap();
        let body = "MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAECfnfMR5UIaFQ3X0WHkvFxnIXn60YM/wHa7CP81bzUCDM6kkM4md1pS3G6nGMwapgCu0F+/NeCEpmMvYHLamtEw==";
        assert_eq!(B64.encode(&spki), body);
        assert_eq!(
            pem(&spki),
            format!(
                "-----BEGIN PUBLIC KEY-----\n{}\n{}\n-----END PUBLIC KEY-----\n",
                &body[..64],
                &body[64..]
            )
        );
        let e = B64
            .decode("8LQ+lLpFrMqs5pLtU0OC6xfmq1oZznsx9Ehv38DShkA=")
            .unwrap();
        let der = B64
            .decode("MEYCIQD1oDsGSNLEYw7qxRPhu4GhWUTaOCfVt0FDrH6s7ucgswIhALG2qinfIS/YdjGCvA1CHKG7kDj9H39C1IQLacSFu8Gq")
            .unwrap();
        let rs = hex::decode("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA").unwrap();
        let alg = SigningAlgorithm::Sm2Dsa;
        let input = SignInput::Digest(&e);
        assert!(verify(KeySpec::EcSm2, &private, alg, input, &der).unwrap());
        assert!(verify(KeySpec::EcSm2, &private, alg, input, &rs).unwrap());
        let mut wrong = e.clone();
        wrong[0] ^= 1;
        assert!(
            !verify(
                KeySpec::EcSm2,
                &private,
                alg,
                SignInput::Digest(&wrong),
                &der
            )
            .unwrap()
        );
        // A signature over the message verifies against the digest with the default ID.
        let sig = sign(
            KeySpec::EcSm2,
            &private,
            alg,
            SignInput::Message(b"message digest"),
            &OsEntropy,
        )
        .unwrap();
        assert!(verify(KeySpec::EcSm2, &private, alg, input, &sig).unwrap());
        assert_eq!(sig[0], 0x30, "SM2DSA signatures are DER");
    }

    /// The SPKI algorithm OIDs of every curve, as the sheet's matrix gives them.
    #[test]
    fn public_keys_carry_the_curve_oids() {
        for (spec, oid) in [
            (KeySpec::EcP256, "06082a8648ce3d030107"),
            (KeySpec::EcP256k, "06052b8104000a"),
            (KeySpec::EcSm2, "06082a811ccf5501822d"),
            (KeySpec::EcP384, "06052b81040022"),
            (KeySpec::Rsa2048, "06092a864886f70d010101"),
            (KeySpec::MlKem768, "0609608648016503040402"),
        ] {
            let private = generate(spec, &OsEntropy).unwrap();
            let spki = hex::encode(public_spki(spec, private.expose()).unwrap());
            assert!(spki.contains(oid), "{spec:?}: {spki}");
        }
    }

    /// Every spec signs and verifies with each of its algorithms, over a digest and a
    /// message; RSA signatures are exactly the modulus length, ECDSA ones DER.
    #[test]
    fn every_signing_spec_round_trips() {
        for spec in [
            KeySpec::Rsa2048,
            KeySpec::EcP256,
            KeySpec::EcP256k,
            KeySpec::EcP384,
            KeySpec::EcP521,
            KeySpec::EcSm2,
            KeySpec::MlDsa44,
        ] {
            let private = generate(spec, &OsEntropy).unwrap();
            for &alg in spec.signing_algorithms() {
                let digest = vec![0x5a; alg.digest_len()];
                let inputs = if alg == SigningAlgorithm::MlDsaShake256 {
                    vec![SignInput::Message(b"hello")]
                } else {
                    vec![SignInput::Digest(&digest), SignInput::Message(b"hello")]
                };
                for input in inputs {
                    let s = sign(spec, private.expose(), alg, input, &OsEntropy).unwrap();
                    if spec == KeySpec::Rsa2048 {
                        assert_eq!(s.len(), 256);
                    } else if alg != SigningAlgorithm::MlDsaShake256 {
                        assert_eq!(s[0], 0x30, "{spec:?}");
                    }
                    assert!(
                        verify(spec, private.expose(), alg, input, &s).unwrap(),
                        "{spec:?} {alg:?}"
                    );
                    let mut bad = s.clone();
                    let last = bad.len() - 1;
                    bad[last] ^= 1;
                    assert!(
                        !verify(spec, private.expose(), alg, input, &bad).unwrap(),
                        "{spec:?} {alg:?}"
                    );
                }
            }
        }
    }

    /// An external μ (FIPS 204: SHAKE256(SHAKE256(pk, 64) ‖ 0 ‖ 0 ‖ M, 64)) signs like the
    /// message it stands for: AWS-LC verifies the μ signature over the message, and the
    /// μ path verifies AWS-LC's signature over the message.
    #[test]
    fn ml_dsa_external_mu_matches_the_message() {
        let spec = KeySpec::MlDsa65;
        let alg = SigningAlgorithm::MlDsaShake256;
        let private = generate(spec, &OsEntropy).unwrap();
        let spki = public_spki(spec, private.expose()).unwrap();
        let info = spki::SubjectPublicKeyInfoRef::try_from(&spki[..]).unwrap();
        let vk = ml_dsa::VerifyingKey::<ml_dsa::MlDsa65>::try_from(info).unwrap();
        let mu_of = |m: &'static [u8]| -> [u8; 64] {
            use ml_dsa::signature::digest::Update as _;
            let mu = vk
                .compute_mu(
                    |h| {
                        h.update(m);
                        Ok(())
                    },
                    b"",
                )
                .unwrap();
            mu.into()
        };
        let msg: &'static [u8] = b"external mu";
        let mu = mu_of(msg);
        let by_mu = sign(
            spec,
            private.expose(),
            alg,
            SignInput::ExternalMu(&mu),
            &OsEntropy,
        )
        .unwrap();
        assert!(verify(spec, private.expose(), alg, SignInput::Message(msg), &by_mu).unwrap());
        let by_msg = sign(
            spec,
            private.expose(),
            alg,
            SignInput::Message(msg),
            &OsEntropy,
        )
        .unwrap();
        assert!(
            verify(
                spec,
                private.expose(),
                alg,
                SignInput::ExternalMu(&mu),
                &by_msg
            )
            .unwrap()
        );
        let other = mu_of(b"another");
        assert!(
            !verify(
                spec,
                private.expose(),
                alg,
                SignInput::ExternalMu(&other),
                &by_msg
            )
            .unwrap()
        );
        assert!(
            sign(
                spec,
                private.expose(),
                alg,
                SignInput::ExternalMu(&mu[..32]),
                &OsEntropy
            )
            .is_err()
        );
    }

    /// The deterministic generator repeats per seed for every spec it covers, and its keys
    /// work (a P-521 scalar is masked to the order's width).
    #[test]
    fn deterministic_key_pairs_repeat_per_seed() {
        use crate::crypto::random::DeterministicEntropy;
        for spec in [
            KeySpec::Rsa2048,
            KeySpec::EcP256,
            KeySpec::EcP521,
            KeySpec::EcSm2,
            KeySpec::MlDsa44,
        ] {
            let a = generate_from(spec, &DeterministicEntropy::new("s")).unwrap();
            let b = generate_from(spec, &DeterministicEntropy::new("s")).unwrap();
            let c = generate_from(spec, &DeterministicEntropy::new("t")).unwrap();
            assert_eq!(a.expose(), b.expose(), "{spec:?}");
            assert_ne!(a.expose(), c.expose(), "{spec:?}");
            assert!(check_private(spec, a.expose()).is_ok(), "{spec:?}");
        }
    }

    /// secp256k1 verification accepts the high-S twin of a signature (OpenSSL makes them).
    #[test]
    fn secp256k1_verify_accepts_high_s() {
        let private = generate(KeySpec::EcP256k, &OsEntropy).unwrap();
        let alg = SigningAlgorithm::EcdsaSha256;
        let digest = [3u8; 32];
        let input = SignInput::Digest(&digest);
        let der = sign(KeySpec::EcP256k, private.expose(), alg, input, &OsEntropy).unwrap();
        let low = k256::ecdsa::Signature::from_der(&der).unwrap();
        let (r, s) = low.split_scalars();
        let high = k256::ecdsa::Signature::from_scalars(r, -*s).unwrap();
        assert!(high.normalize_s() != high, "the twin is high-S");
        let high_der = high.to_der();
        assert!(
            verify(
                KeySpec::EcP256k,
                private.expose(),
                alg,
                input,
                high_der.as_bytes()
            )
            .unwrap()
        );
    }

    /// Public-key encryption round-trips within the matrix's limits.
    #[test]
    fn encryption_round_trips() {
        for spec in [KeySpec::Rsa2048, KeySpec::EcSm2] {
            let private = generate(spec, &OsEntropy).unwrap();
            for &alg in spec.encryption_algorithms() {
                let max = alg.max_plaintext(spec);
                let msg = vec![0x42; max];
                let ct = encrypt(spec, private.expose(), alg, &msg, &OsEntropy).unwrap();
                let pt = decrypt(spec, private.expose(), alg, &ct).unwrap();
                assert_eq!(pt.expose(), &msg[..], "{spec:?} {alg:?}");
                assert!(decrypt(spec, private.expose(), alg, &ct[..ct.len() - 1]).is_err());
            }
        }
        assert_eq!(
            AsymmetricAlgorithm::RsaOaepSha256.max_plaintext(KeySpec::Rsa2048),
            190
        );
        assert_eq!(
            AsymmetricAlgorithm::RsaOaepSha1.max_plaintext(KeySpec::Rsa3072),
            342
        );
    }

    /// Every SM2 ciphertext layout of the sheet's §4 decrypts: raw C1C3C2 with and without
    /// the 04 tag, raw C1C2C3, and DER.
    #[test]
    fn sm2_ciphertext_layouts() {
        use k256::pkcs8::DecodePrivateKey as _;
        let private = sm2_example_key();
        let secret = sm2::SecretKey::from_pkcs8_der(&private).unwrap();
        let public = secret.public_key();
        let msg = b"sm2 layouts";
        let raw = sm2pke::encrypt(&public, msg, &OsEntropy).unwrap();
        assert_eq!((raw[0], raw.len()), (0x04, 97 + msg.len()));
        let c1c2c3 = [&raw[..65], &raw[97..], &raw[65..97]].concat();
        let der = sm2::pke::EncryptingKey::new(public)
            .encrypt_der(&mut EntropyRng(&OsEntropy), msg)
            .unwrap();
        for ct in [raw.clone(), raw[1..].to_vec(), c1c2c3, der] {
            assert_eq!(sm2pke::decrypt(&secret, &ct).unwrap().expose(), msg);
        }
        let mut broken = raw;
        broken[70] ^= 1;
        assert!(sm2pke::decrypt(&secret, &broken).is_err());
    }

    /// ECDH agrees from both sides; ML-KEM decapsulates what it encapsulated.
    #[test]
    fn agreement_and_encapsulation() {
        for spec in [KeySpec::EcP256, KeySpec::EcP384, KeySpec::EcSm2] {
            let a = generate(spec, &OsEntropy).unwrap();
            let b = generate(spec, &OsEntropy).unwrap();
            let pa = public_spki(spec, a.expose()).unwrap();
            let pb = public_spki(spec, b.expose()).unwrap();
            let ab = derive_shared_secret(spec, a.expose(), &pb).unwrap();
            let ba = derive_shared_secret(spec, b.expose(), &pa).unwrap();
            assert_eq!(ab.expose(), ba.expose(), "{spec:?}");
        }
        let k = generate(KeySpec::MlKem768, &OsEntropy).unwrap();
        let (ct, secret) = encapsulate(KeySpec::MlKem768, k.expose()).unwrap();
        assert_eq!(secret.len(), 32);
        assert_eq!(
            decapsulate(KeySpec::MlKem768, k.expose(), &ct)
                .unwrap()
                .expose(),
            secret.expose()
        );
    }

    /// Import checks: a key of another spec is refused.
    #[test]
    fn imported_private_keys_are_checked() {
        let p256 = generate(KeySpec::EcP256, &OsEntropy).unwrap();
        assert!(check_private(KeySpec::EcP256, p256.expose()).is_ok());
        assert!(check_private(KeySpec::EcP384, p256.expose()).is_err());
        assert!(check_private(KeySpec::Rsa2048, p256.expose()).is_err());
        assert!(check_private(KeySpec::EcP256, b"not a key").is_err());
    }
}
