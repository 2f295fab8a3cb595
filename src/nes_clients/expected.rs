//! Expected clients: addresses compared as IP addresses, names compared
//! with the machine accounts (`DOMAIN\NAME$`) that Windows authentication
//! writes into `cs-username`.

use std::net::IpAddr;

use crate::logs::model::request::parse_address;

/// One `expected_clients` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Expected {
    Address(IpAddr),
    /// A machine name, folded (`ward3-pc07`).
    Name(String),
}

/// An entry as given: an address, or a machine name in any of its forms.
pub(super) fn parse(entry: &str) -> Expected {
    match parse_address(entry) {
        Some(ip) => Expected::Address(ip),
        None => Expected::Name(fold_name(entry)),
    }
}

/// The machine name of `WARD3-PC07`, `CORP\WARD3-PC07$`,
/// `WARD3-PC07$@corp.example` or `ward3-pc07.corp.example`, in lower
/// case: the part a machine account and a host name share.
pub(super) fn fold_name(text: &str) -> String {
    let text = text.trim();
    let text = text.rsplit('\\').next().unwrap_or(text);
    let text = text.split('@').next().unwrap_or(text);
    let text = text.trim_end_matches('$');
    let text = text.split('.').next().unwrap_or(text);
    text.to_ascii_lowercase()
}

/// The machine name of a `cs-username` value when it is a machine account
/// (ends with `$`, IIS writing spaces as `+`), folded.
pub(super) fn machine_account(user: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(user).ok()?;
    let bare = text.split('@').next().unwrap_or(text);
    if !bare.ends_with('$') {
        return None;
    }
    let name = fold_name(bare);
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_to_the_machine_name() {
        for t in [
            "WARD3-PC07",
            "CORP\\WARD3-PC07$",
            "ward3-pc07.corp.example",
            "WARD3-PC07$@corp.example",
        ] {
            assert_eq!(fold_name(t), "ward3-pc07", "{t}");
        }
        assert_eq!(
            machine_account(b"CORP\\WARD3-PC07$").as_deref(),
            Some("ward3-pc07")
        );
        assert_eq!(machine_account(b"CORP\\alice"), None);
        assert_eq!(
            parse("::ffff:10.0.0.1"),
            Expected::Address("10.0.0.1".parse().unwrap())
        );
        assert_eq!(parse("PC1"), Expected::Name("pc1".into()));
    }
}
