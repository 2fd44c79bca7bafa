//! Key-pair and HMAC operations: sign, verify, public-key encryption, the public key,
//! MACs, data key pairs, ECDH and ML-KEM.
//!
//! `version: None` means the key's primary version (AWS, which has one key pair per key);
//! the Aliyun dialect always names the version. Every older version stays usable.

use std::sync::Arc;

use super::crypto::{Decrypted, Encrypted, usable};
use super::{CachedKey, Error, Kms, Result, Unusable};
use crate::crypto::SecretBytes;
use crate::crypto::asym::{self, AsymError};
use crate::model::{
    AsymmetricAlgorithm, EncryptionContext, KeyRecord, KeyRef, KeySpec, KeyUsage, MacAlgorithm,
    SigningAlgorithm, UseOperation,
};

pub use crate::crypto::asym::SignInput;

/// Largest message Sign and Verify take (AWS's 4096 bytes; Aliyun signs digests only).
pub const MAX_MESSAGE: usize = 4096;
/// Largest message GenerateMac and VerifyMac take.
pub const MAX_MAC_MESSAGE: usize = 4096;
/// Largest SM2PKE ciphertext AsymmetricDecrypt takes (the service's limit).
pub const MAX_SM2_CIPHERTEXT: usize = 6144;

/// A signature.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The key that signed.
    pub key_id: String,
    /// Its version.
    pub key_version_id: String,
    /// The signature (RSA: k bytes; ECDSA and SM2: DER; ML-DSA: FIPS 204 bytes).
    pub signature: Vec<u8>,
}

/// The outcome of a verification.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The key that verified.
    pub key_id: String,
    /// Its version (empty for HMAC keys, whose one version the dialects do not name).
    pub key_version_id: String,
    /// Whether the signature or MAC is valid.
    pub valid: bool,
}

/// A public key.
#[derive(Debug, Clone)]
pub struct PublicKeyOut {
    /// The key.
    pub record: KeyRecord,
    /// The version whose public key this is.
    pub key_version_id: String,
    /// DER SubjectPublicKeyInfo.
    pub spki_der: Vec<u8>,
}

/// A MAC.
#[derive(Debug, Clone)]
pub struct MacOut {
    /// The key.
    pub key_id: String,
    /// The MAC.
    pub mac: Vec<u8>,
}

/// A data key pair: the private key in the clear and encrypted, and the public key.
#[derive(Debug, Clone)]
pub struct DataKeyPair {
    /// The private key, PKCS #8 DER (ML-KEM: the decapsulation key bytes).
    pub private_pkcs8: SecretBytes,
    /// The public key, DER SubjectPublicKeyInfo.
    pub public_spki: Vec<u8>,
    /// The private key encrypted under the symmetric key.
    pub encrypted: Encrypted,
}

/// A shared secret from ECDH or ML-KEM decapsulation.
#[derive(Debug, Clone)]
pub struct SharedSecretOut {
    /// The key.
    pub key_id: String,
    /// The secret.
    pub secret: SecretBytes,
}

/// An ML-KEM encapsulation.
#[derive(Debug, Clone)]
pub struct Encapsulated {
    /// The key.
    pub key_id: String,
    /// The ciphertext for Decapsulate.
    pub ciphertext: Vec<u8>,
    /// The shared secret.
    pub secret: SecretBytes,
}

fn crypto_error(e: AsymError) -> Error {
    match e {
        AsymError::Unsupported => {
            Error::IncompatibleAlgorithm("the key spec does not support this operation".into())
        }
        AsymError::BadInput => Error::InvalidCiphertext,
        AsymError::BadKey | AsymError::Library => Error::internal(e),
    }
}

fn usage_error(key: &KeyRecord, wanted: KeyUsage) -> Error {
    Error::IncompatibleUsage(format!(
        "the key's usage is {}, not {} ({} key)",
        key.usage.as_str(),
        wanted.as_str(),
        key.spec.as_str()
    ))
}

/// A key with its opened material, for one usage.
struct Chosen {
    key: Arc<CachedKey>,
    version: String,
}

impl Chosen {
    fn material(&self) -> Result<&SecretBytes> {
        self.key
            .materials
            .get(&self.version)
            .ok_or(Error::Unusable(Unusable::NoMaterial))
    }

    fn spec(&self) -> KeySpec {
        self.key.record.spec
    }

    fn key_id(&self) -> String {
        self.key.record.key_id.clone()
    }
}

impl Kms {
    /// The key for an operation of `usage`, and the version it runs with.
    fn choose(&self, key: &KeyRef, version: Option<&str>, usage: KeyUsage) -> Result<Chosen> {
        self.choose_with(key, version, |record| {
            if record.usage == usage {
                Ok(())
            } else {
                Err(usage_error(record, usage))
            }
        })
    }

    /// As [`Kms::choose`], with `fits` deciding whether the key may serve (before its
    /// state is checked).
    fn choose_with(
        &self,
        key: &KeyRef,
        version: Option<&str>,
        fits: impl Fn(&KeyRecord) -> Result<()>,
    ) -> Result<Chosen> {
        let key = self.cached(&self.resolve(key)?)?;
        let record = &key.record;
        fits(record)?;
        usable(record)?;
        let version = match version {
            Some(v) => record
                .version(v)
                .ok_or(Error::KeyVersionNotFound)?
                .id
                .clone(),
            None => record.primary_version.clone(),
        };
        Ok(Chosen { key, version })
    }

    fn check_algorithm(spec: KeySpec, alg: SigningAlgorithm) -> Result<()> {
        if spec.signing_algorithms().contains(&alg) {
            Ok(())
        } else {
            Err(Error::IncompatibleAlgorithm(format!(
                "{} keys do not sign with {}",
                spec.as_str(),
                alg.as_str()
            )))
        }
    }

    fn check_sign_input(spec: KeySpec, alg: SigningAlgorithm, input: SignInput<'_>) -> Result<()> {
        Self::check_algorithm(spec, alg)?;
        let ml_dsa = alg == SigningAlgorithm::MlDsaShake256;
        match input {
            SignInput::Digest(d) if ml_dsa => Err(Error::invalid(
                "MessageType",
                format!(
                    "ML-DSA signs a RAW message or an EXTERNAL_MU, not a DIGEST ({} bytes)",
                    d.len()
                ),
            )),
            SignInput::Digest(d) if d.len() != alg.digest_len() => Err(Error::invalid(
                "Digest",
                format!(
                    "{} needs a {}-byte digest, not {} bytes",
                    alg.as_str(),
                    alg.digest_len(),
                    d.len()
                ),
            )),
            SignInput::Message(m) if m.is_empty() || m.len() > MAX_MESSAGE => {
                Err(Error::invalid("Message", "must be 1 to 4096 bytes"))
            }
            SignInput::ExternalMu(_) if !ml_dsa => Err(Error::invalid(
                "MessageType",
                "EXTERNAL_MU is for ML-DSA keys only",
            )),
            SignInput::ExternalMu(mu) if mu.len() != 64 => Err(Error::invalid(
                "Message",
                format!(
                    "an EXTERNAL_MU message is the 64-byte mu, not {} bytes",
                    mu.len()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Signs with a SIGN/VERIFY key.
    ///
    /// # Errors
    /// Key lookup errors, [`Error::IncompatibleUsage`], [`Error::IncompatibleAlgorithm`],
    /// [`Error::InvalidParameter`] for a digest of the wrong length or a message outside
    /// 1–4096 bytes, [`Error::KeyVersionNotFound`], [`Error::Unusable`].
    pub fn sign(
        &self,
        key: &KeyRef,
        version: Option<&str>,
        alg: SigningAlgorithm,
        input: SignInput<'_>,
    ) -> Result<Signed> {
        let chosen = self.choose(key, version, KeyUsage::SignVerify)?;
        Self::check_sign_input(chosen.spec(), alg, input)?;
        let signature = chosen
            .key
            .signer(&chosen.version)?
            .sign(alg, input, self.entropy.as_ref())
            .map_err(crypto_error)?;
        self.note_use(&chosen.key.record.key_id, UseOperation::Sign);
        Ok(Signed {
            key_id: chosen.key_id(),
            key_version_id: chosen.version,
            signature,
        })
    }

    /// Verifies a signature with a SIGN/VERIFY key; a wrong or malformed signature is
    /// `valid: false`.
    ///
    /// # Errors
    /// As [`Kms::sign`].
    pub fn verify(
        &self,
        key: &KeyRef,
        version: Option<&str>,
        alg: SigningAlgorithm,
        input: SignInput<'_>,
        signature: &[u8],
    ) -> Result<Checked> {
        let chosen = self.choose(key, version, KeyUsage::SignVerify)?;
        Self::check_sign_input(chosen.spec(), alg, input)?;
        let valid = chosen
            .key
            .signer(&chosen.version)?
            .verify(alg, input, signature)
            .map_err(crypto_error)?;
        if valid {
            self.note_use(&chosen.key.record.key_id, UseOperation::Verify);
        }
        Ok(Checked {
            key_id: chosen.key_id(),
            key_version_id: chosen.version,
            valid,
        })
    }

    fn check_encryption(spec: KeySpec, alg: AsymmetricAlgorithm) -> Result<()> {
        if spec.encryption_algorithms().contains(&alg) {
            Ok(())
        } else {
            Err(Error::IncompatibleAlgorithm(format!(
                "{} keys do not encrypt with {}",
                spec.as_str(),
                alg.as_str()
            )))
        }
    }

    /// Public-key encryption with an ENCRYPT/DECRYPT key pair: a standard ciphertext, no
    /// qkms header (RSA: k bytes; SM2: raw `04 ‖ C1 ‖ C3 ‖ C2`).
    ///
    /// # Errors
    /// As [`Kms::sign`]; [`Error::InvalidParameter`] for an empty or oversize plaintext.
    pub fn asymmetric_encrypt(
        &self,
        key: &KeyRef,
        version: Option<&str>,
        alg: AsymmetricAlgorithm,
        plaintext: &[u8],
    ) -> Result<Encrypted> {
        let chosen = self.choose(key, version, KeyUsage::EncryptDecrypt)?;
        let spec = chosen.spec();
        if spec.is_symmetric() {
            return Err(Error::IncompatibleAlgorithm(format!(
                "{} is for key pairs; {} keys encrypt symmetrically",
                alg.as_str(),
                spec.as_str()
            )));
        }
        Self::check_encryption(spec, alg)?;
        let max = alg.max_plaintext(spec);
        if plaintext.is_empty() || plaintext.len() > max {
            return Err(Error::invalid(
                "Plaintext",
                format!(
                    "{} with {} takes 1 to {max} bytes",
                    spec.as_str(),
                    alg.as_str()
                ),
            ));
        }
        let blob = asym::encrypt(
            spec,
            chosen.material()?.expose(),
            alg,
            plaintext,
            self.entropy.as_ref(),
        )
        .map_err(crypto_error)?;
        self.note_use(&chosen.key.record.key_id, UseOperation::Encrypt);
        Ok(Encrypted {
            key_id: chosen.key_id(),
            key_version_id: chosen.version,
            blob,
        })
    }

    /// Public-key decryption of a standard ciphertext (made by qkms or by anyone with the
    /// public key).
    ///
    /// # Errors
    /// As [`Kms::asymmetric_encrypt`]; [`Error::InvalidCiphertext`] when it does not
    /// decrypt.
    pub fn asymmetric_decrypt(
        &self,
        key: &KeyRef,
        version: Option<&str>,
        alg: AsymmetricAlgorithm,
        ciphertext: &[u8],
    ) -> Result<Decrypted> {
        let chosen = self.choose(key, version, KeyUsage::EncryptDecrypt)?;
        let spec = chosen.spec();
        if spec.is_symmetric() {
            return Err(Error::IncompatibleAlgorithm(format!(
                "{} is for key pairs; {} keys decrypt symmetrically",
                alg.as_str(),
                spec.as_str()
            )));
        }
        Self::check_encryption(spec, alg)?;
        if ciphertext.is_empty() || ciphertext.len() > MAX_SM2_CIPHERTEXT {
            return Err(Error::invalid("CiphertextBlob", "must be 1 to 6144 bytes"));
        }
        let plaintext = asym::decrypt(spec, chosen.material()?.expose(), alg, ciphertext)
            .map_err(crypto_error)?;
        self.note_use(&chosen.key.record.key_id, UseOperation::Decrypt);
        Ok(Decrypted {
            key_id: chosen.key_id(),
            key_version_id: chosen.version,
            plaintext,
        })
    }

    /// The public key of a key pair's version.
    ///
    /// # Errors
    /// Key lookup errors; [`Error::IncompatibleUsage`] for symmetric and HMAC keys;
    /// [`Error::KeyVersionNotFound`]; [`Error::Unusable`].
    pub fn public_key(&self, key: &KeyRef, version: Option<&str>) -> Result<PublicKeyOut> {
        let chosen = self.choose_with(key, version, |record| {
            if record.spec.is_asymmetric() {
                Ok(())
            } else {
                Err(Error::IncompatibleUsage(format!(
                    "{} keys have no public key",
                    record.spec.as_str()
                )))
            }
        })?;
        let spki_der =
            asym::public_spki(chosen.spec(), chosen.material()?.expose()).map_err(crypto_error)?;
        Ok(PublicKeyOut {
            record: chosen.key.record.clone(),
            key_version_id: chosen.version,
            spki_der,
        })
    }

    fn mac_key(&self, key: &KeyRef, alg: MacAlgorithm, message: &[u8]) -> Result<Chosen> {
        let chosen = self.choose(key, None, KeyUsage::GenerateVerifyMac)?;
        if chosen.spec().mac_algorithm() != Some(alg) {
            return Err(Error::IncompatibleAlgorithm(format!(
                "{} keys do not compute {}",
                chosen.spec().as_str(),
                alg.as_str()
            )));
        }
        if message.is_empty() || message.len() > MAX_MAC_MESSAGE {
            return Err(Error::invalid("Message", "must be 1 to 4096 bytes"));
        }
        Ok(chosen)
    }

    /// GenerateMac with a GENERATE/VERIFY_MAC key of the algorithm's spec.
    ///
    /// # Errors
    /// Key lookup errors, [`Error::IncompatibleUsage`], [`Error::IncompatibleAlgorithm`],
    /// [`Error::InvalidParameter`] for a message outside 1–4096 bytes, [`Error::Unusable`].
    pub fn generate_mac(&self, key: &KeyRef, alg: MacAlgorithm, message: &[u8]) -> Result<MacOut> {
        let chosen = self.mac_key(key, alg, message)?;
        let mac = crate::crypto::mac::hmac(alg, chosen.material()?.expose(), message);
        self.note_use(&chosen.key.record.key_id, UseOperation::GenerateMac);
        Ok(MacOut {
            key_id: chosen.key_id(),
            mac,
        })
    }

    /// VerifyMac, in constant time.
    ///
    /// # Errors
    /// As [`Kms::generate_mac`].
    pub fn verify_mac(
        &self,
        key: &KeyRef,
        alg: MacAlgorithm,
        message: &[u8],
        mac: &[u8],
    ) -> Result<Checked> {
        let chosen = self.mac_key(key, alg, message)?;
        let valid = crate::crypto::mac::verify_hmac(alg, chosen.material()?.expose(), message, mac);
        if valid {
            self.note_use(&chosen.key.record.key_id, UseOperation::VerifyMac);
        }
        Ok(Checked {
            key_id: chosen.key_id(),
            key_version_id: chosen.version,
            valid,
        })
    }

    /// A fresh key pair of `pair_spec` whose private key is encrypted under the symmetric
    /// `key` (GenerateDataKeyPair). RSA generation is slow: run off the executor.
    ///
    /// # Errors
    /// As [`Kms::encrypt`]; [`Error::InvalidParameter`] for a spec that is not a key pair
    /// AWS offers as a data key pair.
    pub fn generate_data_key_pair(
        &self,
        key: &KeyRef,
        pair_spec: KeySpec,
        context: &EncryptionContext,
    ) -> Result<DataKeyPair> {
        if !pair_spec.is_asymmetric()
            || matches!(
                pair_spec,
                KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87
            )
        {
            return Err(Error::invalid(
                "KeyPairSpec",
                format!("{} is not a data key pair spec", pair_spec.as_str()),
            ));
        }
        // Refuse an unusable wrapping key before the (slow) generation.
        let target = self.cached(&self.resolve(key)?)?;
        usable(&target.record)?;
        let private = self.new_material(pair_spec)?;
        let public_spki = asym::public_spki(pair_spec, private.expose()).map_err(crypto_error)?;
        let encrypted = self.encrypt(key, private.expose(), context)?;
        self.note_use(&encrypted.key_id, UseOperation::GenerateDataKeyPair);
        Ok(DataKeyPair {
            private_pkcs8: private,
            public_spki,
            encrypted,
        })
    }

    /// ECDH between a KEY_AGREEMENT key and a peer's public key (DER SubjectPublicKeyInfo).
    ///
    /// # Errors
    /// Key lookup errors, [`Error::IncompatibleUsage`], [`Error::Unusable`],
    /// [`Error::InvalidParameter`] for a peer key that is not a point of the key's curve.
    pub fn derive_shared_secret(&self, key: &KeyRef, peer_spki: &[u8]) -> Result<SharedSecretOut> {
        let chosen = self.choose(key, None, KeyUsage::KeyAgreement)?;
        let secret =
            asym::derive_shared_secret(chosen.spec(), chosen.material()?.expose(), peer_spki)
                .map_err(|e| match e {
                    AsymError::BadInput => Error::invalid(
                        "PublicKey",
                        format!(
                            "not a DER SubjectPublicKeyInfo of a {} point",
                            chosen.spec().as_str()
                        ),
                    ),
                    other => crypto_error(other),
                })?;
        self.note_use(&chosen.key.record.key_id, UseOperation::DeriveSharedSecret);
        Ok(SharedSecretOut {
            key_id: chosen.key_id(),
            secret,
        })
    }

    /// ML-KEM encapsulation to an ENCAPSULATE/DECAPSULATE key.
    ///
    /// # Errors
    /// Key lookup errors, [`Error::IncompatibleUsage`], [`Error::Unusable`].
    pub fn encapsulate(&self, key: &KeyRef) -> Result<Encapsulated> {
        let chosen = self.choose(key, None, KeyUsage::KeyEncapsulation)?;
        let (ciphertext, secret) =
            asym::encapsulate(chosen.spec(), chosen.material()?.expose()).map_err(crypto_error)?;
        self.note_use(&chosen.key.record.key_id, UseOperation::Encapsulate);
        Ok(Encapsulated {
            key_id: chosen.key_id(),
            ciphertext,
            secret,
        })
    }

    /// ML-KEM decapsulation.
    ///
    /// # Errors
    /// As [`Kms::encapsulate`]; [`Error::InvalidCiphertext`] for a ciphertext of the
    /// wrong length.
    pub fn decapsulate(&self, key: &KeyRef, ciphertext: &[u8]) -> Result<SharedSecretOut> {
        let chosen = self.choose(key, None, KeyUsage::KeyEncapsulation)?;
        let secret = asym::decapsulate(chosen.spec(), chosen.material()?.expose(), ciphertext)
            .map_err(crypto_error)?;
        self.note_use(&chosen.key.record.key_id, UseOperation::Decapsulate);
        Ok(SharedSecretOut {
            key_id: chosen.key_id(),
            secret,
        })
    }
}
