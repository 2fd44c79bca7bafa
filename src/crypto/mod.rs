//! Cryptography, kept small and concrete: closed enums and free functions.
//!
//! | file | implements |
//! |---|---|
//! | `secret.rs` | [`SecretBytes`]: the only type that holds key material |
//! | `random.rs` | the entropy source every random choice goes through |
//! | `aead.rs` | AES-256-GCM (NIST SP 800-38D) and SM4-GCM (RFC 8998) |
//! | `asym.rs` | key pairs: RSA (RFC 8017), ECDSA (FIPS 186-5), SM2 (GB/T 32918), ML-DSA (FIPS 204), ML-KEM (FIPS 203), ECDH |
//! | `sm2pke.rs` | SM2 public-key encryption in every layout clients send, and SM2 ECDH |
//! | `blob.rs` | the versioned ciphertext blob returned by Encrypt |
//! | `export.rs` | RSAES-OAEP encryption of a data key to a caller's public key (RFC 8017) |
//! | `mac.rs` | HMAC (RFC 2104) with SHA-1, SHA-2 and SM3 |
//! | `wrap.rs` | RSA wrapping key pairs and the unwrap of imported material (PKCS #1 v2.2, RFC 8017) |
//! | `pool.rs` | pre-generated wrapping keys and the gate that bounds their generation |
//! | `root.rs` | the root key that seals material at rest and import tokens |
//! | `token.rs` | the versioned import token: a public, authenticated header and the sealed wrapping key |

pub mod aead;
pub mod asym;
pub mod blob;
pub mod export;
pub mod mac;
pub mod pool;
pub mod random;
pub mod root;
pub mod secret;
pub mod signer;
pub mod sm2pke;
pub mod token;
pub mod wrap;

pub use secret::SecretBytes;
