// SPDX-License-Identifier: AGPL-3.0-or-later
//! Single flight for the page caches: at most one render of a key at a time on this node.
//!
//! A request that finds its page stale asks [`Flights::try_lead`]: if no render of that key
//! is under way it becomes the one that renders, otherwise it answers with the stale page at
//! once. Only a request that finds nothing kept at all waits ([`Flights::lead`]), and then
//! for the one render under way, never behind a queue of renders of the same page (after
//! the wait it finds the fresh page and answers with it).
//!
//! A [`Flight`] ends when it is dropped, also when its request is cancelled (a client that
//! disconnects): the next request leads then. The map holds only keys with a flight under
//! way or waited for.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

pub struct Flights<K: Eq + Hash + Clone> {
    map: Mutex<HashMap<K, Arc<AsyncMutex<()>>>>,
}

impl<K: Eq + Hash + Clone> Default for Flights<K> {
    fn default() -> Self {
        Flights {
            map: Mutex::new(HashMap::new()),
        }
    }
}

/// The right to render `key`, held until dropped.
pub struct Flight<'a, K: Eq + Hash + Clone> {
    flights: &'a Flights<K>,
    key: K,
    slot: Arc<AsyncMutex<()>>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl<K: Eq + Hash + Clone> Flight<'_, K> {
    pub fn key(&self) -> &K {
        &self.key
    }
}

impl<K: Eq + Hash + Clone> Drop for Flight<'_, K> {
    fn drop(&mut self) {
        // Forget the key when no one else holds or waits for its slot (clones are made under
        // the map's lock, so the count cannot grow meanwhile): the map stays as small as the
        // renders under way.
        if let Ok(mut m) = self.flights.map.lock() {
            drop(self.guard.take());
            if m.get(&self.key)
                .is_some_and(|s| Arc::ptr_eq(s, &self.slot) && Arc::strong_count(&self.slot) == 2)
            {
                m.remove(&self.key);
            }
        }
    }
}

impl<K: Eq + Hash + Clone> Flights<K> {
    fn slot(&self, key: &K) -> Arc<AsyncMutex<()>> {
        match self.map.lock() {
            Ok(mut m) => m.entry(key.clone()).or_default().clone(),
            // A poisoned map: a slot of its own (renders are then not shared, nothing breaks).
            Err(_) => Arc::default(),
        }
    }

    /// Leads the render of `key` if none is under way; `None` if one is.
    pub fn try_lead(&self, key: K) -> Option<Flight<'_, K>> {
        let slot = self.slot(&key);
        match slot.clone().try_lock_owned() {
            Ok(guard) => Some(Flight {
                flights: self,
                key,
                slot,
                guard: Some(guard),
            }),
            Err(_) => {
                // Not leading: drop our clone of the slot under the lock, like a flight does.
                if let Ok(mut m) = self.map.lock()
                    && m.get(&key)
                        .is_some_and(|s| Arc::ptr_eq(s, &slot) && Arc::strong_count(&slot) == 2)
                {
                    m.remove(&key);
                }
                None
            }
        }
    }

    /// Leads the render of `key`, after waiting for the one under way, if any (the caller
    /// then looks again: that render has usually kept what it needs).
    pub async fn lead(&self, key: K) -> Flight<'_, K> {
        let slot = self.slot(&key);
        let guard = slot.clone().lock_owned().await;
        Flight {
            flights: self,
            key,
            slot,
            guard: Some(guard),
        }
    }

    /// Keys with a flight under way or waited for (for tests).
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_leader_at_a_time_and_the_map_empties() {
        let f: Flights<&str> = Flights::default();
        let a = f.try_lead("p").expect("first leads");
        assert!(f.try_lead("p").is_none(), "a second does not");
        assert!(f.try_lead("q").is_some(), "another key has its own flight");
        assert_eq!(f.len(), 1);
        drop(a);
        assert!(f.is_empty());
        assert!(f.try_lead("p").is_some(), "once done, the next leads");
        assert!(f.is_empty());
    }

    #[tokio::test]
    async fn a_waiter_leads_after_the_flight_under_way() {
        let f = Arc::new(Flights::<&'static str>::default());
        let first = f.try_lead("p").expect("lead");
        let f2 = f.clone();
        let waiter = tokio::spawn(async move {
            let _g = f2.lead("p").await;
            f2.len()
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(first);
        assert_eq!(waiter.await.expect("waiter"), 1);
        assert!(f.is_empty());
    }
}
