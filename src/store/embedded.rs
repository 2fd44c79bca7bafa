//! The embedded default store: one SQLite database (`qkms.db`) in the data directory.
//!
//! Durability: WAL journal with `synchronous=NORMAL`. A transaction is in the WAL file
//! (written with `write(2)`) before the call returns, so an acknowledged write survives
//! `kill -9` of the server; only an operating-system crash or power loss can lose the
//! last transactions, which `synchronous=FULL` would prevent at the cost of an fsync per
//! write.
//!
//! Erasure: `secure_delete` overwrites deleted content in the database file, but a WAL
//! keeps every earlier version of a page until a checkpoint. So after a write that erased
//! material, [`KeyStore::scrub`] checkpoints the WAL into the database and truncates it to
//! zero bytes (and so does every start, for a crash between the two): no sealed copy of
//! erased material survives in `qkms.db`, `qkms.db-wal` or `qkms.db-shm`.
//!
//! One writer connection and a few reader connections: WAL lets readers run beside the
//! writer.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension as _, params};

use super::{KeyStore, Page, StoreError};
use crate::model::{Alias, KeyRecord, SecretRecord};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "qkms.db";

const READERS: usize = 4;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS keys (
    key_id   TEXT PRIMARY KEY,
    created  INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    due_at   INTEGER,
    record   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS keys_order ON keys (created, key_id);
CREATE INDEX IF NOT EXISTS keys_due ON keys (due_at) WHERE due_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS aliases (
    name    TEXT PRIMARY KEY,
    key_id  TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS aliases_key ON aliases (key_id);
CREATE TABLE IF NOT EXISTS secrets (
    name     TEXT PRIMARY KEY,
    created  INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    due_at   INTEGER,
    record   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS secrets_order ON secrets (created, name);
CREATE INDEX IF NOT EXISTS secrets_due ON secrets (due_at) WHERE due_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

/// SQLite-backed [`KeyStore`].
#[derive(Debug)]
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn open(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(backend)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA secure_delete = ON;",
    )
    .map_err(backend)?;
    Ok(conn)
}

fn decode_key(key_id: &str, record: &str, revision: i64) -> Result<KeyRecord, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        key_id: key_id.to_owned(),
        reason,
    };
    let mut key: KeyRecord = serde_json::from_str(record).map_err(|e| corrupt(e.to_string()))?;
    if key.key_id != key_id {
        return Err(corrupt(format!("the record names key {}", key.key_id)));
    }
    key.revision = u64::try_from(revision).map_err(|e| corrupt(e.to_string()))?;
    Ok(key)
}

fn decode_secret(name: &str, record: &str, revision: i64) -> Result<SecretRecord, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        key_id: format!("secret/{name}"),
        reason,
    };
    let mut secret: SecretRecord =
        serde_json::from_str(record).map_err(|e| corrupt(e.to_string()))?;
    if secret.name != name {
        return Err(corrupt(format!("the record names secret {}", secret.name)));
    }
    secret.revision = u64::try_from(revision).map_err(|e| corrupt(e.to_string()))?;
    Ok(secret)
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl SqliteStore {
    /// Opens (creating if needed) `dir/qkms.db`.
    ///
    /// # Errors
    /// The database cannot be opened or its schema created.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(DB_FILE);
        // Created (or narrowed) 0600 before SQLite opens it: SQLite gives the -wal and -shm
        // files the database file's mode.
        crate::files::open_private(&path, true).map_err(backend)?;
        for suffix in ["-wal", "-shm"] {
            let side = dir.join(format!("{DB_FILE}{suffix}"));
            if side.exists() {
                crate::files::narrow(&side, crate::files::FILE_MODE).map_err(backend)?;
            }
        }
        let writer = open(&path)?;
        writer.execute_batch(SCHEMA).map_err(backend)?;
        let readers = (0..READERS)
            .map(|_| open(&path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        let store = Self {
            writer: Mutex::new(writer),
            readers,
        };
        // A crash between an erasing write and its checkpoint leaves old pages in the WAL.
        store.scrub()?;
        Ok(store)
    }

    /// What SQLite's own integrity check finds wrong with the file (empty when sound).
    ///
    /// # Errors
    /// The check cannot run.
    pub fn integrity_problems(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare("PRAGMA integrity_check").map_err(backend)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(backend)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    fn writer(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.writer
            .lock()
            .map_err(|_| backend("writer lock poisoned"))
    }

    /// A free reader connection, else waits for the first one.
    fn reader(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        for r in &self.readers {
            if let Ok(guard) = r.try_lock() {
                return Ok(guard);
            }
        }
        self.readers
            .first()
            .ok_or_else(|| backend("no reader"))?
            .lock()
            .map_err(|_| backend("reader lock poisoned"))
    }
}

impl KeyStore for SqliteStore {
    fn get_key(&self, key_id: &str) -> Result<Option<KeyRecord>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare_cached("SELECT record, revision FROM keys WHERE key_id = ?1")
            .map_err(backend)?;
        let row: Option<(String, i64)> = stmt
            .query_row(params![key_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(backend)?;
        row.map(|(record, rev)| decode_key(key_id, &record, rev))
            .transpose()
    }

    fn create_key(&self, key: &KeyRecord) -> Result<(), StoreError> {
        let record = serde_json::to_string(key).map_err(backend)?;
        let conn = self.writer()?;
        let inserted = conn
            .prepare_cached(
                "INSERT INTO keys (key_id, created, revision, due_at, record)
                 VALUES (?1, ?2, 1, ?3, ?4) ON CONFLICT (key_id) DO NOTHING",
            )
            .map_err(backend)?
            .execute(params![key.key_id, key.created, key.due_at(), record])
            .map_err(backend)?;
        if inserted == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    fn create_keys(&self, keys: &[KeyRecord]) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        let tx = conn.transaction().map_err(backend)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO keys (key_id, created, revision, due_at, record) VALUES (?1, ?2, 1, ?3, ?4)",
                )
                .map_err(backend)?;
            for key in keys {
                let record = serde_json::to_string(key).map_err(backend)?;
                stmt.execute(params![key.key_id, key.created, key.due_at(), record])
                    .map_err(|e| match e {
                        rusqlite::Error::SqliteFailure(f, _)
                            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                        {
                            StoreError::Conflict
                        }
                        other => backend(other),
                    })?;
            }
        }
        tx.commit().map_err(backend)
    }

    fn update_key(&self, key: &KeyRecord) -> Result<u64, StoreError> {
        let record = serde_json::to_string(key).map_err(backend)?;
        let expected = i64::try_from(key.revision).map_err(backend)?;
        let conn = self.writer()?;
        let changed = conn
            .prepare_cached(
                "UPDATE keys SET record = ?1, due_at = ?2, revision = revision + 1
                 WHERE key_id = ?3 AND revision = ?4",
            )
            .map_err(backend)?
            .execute(params![record, key.due_at(), key.key_id, expected])
            .map_err(backend)?;
        if changed == 1 {
            return Ok(key.revision + 1);
        }
        let exists: Option<i64> = conn
            .query_row(
                "SELECT 1 FROM keys WHERE key_id = ?1",
                params![key.key_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        Err(if exists.is_some() {
            StoreError::Conflict
        } else {
            StoreError::NotFound
        })
    }

    fn delete_key(&self, key_id: &str) -> Result<bool, StoreError> {
        let mut conn = self.writer()?;
        let tx = conn.transaction().map_err(backend)?;
        let n = tx
            .execute("DELETE FROM keys WHERE key_id = ?1", params![key_id])
            .map_err(backend)?;
        tx.execute("DELETE FROM aliases WHERE key_id = ?1", params![key_id])
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(n == 1)
    }

    fn list_keys(
        &self,
        scope: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Page<String>, StoreError> {
        let conn = self.reader()?;
        let total: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM keys WHERE ((?1 = '' AND substr(key_id, 1, 1) <> '~') OR (?1 <> '' AND substr(key_id, 1, length(?1)) = ?1))",
                params![scope],
                |r| r.get(0),
            )
            .map_err(backend)?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT key_id FROM keys WHERE ((?1 = '' AND substr(key_id, 1, 1) <> '~') OR (?1 <> '' AND substr(key_id, 1, length(?1)) = ?1)) ORDER BY created, key_id LIMIT ?2 OFFSET ?3",
            )
            .map_err(backend)?;
        let items = stmt
            .query_map(params![scope, to_i64(limit), to_i64(offset)], |r| r.get(0))
            .map_err(backend)?
            .collect::<Result<Vec<String>, _>>()
            .map_err(backend)?;
        Ok(Page {
            items,
            total: usize::try_from(total).map_err(backend)?,
        })
    }

    fn keys_due(&self, now: i64) -> Result<Vec<String>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare_cached("SELECT key_id FROM keys WHERE due_at IS NOT NULL AND due_at <= ?1")
            .map_err(backend)?;
        stmt.query_map(params![now], |r| r.get(0))
            .map_err(backend)?
            .collect::<Result<Vec<String>, _>>()
            .map_err(backend)
    }

    fn get_alias(&self, name: &str) -> Result<Option<Alias>, StoreError> {
        let conn = self.reader()?;
        conn.prepare_cached("SELECT name, key_id, created FROM aliases WHERE name = ?1")
            .map_err(backend)?
            .query_row(params![name], |r| {
                Ok(Alias {
                    name: r.get(0)?,
                    key_id: r.get(1)?,
                    created: r.get(2)?,
                })
            })
            .optional()
            .map_err(backend)
    }

    fn create_alias(&self, alias: &Alias) -> Result<(), StoreError> {
        let conn = self.writer()?;
        let n = conn
            .execute(
                "INSERT INTO aliases (name, key_id, created) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO NOTHING",
                params![alias.name, alias.key_id, alias.created],
            )
            .map_err(backend)?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    fn update_alias(&self, name: &str, key_id: &str) -> Result<(), StoreError> {
        let conn = self.writer()?;
        let n = conn
            .execute(
                "UPDATE aliases SET key_id = ?1 WHERE name = ?2",
                params![key_id, name],
            )
            .map_err(backend)?;
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    fn delete_alias(&self, name: &str) -> Result<bool, StoreError> {
        let conn = self.writer()?;
        let n = conn
            .execute("DELETE FROM aliases WHERE name = ?1", params![name])
            .map_err(backend)?;
        Ok(n == 1)
    }

    fn list_aliases(
        &self,
        scope: &str,
        key_id: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Page<Alias>, StoreError> {
        let conn = self.reader()?;
        let total: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM aliases WHERE (?1 IS NULL OR key_id = ?1) AND ((?2 = '' AND substr(name, 1, 1) <> '~') OR (?2 <> '' AND substr(name, 1, length(?2)) = ?2))",
                params![key_id, scope],
                |r| r.get(0),
            )
            .map_err(backend)?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT name, key_id, created FROM aliases WHERE (?1 IS NULL OR key_id = ?1)
                 AND ((?4 = '' AND substr(name, 1, 1) <> '~') OR (?4 <> '' AND substr(name, 1, length(?4)) = ?4)) ORDER BY name LIMIT ?2 OFFSET ?3",
            )
            .map_err(backend)?;
        let items = stmt
            .query_map(params![key_id, to_i64(limit), to_i64(offset), scope], |r| {
                Ok(Alias {
                    name: r.get(0)?,
                    key_id: r.get(1)?,
                    created: r.get(2)?,
                })
            })
            .map_err(backend)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        Ok(Page {
            items,
            total: usize::try_from(total).map_err(backend)?,
        })
    }

    fn clear(&self) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        let tx = conn.transaction().map_err(backend)?;
        tx.execute("DELETE FROM keys", []).map_err(backend)?;
        tx.execute("DELETE FROM aliases", []).map_err(backend)?;
        tx.execute("DELETE FROM secrets", []).map_err(backend)?;
        tx.commit().map_err(backend)
    }

    fn get_secret(&self, name: &str) -> Result<Option<SecretRecord>, StoreError> {
        let conn = self.reader()?;
        let row: Option<(String, i64)> = conn
            .prepare_cached("SELECT record, revision FROM secrets WHERE name = ?1")
            .map_err(backend)?
            .query_row(params![name], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(backend)?;
        row.map(|(record, rev)| decode_secret(name, &record, rev))
            .transpose()
    }

    fn create_secret(&self, secret: &SecretRecord) -> Result<(), StoreError> {
        let record = serde_json::to_string(secret).map_err(backend)?;
        let conn = self.writer()?;
        let inserted = conn
            .prepare_cached(
                "INSERT INTO secrets (name, created, revision, due_at, record)
                 VALUES (?1, ?2, 1, ?3, ?4) ON CONFLICT (name) DO NOTHING",
            )
            .map_err(backend)?
            .execute(params![
                secret.name,
                secret.created,
                secret.due_at(),
                record
            ])
            .map_err(backend)?;
        if inserted == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    fn update_secret(&self, secret: &SecretRecord) -> Result<u64, StoreError> {
        let record = serde_json::to_string(secret).map_err(backend)?;
        let expected = i64::try_from(secret.revision).map_err(backend)?;
        let conn = self.writer()?;
        let changed = conn
            .prepare_cached(
                "UPDATE secrets SET record = ?1, due_at = ?2, revision = revision + 1
                 WHERE name = ?3 AND revision = ?4",
            )
            .map_err(backend)?
            .execute(params![record, secret.due_at(), secret.name, expected])
            .map_err(backend)?;
        if changed == 1 {
            return Ok(secret.revision + 1);
        }
        let exists: Option<i64> = conn
            .query_row(
                "SELECT 1 FROM secrets WHERE name = ?1",
                params![secret.name],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        Err(if exists.is_some() {
            StoreError::Conflict
        } else {
            StoreError::NotFound
        })
    }

    fn delete_secret(&self, name: &str) -> Result<bool, StoreError> {
        let conn = self.writer()?;
        let n = conn
            .execute("DELETE FROM secrets WHERE name = ?1", params![name])
            .map_err(backend)?;
        Ok(n == 1)
    }

    fn list_secrets(&self, scope: &str) -> Result<Vec<SecretRecord>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT name, record, revision FROM secrets WHERE ((?1 = '' AND substr(name, 1, 1) <> '~') OR (?1 <> '' AND substr(name, 1, length(?1)) = ?1)) ORDER BY created, name",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![scope], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(backend)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(backend)?;
        rows.iter()
            .map(|(name, record, rev)| decode_secret(name, record, *rev))
            .collect()
    }

    fn secrets_due(&self, now: i64) -> Result<Vec<String>, StoreError> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare_cached("SELECT name FROM secrets WHERE due_at IS NOT NULL AND due_at <= ?1")
            .map_err(backend)?;
        stmt.query_map(params![now], |r| r.get(0))
            .map_err(backend)?
            .collect::<Result<Vec<String>, _>>()
            .map_err(backend)
    }

    fn scrub(&self) -> Result<(), StoreError> {
        let conn = self.writer()?;
        // TRUNCATE waits (busy handler) for readers on older snapshots; the readers hold
        // none between statements, so a retry or two is the most it takes.
        for _ in 0..50 {
            let busy: i64 = conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
                .map_err(backend)?;
            if busy == 0 {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        Err(backend(
            "the WAL could not be checkpointed: readers stayed busy",
        ))
    }

    fn get_meta(&self, name: &str) -> Result<Option<String>, StoreError> {
        let conn = self.reader()?;
        conn.query_row(
            "SELECT value FROM meta WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )
        .optional()
        .map_err(backend)
    }

    fn put_meta(&self, name: &str, value: &str) -> Result<(), StoreError> {
        let conn = self.writer()?;
        conn.execute(
            "INSERT INTO meta (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            params![name, value],
        )
        .map_err(backend)?;
        Ok(())
    }
}
