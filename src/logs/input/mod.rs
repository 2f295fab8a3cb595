//! The input layer: finding log files, reading their bytes, decoding
//! their text and parsing their records. It knows formats and encodings
//! but not rules: what to look for is the rules layer's, and what to do
//! with a record is the engine's.

pub(crate) mod default_locations;
pub(crate) mod detect;
pub(crate) mod encoding;
pub(crate) mod format;
pub(crate) mod locations;
pub(crate) mod source;
