//! One conformance suite, run against every [`KeyStore`].

use std::collections::BTreeMap;

use super::{KeyStore, MemoryStore, SqliteStore, StoreError};
use crate::model::{
    Alias, KeyRecord, KeySpec, KeyState, KeyUsage, KeyVersion, Origin, ProtectionLevel,
};

fn key(id: &str, created: i64) -> KeyRecord {
    KeyRecord {
        key_id: id.into(),
        revision: 0,
        spec: KeySpec::Aes256,
        usage: KeyUsage::EncryptDecrypt,
        origin: Origin::External,
        protection_level: ProtectionLevel::Software,
        description: "d".into(),
        state: KeyState::PendingImport,
        created,
        creator: "1".into(),
        delete_date: None,
        material_expire: None,
        material_fingerprint: None,
        primary_version: "v1".into(),
        versions: vec![KeyVersion::new("v1".into(), created)],
        tags: BTreeMap::new(),
        rotation: None,
        deletion_protection: None,
        policy: None,
        grants: Vec::new(),
        pending_window_days: None,
        last_used: None,
    }
}

fn run(store: &dyn KeyStore) {
    assert!(store.get_key("a").unwrap().is_none());
    store.create_key(&key("b", 20)).unwrap();
    store.create_key(&key("a", 10)).unwrap();
    store.create_key(&key("c", 20)).unwrap();
    assert!(matches!(
        store.create_key(&key("a", 1)),
        Err(StoreError::Conflict)
    ));

    // Listing is by creation time, then ID.
    let page = store.list_keys("", 0, 2).unwrap();
    assert_eq!(page.items, vec!["a", "b"]);
    assert_eq!(page.total, 3);
    assert_eq!(store.list_keys("", 2, 10).unwrap().items, vec!["c"]);
    assert!(store.list_keys("", 5, 10).unwrap().items.is_empty());

    // Compare-and-swap updates.
    let mut a = store.get_key("a").unwrap().unwrap();
    assert_eq!(a.revision, 1);
    let stale = a.clone();
    a.state = KeyState::Enabled;
    a.versions[0].sealed_material = Some("c2VhbGVk".into());
    a.material_expire = Some(100);
    assert_eq!(store.update_key(&a).unwrap(), 2);
    assert!(matches!(
        store.update_key(&stale),
        Err(StoreError::Conflict)
    ));
    let read = store.get_key("a").unwrap().unwrap();
    assert_eq!(read.revision, 2);
    assert_eq!(read.state, KeyState::Enabled);
    assert!(matches!(
        store.update_key(&key("zz", 1)),
        Err(StoreError::NotFound)
    ));

    // Due keys.
    assert!(store.keys_due(99).unwrap().is_empty());
    assert_eq!(store.keys_due(100).unwrap(), vec!["a"]);

    // Aliases.
    let alias = Alias {
        name: "alias/x".into(),
        key_id: "a".into(),
        created: 1,
    };
    store.create_alias(&alias).unwrap();
    assert!(matches!(
        store.create_alias(&alias),
        Err(StoreError::Conflict)
    ));
    store
        .create_alias(&Alias {
            name: "alias/y".into(),
            key_id: "b".into(),
            created: 2,
        })
        .unwrap();
    assert_eq!(store.get_alias("alias/x").unwrap().unwrap().key_id, "a");
    store.update_alias("alias/x", "c").unwrap();
    assert_eq!(store.get_alias("alias/x").unwrap().unwrap().key_id, "c");
    assert!(matches!(
        store.update_alias("alias/none", "c"),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_aliases("", None, 0, 10).unwrap().total, 2);
    let of_b = store.list_aliases("", Some("b"), 0, 10).unwrap();
    assert_eq!(of_b.items.len(), 1);
    assert_eq!(of_b.items[0].name, "alias/y");

    // Deleting a key deletes its aliases.
    assert!(store.delete_key("b").unwrap());
    assert!(!store.delete_key("b").unwrap());
    assert!(store.get_alias("alias/y").unwrap().is_none());
    assert!(store.delete_alias("alias/x").unwrap());
    assert!(!store.delete_alias("alias/x").unwrap());

    // Metadata.
    assert!(store.get_meta("m").unwrap().is_none());
    store.put_meta("m", "1").unwrap();
    store.put_meta("m", "2").unwrap();
    assert_eq!(store.get_meta("m").unwrap().as_deref(), Some("2"));
}

fn run_clear(store: &dyn KeyStore) {
    store.create_key(&key("x", 1)).unwrap();
    store
        .create_alias(&Alias {
            name: "alias/x".into(),
            key_id: "x".into(),
            created: 1,
        })
        .unwrap();
    store.put_meta("keep", "1").unwrap();
    store.clear().unwrap();
    assert!(store.get_key("x").unwrap().is_none());
    assert!(store.get_alias("alias/x").unwrap().is_none());
    assert_eq!(store.list_keys("", 0, 10).unwrap().total, 0);
    assert_eq!(store.get_meta("keep").unwrap().as_deref(), Some("1"));
}

#[test]
fn clear_empties_keys_and_aliases_but_keeps_metadata() {
    run_clear(&MemoryStore::new());
    let dir = std::env::temp_dir().join(format!("qkms-suite-clear-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    run_clear(&SqliteStore::open(&dir).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn run_bulk(store: &dyn KeyStore) {
    let keys: Vec<KeyRecord> = (0..5).map(|i| key(&format!("bulk{i}"), i)).collect();
    store.create_keys(&keys).unwrap();
    assert_eq!(store.list_keys("", 0, 10).unwrap().total, 5);
    assert!(matches!(
        store.create_keys(&keys[..1]),
        Err(StoreError::Conflict)
    ));
}

#[test]
fn bulk_creation() {
    run_bulk(&MemoryStore::new());
    let dir = std::env::temp_dir().join(format!("qkms-suite-bulk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    run_bulk(&SqliteStore::open(&dir).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn memory_store_conforms() {
    run(&MemoryStore::new());
}

#[test]
fn sqlite_store_conforms_and_persists() {
    let dir = std::env::temp_dir().join(format!("qkms-suite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    {
        let store = SqliteStore::open(&dir).unwrap();
        run(&store);
    }
    let reopened = SqliteStore::open(&dir).unwrap();
    assert_eq!(
        reopened.get_key("a").unwrap().unwrap().state,
        KeyState::Enabled
    );
    assert_eq!(reopened.get_meta("m").unwrap().as_deref(), Some("2"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// After an update that drops a value and a scrub, no byte of it remains in the database
/// file, its WAL or its shared-memory file; the same after a deletion and after a clear.
#[test]
fn sqlite_scrub_leaves_no_copy_of_erased_values() {
    let dir = std::env::temp_dir().join(format!("qkms-suite-scrub-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let files = ["qkms.db", "qkms.db-wal", "qkms.db-shm"];
    let found = |needle: &str| {
        files.iter().any(|f| {
            std::fs::read(dir.join(f))
                .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .unwrap_or(false)
        })
    };
    let store = SqliteStore::open(&dir).unwrap();
    for (i, erase) in ["update", "delete", "clear"].into_iter().enumerate() {
        let secret = format!("SEALEDSECRET{i}{}", "Q".repeat(40));
        let mut k = key(&format!("k{i}"), i as i64);
        k.versions[0].sealed_material = Some(secret.clone());
        store.create_key(&k).unwrap();
        let mut stored = store.get_key(&k.key_id).unwrap().unwrap();
        // Rewrite it a few times, as re-imports do, so several page versions exist.
        for _ in 0..3 {
            stored.revision = store.update_key(&stored).unwrap();
        }
        assert!(found(&secret), "{erase}: the value should be on disk first");
        match erase {
            "update" => {
                stored.versions[0].sealed_material = None;
                store.update_key(&stored).unwrap();
            }
            "delete" => assert!(store.delete_key(&k.key_id).unwrap()),
            _ => store.clear().unwrap(),
        }
        store.scrub().unwrap();
        assert!(
            !found(&secret),
            "{erase}: a copy of the erased value survived"
        );
    }
    drop(store);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn secret(name: &str, created: i64) -> crate::model::SecretRecord {
    crate::model::SecretRecord {
        name: name.into(),
        revision: 0,
        arn_suffix: "AbCdEf".into(),
        description: String::new(),
        key_id: None,
        created,
        updated: created,
        tags: BTreeMap::new(),
        policy: None,
        extended_config: None,
        rotation: None,
        last_rotated: None,
        delete_date: None,
        versions: Vec::new(),
    }
}

fn run_secrets(store: &dyn KeyStore) {
    assert!(store.get_secret("s").unwrap().is_none());
    store.create_secret(&secret("s2", 20)).unwrap();
    store.create_secret(&secret("s1", 20)).unwrap();
    store.create_secret(&secret("s0", 30)).unwrap();
    assert!(matches!(
        store.create_secret(&secret("s1", 1)),
        Err(StoreError::Conflict)
    ));
    let names: Vec<String> = store
        .list_secrets("")
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["s1", "s2", "s0"]);

    let mut s1 = store.get_secret("s1").unwrap().unwrap();
    assert_eq!(s1.revision, 1);
    let stale = s1.clone();
    s1.delete_date = Some(500);
    assert_eq!(store.update_secret(&s1).unwrap(), 2);
    assert!(matches!(
        store.update_secret(&stale),
        Err(StoreError::Conflict)
    ));
    assert_eq!(store.secrets_due(499).unwrap(), Vec::<String>::new());
    assert_eq!(store.secrets_due(500).unwrap(), ["s1"]);

    assert!(store.delete_secret("s1").unwrap());
    assert!(!store.delete_secret("s1").unwrap());
    assert!(matches!(
        store.update_secret(&s1),
        Err(StoreError::NotFound)
    ));
    store.clear().unwrap();
    assert!(store.list_secrets("").unwrap().is_empty());
}

#[test]
fn secrets_conform_in_every_store() {
    run_secrets(&MemoryStore::new());
    let dir = std::env::temp_dir().join(format!("qkms-suite-secrets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    run_secrets(&SqliteStore::open(&dir).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}
