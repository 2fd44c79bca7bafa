//! Wrapping-key generation, bounded: a small pool of pre-generated RSA-2048 keys refilled
//! by one background thread, and a gate that lets at most a few generations run at once.
//!
//! RSA key generation costs tens of milliseconds (RSA-2048) to over a second (RSA-4096)
//! of one core. Unbounded, a handful of clients calling GetParametersForImport starved
//! every other request; so every generation, the pool's refill included, takes a permit
//! of the gate. Requests wait for a permit while the work already waiting stays within a
//! budget, counted in RSA-2048 generations (an RSA-3072 costs 3, an RSA-4096 8), which
//! bounds how long anyone waits; requests beyond it are told to slow down (the dialect's
//! throttling error) rather than make everyone wait.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::wrap::{WrapKeyError, WrappingKey, WrappingKeySpec};

/// Why no key was handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// Every permit is taken and the queue is full: the caller should retry later.
    #[error("too many wrapping keys are being generated; retry later")]
    Busy,
    /// Generation failed.
    #[error("RSA wrapping key generation failed")]
    Failed,
}

impl From<WrapKeyError> for PoolError {
    fn from(_: WrapKeyError) -> Self {
        Self::Failed
    }
}

/// Pre-generated keys and the generation gate.
#[derive(Clone)]
pub struct WrappingKeyPool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when a key is taken (the refill may start) or a permit is returned.
    changed: Condvar,
    capacity: usize,
    permits: usize,
    /// Work (in RSA-2048 generations) allowed to wait for a permit.
    budget: usize,
}

#[derive(Default)]
struct State {
    keys: VecDeque<WrappingKey>,
    /// Generations running now.
    active: usize,
    /// Work of the requests waiting for a permit.
    waiting: usize,
    shutdown: bool,
}

impl fmt::Debug for WrappingKeyPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappingKeyPool")
            .field("capacity", &self.shared.capacity)
            .field("permits", &self.shared.permits)
            .field("budget", &self.shared.budget)
            .finish_non_exhaustive()
    }
}

/// A running generation's permit, returned when dropped.
struct Permit<'a>(&'a Shared);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.0.state.lock() {
            s.active -= 1;
        }
        self.0.changed.notify_all();
    }
}

impl Shared {
    fn lock(&self) -> Result<MutexGuard<'_, State>, PoolError> {
        self.state.lock().map_err(|_| PoolError::Failed)
    }

    /// A permit for a request of `cost`: now, after waiting, or `Busy` when the waiting
    /// work would exceed the budget.
    fn acquire(&self, cost: usize) -> Result<Permit<'_>, PoolError> {
        let mut s = self.lock()?;
        if s.active >= self.permits {
            if s.waiting + cost > self.budget {
                return Err(PoolError::Busy);
            }
            s.waiting += cost;
            while s.active >= self.permits {
                s = self.changed.wait(s).map_err(|_| PoolError::Failed)?;
            }
            s.waiting -= cost;
        }
        s.active += 1;
        Ok(Permit(self))
    }
}

impl WrappingKeyPool {
    /// A pool of up to `capacity` RSA-2048 keys (0: no refill thread), with at most
    /// `permits` generations at once and `budget` RSA-2048 generations' worth of requests
    /// waiting for one.
    #[must_use]
    pub fn start(capacity: usize, permits: usize, budget: usize) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            capacity,
            permits: permits.max(1),
            budget,
        });
        if capacity > 0 {
            let worker = Arc::clone(&shared);
            let spawned = std::thread::Builder::new()
                .name("qkms-rsa-pool".into())
                .spawn(move || refill(&worker));
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "could not start the RSA pool thread; keys will be generated on demand");
            }
        }
        Self { shared }
    }

    /// The default bounds for this machine: half the cores generate at once (at least
    /// one), and 64 RSA-2048 generations' worth of requests may wait (a few seconds; eight
    /// RSA-4096 requests).
    #[must_use]
    pub fn for_this_machine(capacity: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Self::start(capacity, cores / 2, 64)
    }

    /// A key of `spec`: RSA-2048 from the pool when it has one, else generated under the
    /// gate; SM2 keys are generated at once, outside the gate (microseconds, not
    /// milliseconds of a core). Blocking: call from a blocking thread.
    ///
    /// # Errors
    /// [`PoolError::Busy`] when too many generations are running and waiting.
    pub fn take_spec(&self, spec: WrappingKeySpec) -> Result<WrappingKey, PoolError> {
        if spec == WrappingKeySpec::EcSm2 {
            return Ok(WrappingKey::generate_spec(spec)?);
        }
        if spec == WrappingKeySpec::Rsa2048 {
            let pooled = self.shared.lock()?.keys.pop_front();
            if let Some(key) = pooled {
                self.shared.changed.notify_all();
                return Ok(key);
            }
        }
        self.generate(spec, || WrappingKey::generate_spec(spec))
    }

    /// Runs `generate`, which makes a key of `spec`, under the gate (also for keys the
    /// pool does not make, such as the deterministic mode's).
    ///
    /// # Errors
    /// [`PoolError::Busy`], or the generation's failure.
    pub fn generate(
        &self,
        spec: WrappingKeySpec,
        generate: impl FnOnce() -> Result<WrappingKey, WrapKeyError>,
    ) -> Result<WrappingKey, PoolError> {
        let _permit = self.shared.acquire(cost(spec))?;
        Ok(generate()?)
    }

    /// Number of keys ready now.
    #[must_use]
    pub fn ready(&self) -> usize {
        self.shared.lock().map_or(0, |s| s.keys.len())
    }

    /// Stops the refill thread.
    pub fn shutdown(&self) {
        if let Ok(mut s) = self.shared.lock() {
            s.shutdown = true;
        }
        self.shared.changed.notify_all();
    }
}

/// The work of generating a key of `spec`, in RSA-2048 generations (RSA key generation
/// grows with about the fourth power of the size; an SM2 key costs less than one, but
/// takes a whole permit when it goes through the gate).
fn cost(spec: WrappingKeySpec) -> usize {
    match spec {
        WrappingKeySpec::Rsa2048 | WrappingKeySpec::EcSm2 => 1,
        WrappingKeySpec::Rsa3072 => 3,
        WrappingKeySpec::Rsa4096 => 8,
    }
}

/// The refill thread: generates while the pool is short, but only with a permit nobody
/// is waiting for, so requests always come first.
fn refill(shared: &Shared) {
    loop {
        {
            let Ok(mut s) = shared.state.lock() else {
                return;
            };
            while !s.shutdown
                && (s.keys.len() >= shared.capacity || s.active >= shared.permits || s.waiting > 0)
            {
                s = match shared.changed.wait(s) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            }
            if s.shutdown {
                return;
            }
            s.active += 1;
        }
        let permit = Permit(shared);
        match WrappingKey::generate() {
            Ok(key) => {
                if let Ok(mut s) = shared.state.lock() {
                    s.keys.push_back(key);
                }
            }
            Err(_) => {
                tracing::error!("RSA key generation failed in the pool thread");
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        drop(permit);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// One permit and a budget of two RSA-2048 generations: of six simultaneous ones, one
    /// runs, two wait and three are refused at once; never more than one runs.
    #[test]
    fn generations_are_bounded_and_the_excess_is_refused() {
        let pool = WrappingKeyPool::start(0, 1, 2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(6));
        let results: Vec<_> = (0..6)
            .map(|_| {
                let (pool, running, most, start) =
                    (pool.clone(), running.clone(), most.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    pool.generate(WrappingKeySpec::Rsa2048, || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(200));
                        running.fetch_sub(1, Ordering::SeqCst);
                        WrappingKey::generate()
                    })
                    .map(drop)
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        assert_eq!(most.load(Ordering::SeqCst), 1);
        let busy = results
            .iter()
            .filter(|r| **r == Err(PoolError::Busy))
            .count();
        assert_eq!((busy, results.len() - busy), (3, 3), "{results:?}");
        // A bigger key counts for more: it does not fit a budget of two.
        let pool = WrappingKeyPool::start(0, 1, 2);
        let slow = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                pool.generate(WrappingKeySpec::Rsa2048, || {
                    std::thread::sleep(Duration::from_millis(300));
                    WrappingKey::generate()
                })
                .map(drop)
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            pool.generate(WrappingKeySpec::Rsa3072, WrappingKey::generate)
                .map(drop),
            Err(PoolError::Busy)
        );
        slow.join().unwrap().unwrap();
    }

    #[test]
    fn the_pool_fills_and_hands_out_keys() {
        let pool = WrappingKeyPool::start(2, 1, 1);
        for _ in 0..100 {
            if pool.ready() == 2 {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(pool.ready(), 2);
        let key = pool.take_spec(WrappingKeySpec::Rsa2048).unwrap();
        assert!(!key.public_key_spki().unwrap().is_empty());
        pool.shutdown();
    }
}
