//! Links the certificates of one store by issuer and key identifiers and
//! verifies each signature with the issuer's key.
//!
//! Candidates for a certificate's issuer are the certificates whose subject
//! equals its issuer (byte for byte, or failing that as case-insensitive
//! RFC 4514 text), those whose subjectKeyIdentifier matches its
//! authorityKeyIdentifier tried first. The first candidate whose key
//! verifies the signature is the issuer. A self-signed certificate is one
//! whose own key verifies it with subject equal to issuer.

use std::collections::HashMap;

use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;

use super::certinfo::LinkKeys;
use super::model::{ChainStatus, SignatureCheck};

/// Candidate issuers tried per certificate, so a hostile store with
/// thousands of same-named certificates cannot cost n² verifications.
const MAX_CANDIDATES: usize = 8;

/// Longest chain followed before giving up (loops, absurd depth).
const MAX_DEPTH: u32 = 32;

/// The chain facts of one certificate.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Link {
    /// A certificate with the issuer's name is in the store.
    pub(crate) issuer_present: bool,
    /// The issuer that verified the signature, else the first candidate.
    pub(crate) issuer: Option<usize>,
    pub(crate) signature: SignatureCheck,
    pub(crate) self_signed: bool,
    pub(crate) status: ChainStatus,
    pub(crate) root: Option<usize>,
    pub(crate) depth: u32,
}

/// Certificates linked by issuance.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Family {
    /// Indexes of the members, ascending.
    pub(crate) members: Vec<usize>,
    /// The top member, when it is self-signed (a root in the store).
    pub(crate) root: Option<usize>,
    /// The member whose issuer is outside the store, when there is one.
    pub(crate) external_top: Option<usize>,
}

/// Links every certificate of a store.
pub(crate) fn link(certs: &[X509Certificate<'_>], keys: &[LinkKeys]) -> (Vec<Link>, Vec<Family>) {
    let mut by_raw: HashMap<&[u8], Vec<usize>> = HashMap::new();
    let mut by_text: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_ski: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        by_raw.entry(&k.subject_raw).or_default().push(i);
        by_text.entry(&k.subject_text).or_default().push(i);
        if let Some(ski) = &k.ski {
            by_ski.entry(ski).or_default().push(i);
        }
    }
    let index = Index {
        by_raw,
        by_text,
        by_ski,
    };

    let mut links: Vec<Link> = (0..certs.len())
        .map(|i| direct_link(i, certs, keys, &index))
        .collect();

    // Walk up verified links to a root.
    for i in 0..links.len() {
        if links[i].status != ChainStatus::Complete || links[i].self_signed {
            if links[i].self_signed {
                links[i].root = Some(i);
            }
            continue;
        }
        let mut at = i;
        let mut depth = 0;
        let outcome = loop {
            let Some(up) = links[at].issuer else {
                break (ChainStatus::UpstreamBroken, None);
            };
            depth += 1;
            let above = &links[up];
            if above.self_signed {
                break (ChainStatus::Complete, Some(up));
            }
            if above.signature != SignatureCheck::Verified || depth >= MAX_DEPTH {
                break (ChainStatus::UpstreamBroken, None);
            }
            at = up;
        };
        links[i].status = outcome.0;
        links[i].root = outcome.1;
        links[i].depth = depth;
    }

    let families = families(&links, keys);
    (links, families)
}

/// Lookups from a name or key identifier to the certificates that have it.
#[derive(Debug)]
struct Index<'a> {
    by_raw: HashMap<&'a [u8], Vec<usize>>,
    by_text: HashMap<&'a str, Vec<usize>>,
    by_ski: HashMap<&'a [u8], Vec<usize>>,
}

/// Up to [`MAX_CANDIDATES`] possible issuers of certificate `i`, best first:
/// those whose subjectKeyIdentifier matches its authorityKeyIdentifier (they
/// pick the right key when a CA was renewed under the same name), then the
/// certificate itself (for roots), then the other same-named ones. Every
/// step is bounded, so thousands of same-named certificates stay cheap.
fn candidates(i: usize, keys: &[LinkKeys], index: &Index<'_>) -> Vec<usize> {
    let k = &keys[i];
    let pool: &[usize] = index
        .by_raw
        .get(k.issuer_raw.as_slice())
        .or_else(|| index.by_text.get(k.issuer_text.as_str()))
        .map_or(&[], Vec::as_slice);
    // Pools are in index order, so membership is a binary search.
    let named = |c: &usize| pool.binary_search(c).is_ok();
    let by_id: Vec<usize> = k
        .aki
        .as_deref()
        .and_then(|aki| index.by_ski.get(aki))
        .map(|v| {
            v.iter()
                .copied()
                .filter(named)
                .take(MAX_CANDIDATES)
                .collect()
        })
        .unwrap_or_default();
    let mut out = by_id.clone();
    if named(&i) && !out.contains(&i) {
        out.push(i);
    }
    out.extend(
        pool.iter()
            .copied()
            .filter(|c| *c != i && !by_id.contains(c))
            .take(MAX_CANDIDATES),
    );
    out.truncate(MAX_CANDIDATES);
    out
}

/// Issuer, signature and direct status of one certificate.
fn direct_link(
    i: usize,
    certs: &[X509Certificate<'_>],
    keys: &[LinkKeys],
    index: &Index<'_>,
) -> Link {
    let candidates = candidates(i, keys, index);
    let mut link = Link {
        issuer_present: !candidates.is_empty(),
        issuer: candidates.first().copied(),
        signature: SignatureCheck::NotChecked,
        self_signed: false,
        status: ChainStatus::IssuerMissing,
        root: None,
        depth: 0,
    };
    if candidates.is_empty() {
        return link;
    }
    let mut unsupported = false;
    for &c in &candidates {
        match certs[i].verify_signature(Some(certs[c].public_key())) {
            Ok(()) => {
                link.issuer = Some(c);
                link.signature = SignatureCheck::Verified;
                link.self_signed = c == i;
                link.status = ChainStatus::Complete;
                return link;
            }
            Err(X509Error::SignatureUnsupportedAlgorithm) => unsupported = true,
            Err(_) => {}
        }
    }
    if unsupported {
        link.signature = SignatureCheck::Unsupported;
        link.status = ChainStatus::SignatureUnsupported;
    } else {
        link.signature = SignatureCheck::Failed;
        link.status = ChainStatus::SignatureFailed;
    }
    link
}

/// Groups certificates by issuance: a certificate joins its issuer's
/// family; certificates whose issuer is missing join others that name the
/// same missing issuer (and authority key id).
fn families(links: &[Link], keys: &[LinkKeys]) -> Vec<Family> {
    let mut parent: Vec<usize> = (0..links.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut union = |a: usize, b: usize| {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    };
    let mut external: HashMap<(&str, Option<&[u8]>), usize> = HashMap::new();
    for (i, link) in links.iter().enumerate() {
        match link.issuer {
            Some(up) => union(i, up),
            None => {
                let key = (keys[i].issuer_text.as_str(), keys[i].aki.as_deref());
                let first = *external.entry(key).or_insert(i);
                union(i, first);
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut index: HashMap<usize, usize> = HashMap::new();
    for i in 0..links.len() {
        let r = find(&mut parent, i);
        let g = *index.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    groups
        .into_iter()
        .map(|members| Family {
            root: members.iter().copied().find(|&m| links[m].self_signed),
            external_top: members.iter().copied().find(|&m| !links[m].issuer_present),
            members,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(subject: &str, issuer: &str, ski: Option<u8>, aki: Option<u8>) -> LinkKeys {
        LinkKeys {
            subject_raw: subject.as_bytes().to_vec(),
            issuer_raw: issuer.as_bytes().to_vec(),
            subject_text: subject.to_lowercase(),
            issuer_text: issuer.to_lowercase(),
            ski: ski.map(|b| vec![b]),
            aki: aki.map(|b| vec![b]),
            is_ca: false,
        }
    }

    fn index(keys: &[LinkKeys]) -> Index<'_> {
        let mut index = Index {
            by_raw: HashMap::new(),
            by_text: HashMap::new(),
            by_ski: HashMap::new(),
        };
        for (i, k) in keys.iter().enumerate() {
            index.by_raw.entry(&k.subject_raw[..]).or_default().push(i);
            index
                .by_text
                .entry(&k.subject_text[..])
                .or_default()
                .push(i);
            if let Some(ski) = &k.ski {
                index.by_ski.entry(&ski[..]).or_default().push(i);
            }
        }
        index
    }

    #[test]
    fn key_identifiers_come_first_then_self_then_names() {
        let ks = vec![
            keys("CA", "CA", Some(1), None),
            keys("CA", "CA", Some(2), None),
            keys("leaf", "CA", None, Some(2)),
            keys("CA", "CA", Some(3), Some(3)),
        ];
        let ix = index(&ks);
        assert_eq!(candidates(2, &ks, &ix), [1, 0, 3]);
        assert_eq!(candidates(3, &ks, &ix), [3, 0, 1]);
        assert_eq!(candidates(0, &ks, &ix), [0, 1, 3]);
    }

    #[test]
    fn a_key_identifier_match_under_another_name_is_not_an_issuer() {
        let ks = vec![
            keys("Other", "Other", Some(7), None),
            keys("leaf", "CA", None, Some(7)),
        ];
        let ix = index(&ks);
        assert!(candidates(1, &ks, &ix).is_empty());
    }

    #[test]
    fn thousands_of_same_named_certificates_stay_bounded() {
        let ks: Vec<_> = (0..10_000)
            .map(|i| keys("Same", "Same", Some((i % 200) as u8), Some(5)))
            .collect();
        let ix = index(&ks);
        for i in (0..ks.len()).step_by(97) {
            let c = candidates(i, &ks, &ix);
            assert!(c.len() <= MAX_CANDIDATES);
            // The ones whose SKI matches the AKI (5) come first.
            assert_eq!(ks[c[0]].ski, Some(vec![5]));
        }
    }
}
