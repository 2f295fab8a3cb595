//! State for sequence and window conditions, kept while one file (or one
//! rotation family) is scanned in order.
//!
//! The state is bounded: only the latest match per (rule, key) is kept,
//! old entries are dropped once they fall out of every window, and hits
//! waiting to see whether something follows them are capped.

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::tally::Hit;

/// Most remembered (rule, key) entries before old ones are dropped.
const MAX_MARKS: usize = 100_000;
/// Most hits waiting for their `forbids_after` window.
const MAX_PENDING: usize = 10_000;

/// Records without a time are related to records of the same file at
/// most this many lines above them.
pub(crate) const UNDATED_LINES: u64 = 50;

/// Where a record is: its time, and its file (index in the stream) and
/// line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct At {
    pub(crate) time: Option<i64>,
    pub(crate) file: u32,
    pub(crate) line: u64,
}

/// Whether `earlier` relates to `now` under a window of `window` ms.
///
/// Two dated records relate when `earlier` lies within `window` ms before
/// `now` (in any file of the stream). When either has no time, they relate
/// only within one file, by distance: `earlier` at most [`UNDATED_LINES`]
/// lines above `now`.
pub(crate) fn relates(earlier: At, now: At, window: i64) -> bool {
    match (earlier.time, now.time) {
        (Some(a), Some(b)) => a <= b && b - a <= window,
        _ => {
            earlier.file == now.file
                && earlier.line <= now.line
                && now.line - earlier.line <= UNDATED_LINES
        }
    }
}

/// The latest match of a rule under one key value.
#[derive(Clone, Debug)]
pub(crate) struct Mark {
    pub(crate) at: At,
    pub(crate) fields: Vec<(String, String)>,
}

/// A hit waiting for its window to pass without a cancelling match.
#[derive(Debug)]
struct Pending {
    hit: Hit,
    at: At,
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
    repeats: HashMap<(usize, String), VecDeque<At>>,
    pending: BTreeMap<u64, Pending>,
    by_key: HashMap<(Option<u16>, String), Vec<u64>>,
    next_id: u64,
    latest: Option<i64>,
    /// The record being scanned.
    cursor: At,
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
        now: At,
        window: i64,
    ) -> Option<&Mark> {
        self.marks
            .get(&(rule, key))
            .and_then(|m| m.get(value))
            .filter(|m| relates(m.at, now, window))
    }

    /// Whether a mark at `at` can still relate to a record to come.
    fn live(&self, at: At) -> bool {
        match at.time {
            Some(_) => {
                // Against the latest dated record.
                let latest = At {
                    time: self.latest,
                    ..self.cursor
                };
                self.latest.is_none() || relates(at, latest, self.max_window)
            }
            None => relates(at, self.cursor, 0),
        }
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
            let mut marks = std::mem::take(&mut self.marks);
            for inner in marks.values_mut() {
                inner.retain(|_, m| self.live(m.at));
            }
            self.marks = marks;
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
        now: At,
        window: i64,
        keep: usize,
    ) -> usize {
        if self.repeats.len() >= MAX_MARKS {
            let mut repeats = std::mem::take(&mut self.repeats);
            repeats.retain(|_, q| q.back().is_some_and(|at| self.live(*at)));
            self.repeats = repeats;
            if self.repeats.len() >= MAX_MARKS {
                self.repeats.clear();
                self.overflows += 1;
            }
        }
        let q = self.repeats.entry((rule, value.to_owned())).or_default();
        q.push_back(now);
        while q.front().is_some_and(|at| !relates(*at, now, window)) {
            q.pop_front();
        }
        while q.len() > keep.max(1) {
            q.pop_front();
        }
        q.len()
    }

    /// Notes the time of the record being scanned and returns the waiting
    /// hits whose windows closed before it.
    pub(crate) fn advance(&mut self, at: At) -> Vec<Hit> {
        self.cursor = at;
        let Some(now) = at.time else {
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
        at: At,
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
                at,
                slot,
                window,
                cancelled_by,
            },
        );
        early
    }

    /// Drops waiting hits that a match of `rule` under this key cancels.
    pub(crate) fn cancel(&mut self, rule: usize, key: Option<u16>, value: &str, now: At) {
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
            Some(p) if p.cancelled_by.contains(&rule) && relates(p.at, now, p.window) => {
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
            modified: None,
            excerpt: None,
            fields: Vec::new(),
            noted: Vec::new(),
        }
    }

    /// A dated record of file 0.
    fn t(ms: i64) -> At {
        At {
            time: Some(ms),
            file: 0,
            line: 1,
        }
    }

    /// An undated record at `line` of `file`.
    fn u(file: u32, line: u64) -> At {
        At {
            time: None,
            file,
            line,
        }
    }

    #[test]
    fn windows_are_inclusive_and_ordered() {
        assert!(relates(t(0), t(30_000), 30_000));
        assert!(!relates(t(0), t(30_001), 30_000));
        assert!(!relates(t(10), t(0), 30_000));
        // Dated records of other files relate by time.
        assert!(relates(t(0), At { file: 3, ..t(10) }, 30_000));
    }

    #[test]
    fn undated_records_relate_by_line_distance_in_one_file() {
        for (earlier, now, expected) in [
            (u(0, 1), u(0, 1 + UNDATED_LINES), true),
            (u(0, 1), u(0, 2 + UNDATED_LINES), false),
            (u(0, 10), u(0, 9), false),
            (u(0, 1), u(1, 2), false),
            // A dated record and an undated one: same file, by distance.
            (At { line: 5, ..t(0) }, u(0, 6), true),
            (At { line: 5, ..t(0) }, u(1, 6), false),
            (u(0, 5), At { line: 6, ..t(0) }, true),
            (u(0, 5), At { line: 500, ..t(0) }, false),
        ] {
            assert_eq!(
                relates(earlier, now, 30_000),
                expected,
                "{earlier:?} {now:?}"
            );
        }
    }

    #[test]
    fn marks_expire_with_the_window() {
        let mut s = SeqState::default();
        s.remember(
            1,
            Some(0),
            "704",
            Mark {
                at: t(1000),
                fields: vec![],
            },
        );
        assert!(s.mark(1, Some(0), "704", t(2000), 30_000).is_some());
        assert!(s.mark(1, Some(0), "705", t(2000), 30_000).is_none());
        assert!(s.mark(1, Some(0), "704", t(40_000), 30_000).is_none());
        // An undated record sees it only within the distance.
        assert!(s.mark(1, Some(0), "704", u(0, 30), 30_000).is_some());
        assert!(s.mark(1, Some(0), "704", u(0, 300), 30_000).is_none());
        assert!(s.mark(1, Some(0), "704", u(1, 2), 30_000).is_none());
    }

    #[test]
    fn repeats_count_within_the_window() {
        let mut s = SeqState::default();
        assert_eq!(s.repeat(0, "c", t(0), 60_000, 2), 1);
        assert_eq!(s.repeat(0, "c", t(1000), 60_000, 2), 2);
        assert_eq!(s.repeat(0, "c", t(200_000), 60_000, 2), 1);
        assert_eq!(s.repeat(0, "d", t(200_000), 60_000, 2), 1);
        assert_eq!(s.repeat(0, "e", u(0, 1), 60_000, 2), 1);
        assert_eq!(s.repeat(0, "e", u(0, 20), 60_000, 2), 2);
        assert_eq!(s.repeat(0, "e", u(0, 200), 60_000, 2), 1);
    }

    #[test]
    fn held_hits_are_cancelled_or_confirmed() {
        let mut s = SeqState::default();
        assert!(
            s.hold(hit(0), t(0), Some(0), "a".into(), 60_000, vec![7])
                .is_none()
        );
        assert!(
            s.hold(hit(0), t(0), Some(0), "b".into(), 60_000, vec![7])
                .is_none()
        );
        // A match of rule 7 for "a" within the window cancels the first.
        s.cancel(7, Some(0), "a", t(10_000));
        // Rule 8 cancels nothing.
        s.cancel(8, Some(0), "b", t(10_000));
        assert!(s.advance(t(30_000)).is_empty());
        let done = s.advance(t(61_000));
        assert_eq!(done.len(), 1);
        assert!(s.finish().is_empty());
    }

    #[test]
    fn too_many_held_hits_are_confirmed_early() {
        let mut s = SeqState::default();
        let mut early = 0;
        for i in 0..(MAX_PENDING + 5) {
            if s.hold(
                hit(i as i64),
                t(i as i64),
                None,
                String::new(),
                1_000_000,
                vec![],
            )
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
