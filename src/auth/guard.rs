//! Login throttling and the cap on concurrent password hashes.
//!
//! Failed password checks are counted per account (the e-mail) and per client address in a
//! sliding window; once either count reaches its limit, further checks are refused without
//! looking at the password (a correct one included) until the oldest counted failure leaves
//! the window or an admin lifts the lock-out. The state is in memory: a restart clears it.
//!
//! Argon2id needs about 19 MiB and a core's worth of work per check, so at most
//! `max_concurrent_hashes` run at once; a request that cannot get a slot within `hash_wait`
//! is refused as busy.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::LoginLimits;

/// Beyond this many tracked keys, keys whose failures all left the window are dropped.
const PRUNE_FROM_KEYS: usize = 10_000;

/// What a lock-out applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ThrottleKey {
    /// A lower-cased e-mail.
    Account(String),
    Address(IpAddr),
}

impl ThrottleKey {
    pub fn kind(&self) -> &'static str {
        match self {
            ThrottleKey::Account(_) => "account",
            ThrottleKey::Address(_) => "address",
        }
    }

    pub fn value(&self) -> String {
        match self {
            ThrottleKey::Account(e) => e.clone(),
            ThrottleKey::Address(a) => a.to_string(),
        }
    }
}

/// A key currently refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockout {
    pub key: ThrottleKey,
    /// Failures counted in the window.
    pub failures: usize,
    /// Seconds until a password is checked again for this key.
    pub retry_after_secs: u64,
}

/// Refused: every hashing slot stayed busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub retry_after_secs: u64,
}

/// Password hashing runs on a few threads of its own, as many as the hashing slots: each
/// Argon2 check takes about 19 MiB, which the allocator keeps per thread once freed, so
/// hashing on the shared blocking pool (hundreds of threads) let memory grow with every new
/// thread that happened to hash. Here it stays at slots × 19 MiB.
struct HashPool {
    jobs: Mutex<std::sync::mpsc::Sender<Job>>,
}

type Job = Box<dyn FnOnce() + Send>;

impl HashPool {
    fn new(threads: usize) -> HashPool {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("ayni-hash-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        // A panicking job loses its answer (its caller gets an error), not
                        // the thread.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            if let Err(e) = spawned {
                tracing::error!("cannot start a password-hashing thread: {e}");
            }
        }
        HashPool {
            jobs: Mutex::new(tx),
        }
    }
}

/// The hashing threads are gone (the service is stopping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashPoolGone;

/// Throttling and the hashing cap, shared by all workers (cheap to clone).
#[derive(Clone)]
pub struct LoginGuard {
    limits: LoginLimits,
    failures: Arc<Mutex<HashMap<ThrottleKey, VecDeque<Instant>>>>,
    hashes: Arc<Semaphore>,
    pool: Arc<HashPool>,
}

impl std::fmt::Debug for LoginGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginGuard")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Default for LoginGuard {
    fn default() -> Self {
        LoginGuard::new(LoginLimits::default())
    }
}

impl LoginGuard {
    pub fn new(limits: LoginLimits) -> LoginGuard {
        LoginGuard {
            hashes: Arc::new(Semaphore::new(limits.max_concurrent_hashes.max(1))),
            pool: Arc::new(HashPool::new(limits.max_concurrent_hashes)),
            failures: Arc::default(),
            limits,
        }
    }

    pub fn limits(&self) -> &LoginLimits {
        &self.limits
    }

    fn limit_of(&self, key: &ThrottleKey) -> u32 {
        match key {
            ThrottleKey::Account(_) => self.limits.max_failures,
            ThrottleKey::Address(_) => self.limits.max_failures_per_address,
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<ThrottleKey, VecDeque<Instant>>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The lock-out of one key at `now`, if any; drops failures that left the window.
    fn lockout_of(
        &self,
        key: &ThrottleKey,
        times: &mut VecDeque<Instant>,
        now: Instant,
    ) -> Option<Lockout> {
        let window = self.limits.window;
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            times.pop_front();
        }
        let limit = self.limit_of(key) as usize;
        if limit == 0 || times.len() < limit {
            return None;
        }
        // Allowed again once the count drops below the limit.
        let release = times[times.len() - limit] + window;
        let secs = release.saturating_duration_since(now).as_secs_f64().ceil() as u64;
        Some(Lockout {
            key: key.clone(),
            failures: times.len(),
            retry_after_secs: secs.max(1),
        })
    }

    fn keys(account: &str, address: Option<IpAddr>) -> Vec<ThrottleKey> {
        let mut keys = vec![ThrottleKey::Account(account.to_lowercase())];
        keys.extend(address.map(ThrottleKey::Address));
        keys
    }

    /// Refuses a password check for a locked-out account or address (the longest wait wins).
    pub fn check(&self, account: &str, address: Option<IpAddr>) -> Result<(), Lockout> {
        let now = Instant::now();
        let mut table = self.table();
        let mut worst: Option<Lockout> = None;
        for key in LoginGuard::keys(account, address) {
            if let Some(times) = table.get_mut(&key)
                && let Some(l) = self.lockout_of(&key, times, now)
                && worst
                    .as_ref()
                    .is_none_or(|w| w.retry_after_secs < l.retry_after_secs)
            {
                worst = Some(l);
            }
        }
        worst.map_or(Ok(()), Err)
    }

    /// Counts a failed password check; logs each lock-out it starts and returns them (for the
    /// audit chain).
    pub fn record_failure(&self, account: &str, address: Option<IpAddr>) -> Vec<Lockout> {
        let mut started = Vec::new();
        let now = Instant::now();
        let mut table = self.table();
        if table.len() > PRUNE_FROM_KEYS {
            let window = self.limits.window;
            table.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window)
            });
        }
        for key in LoginGuard::keys(account, address) {
            let times = table.entry(key.clone()).or_default();
            times.push_back(now);
            // Never more than the limit's worth of timestamps per key.
            let limit = self.limit_of(&key).max(1) as usize;
            while times.len() > limit {
                times.pop_front();
            }
            if let Some(l) = self.lockout_of(&key, times, now) {
                tracing::warn!(
                    target: "ayni::security",
                    kind = key.kind(),
                    key = %key.value(),
                    failures = l.failures,
                    retry_after_secs = l.retry_after_secs,
                    "login locked out after repeated wrong passwords"
                );
                started.push(l);
            }
        }
        started
    }

    /// A correct password: the account's failures are forgotten (the address's are not, so
    /// logging in to one's own account does not reset a guessing run against others).
    pub fn record_success(&self, account: &str) {
        self.table()
            .remove(&ThrottleKey::Account(account.to_lowercase()));
    }

    /// Lifts the lock-outs (and forgets the failures) of an account and/or an address; tells
    /// whether either was locked out.
    pub fn unlock(&self, account: Option<&str>, address: Option<IpAddr>) -> bool {
        let now = Instant::now();
        let mut table = self.table();
        let mut lifted = false;
        let keys = account
            .map(|a| ThrottleKey::Account(a.to_lowercase()))
            .into_iter()
            .chain(address.map(ThrottleKey::Address));
        for key in keys {
            if let Some(mut times) = table.remove(&key) {
                lifted |= self.lockout_of(&key, &mut times, now).is_some();
            }
        }
        if lifted {
            tracing::warn!(target: "ayni::security", ?account, ?address, "login lock-out lifted");
        }
        lifted
    }

    /// Every current lock-out, accounts first.
    pub fn lockouts(&self) -> Vec<Lockout> {
        let now = Instant::now();
        let mut table = self.table();
        let mut out: Vec<Lockout> = table
            .iter_mut()
            .filter_map(|(key, times)| self.lockout_of(key, times, now))
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    /// Runs password work (hashing, verifying) on the hashing threads. Take a slot with
    /// [`LoginGuard::hash_permit`] first.
    pub async fn hash<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashPoolGone> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
        });
        self.pool
            .jobs
            .lock()
            .map_err(|_| HashPoolGone)?
            .send(job)
            .map_err(|_| HashPoolGone)?;
        rx.await.map_err(|_| HashPoolGone)
    }

    /// A slot to hash or verify a password in; hold it for the duration of the work.
    pub async fn hash_permit(&self) -> Result<OwnedSemaphorePermit, Busy> {
        let acquire = self.hashes.clone().acquire_owned();
        match tokio::time::timeout(self.limits.hash_wait, acquire).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Busy {
                retry_after_secs: self.limits.hash_wait.as_secs().max(1),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn guard(max: u32, per_address: u32) -> LoginGuard {
        LoginGuard::new(LoginLimits {
            max_failures: max,
            max_failures_per_address: per_address,
            window: Duration::from_secs(900),
            ..LoginLimits::default()
        })
    }

    #[test]
    fn an_account_is_locked_after_the_limit_and_unlocked_by_an_admin() {
        let g = guard(3, 100);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..2 {
            g.record_failure("Ana@x.pe", Some(ip));
            assert!(g.check("ana@x.pe", Some(ip)).is_ok());
        }
        g.record_failure("ana@x.pe", Some(ip));
        let l = g.check("ana@x.pe", None).unwrap_err();
        assert_eq!(l.key, ThrottleKey::Account("ana@x.pe".into()));
        assert!(l.retry_after_secs > 800 && l.retry_after_secs <= 900);
        assert!(g.check("other@x.pe", Some(ip)).is_ok());
        assert_eq!(g.lockouts().len(), 1);
        assert!(g.unlock(Some("ANA@x.pe"), None));
        assert!(g.check("ana@x.pe", Some(ip)).is_ok());
        assert!(!g.unlock(Some("ana@x.pe"), None));
    }

    #[test]
    fn an_address_is_locked_across_accounts_and_success_does_not_reset_it() {
        let g = guard(100, 3);
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        for i in 0..3 {
            g.record_failure(&format!("u{i}@x.pe"), Some(ip));
            g.record_success(&format!("u{i}@x.pe"));
        }
        let l = g.check("new@x.pe", Some(ip)).unwrap_err();
        assert_eq!(l.key, ThrottleKey::Address(ip));
        assert!(
            g.check("new@x.pe", Some("10.0.0.3".parse().unwrap()))
                .is_ok()
        );
    }

    #[tokio::test]
    async fn the_hashing_cap_refuses_when_every_slot_stays_busy() {
        let g = LoginGuard::new(LoginLimits {
            max_concurrent_hashes: 1,
            hash_wait: Duration::from_millis(10),
            ..LoginLimits::default()
        });
        let held = g.hash_permit().await.unwrap();
        assert_eq!(g.hash_permit().await.unwrap_err().retry_after_secs, 1);
        drop(held);
        assert!(g.hash_permit().await.is_ok());
    }
}
