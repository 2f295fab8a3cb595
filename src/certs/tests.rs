//! In-crate tests of the inventory over a simulated file system.
