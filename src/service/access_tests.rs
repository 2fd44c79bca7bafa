//! Domain tests of the access data: key policies, grants and their tokens, and last-use
//! tracking with its batched persistence.

use std::sync::Arc;

use super::*;
use crate::clock::{ControlledClock, Mode};
use crate::model::{
    GrantConstraint, GrantOperation, KeySpec, KeyUsage, Origin, ProtectionLevel, UseOperation,
};
use crate::store::KeyStore as _;
use crate::store::MemoryStore;

const T0: i64 = 1_704_067_200;
const POLICY: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}"#;

fn setup() -> (Kms, Arc<ControlledClock>, Arc<MemoryStore>) {
    let clock = Arc::new(ControlledClock::new(Mode::Fixed(T0)));
    let store = Arc::new(MemoryStore::new());
    (test_kms(store.clone(), clock.clone()), clock, store)
}

fn create(kms: &Kms, policy: Option<&str>) -> Result<String> {
    kms.create_key(CreateKeyInput {
        spec: KeySpec::Aes256,
        usage: KeyUsage::EncryptDecrypt,
        origin: Origin::Kms,
        protection_level: ProtectionLevel::Software,
        description: String::new(),
        enable_automatic_rotation: false,
        rotation_interval: None,
        tags: Default::default(),
        policy: policy.map(str::to_owned),
    })
    .map(|k| k.key_id)
}

fn grant(name: Option<&str>, ops: &[GrantOperation]) -> GrantInput {
    GrantInput {
        name: name.map(str::to_owned),
        grantee: "arn:aws:iam::1:role/a".into(),
        retiring: Some("arn:aws:iam::1:role/r".into()),
        operations: ops.to_vec(),
        constraint: Some(GrantConstraint::Subset([("a".into(), "1".into())].into())),
        issuing_account: "arn:aws:iam::1:root".into(),
    }
}

#[test]
fn policies_are_checked_and_kept_byte_for_byte() {
    let (kms, _, _) = setup();
    assert!(matches!(
        create(&kms, Some("{}")),
        Err(Error::MalformedPolicy(_))
    ));
    let id = create(&kms, Some(POLICY)).unwrap();
    let key = KeyRef::Id(id);
    assert_eq!(
        kms.describe_key(&key).unwrap().policy.as_deref(),
        Some(POLICY)
    );
    let spaced = format!(" {POLICY}\n");
    kms.set_key_policy(&key, &spaced).unwrap();
    assert_eq!(kms.describe_key(&key).unwrap().policy, Some(spaced.clone()));
    assert!(matches!(
        kms.set_key_policy(&key, "[1]"),
        Err(Error::MalformedPolicy(_))
    ));
    assert_eq!(kms.describe_key(&key).unwrap().policy, Some(spaced));
    kms.schedule_key_deletion(&key, 7).unwrap();
    kms.set_key_policy(&key, POLICY).unwrap();
    assert!(matches!(
        kms.set_key_policy(&KeyRef::Id("nope".into()), POLICY),
        Err(Error::KeyNotFound)
    ));
}

#[test]
fn grants_by_name_token_and_id() {
    let (kms, _, _) = setup();
    let id = create(&kms, None).unwrap();
    let key = KeyRef::Id(id.clone());
    let ops = [GrantOperation::Encrypt, GrantOperation::Decrypt];
    assert!(
        kms.create_grant(&key, &grant(None, &ops), true)
            .unwrap()
            .is_none()
    );
    assert!(kms.describe_key(&key).unwrap().grants.is_empty());
    let a = kms
        .create_grant(&key, &grant(Some("n"), &ops), false)
        .unwrap()
        .unwrap();
    assert_eq!(a.grant_id.len(), 64);
    let reversed = [
        GrantOperation::Decrypt,
        GrantOperation::Encrypt,
        GrantOperation::Decrypt,
    ];
    let b = kms
        .create_grant(&key, &grant(Some("n"), &reversed), false)
        .unwrap()
        .unwrap();
    assert_eq!(a.grant_id, b.grant_id);
    assert_ne!(a.token, b.token);
    let other = kms
        .create_grant(&key, &grant(Some("n"), &[GrantOperation::Encrypt]), false)
        .unwrap()
        .unwrap();
    assert_ne!(other.grant_id, a.grant_id);
    let unnamed = kms
        .create_grant(&key, &grant(None, &ops), false)
        .unwrap()
        .unwrap();
    assert_eq!(kms.describe_key(&key).unwrap().grants.len(), 3);
    assert_eq!(
        kms.retirable_grants("arn:aws:iam::1:role/r").unwrap().len(),
        3
    );
    assert!(
        kms.retirable_grants("arn:aws:iam::1:role/x")
            .unwrap()
            .is_empty()
    );

    // Tokens: authentic ones find their grant; tampered or foreign ones are refused.
    assert_eq!(
        kms.retire_grant(&GrantRef::Token(b.token.clone()), true)
            .unwrap(),
        id
    );
    assert_eq!(
        kms.retire_grant(&GrantRef::Token(b.token.clone()), false)
            .unwrap(),
        id
    );
    assert!(matches!(
        kms.retire_grant(&GrantRef::Token(a.token.clone()), false),
        Err(Error::GrantNotFound)
    ));
    let mut tampered = other.token.clone().into_bytes();
    let last = tampered.len() - 5;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [tampered.as_str(), "", "AAAA", "not base64 at all!"] {
        assert!(
            matches!(
                kms.retire_grant(&GrantRef::Token(bad.into()), false),
                Err(Error::InvalidGrantToken)
            ),
            "{bad}"
        );
    }
    let (elsewhere, _, _) = setup();
    assert!(matches!(
        elsewhere.retire_grant(&GrantRef::Token(other.token.clone()), false),
        Err(Error::InvalidGrantToken)
    ));
    kms.retire_grant(&GrantRef::Id(key.clone(), other.grant_id.clone()), false)
        .unwrap();
    kms.revoke_grant(&key, &unnamed.grant_id, false).unwrap();
    assert!(matches!(
        kms.revoke_grant(&key, &unnamed.grant_id, true),
        Err(Error::GrantNotFound)
    ));
    assert!(kms.describe_key(&key).unwrap().grants.is_empty());
}

#[test]
fn no_grants_on_a_key_pending_deletion_and_none_after_it() {
    let (kms, clock, _) = setup();
    let id = create(&kms, None).unwrap();
    let key = KeyRef::Id(id);
    let ops = [GrantOperation::Encrypt];
    let g = kms
        .create_grant(&key, &grant(None, &ops), false)
        .unwrap()
        .unwrap();
    kms.schedule_key_deletion(&key, 7).unwrap();
    assert_eq!(kms.describe_key(&key).unwrap().pending_window_days, Some(7));
    for dry_run in [true, false] {
        assert!(matches!(
            kms.create_grant(&key, &grant(None, &ops), dry_run),
            Err(Error::StateChangeRefused { .. })
        ));
    }
    assert!(matches!(
        kms.create_grant(&key, &grant(None, &[]), false),
        Err(Error::InvalidParameter {
            name: "Operations",
            ..
        })
    ));
    clock.advance(8 * 86_400).unwrap();
    assert!(
        kms.retirable_grants("arn:aws:iam::1:role/r")
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        kms.retire_grant(&GrantRef::Token(g.token), false),
        Err(Error::KeyNotFound)
    ));
}

#[test]
fn last_use_is_noted_in_memory_and_flushed_in_batches() {
    let (kms, clock, store) = setup();
    let id = create(&kms, None).unwrap();
    let key = KeyRef::Id(id.clone());
    let start = kms.key_last_usage(&key).unwrap();
    assert_eq!((start.tracking_start, start.key_created), (T0, T0));
    assert!(start.last_use.is_none());
    clock.advance(10).unwrap();
    let blob = kms.encrypt(&key, b"x", &Default::default()).unwrap().blob;
    let noted = kms.key_last_usage(&key).unwrap().last_use.unwrap();
    assert_eq!(
        (noted.at, noted.operation),
        (T0 + 10, UseOperation::Encrypt)
    );
    // Not written yet: the store holds no use until the sweep flushes it.
    let stored = |store: &MemoryStore| store.get_key(&id).unwrap().unwrap().last_used;
    assert_eq!(stored(&store), None);
    clock.advance(5).unwrap();
    kms.decrypt(&blob, &Default::default(), None).unwrap();
    kms.sweep().unwrap();
    let flushed = stored(&store).unwrap();
    assert_eq!(
        (flushed.at, flushed.operation),
        (T0 + 15, UseOperation::Decrypt)
    );
    // The tracking start is the store's, so it survives a restart.
    assert_eq!(
        store.get_meta(usage::TRACKING_START_META).unwrap(),
        Some(T0.to_string())
    );
    // ReEncrypt marks both keys; a failed call marks nothing.
    let other = KeyRef::Id(create(&kms, None).unwrap());
    clock.advance(1).unwrap();
    kms.re_encrypt(
        &blob,
        &Default::default(),
        None,
        &other,
        &Default::default(),
    )
    .unwrap();
    for k in [&key, &other] {
        let u = kms.key_last_usage(k).unwrap().last_use.unwrap();
        assert_eq!((u.at, u.operation), (T0 + 16, UseOperation::ReEncrypt));
    }
    clock.advance(1).unwrap();
    assert!(kms.decrypt(b"junk", &Default::default(), None).is_err());
    assert_eq!(
        kms.key_last_usage(&key).unwrap().last_use.unwrap().at,
        T0 + 16
    );
    kms.shutdown();
    assert_eq!(stored(&store).unwrap().operation, UseOperation::ReEncrypt);
}
