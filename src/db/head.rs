//! The audit chain's head as this process knows it, for caches keyed by it (the public read
//! cache in `src/web/cache.rs`).
//!
//! Every audited write of this process publishes the head it committed, right after the
//! commit and before the write returns: a read that starts after a write has returned sees
//! the new head, so nothing stale is served after a write of this process. Writes of another
//! process sharing the database (a second app server, the CLI) are seen by reading the head
//! row again when the known value is older than the check interval: one indexed query per
//! interval, by one request at a time, never per request.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The newest audit entry: its sequence number and hash (`0` and the genesis hash when the
/// chain is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditTip {
    pub seq: i64,
    pub hash: Arc<str>,
}

#[derive(Debug)]
struct Known {
    tip: AuditTip,
    checked: Instant,
}

/// The head as last published by a write of this process or read from the database.
#[derive(Debug, Default)]
pub struct HeadWatch {
    known: RwLock<Option<Known>>,
    /// Bumped by every publication: a database read that overlapped one is discarded, so a
    /// slow read can never replace a newer head with an older one.
    publications: AtomicU64,
    /// One request at a time refreshes an aged head; the others go on with the known one.
    refreshing: AtomicBool,
}

/// What a caller should do to get the head ([`HeadWatch::current`]).
#[derive(Debug)]
pub enum HeadRead {
    /// The known head, fresh enough.
    Known(AuditTip),
    /// Read the head row and [`HeadWatch::store_read`] it with this ticket.
    Refresh(RefreshTicket),
}

/// Permission to store a head read from the database, taken before the read.
#[derive(Debug)]
pub struct RefreshTicket {
    publications: u64,
    /// The head to fall back on if the read fails.
    pub known: Option<AuditTip>,
}

impl HeadWatch {
    /// A write of this process committed `tip`.
    pub fn publish(&self, tip: AuditTip) {
        self.publications.fetch_add(1, Ordering::SeqCst);
        let mut known = self.known.write().unwrap_or_else(|e| e.into_inner());
        // Writers are serialised by the chain's lock, but their publications may race: the
        // higher sequence number is the newer head.
        if known.as_ref().is_none_or(|k| k.tip.seq <= tip.seq) {
            *known = Some(Known {
                tip,
                checked: Instant::now(),
            });
        }
    }

    /// The known head when it was checked within `max_age`; otherwise a ticket to read it
    /// (only one caller at a time gets one: the others get the known head while it exists).
    pub fn current(&self, max_age: Duration) -> HeadRead {
        let known = {
            let guard = self.known.read().unwrap_or_else(|e| e.into_inner());
            match guard.as_ref() {
                Some(k) if k.checked.elapsed() <= max_age => return HeadRead::Known(k.tip.clone()),
                Some(k) => Some(k.tip.clone()),
                None => None,
            }
        };
        let first = self
            .refreshing
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        match known {
            Some(tip) if !first => HeadRead::Known(tip),
            known => HeadRead::Refresh(RefreshTicket {
                publications: self.publications.load(Ordering::SeqCst),
                known,
            }),
        }
    }

    /// Stores a head read from the database (unless a write of this process published one
    /// meanwhile, which is at least as new); returns the head to use.
    pub fn store_read(&self, ticket: RefreshTicket, read: Option<AuditTip>) -> Option<AuditTip> {
        let mut known = self.known.write().unwrap_or_else(|e| e.into_inner());
        self.refreshing.store(false, Ordering::SeqCst);
        match read {
            Some(tip) if self.publications.load(Ordering::SeqCst) == ticket.publications => {
                *known = Some(Known {
                    tip: tip.clone(),
                    checked: Instant::now(),
                });
                Some(tip)
            }
            Some(tip) => Some(known.as_ref().map_or(tip, |k| k.tip.clone())),
            None => known.as_ref().map(|k| k.tip.clone()).or(ticket.known),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tip(seq: i64) -> AuditTip {
        AuditTip {
            seq,
            hash: format!("h{seq}").into(),
        }
    }

    #[test]
    fn a_published_head_is_used_until_it_ages_then_one_caller_reads_it_again() {
        let watch = HeadWatch::default();
        let HeadRead::Refresh(ticket) = watch.current(Duration::from_secs(60)) else {
            panic!("nothing known yet: read it");
        };
        assert_eq!(watch.store_read(ticket, Some(tip(3))), Some(tip(3)));
        assert!(
            matches!(watch.current(Duration::from_secs(60)), HeadRead::Known(t) if t == tip(3))
        );
        watch.publish(tip(4));
        assert!(
            matches!(watch.current(Duration::from_secs(60)), HeadRead::Known(t) if t == tip(4))
        );
        // Aged: the first caller reads, the others keep the known head meanwhile.
        let HeadRead::Refresh(ticket) = watch.current(Duration::ZERO) else {
            panic!("aged: read it");
        };
        assert!(matches!(watch.current(Duration::ZERO), HeadRead::Known(t) if t == tip(4)));
        assert_eq!(watch.store_read(ticket, Some(tip(6))), Some(tip(6)));
    }

    #[test]
    fn a_read_that_overlapped_a_publication_never_replaces_the_newer_head() {
        let watch = HeadWatch::default();
        watch.publish(tip(5));
        let HeadRead::Refresh(ticket) = watch.current(Duration::ZERO) else {
            panic!("aged: read it");
        };
        // Read seq 5 from the database while a write of this process committed 6.
        watch.publish(tip(6));
        assert_eq!(watch.store_read(ticket, Some(tip(5))), Some(tip(6)));
        // A failed read keeps the known head.
        let HeadRead::Refresh(ticket) = watch.current(Duration::ZERO) else {
            panic!("aged: read it");
        };
        assert_eq!(watch.store_read(ticket, None), Some(tip(6)));
        // Publications never go backwards.
        watch.publish(tip(2));
        assert!(
            matches!(watch.current(Duration::from_secs(60)), HeadRead::Known(t) if t == tip(6))
        );
    }
}
