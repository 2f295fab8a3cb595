//! One declaration per domain for its stable ids.
//!
//! Scripts, dashboards and the Intune status line key on finding ids, so
//! each domain declares its ids once with [`id_catalogue!`]: the macro
//! writes a documented `pub const NAME: &str = "NAME";` per id and the
//! domain's `ALL` list from the same names. The value is the constant's own
//! name, so a constant cannot drift from its text, and the list cannot miss
//! an id (a second declaration of the same name does not compile). Code
//! refers to the constants, never to the literals; `tests/id_catalogue.rs`
//! checks every `ALL` against the README's tables.

/// Declares a domain's ids: one documented `&str` constant per id, whose
/// value is its name, and `ALL`, every id in declaration order.
///
/// ```ignore
/// crate::ids::id_catalogue! {
///     /// Every id this domain raises.
///     ALL;
///     /// The NES URL cannot be probed.
///     NES_URL_INVALID,
/// }
/// ```
macro_rules! id_catalogue {
    (
        $(#[$all_meta:meta])*
        ALL;
        $(
            $(#[$meta:meta])*
            $name:ident
        ),+ $(,)?
    ) => {
        $(
            $(#[$meta])*
            pub const $name: &str = stringify!($name);
        )+

        $(#[$all_meta])*
        pub const ALL: &[&str] = &[$($name),+];
    };
}

pub(crate) use id_catalogue;

#[cfg(test)]
mod tests {
    // The macro declares `pub` items for public catalogues; this sample
    // lives in a private test module.
    #[allow(unreachable_pub)]
    mod sample {
        super::super::id_catalogue! {
            /// Every sample id.
            ALL;
            /// The first.
            FIRST_ID,
            /// The second.
            SECOND_ID,
        }
    }

    #[test]
    fn each_constant_is_its_own_name_and_listed_once_in_order() {
        assert_eq!(sample::FIRST_ID, "FIRST_ID");
        assert_eq!(sample::SECOND_ID, "SECOND_ID");
        assert_eq!(sample::ALL, ["FIRST_ID", "SECOND_ID"]);
    }
}
