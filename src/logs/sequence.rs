//! State for sequence and window conditions, kept while one file (or one
//! rotation family) is scanned in order.
//!
//! The state is bounded: only the latest match per (rule, key) is kept,
//! old entries are dropped once they fall out of every window, and hits
//! waiting to see whether something follows them are capped.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::collect::Hit;

/// Most remembered (rule, key) entries before old ones are dropped.
const MAX_MARKS: usize = 100_000;
/// Most hits waiting for their `forbids_after` window.
const MAX_PENDING: usize = 10_000;

/// Whether `earlier` lies within `window` ms before `now`. Records
/// without a time are related by their order alone.
pub(crate) fn within(earlier: Option<i64>, now: Option<i64>, window: i64) -> bool {
    match (earlier, now) {
        (Some(a), Some(b)) => a <= b && b - a <= window,
        _ => true,
    }
}

/// The latest match of a rule under one key value.
#[derive(Clone, Debug)]
pub(crate) struct Mark {
    pub(crate) time: Option<i64>,
    pub(crate) fields: Vec<(String, String)>,
}

/// A hit waiting for its window to pass without a cancelling match.
#[derive(Debug)]
struct Pending {
    hit: Hit,
    slot: (Option<u16>, String),
    window: i64,
    cancelled_by: Vec<usize>,
}

/// Sequence state of one stream.
#[derive(Debug, Default)]
pub(crate) struct SeqState {
    /// Latest mark per (rule, key name), then per key value.
    marks: HashMap<(usize, Option<u16>), HashMap<Box<str>, Mark>>,
    mark_count: usize,
    repeats: HashMap<(usize, String), VecDeque<Option<i64>>>,
    pending: BTreeMap<u64, Pending>,
    by_key: HashMap<(Option<u16>, String), Vec<u64>>,
    next_id: u64,
    latest: Option<i64>,
    /// Longest window of any rule, for dropping old marks.
    max_window: i64,
    /// Times the state had to be cut short (reported as a warning).
    pub(crate) overflows: u64,
}

impl SeqState {
    /// Empty state for rules whose longest window is `max_window` ms.
    pub(crate) fn new(max_window: i64) -> SeqState {
        SeqState {
            max_window,
            ..SeqState::default()
        }
    }

    /// The latest mark of `rule` under this key, if within the window.
    pub(crate) fn mark(
        &self,
        rule: usize,
        key: Option<u16>,
        value: &str,
        now: Option<i64>,
        window: i64,
    ) -> Option<&Mark> {
        self.marks
            .get(&(rule, key))
            .and_then(|m| m.get(value))
            .filter(|m| within(m.time, now, window))
    }

    /// Remembers a match of `rule`.
    pub(crate) fn remember(&mut self, rule: usize, key: Option<u16>, value: &str, mark: Mark) {
        if let Some(m) = self
            .marks
            .get_mut(&(rule, key))
            .and_then(|m| m.get_mut(value))
        {
            *m = mark;
            return;
        }
        if self.mark_count >= MAX_MARKS {
            let (latest, w) = (self.latest, self.max_window);
            for inner in self.marks.values_mut() {
                inner.retain(|_, m| within(m.time, latest, w));
            }
            self.mark_count = self.marks.values().map(HashMap::len).sum();
            if self.mark_count >= MAX_MARKS {
                self.marks.clear();
                self.mark_count = 0;
                self.overflows += 1;
            }
        }
        self.marks
            .entry((rule, key))
            .or_default()
            .insert(value.into(), mark);
        self.mark_count += 1;
    }

    /// Counts a match of `rule` and returns how many fell within the
    /// window (this one included), up to `keep`.
    pub(crate) fn repeat(
        &mut self,
        rule: usize,
        value: &str,
        now: Option<i64>,
        window: i64,
        keep: usize,
    ) -> usize {
        if self.repeats.len() >= MAX_MARKS {
            let (latest, w) = (self.latest, self.max_window);
            self.repeats
                .retain(|_, q| q.back().is_some_and(|t| within(*t, latest, w)));
            if self.repeats.len() >= MAX_MARKS {
                self.repeats.clear();
                self.overflows += 1;
            }
        }
        let q = self.repeats.entry((rule, value.to_owned())).or_default();
        q.push_back(now);
        while q.front().is_some_and(|t| !within(*t, now, window)) {
            q.pop_front();
        }
        while q.len() > keep.max(1) {
            q.pop_front();
        }
        q.len()
    }

    /// Notes the time of the record being scanned and returns the waiting
    /// hits whose windows closed before it.
    pub(crate) fn advance(&mut self, now: Option<i64>) -> Vec<Hit> {
        let Some(now) = now else {
            return Vec::new();
        };
        self.latest = Some(self.latest.map_or(now, |l| l.max(now)));
        let mut out = Vec::new();
        while let Some(entry) = self.pending.first_entry() {
            let closed = entry
                .get()
                .hit
                .time
                .is_some_and(|t| now - t > entry.get().window);
            if !closed {
                break;
            }
            let (id, p) = entry.remove_entry();
            self.unindex(id, &p.slot);
            out.push(p.hit);
        }
        out
    }

    fn unindex(&mut self, id: u64, slot: &(Option<u16>, String)) {
        if let Some(ids) = self.by_key.get_mut(slot) {
            ids.retain(|&i| i != id);
            if ids.is_empty() {
                self.by_key.remove(slot);
            }
        }
    }

    /// Holds a hit until `window` ms pass without a match of one of
    /// `cancelled_by` under the same key. Returns a hit confirmed early
    /// when too many are waiting.
    pub(crate) fn hold(
        &mut self,
        hit: Hit,
        key: Option<u16>,
        value: String,
        window: i64,
        cancelled_by: Vec<usize>,
    ) -> Option<Hit> {
        let mut early = None;
        if self.pending.len() >= MAX_PENDING
            && let Some((id, p)) = self.pending.pop_first()
        {
            self.unindex(id, &p.slot);
            self.overflows += 1;
            early = Some(p.hit);
        }
        let id = self.next_id;
        self.next_id += 1;
        let slot = (key, value);
        self.by_key.entry(slot.clone()).or_default().push(id);
        self.pending.insert(
            id,
            Pending {
                hit,
                slot,
                window,
                cancelled_by,
            },
        );
        early
    }

    /// Drops waiting hits that a match of `rule` under this key cancels.
    pub(crate) fn cancel(&mut self, rule: usize, key: Option<u16>, value: &str, now: Option<i64>) {
        if self.pending.is_empty() {
            return;
        }
        let slot = (key, value.to_owned());
        let SeqState {
            pending, by_key, ..
        } = self;
        let Some(ids) = by_key.get_mut(&slot) else {
            return;
        };
        ids.retain(|id| match pending.get(id) {
            None => false,
            Some(p) if p.cancelled_by.contains(&rule) && within(p.hit.time, now, p.window) => {
                pending.remove(id);
                false
            }
            Some(_) => true,
        });
        if ids.is_empty() {
            by_key.remove(&slot);
        }
    }

    /// Confirms every hit still waiting (the data ended inside their
    /// windows, with nothing cancelling them).
    pub(crate) fn finish(&mut self) -> Vec<Hit> {
        self.by_key.clear();
        std::mem::take(&mut self.pending)
            .into_values()
            .map(|p| p.hit)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn hit(time: i64) -> Hit {
        Hit {
            rule: 0,
            path: Arc::from("f"),
            line: 1,
            time: Some(time),
            excerpt: None,
            fields: Vec::new(),
            noted: Vec::new(),
        }
    }

    #[test]
    fn windows_are_inclusive_and_ordered() {
        assert!(within(Some(0), Some(30_000), 30_000));
        assert!(!within(Some(0), Some(30_001), 30_000));
        assert!(!within(Some(10), Some(0), 30_000));
        assert!(within(None, Some(0), 1));
    }

    #[test]
    fn marks_expire_with_the_window() {
        let mut s = SeqState::default();
        s.remember(
            1,
            Some(0),
            "704",
            Mark {
                time: Some(1000),
                fields: vec![],
            },
        );
        assert!(s.mark(1, Some(0), "704", Some(2000), 30_000).is_some());
        assert!(s.mark(1, Some(0), "705", Some(2000), 30_000).is_none());
        assert!(s.mark(1, Some(0), "704", Some(40_000), 30_000).is_none());
    }

    #[test]
    fn repeats_count_within_the_window() {
        let mut s = SeqState::default();
        assert_eq!(s.repeat(0, "c", Some(0), 60_000, 2), 1);
        assert_eq!(s.repeat(0, "c", Some(1000), 60_000, 2), 2);
        assert_eq!(s.repeat(0, "c", Some(200_000), 60_000, 2), 1);
        assert_eq!(s.repeat(0, "d", Some(200_000), 60_000, 2), 1);
    }

    #[test]
    fn held_hits_are_cancelled_or_confirmed() {
        let mut s = SeqState::default();
        assert!(
            s.hold(hit(0), Some(0), "a".into(), 60_000, vec![7])
                .is_none()
        );
        assert!(
            s.hold(hit(0), Some(0), "b".into(), 60_000, vec![7])
                .is_none()
        );
        // A match of rule 7 for "a" within the window cancels the first.
        s.cancel(7, Some(0), "a", Some(10_000));
        // Rule 8 cancels nothing.
        s.cancel(8, Some(0), "b", Some(10_000));
        assert!(s.advance(Some(30_000)).is_empty());
        let done = s.advance(Some(61_000));
        assert_eq!(done.len(), 1);
        assert!(s.finish().is_empty());
    }

    #[test]
    fn too_many_held_hits_are_confirmed_early() {
        let mut s = SeqState::default();
        let mut early = 0;
        for i in 0..(MAX_PENDING + 5) {
            if s.hold(hit(i as i64), None, String::new(), 1_000_000, vec![])
                .is_some()
            {
                early += 1;
            }
        }
        assert_eq!(early, 5);
        assert_eq!(s.finish().len(), MAX_PENDING);
        assert_eq!(s.overflows, 5);
    }
}
