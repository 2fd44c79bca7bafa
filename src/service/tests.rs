//! Service-level tests: the state/error matrix of the spec (§4), the import rules (§3),
//! and expiry under a controlled clock.

use std::sync::Arc;

use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};

use super::*;
use crate::clock::{ControlledClock, Mode};
use crate::crypto::random::OsEntropy;
use crate::crypto::token::{self, TokenHeader};
use crate::crypto::wrap::{WrappingAlgorithm, WrappingKey, WrappingKeySpec};
use crate::model::{EncryptionContext, KeySpec, KeyState, KeyUsage, Origin, ProtectionLevel};
use crate::store::KeyStore as _;
use crate::store::MemoryStore;

const T0: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z

fn kms() -> (Kms, Arc<ControlledClock>) {
    let clock = Arc::new(ControlledClock::new(Mode::Fixed(T0)));
    (test_kms(Arc::new(MemoryStore::new()), clock.clone()), clock)
}

fn create(kms: &Kms, origin: Origin, spec: KeySpec) -> String {
    kms.create_key(CreateKeyInput {
        spec,
        usage: KeyUsage::EncryptDecrypt,
        origin,
        protection_level: ProtectionLevel::Software,
        description: String::new(),
        enable_automatic_rotation: false,
        rotation_interval: None,
        tags: Default::default(),
        policy: None,
    })
    .unwrap()
    .key_id
}

/// A key by ID.
fn k(id: &str) -> KeyRef {
    KeyRef::Id(id.to_owned())
}

/// The Aliyun API's choices (the lenient ones): the service tests need one set.
const RULES: Rules = Rules {
    after_cancel: StateAfterCancel::Enabled,
    frozen_when_pending_deletion: false,
    no_import_parameters_when_pending_deletion: false,
    max_tags: 20,
    max_aliases_per_key: None,
    rotation_needs_enabled: false,
};

/// Why a key in state `s` cannot do cryptography.
fn unusable(s: KeyState) -> Unusable {
    match s {
        KeyState::Disabled => Unusable::Disabled,
        KeyState::PendingDeletion => Unusable::PendingDeletion,
        KeyState::PendingImport | KeyState::Enabled => Unusable::NoMaterial,
    }
}

fn wrap(public_der: &[u8], material: &[u8]) -> Vec<u8> {
    let key =
        OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(public_der).unwrap()).unwrap();
    let mut out = vec![0u8; 256];
    key.encrypt(&OAEP_SHA256_MGF1SHA256, material, &mut out, None)
        .unwrap()
        .to_vec()
}

/// GetParametersForImport + wrap + ImportKeyMaterial.
fn import(
    kms: &Kms,
    id: &str,
    material: &[u8],
    expire: Option<i64>,
) -> Result<crate::model::KeyRecord> {
    let p = kms.get_parameters_for_import(
        &k(id),
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
        &RULES,
    )?;
    kms.import_key_material_v0(
        &k(id),
        &p.import_token,
        &wrap(&p.public_key, material),
        expire,
        None,
    )
}

fn state(kms: &Kms, id: &str) -> KeyState {
    kms.describe_key(&k(id)).unwrap().state
}

fn ctx() -> EncryptionContext {
    [("purpose".to_owned(), "test".to_owned())].into()
}

#[test]
fn external_key_lifecycle_and_import_rules() {
    let (kms, clock) = kms();
    let id = create(&kms, Origin::External, KeySpec::Aes256);
    assert_eq!(state(&kms, &id), KeyState::PendingImport);
    assert!(matches!(
        kms.encrypt(&k(&id), b"x", &ctx()),
        Err(Error::Unusable(Unusable::NoMaterial))
    ));

    // Wrong sizes.
    assert!(matches!(
        import(&kms, &id, &[1; 16], None),
        Err(Error::InvalidKeyMaterial)
    ));
    assert!(matches!(
        import(&kms, &id, &[1; 33], None),
        Err(Error::InvalidKeyMaterial)
    ));
    // Expiry in the past.
    assert!(matches!(
        import(&kms, &id, &[1; 32], Some(T0 - 1)),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        import(&kms, &id, &[1; 32], Some(T0)),
        Err(Error::InvalidParameter { .. })
    ));

    let material = [7u8; 32];
    import(&kms, &id, &material, Some(T0 + 3600)).unwrap();
    let key = kms.describe_key(&k(&id)).unwrap();
    assert_eq!(key.state, KeyState::Enabled);
    assert_eq!(key.material_expire, Some(T0 + 3600));
    let ct = kms.encrypt(&k(&id), b"hello", &ctx()).unwrap();
    assert_eq!(
        kms.decrypt(&ct.blob, &ctx(), None)
            .unwrap()
            .plaintext
            .expose(),
        b"hello"
    );
    assert!(matches!(
        kms.decrypt(&ct.blob, &EncryptionContext::new(), None),
        Err(Error::InvalidCiphertext)
    ));

    // Different material is refused for ever; the same material resets the expiry.
    assert!(matches!(
        import(&kms, &id, &[8; 32], None),
        Err(Error::InvalidKeyMaterial)
    ));
    import(&kms, &id, &material, None).unwrap();
    assert_eq!(kms.describe_key(&k(&id)).unwrap().material_expire, None);

    // Expiry: from the expiry second on, PendingImport, material erased.
    import(&kms, &id, &material, Some(T0 + 10)).unwrap();
    clock.set(T0 + 9).unwrap();
    assert_eq!(state(&kms, &id), KeyState::Enabled);
    clock.set(T0 + 10).unwrap();
    assert_eq!(state(&kms, &id), KeyState::PendingImport);
    assert!(!kms.describe_key(&k(&id)).unwrap().has_material());
    assert!(matches!(
        kms.decrypt(&ct.blob, &ctx(), None),
        Err(Error::Unusable(Unusable::NoMaterial))
    ));
    assert!(matches!(
        import(&kms, &id, &[9; 32], None),
        Err(Error::InvalidKeyMaterial)
    ));
    import(&kms, &id, &material, None).unwrap();
    assert_eq!(
        kms.decrypt(&ct.blob, &ctx(), None)
            .unwrap()
            .plaintext
            .expose(),
        b"hello"
    );

    // DeleteKeyMaterial, then restore.
    kms.delete_key_material(&k(&id), &MaterialSelector::All)
        .unwrap();
    assert_eq!(state(&kms, &id), KeyState::PendingImport);
    assert!(matches!(
        kms.decrypt(&ct.blob, &ctx(), None),
        Err(Error::Unusable(Unusable::NoMaterial))
    ));
    import(&kms, &id, &material, None).unwrap();
    assert_eq!(
        kms.decrypt(&ct.blob, &ctx(), None)
            .unwrap()
            .plaintext
            .expose(),
        b"hello"
    );
}

#[test]
fn tokens_are_bound_to_key_and_expire_after_24_hours() {
    let (kms, clock) = kms();
    let a = create(&kms, Origin::External, KeySpec::Sm4);
    let b = create(&kms, Origin::External, KeySpec::Sm4);
    let pa = kms
        .get_parameters_for_import(
            &k(&a),
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
            &RULES,
        )
        .unwrap();
    let pb = kms
        .get_parameters_for_import(
            &k(&b),
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
            &RULES,
        )
        .unwrap();
    assert_ne!(
        pa.public_key, pb.public_key,
        "every call returns a new wrapping key"
    );
    assert_eq!(pa.token_expire, T0 + 24 * 3600);
    let material = [3u8; 16];
    // Another key's token.
    assert!(matches!(
        kms.import_key_material_v0(
            &k(&a),
            &pb.import_token,
            &wrap(&pb.public_key, &material),
            None,
            None
        ),
        Err(Error::InvalidImportToken)
    ));
    // Material wrapped with another public key.
    assert!(matches!(
        kms.import_key_material_v0(
            &k(&a),
            &pa.import_token,
            &wrap(&pb.public_key, &material),
            None,
            None
        ),
        Err(Error::UnwrapFailed)
    ));
    // Garbage tokens.
    for junk in [
        "",
        "not base64!",
        "AAAA",
        &pa.import_token[..pa.import_token.len() - 8],
    ] {
        assert!(matches!(
            kms.import_key_material_v0(&k(&a), junk, &wrap(&pa.public_key, &material), None, None),
            Err(Error::InvalidImportToken)
        ));
    }
    // Reusable within the window, refused from its end on.
    let wrapped = wrap(&pa.public_key, &material);
    kms.import_key_material_v0(&k(&a), &pa.import_token, &wrapped, None, None)
        .unwrap();
    clock.set(T0 + 24 * 3600 - 1).unwrap();
    kms.import_key_material_v0(&k(&a), &pa.import_token, &wrapped, None, None)
        .unwrap();
    clock.set(T0 + 24 * 3600).unwrap();
    assert!(matches!(
        kms.import_key_material_v0(&k(&a), &pa.import_token, &wrapped, None, None),
        Err(Error::ExpiredImportToken)
    ));
}

/// GetParametersForImport's token, raw.
fn token_bytes(p: &ImportParameters) -> Vec<u8> {
    B64.decode(&p.import_token).unwrap()
}

fn params(kms: &Kms, id: &str, a: WrappingAlgorithm, s: WrappingKeySpec) -> ImportParameters {
    kms.get_parameters_for_import(&k(id), a, s, &RULES).unwrap()
}

#[test]
fn a_fresh_token_header_decodes_without_the_token_key() {
    let (kms, _) = kms();
    let id = create(&kms, Origin::External, KeySpec::Aes256);
    for (algorithm, spec) in [
        (WrappingAlgorithm::RsaesOaepSha256, WrappingKeySpec::Rsa2048),
        (
            WrappingAlgorithm::RsaAesKeyWrapSha256,
            WrappingKeySpec::Rsa3072,
        ),
    ] {
        let p = params(&kms, &id, algorithm, spec);
        let raw = token_bytes(&p);
        let (header, len) = TokenHeader::decode(&raw).unwrap();
        assert_eq!(
            header,
            TokenHeader {
                key_id: id.clone(),
                algorithm,
                spec,
                expires: T0 + 24 * 3600,
            }
        );
        assert_eq!(header.expires, p.token_expire);
        assert_eq!(len, 12 + id.len());
        // The rest is nonce, the sealed PKCS #8 and the tag: no plaintext key.
        let pkcs8_len = raw.len() - len - 12 - 16;
        assert!(pkcs8_len > 1000, "{pkcs8_len}");
    }
}

#[test]
fn every_header_byte_of_a_token_is_authenticated() {
    let (kms, _) = kms();
    let id = create(&kms, Origin::External, KeySpec::Aes256);
    let p = params(
        &kms,
        &id,
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
    );
    let wrapped = wrap(&p.public_key, &[6; 32]);
    let raw = token_bytes(&p);
    let (_, header_len) = TokenHeader::decode(&raw).unwrap();
    for i in 0..header_len {
        for flip in [0x01, 0x80] {
            let mut bad = raw.clone();
            bad[i] ^= flip;
            assert!(
                matches!(
                    kms.import_key_material_v0(&k(&id), &B64.encode(&bad), &wrapped, None, None),
                    Err(Error::InvalidImportToken)
                ),
                "byte {i} ^ {flip:#x}"
            );
        }
    }
    // The untouched token imports: the refusals above were the flips'.
    kms.import_key_material_v0(&k(&id), &p.import_token, &wrapped, None, None)
        .unwrap();
}

#[test]
fn v1_tokens_still_import() {
    let (kms, clock) = kms();
    let a = create(&kms, Origin::External, KeySpec::Aes256);
    let b = create(&kms, Origin::External, KeySpec::Aes256);
    let wrapping_key = WrappingKey::generate().unwrap();
    let v1 = B64.encode(
        token::seal_v1(
            &kms.token_key,
            &OsEntropy,
            &a,
            WrappingAlgorithm::RsaesOaepSha256,
            T0 + 24 * 3600,
            &wrapping_key.to_pkcs8().unwrap(),
        )
        .unwrap(),
    );
    let wrapped = wrap(&wrapping_key.public_key_spki().unwrap(), &[2; 32]);
    // As before: bound to its key, and expired from its end on.
    assert!(matches!(
        kms.import_key_material_v0(&k(&b), &v1, &wrapped, None, None),
        Err(Error::InvalidImportToken)
    ));
    kms.import_key_material_v0(&k(&a), &v1, &wrapped, None, None)
        .unwrap();
    assert_eq!(state(&kms, &a), KeyState::Enabled);
    clock.set(T0 + 24 * 3600).unwrap();
    assert!(matches!(
        kms.import_key_material_v0(&k(&a), &v1, &wrapped, None, None),
        Err(Error::ExpiredImportToken)
    ));
}

#[test]
fn a_v2_token_is_refused_for_another_key_even_with_its_header_rewritten() {
    let (kms, _) = kms();
    let a = create(&kms, Origin::External, KeySpec::Aes256);
    let b = create(&kms, Origin::External, KeySpec::Aes256);
    let pa = params(
        &kms,
        &a,
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
    );
    let wrapped = wrap(&pa.public_key, &[4; 32]);
    assert!(matches!(
        kms.import_key_material_v0(&k(&b), &pa.import_token, &wrapped, None, None),
        Err(Error::InvalidImportToken)
    ));
    // The header is public, so anyone can write B's ID into it: the tag then fails.
    let raw = token_bytes(&pa);
    let (mut header, len) = TokenHeader::decode(&raw).unwrap();
    header.key_id.clone_from(&b);
    let mut forged = header.encode().unwrap();
    forged.extend_from_slice(&raw[len..]);
    assert!(matches!(
        kms.import_key_material_v0(&k(&b), &B64.encode(&forged), &wrapped, None, None),
        Err(Error::InvalidImportToken)
    ));
    kms.import_key_material_v0(&k(&a), &pa.import_token, &wrapped, None, None)
        .unwrap();
}

/// A genuine token whose header states another size than its sealed key's is refused.
#[test]
fn the_spec_byte_must_match_the_sealed_key() {
    let (kms, _) = kms();
    let id = create(&kms, Origin::External, KeySpec::Aes256);
    let wrapping_key = WrappingKey::generate().unwrap();
    let wrapped = wrap(&wrapping_key.public_key_spki().unwrap(), &[3; 32]);
    let token_for = |spec| {
        let header = TokenHeader {
            key_id: id.clone(),
            algorithm: WrappingAlgorithm::RsaesOaepSha256,
            spec,
            expires: T0 + 60,
        };
        B64.encode(
            token::seal(
                &kms.token_key,
                &OsEntropy,
                &header,
                &wrapping_key.to_pkcs8().unwrap(),
            )
            .unwrap(),
        )
    };
    for spec in [WrappingKeySpec::Rsa3072, WrappingKeySpec::Rsa4096] {
        assert!(matches!(
            kms.import_key_material_v0(&k(&id), &token_for(spec), &wrapped, None, None),
            Err(Error::InvalidImportToken)
        ));
    }
    kms.import_key_material_v0(
        &k(&id),
        &token_for(WrappingKeySpec::Rsa2048),
        &wrapped,
        None,
        None,
    )
    .unwrap();
}

#[test]
fn same_material_in_two_keys_does_not_cross_decrypt() {
    let (kms, _) = kms();
    let a = create(&kms, Origin::External, KeySpec::Aes256);
    let b = create(&kms, Origin::External, KeySpec::Aes256);
    import(&kms, &a, &[5; 32], None).unwrap();
    import(&kms, &b, &[5; 32], None).unwrap();
    let ct = kms.encrypt(&k(&a), b"secret", &ctx()).unwrap();
    // Re-point the blob at key b: header is authenticated, so it must fail.
    let (mut parsed, _) = crate::crypto::blob::CiphertextBlob::decode(&ct.blob).unwrap();
    let b_version = kms.describe_key(&k(&b)).unwrap().primary_version;
    parsed.key_id.clone_from(&b);
    parsed.key_version_id = b_version;
    let forged = parsed.encode().unwrap();
    assert!(matches!(
        kms.decrypt(&forged, &ctx(), None),
        Err(Error::InvalidCiphertext)
    ));
    assert_eq!(kms.decrypt(&ct.blob, &ctx(), None).unwrap().key_id, a);
}

#[test]
fn import_apis_need_an_external_key() {
    let (kms, _) = kms();
    let id = create(&kms, Origin::Kms, KeySpec::Aes256);
    assert!(matches!(
        kms.get_parameters_for_import(
            &k(&id),
            WrappingAlgorithm::RsaesOaepSha1,
            WrappingKeySpec::Rsa2048,
            &RULES
        ),
        Err(Error::UnsupportedOrigin { .. })
    ));
    assert!(matches!(
        kms.delete_key_material(&k(&id), &MaterialSelector::All),
        Err(Error::UnsupportedOrigin { .. })
    ));
    assert!(matches!(
        kms.import_key_material_v0(&k(&id), "x", &[0; 256], None, None),
        Err(Error::UnsupportedOrigin { .. })
    ));
    let err = kms
        .create_key(CreateKeyInput {
            spec: KeySpec::Aes256,
            usage: KeyUsage::EncryptDecrypt,
            origin: Origin::External,
            protection_level: ProtectionLevel::Hsm,
            description: String::new(),
            enable_automatic_rotation: true,
            rotation_interval: None,
            tags: Default::default(),
            policy: None,
        })
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidParameter {
            name: "EnableAutomaticRotation",
            ..
        }
    ));
}

/// The documented matrix (aliyun-kms-api.md §4), row by row, for the four states.
#[test]
fn state_matrix() {
    let (kms, _) = kms();
    let setup = |s: KeyState| -> String {
        let id = create(&kms, Origin::External, KeySpec::Aes256);
        if s != KeyState::PendingImport {
            import(&kms, &id, &[1; 32], None).unwrap();
        }
        match s {
            KeyState::Disabled => {
                kms.disable_key(&k(&id)).unwrap();
            }
            KeyState::PendingDeletion => {
                kms.schedule_key_deletion(&k(&id), 7).unwrap();
            }
            _ => {}
        }
        assert_eq!(state(&kms, &id), s);
        id
    };
    let states = [
        KeyState::Enabled,
        KeyState::Disabled,
        KeyState::PendingDeletion,
        KeyState::PendingImport,
    ];
    for s in states {
        // Encrypt, Decrypt, GenerateDataKey: only Enabled.
        let id = setup(s);
        let enc = kms.encrypt(&k(&id), b"x", &ctx());
        let gdk = kms.generate_data_key(&k(&id), 32, &ctx());
        match s {
            KeyState::Enabled => {
                assert!(enc.is_ok() && gdk.is_ok());
            }
            _ => {
                assert!(
                    matches!(enc, Err(Error::Unusable(u)) if u == unusable(s)),
                    "{s:?}"
                );
                assert!(
                    matches!(gdk, Err(Error::Unusable(u)) if u == unusable(s)),
                    "{s:?}"
                );
            }
        }
        // Decrypt of a blob made while Enabled.
        let id = setup(KeyState::Enabled);
        let blob = kms.encrypt(&k(&id), b"x", &ctx()).unwrap().blob;
        match s {
            KeyState::Disabled => drop(kms.disable_key(&k(&id)).unwrap()),
            KeyState::PendingDeletion => drop(kms.schedule_key_deletion(&k(&id), 7).unwrap()),
            KeyState::PendingImport => drop(
                kms.delete_key_material(&k(&id), &MaterialSelector::All)
                    .unwrap(),
            ),
            KeyState::Enabled => {}
        }
        let dec = kms.decrypt(&blob, &ctx(), None);
        if s == KeyState::Enabled {
            assert!(dec.is_ok());
        } else {
            assert!(
                matches!(dec, Err(Error::Unusable(u)) if u == unusable(s)),
                "{s:?}"
            );
        }

        // DescribeKey, ListKeys: always.
        let id = setup(s);
        assert!(kms.describe_key(&k(&id)).is_ok());
        // EnableKey / DisableKey: Enabled and Disabled only.
        for op in [Kms::enable_key, Kms::disable_key] {
            let id = setup(s);
            let r = op(&kms, &k(&id));
            if matches!(s, KeyState::Enabled | KeyState::Disabled) {
                assert!(r.is_ok(), "{s:?}");
            } else {
                assert!(matches!(r, Err(Error::StateChangeRefused { .. })), "{s:?}");
            }
        }
        // ScheduleKeyDeletion: all but PendingDeletion.
        let id = setup(s);
        let r = kms.schedule_key_deletion(&k(&id), 7);
        assert_eq!(r.is_ok(), s != KeyState::PendingDeletion, "{s:?}");
        // CancelKeyDeletion: only PendingDeletion.
        let id = setup(s);
        let r = kms.cancel_key_deletion(&k(&id), &RULES);
        assert_eq!(r.is_ok(), s == KeyState::PendingDeletion, "{s:?}");
        // CreateAlias: all but PendingDeletion.
        let id = setup(s);
        let r = kms.create_alias(&format!("alias/a{}", &id[..8]), &k(&id), &RULES);
        if s == KeyState::PendingDeletion {
            assert!(matches!(r, Err(Error::StateChangeRefused { .. })));
        } else {
            assert!(r.is_ok());
        }
        // GetParametersForImport, DeleteKeyMaterial: always.
        let id = setup(s);
        assert!(
            kms.get_parameters_for_import(
                &k(&id),
                WrappingAlgorithm::RsaesPkcs1V15,
                WrappingKeySpec::Rsa2048,
                &RULES
            )
            .is_ok()
        );
        assert!(
            kms.delete_key_material(&k(&id), &MaterialSelector::All)
                .is_ok()
        );
        // ImportKeyMaterial: all but PendingDeletion.
        let id = setup(s);
        let r = import(&kms, &id, &[1; 32], None);
        if s == KeyState::PendingDeletion {
            assert!(matches!(r, Err(Error::StateChangeRefused { .. })));
        } else {
            r.unwrap();
            // Re-import keeps Disabled; PendingImport becomes Enabled.
            let expected = if s == KeyState::Disabled {
                KeyState::Disabled
            } else {
                KeyState::Enabled
            };
            assert_eq!(state(&kms, &id), expected);
        }
    }
    assert!(kms.list_keys(0, 100).unwrap().total > 0);
}

#[test]
fn cancel_deletion_restores_enabled_or_pending_import() {
    let (kms, clock) = kms();
    let with = create(&kms, Origin::Kms, KeySpec::Aes256);
    let without = create(&kms, Origin::External, KeySpec::Aes256);
    for id in [&with, &without] {
        kms.schedule_key_deletion(&k(id), 7).unwrap();
        kms.cancel_key_deletion(&k(id), &RULES).unwrap();
    }
    assert_eq!(state(&kms, &with), KeyState::Enabled);
    assert_eq!(state(&kms, &without), KeyState::PendingImport);
    // The window ends: the key is gone.
    kms.schedule_key_deletion(&k(&with), 7).unwrap();
    clock.advance(7 * 86_400).unwrap();
    assert!(matches!(
        kms.describe_key(&k(&with)),
        Err(Error::KeyNotFound)
    ));
}

#[test]
fn keys_resolve_by_id_and_alias() {
    let (kms, _) = kms();
    let id = create(&kms, Origin::Kms, KeySpec::Aes256);
    kms.create_alias("alias/app", &k(&id), &RULES).unwrap();
    let by_alias = KeyRef::Alias("alias/app".into());
    assert_eq!(kms.describe_key(&by_alias).unwrap().key_id, id);
    assert!(matches!(
        kms.describe_key(&KeyRef::Alias("alias/none".into())),
        Err(Error::AliasNotFound)
    ));
    assert!(matches!(
        kms.describe_key(&k("nope")),
        Err(Error::KeyNotFound)
    ));
    assert!(matches!(
        kms.create_alias("alias/app", &k(&id), &RULES),
        Err(Error::AliasAlreadyExists)
    ));
    assert!(matches!(
        kms.create_alias("nope", &k(&id), &RULES),
        Err(Error::InvalidParameter { .. })
    ));
    // An alias may point at an alias's key, never at an alias.
    kms.create_alias("alias/second", &by_alias, &RULES).unwrap();
    assert_eq!(
        kms.describe_key(&KeyRef::Alias("alias/second".into()))
            .unwrap()
            .key_id,
        id
    );
}

#[test]
fn sweep_erases_expired_material_without_a_request() {
    let (kms, clock) = kms();
    let id = create(&kms, Origin::External, KeySpec::Aes256);
    import(&kms, &id, &[4; 32], Some(T0 + 5)).unwrap();
    assert_eq!(kms.sweep().unwrap(), 0);
    clock.advance(5).unwrap();
    assert_eq!(kms.sweep().unwrap(), 1);
    let raw = kms.store.get_key(&id).unwrap().unwrap();
    assert!(!raw.has_material());
    assert_eq!(raw.state, KeyState::PendingImport);
}

#[test]
fn wrong_root_key_is_refused() {
    let store: Arc<dyn crate::store::KeyStore> = Arc::new(MemoryStore::new());
    let settings = KmsSettings {
        region: "r".into(),
        account_id: "a".into(),
        wrapping_pool: 0,
        deterministic: false,
        default_region_aliases: Vec::new(),
    };
    let clock = Arc::new(ControlledClock::new(Mode::Fixed(T0)));
    Kms::new(
        store.clone(),
        clock.clone(),
        Arc::new(OsEntropy),
        RootKey::generate(&OsEntropy).unwrap(),
        settings.clone(),
    )
    .unwrap();
    assert!(
        Kms::new(
            store,
            clock,
            Arc::new(OsEntropy),
            RootKey::generate(&OsEntropy).unwrap(),
            settings
        )
        .is_err()
    );
}

/// With the check value gone (an older or damaged store), a new root key is still refused:
/// sealed material is opened to tell.
#[test]
fn wrong_root_key_is_refused_without_the_check_row() {
    let dir = std::env::temp_dir().join(format!("qkms-rootcheck-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let settings = KmsSettings {
        region: "r".into(),
        account_id: "a".into(),
        wrapping_pool: 0,
        deterministic: false,
        default_region_aliases: Vec::new(),
    };
    let clock = Arc::new(ControlledClock::new(Mode::Fixed(T0)));
    let root = RootKey::generate(&OsEntropy).unwrap();
    let open = |root: RootKey| {
        Kms::new(
            Arc::new(crate::store::SqliteStore::open(&dir).unwrap()),
            clock.clone(),
            Arc::new(OsEntropy),
            root,
            settings.clone(),
        )
    };
    let kms = open(root.clone()).unwrap();
    create(&kms, Origin::External, KeySpec::Aes256);
    create(&kms, Origin::Kms, KeySpec::Aes256);
    drop(kms);
    let forget_check = || {
        rusqlite::Connection::open(dir.join(crate::store::DB_FILE))
            .unwrap()
            .execute("DELETE FROM meta", [])
            .unwrap();
    };
    forget_check();
    let err = open(RootKey::generate(&OsEntropy).unwrap()).unwrap_err();
    assert!(err.to_string().contains("different root key"), "{err}");
    // The right key is accepted, and the check value is written back.
    forget_check();
    let kms = open(root.clone()).unwrap();
    assert_eq!(
        kms.store.get_meta(ROOT_CHECK_META).unwrap().unwrap(),
        root.check_value()
    );
    drop(kms);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The import call as it was before import types and options, for the tests written then.
trait ImportV0 {
    fn import_key_material_v0(
        &self,
        key: &KeyRef,
        token: &str,
        wrapped: &[u8],
        expire: Option<i64>,
        material_id: Option<&str>,
    ) -> Result<KeyRecord>;
}

impl ImportV0 for Kms {
    fn import_key_material_v0(
        &self,
        key: &KeyRef,
        token: &str,
        wrapped: &[u8],
        expire: Option<i64>,
        material_id: Option<&str>,
    ) -> Result<KeyRecord> {
        let options = ImportOptions {
            expire,
            material_id: material_id.map(str::to_owned),
            description: None,
        };
        self.import_key_material(key, token, wrapped, ImportType::Auto, &options)
            .map(|(k, _)| k)
    }
}

#[test]
fn automatic_rotation_happens_on_the_clock_and_old_ciphertexts_still_decrypt() {
    let (kms, clock) = kms();
    let id = create(&kms, Origin::Kms, KeySpec::Aes256);
    let first = kms.describe_key(&k(&id)).unwrap().primary_version;
    let none = EncryptionContext::new();
    let old = kms.encrypt(&k(&id), b"before", &none).unwrap();
    kms.set_rotation(&k(&id), Some(7 * 86_400), &RULES).unwrap();
    assert_eq!(kms.sweep().unwrap(), 0, "nothing is due yet");
    clock.set(T0 + 7 * 86_400 - 1).unwrap();
    assert_eq!(kms.sweep().unwrap(), 0);
    clock.set(T0 + 7 * 86_400).unwrap();
    assert_eq!(kms.sweep().unwrap(), 1);
    let key = kms.describe_key(&k(&id)).unwrap();
    assert_ne!(key.primary_version, first);
    assert_eq!(key.versions.len(), 2);
    assert_eq!(key.rotation.unwrap().next, T0 + 14 * 86_400);
    let new = kms.encrypt(&k(&id), b"after", &none).unwrap();
    assert_eq!(new.key_version_id, key.primary_version);
    assert_eq!(
        kms.decrypt(&old.blob, &none, None).unwrap().key_version_id,
        first
    );
    assert_eq!(
        kms.decrypt(&new.blob, &none, None)
            .unwrap()
            .plaintext
            .expose(),
        b"after"
    );
    // Disabled keys do not rotate (their rotation is suspended), and rotate once enabled.
    kms.disable_key(&k(&id)).unwrap();
    clock.set(T0 + 30 * 86_400).unwrap();
    assert_eq!(kms.sweep().unwrap(), 0);
    assert_eq!(kms.describe_key(&k(&id)).unwrap().versions.len(), 2);
    kms.enable_key(&k(&id)).unwrap();
    assert_eq!(kms.sweep().unwrap(), 1);
    assert_eq!(kms.describe_key(&k(&id)).unwrap().versions.len(), 3);
}

#[test]
fn rotation_on_request_follows_each_limit() {
    let (kms, clock) = kms();
    let id = create(&kms, Origin::Kms, KeySpec::Sm4);
    let week = OnDemandLimit::MinInterval(7 * 86_400);
    assert!(matches!(
        kms.rotate_on_demand(&k(&id), week),
        Err(Error::Unsupported(_))
    ));
    clock.set(T0 + 7 * 86_400).unwrap();
    let key = kms.rotate_on_demand(&k(&id), week).unwrap();
    assert_eq!(key.versions.len(), 2);
    assert_eq!(
        key.versions[1].rotation,
        Some(crate::model::RotationKind::OnDemand)
    );
    let two = OnDemandLimit::MaxRotations(2);
    kms.rotate_on_demand(&k(&id), two).unwrap();
    assert!(matches!(
        kms.rotate_on_demand(&k(&id), two),
        Err(Error::LimitExceeded(_))
    ));
    kms.disable_key(&k(&id)).unwrap();
    assert!(matches!(
        kms.rotate_on_demand(&k(&id), OnDemandLimit::MaxRotations(9)),
        Err(Error::Unusable(Unusable::Disabled))
    ));
    // EXTERNAL keys never rotate automatically.
    let ext = create(&kms, Origin::External, KeySpec::Aes256);
    assert!(matches!(
        kms.set_rotation(&k(&ext), Some(7 * 86_400), &RULES),
        Err(Error::UnsupportedOrigin { .. })
    ));
}

#[test]
fn new_material_waits_until_an_on_demand_rotation_makes_it_primary() {
    let (kms, _clock) = kms();
    let id = create(&kms, Origin::External, KeySpec::Aes256);
    import(&kms, &id, &[1; 32], None).unwrap();
    let none = EncryptionContext::new();
    let old = kms.encrypt(&k(&id), b"one", &none).unwrap();
    let new_material = |material: &[u8], kind| {
        let p = kms
            .get_parameters_for_import(
                &k(&id),
                WrappingAlgorithm::RsaesOaepSha256,
                WrappingKeySpec::Rsa2048,
                &RULES,
            )
            .unwrap();
        kms.import_key_material(
            &k(&id),
            &p.import_token,
            &wrap(&p.public_key, material),
            kind,
            &ImportOptions::default(),
        )
    };
    // The first material again is not new; Existing with unknown material is refused.
    assert!(matches!(
        new_material(&[1; 32], ImportType::New),
        Err(Error::InvalidKeyMaterial)
    ));
    assert!(matches!(
        new_material(&[2; 32], ImportType::Existing),
        Err(Error::InvalidKeyMaterial)
    ));
    let (key, second_id) = new_material(&[2; 32], ImportType::New).unwrap();
    assert_eq!(key.pending_versions().len(), 1);
    assert!(matches!(
        new_material(&[3; 32], ImportType::New),
        Err(Error::Unsupported(_))
    ));
    // Still encrypting under the first material until the rotation.
    assert_eq!(
        kms.encrypt(&k(&id), b"x", &none).unwrap().key_version_id,
        key.versions[0].id
    );
    let key = kms
        .rotate_on_demand(&k(&id), OnDemandLimit::MaxRotations(25))
        .unwrap();
    assert_eq!(key.material_id(key.primary_index()).unwrap(), second_id);
    let new = kms.encrypt(&k(&id), b"two", &none).unwrap();
    assert_eq!(
        kms.decrypt(&old.blob, &none, None)
            .unwrap()
            .plaintext
            .expose(),
        b"one"
    );
    assert_eq!(
        kms.decrypt(&new.blob, &none, None)
            .unwrap()
            .plaintext
            .expose(),
        b"two"
    );
    // Deleting the non-current material leaves the key usable; old ciphertexts then fail.
    let first_id = key.material_id(0).unwrap();
    kms.delete_key_material(&k(&id), &MaterialSelector::Id(first_id))
        .unwrap();
    assert_eq!(state(&kms, &id), KeyState::Enabled);
    assert!(kms.decrypt(&old.blob, &none, None).is_err());
    assert!(kms.decrypt(&new.blob, &none, None).is_ok());
}

#[test]
fn deletion_protection_blocks_scheduling_the_deletion() {
    let (kms, _clock) = kms();
    let id = create(&kms, Origin::Kms, KeySpec::Aes256);
    kms.set_deletion_protection(&k(&id), Some("in use".into()))
        .unwrap();
    assert!(matches!(
        kms.schedule_key_deletion(&k(&id), 7),
        Err(Error::DeletionProtected)
    ));
    assert_eq!(state(&kms, &id), KeyState::Enabled);
    kms.set_deletion_protection(&k(&id), None).unwrap();
    kms.schedule_key_deletion(&k(&id), 7).unwrap();
    assert!(matches!(
        kms.set_deletion_protection(&k(&id), Some(String::new())),
        Err(Error::StateChangeRefused { .. })
    ));
}
