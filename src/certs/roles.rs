//! Which store is in use when there are several: an NSL folder keeps one
//! `<string>` folder per NEA instance, and an old one left behind must not
//! keep a healthy terminal in `ISSUE` (see [`StoreRole`]).

use time::Duration;

use super::ids;
use super::model::{KspStore, StoreOrigin, StoreRole, StoreState};
use super::store::{Examined, Options};
use super::wording::store_label;
use crate::report::{Finding, Severity};
use crate::time_fmt::UtcTime;

/// Sets every store's role and the reason for it.
pub(crate) fn assign(stores: &mut [Examined], stale_after_days: u32) {
    let newest = stores
        .iter()
        .filter(|e| e.store.state == StoreState::Checked)
        .filter_map(|e| e.store.last_write_utc)
        .max();
    for e in stores.iter_mut() {
        let (role, reason) = role_of(&e.store, newest, stale_after_days);
        e.store.role = role;
        e.store.role_reason = reason;
    }
}

/// Whether a store was found by searching rather than named.
fn discovered(origin: StoreOrigin) -> bool {
    matches!(origin, StoreOrigin::Discovered | StoreOrigin::NslSubfolder)
}

fn role_of(
    store: &KspStore,
    newest: Option<UtcTime>,
    stale_after_days: u32,
) -> (StoreRole, String) {
    let active = |why: String| (StoreRole::Active, why);
    if !discovered(store.origin) {
        return active("given explicitly in paths".to_owned());
    }
    if store.state != StoreState::Checked {
        return active("could not be listed, so its age is unknown".to_owned());
    }
    if stale_after_days == 0 {
        return active("stale_after_days is 0: every store is active".to_owned());
    }
    let (Some(own), Some(newest)) = (store.last_write_utc, newest) else {
        return active("no last write time is known".to_owned());
    };
    let behind = newest.0 - own.0;
    if behind > Duration::days(i64::from(stale_after_days)) {
        (
            StoreRole::Stale,
            format!(
                "last written {own}, {} days before the newest store ({newest}); more than \
                 stale_after_days ({stale_after_days})",
                behind.whole_days()
            ),
        )
    } else if behind.is_zero() {
        active("the most recently written store".to_owned())
    } else {
        active(format!(
            "last written {own}, {} days before the newest store: within stale_after_days \
             ({stale_after_days})",
            behind.whole_days()
        ))
    }
}

/// The one finding of a stale store.
pub(crate) fn stale_finding(store: &KspStore, opts: &Options, stale_after_days: u32) -> Finding {
    let c = &store.counts;
    let expected = u64::from(opts.expected_local) + u64::from(opts.expected_nes);
    let label = store_label(&store.path);
    let last = store
        .last_write_utc
        .map_or_else(|| "-".to_owned(), |t| t.to_string());
    Finding::new(
        ids::KSP_STALE_STORE,
        Severity::Info,
        format!("Stale NEA key store {label} ignored: last written {last}"),
        format!(
            "{label} was last written {last}, more than {stale_after_days} days before the \
             newest key store on this terminal. A store in use is rewritten at least once per \
             NES certificate lifetime, so this one is left over from an earlier NEA instance. \
             It holds {} of {expected} files ({} distinct certificates, {} expired); its counts \
             and dates are in its store data and do not affect the verdict.",
            c.files, c.certificates, c.expired
        ),
    )
    .with_evidence("store", &store.path)
    .with_evidence("last_write_utc", store.last_write_utc)
    .with_evidence("reason", &store.role_reason)
    .with_evidence("stale_after_days", stale_after_days)
    .with_evidence("files", c.files)
    .with_evidence("expected_total", expected)
    .with_evidence("certificates", c.certificates)
    .with_evidence("expired", c.expired)
    .with_evidence("not_yet_valid", c.not_yet_valid)
    .with_remediation(
        "Nothing to do for the diagnosis. An administrator may archive the stale NSL folder \
         after confirming no NEA uses it.",
    )
    .with_ref("nymi-domain.md section 2.1 (several <string> folders)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: i64) -> UtcTime {
        UtcTime::from(time::OffsetDateTime::UNIX_EPOCH + Duration::days(19_000 + day))
    }

    fn store(origin: StoreOrigin, state: StoreState, last: Option<i64>) -> KspStore {
        KspStore {
            path: "/x/NSL/a/ksp".to_owned(),
            origin,
            state,
            error: None,
            role: StoreRole::Active,
            role_reason: String::new(),
            last_write_utc: last.map(at),
            counts: Default::default(),
            validity: Default::default(),
            roots: Vec::new(),
            families: Vec::new(),
            families_omitted: 0,
            files: Vec::new(),
            files_omitted: 0,
            certificates: Vec::new(),
            certificates_omitted: 0,
        }
    }

    #[test]
    fn role_table() {
        use StoreOrigin as O;
        use StoreState as S;
        // (origin, state, last write day, newest day, stale_after_days, role)
        let rows = [
            (O::Discovered, S::Checked, Some(0), 90, 14, StoreRole::Stale),
            (
                O::NslSubfolder,
                S::Checked,
                Some(0),
                90,
                14,
                StoreRole::Stale,
            ),
            (
                O::Discovered,
                S::Checked,
                Some(76),
                90,
                14,
                StoreRole::Active,
            ),
            (
                O::Discovered,
                S::Checked,
                Some(75),
                90,
                14,
                StoreRole::Stale,
            ),
            (
                O::Discovered,
                S::Checked,
                Some(90),
                90,
                14,
                StoreRole::Active,
            ),
            (O::Discovered, S::Checked, Some(0), 90, 0, StoreRole::Active),
            (O::Discovered, S::Checked, None, 90, 14, StoreRole::Active),
            (
                O::Discovered,
                S::AccessDenied,
                Some(0),
                90,
                14,
                StoreRole::Active,
            ),
            (O::Folder, S::Checked, Some(0), 90, 14, StoreRole::Active),
            (O::Files, S::Checked, Some(0), 90, 14, StoreRole::Active),
            (O::Discovered, S::Checked, Some(0), 1, 1, StoreRole::Active),
            (O::Discovered, S::Checked, Some(0), 2, 1, StoreRole::Stale),
        ];
        for (origin, state, last, newest, days, want) in rows {
            let s = store(origin, state, last);
            let (role, reason) = role_of(&s, Some(at(newest)), days);
            assert_eq!(
                role, want,
                "{origin:?} {state:?} {last:?} {newest} {days}: {reason}"
            );
            assert!(!reason.is_empty());
        }
    }
}
