//! The stale-cache race, reproduced: readers that miss the key cache load a key from a slow
//! store while a writer changes it. Once the write is acknowledged, no request that starts
//! afterwards may see the old state, in hundreds of rounds of DeleteKeyMaterial, DisableKey
//! and ScheduleKeyDeletion.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use super::seed::SeedFile;
use super::*;
use crate::clock::{ControlledClock, Mode};
use crate::model::{Alias, EncryptionContext, KeyRecord, KeyRef, KeyState};
use crate::store::{MemoryStore, Page};

/// A memory store whose reads take a while after fetching, so that a reader's copy is old
/// by the time it returns: the window of the race, made wide.
#[derive(Debug, Default)]
struct SlowStore(MemoryStore);

impl KeyStore for SlowStore {
    fn get_key(&self, key_id: &str) -> Result<Option<KeyRecord>, StoreError> {
        let key = self.0.get_key(key_id);
        std::thread::sleep(Duration::from_micros(300));
        key
    }
    fn create_key(&self, key: &KeyRecord) -> Result<(), StoreError> {
        self.0.create_key(key)
    }
    fn update_key(&self, key: &KeyRecord) -> Result<u64, StoreError> {
        self.0.update_key(key)
    }
    fn delete_key(&self, key_id: &str) -> Result<bool, StoreError> {
        self.0.delete_key(key_id)
    }
    fn list_keys(
        &self,
        scope: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Page<String>, StoreError> {
        self.0.list_keys(scope, offset, limit)
    }
    fn keys_due(&self, now: i64) -> Result<Vec<String>, StoreError> {
        self.0.keys_due(now)
    }
    fn get_alias(&self, name: &str) -> Result<Option<Alias>, StoreError> {
        self.0.get_alias(name)
    }
    fn create_alias(&self, alias: &Alias) -> Result<(), StoreError> {
        self.0.create_alias(alias)
    }
    fn update_alias(&self, name: &str, key_id: &str) -> Result<(), StoreError> {
        self.0.update_alias(name, key_id)
    }
    fn delete_alias(&self, name: &str) -> Result<bool, StoreError> {
        self.0.delete_alias(name)
    }
    fn list_aliases(
        &self,
        scope: &str,
        key_id: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Page<Alias>, StoreError> {
        self.0.list_aliases(scope, key_id, offset, limit)
    }
    fn clear(&self) -> Result<(), StoreError> {
        self.0.clear()
    }
    fn scrub(&self) -> Result<(), StoreError> {
        self.0.scrub()
    }
    fn get_meta(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.0.get_meta(name)
    }
    fn put_meta(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.0.put_meta(name, value)
    }
    fn get_secret(&self, name: &str) -> Result<Option<crate::model::SecretRecord>, StoreError> {
        self.0.get_secret(name)
    }
    fn create_secret(&self, secret: &crate::model::SecretRecord) -> Result<(), StoreError> {
        self.0.create_secret(secret)
    }
    fn update_secret(&self, secret: &crate::model::SecretRecord) -> Result<u64, StoreError> {
        self.0.update_secret(secret)
    }
    fn delete_secret(&self, name: &str) -> Result<bool, StoreError> {
        self.0.delete_secret(name)
    }
    fn list_secrets(&self, scope: &str) -> Result<Vec<crate::model::SecretRecord>, StoreError> {
        self.0.list_secrets(scope)
    }
    fn secrets_due(&self, now: i64) -> Result<Vec<String>, StoreError> {
        self.0.secrets_due(now)
    }
}

fn slow_kms() -> Kms {
    test_kms(
        Arc::new(SlowStore::default()),
        Arc::new(ControlledClock::new(Mode::Fixed(1_704_067_200))),
    )
}

/// An EXTERNAL key with imported material (through a seed, to skip RSA), Enabled.
fn external_key(kms: &Kms, round: usize) -> String {
    let id = format!("race-{round:04}");
    let seed: SeedFile = toml::from_str(&format!(
        "[[keys]]\nkey_id = \"{id}\"\norigin = \"EXTERNAL\"\n[[keys.versions]]\nmaterial_hex = \"{}\"\n",
        "ab".repeat(32)
    ))
    .unwrap();
    kms.load_seed(&seed).unwrap();
    id
}

#[derive(Debug, Clone, Copy)]
enum Change {
    DeleteMaterial,
    Disable,
    ScheduleDeletion,
}

impl Change {
    fn apply(self, kms: &Kms, id: &str) {
        match self {
            Self::DeleteMaterial => drop(
                kms.delete_key_material(&KeyRef::plain(id), &crate::service::MaterialSelector::All)
                    .unwrap(),
            ),
            Self::Disable => drop(kms.disable_key(&KeyRef::plain(id)).unwrap()),
            Self::ScheduleDeletion => {
                drop(kms.schedule_key_deletion(&KeyRef::plain(id), 7).unwrap())
            }
        }
    }

    fn expected(self) -> KeyState {
        match self {
            Self::DeleteMaterial => KeyState::PendingImport,
            Self::Disable => KeyState::Disabled,
            Self::ScheduleDeletion => KeyState::PendingDeletion,
        }
    }
}

/// One round: six encrypt loops on the key while `change` is applied; returns how many
/// Encrypts that started after the change was acknowledged still succeeded.
fn round(kms: &Arc<Kms>, id: &str, change: Change) -> usize {
    const READERS: usize = 6;
    let acked = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let late_successes = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(READERS + 1));
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (kms, id) = (kms.clone(), id.to_owned());
            let (acked, stop, late) = (acked.clone(), stop.clone(), late_successes.clone());
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                while !stop.load(Ordering::SeqCst) {
                    let after_ack = acked.load(Ordering::SeqCst);
                    let ok = kms.encrypt(&KeyRef::plain(&id), b"x", &EncryptionContext::new());
                    if after_ack && ok.is_ok() {
                        late.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    start.wait();
    std::thread::sleep(Duration::from_micros(500));
    change.apply(kms, id);
    acked.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(3));
    stop.store(true, Ordering::SeqCst);
    for r in readers {
        r.join().unwrap();
    }
    assert_eq!(
        kms.describe_key(&KeyRef::plain(id)).unwrap().state,
        change.expected()
    );
    late_successes.load(Ordering::SeqCst)
}

#[test]
fn no_request_after_an_acknowledged_change_sees_the_old_state() {
    let kms = Arc::new(slow_kms());
    let changes = [
        Change::DeleteMaterial,
        Change::Disable,
        Change::ScheduleDeletion,
    ];
    let mut late = 0;
    for i in 0..300 {
        let id = external_key(&kms, i);
        // Warm the cache, as a busy key is.
        kms.encrypt(&KeyRef::plain(&id), b"warm", &EncryptionContext::new())
            .unwrap();
        late += round(&kms, &id, changes[i % changes.len()]);
    }
    assert_eq!(
        late, 0,
        "Encrypts succeeded after the change was acknowledged"
    );
}
