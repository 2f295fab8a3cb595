//! Rule packs: what the scanner looks for, as data.
//!
//! A pack is a TOML file with a `[pack]` header and `[[rule]]` tables. The
//! built-in pack (`default.toml` beside this file) ships inside the
//! library; admins add their own with `rule_paths`. Every pack is checked
//! when loaded (ids, literals, regexes, references, and each rule's own
//! positive and negative samples run through the real scanner), and a bad
//! pack fails with its file, line and reason instead of being half used.
//!
//! ```toml
//! [pack]
//! name = "site"
//! version = "1.0.0"
//!
//! [[rule]]
//! id = "SITE_PROXY_DENIED"
//! title = "The proxy refused the NES request"
//! severity = "error"
//! kinds = ["wgss"]
//! literals = ["407 Proxy Authentication Required"]
//! regex = 'status (?P<status>407)'
//! explanation = "WinHTTP went through a proxy that wants credentials."
//! remediation = "Add the NES host to the WinHTTP proxy bypass list."
//! refs = ["domain brief section 6: Proxy"]
//! [rule.samples]
//! positive = ["1:(24/05/02 07:41:08.000):CHttpClient.cpp :0402: status 407 407 Proxy Authentication Required"]
//! negative = ["1:(24/05/02 07:41:08.000):CHttpClient.cpp :0402: status 200"]
//! ```
//!
//! `normalize = { <capture> = "<normaliser>" }` passes a named capture
//! through a built-in normaliser before it is counted. The one normaliser,
//! `nes_url`, repairs and cleans a URL (backslashes, quotes, trailing
//! punctuation, case; credentials, query and fragment removed) and turns
//! away what cannot be the NES (malformed URLs, CRL, OCSP, AIA and PKI
//! locations, XML schema names): such a value is kept as the field
//! `<capture>_rejected`, `"<url> (<reason>)"`, instead of `<capture>`, so
//! nothing is silently lost and no rejected value becomes a candidate.

mod compile;
mod matcher;
mod set;
mod shape;

pub(crate) use compile::{DEFAULT_SOURCE, load_without_samples};
pub(crate) use matcher::Matcher;
pub(crate) use set::{Rule, RuleSet};
