//! Per-rule tallies, capped so that any input gives a bounded result.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::logs::model::clean::utc;
use crate::logs::model::{Excerpt, HitLocation, RuleHit, ValueCount};
use crate::logs::rules::RuleSet;

/// Caps per rule.
pub(crate) const MAX_LOCATIONS: usize = 20;
pub(crate) const MAX_EXCERPTS: usize = 3;
pub(crate) const MAX_FILES_PER_RULE: usize = 20;
const MAX_FIELD_NAMES: usize = 16;
const MAX_VALUES_PER_FIELD: usize = 10;

/// The later of two optional times.
fn later(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// One match of a rule, ready to count.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub(crate) rule: usize,
    pub(crate) path: Arc<str>,
    pub(crate) line: u64,
    pub(crate) time: Option<i64>,
    /// When the hit's file was last written (Unix ms), where known: the
    /// latest time an undated hit can have.
    pub(crate) modified: Option<i64>,
    pub(crate) excerpt: Option<Excerpt>,
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) noted: Vec<usize>,
}

/// The tally of one rule in one scan.
#[derive(Clone, Debug, Default)]
pub(crate) struct RuleAcc {
    pub(crate) count: u64,
    undated: u64,
    undated_not_after: Option<i64>,
    first: Option<i64>,
    last: Option<i64>,
    files: BTreeMap<Arc<str>, u64>,
    locations: Vec<HitLocation>,
    locations_omitted: u64,
    excerpts: Vec<Excerpt>,
    fields: BTreeMap<String, BTreeMap<String, u64>>,
    fields_omitted: BTreeMap<String, u64>,
    preceded_by: BTreeMap<String, u64>,
    preceded_by_last: BTreeMap<String, i64>,
}

impl RuleAcc {
    /// Whether another excerpt would be kept.
    pub(crate) fn wants_excerpt(&self) -> bool {
        self.excerpts.len() < MAX_EXCERPTS
    }

    /// Counts one hit. Only the count is kept for helper rules, which are
    /// never reported.
    pub(crate) fn add(&mut self, hit: Hit, set: &RuleSet) {
        self.count += 1;
        let rule = &set.rules[hit.rule];
        if !rule.report {
            return;
        }
        match hit.time {
            Some(t) => {
                self.first = Some(self.first.map_or(t, |f| f.min(t)));
                self.last = Some(self.last.map_or(t, |l| l.max(t)));
            }
            None => {
                self.undated += 1;
                self.undated_not_after = later(self.undated_not_after, hit.modified);
            }
        }
        *self.files.entry(hit.path.clone()).or_insert(0) += 1;
        if self.locations.len() < MAX_LOCATIONS {
            self.locations.push(HitLocation {
                path: hit.path.to_string(),
                line: hit.line,
                time: hit.time.and_then(utc),
            });
        } else {
            self.locations_omitted += 1;
        }
        if let Some(e) = hit.excerpt
            && self.wants_excerpt()
        {
            self.excerpts.push(e);
        }
        for (name, value) in hit.fields {
            self.add_field(name, value, 1);
        }
        if let Some(seq) = &rule.sequence
            && !seq.notes_before.is_empty()
        {
            let mut keys: Vec<&str> = hit
                .noted
                .iter()
                .map(|&n| set.rules[n].id.as_str())
                .collect();
            if keys.is_empty() {
                keys.push("none");
            }
            for key in keys {
                *self.preceded_by.entry(key.to_owned()).or_insert(0) += 1;
                if let Some(t) = hit.time {
                    let last = self.preceded_by_last.entry(key.to_owned()).or_insert(t);
                    *last = (*last).max(t);
                }
            }
        }
    }

    fn add_field(&mut self, name: String, value: String, n: u64) {
        if !self.fields.contains_key(&name) && self.fields.len() >= MAX_FIELD_NAMES {
            return;
        }
        let values = self.fields.entry(name.clone()).or_default();
        if let Some(c) = values.get_mut(&value) {
            *c += n;
        } else if values.len() < MAX_VALUES_PER_FIELD {
            values.insert(value, n);
        } else {
            *self.fields_omitted.entry(name).or_insert(0) += n;
        }
    }

    /// Adds another scan's tally (streams are merged in a fixed order).
    pub(crate) fn merge(&mut self, other: RuleAcc) {
        self.count += other.count;
        self.undated += other.undated;
        self.undated_not_after = later(self.undated_not_after, other.undated_not_after);
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, other.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (f, n) in other.files {
            *self.files.entry(f).or_insert(0) += n;
        }
        for loc in other.locations {
            if self.locations.len() < MAX_LOCATIONS {
                self.locations.push(loc);
            } else {
                self.locations_omitted += 1;
            }
        }
        self.locations_omitted += other.locations_omitted;
        for e in other.excerpts {
            if self.wants_excerpt() {
                self.excerpts.push(e);
            }
        }
        for (name, values) in other.fields {
            for (value, n) in values {
                self.add_field(name.clone(), value, n);
            }
        }
        for (name, n) in other.fields_omitted {
            *self.fields_omitted.entry(name).or_insert(0) += n;
        }
        for (id, n) in other.preceded_by {
            *self.preceded_by.entry(id).or_insert(0) += n;
        }
        for (id, t) in other.preceded_by_last {
            let last = self.preceded_by_last.entry(id).or_insert(t);
            *last = (*last).max(t);
        }
    }

    /// The reported form.
    pub(crate) fn into_hit(self, index: usize, set: &RuleSet) -> RuleHit {
        let rule = &set.rules[index];
        let files_total = self.files.len();
        let mut by_count: Vec<(Arc<str>, u64)> = self.files.into_iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let files = by_count
            .into_iter()
            .take(MAX_FILES_PER_RULE)
            .map(|(f, n)| (f.to_string(), n))
            .collect();
        let fields = self
            .fields
            .into_iter()
            .map(|(name, values)| {
                let mut v: Vec<ValueCount> = values
                    .into_iter()
                    .map(|(value, count)| ValueCount { value, count })
                    .collect();
                v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                (name, v)
            })
            .collect();
        RuleHit {
            rule_id: rule.id.clone(),
            title: rule.title.clone(),
            severity: rule.severity,
            pack: set.packs[rule.pack].name.clone(),
            count: self.count,
            undated: self.undated,
            undated_not_after: self.undated_not_after.and_then(utc),
            first_seen: self.first.and_then(utc),
            last_seen: self.last.and_then(utc),
            files,
            files_omitted: files_total.saturating_sub(MAX_FILES_PER_RULE) as u64,
            locations: self.locations,
            locations_omitted: self.locations_omitted,
            excerpts: self.excerpts,
            fields,
            fields_omitted: self.fields_omitted,
            preceded_by: self.preceded_by,
            preceded_by_last_seen: self
                .preceded_by_last
                .into_iter()
                .filter_map(|(k, t)| Some((k, utc(t)?)))
                .collect(),
        }
    }
}
