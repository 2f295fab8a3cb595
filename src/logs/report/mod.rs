//! The report layer: turning what the engine found into the `log_scan`
//! and `rule_list` reports. Choosing the files, merging the streams'
//! outcomes, the summary, the findings and the size budget each have
//! their own file; [`scan`] and [`list`] string them together.

mod budget;
mod findings;
mod merge;
mod scan;
mod selection;
mod summary;
mod time;

pub(crate) use scan::{error_report, list, scan};
