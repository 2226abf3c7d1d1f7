//! What this extension loaded into one database. It lives in the functions' extra info,
//! created at LOAD and freed with the database's catalog, so two databases in one process
//! keep separate lists and a closed database leaves nothing behind.

use std::sync::{Arc, Mutex};

use crate::core::provenance::Record;

#[derive(Clone, Default)]
pub struct Loaded(Arc<Mutex<Vec<Record>>>);

impl Loaded {
    /// Records secrets just loaded, replacing earlier records of the same names.
    pub fn remember(&self, records: Vec<Record>) {
        let mut list = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let names: std::collections::HashSet<&str> = records.iter().map(|r| r.name.as_str()).collect();
        list.retain(|old| !names.contains(old.name.as_str()));
        list.extend(records);
    }

    pub fn forget(&self, names: &[String]) {
        let mut list = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let names: std::collections::HashSet<&String> = names.iter().collect();
        list.retain(|old| !names.contains(&old.name));
    }

    pub fn snapshot(&self) -> Vec<Record> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

/// Microseconds since the Unix epoch, for `loaded_at`.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}
