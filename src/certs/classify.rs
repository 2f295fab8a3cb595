//! Locally generated or NES-issued: inferred from the certificates alone.
//!
//! Nothing documents how to tell the two sets apart, so the rules below use
//! only evidence in the certificates (issuance links, self-signed roots,
//! basicConstraints), never file names, and each answer says which rule gave
//! it. When none applies the answer is `unclassified`.
//!
//! 1. `self_signed_end_entity`: a self-signed certificate that is not a CA
//!    and issued nothing in the store was signed by its own key, so it was
//!    made where that key lives: the terminal. Local.
//! 2. `issued_by_ca`: when rule 1 found local certificates, every other
//!    family (a CA hierarchy, or certificates whose issuer is outside the
//!    store) was issued by a CA rather than generated beside its key. NES.
//! 3. `family_size`: with no self-signed end entities, exactly two families
//!    whose sizes are the expected local and NES counts (and those counts
//!    differ) are classified by size.

use super::chain::{Family, Link};
use super::model::{CertKind, Classification, ClassificationRule};

/// Inputs the rules read, per certificate.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Facts {
    pub(crate) is_ca: bool,
}

/// Classification of each family, in the order given.
pub(crate) fn classify(
    families: &[Family],
    links: &[Link],
    facts: &[Facts],
    anchors: &[String],
    expected_local: u32,
    expected_nes: u32,
) -> Vec<Classification> {
    let self_signed_ee = |f: &Family| {
        f.members.len() == 1 && {
            let m = f.members[0];
            links[m].self_signed && !facts[m].is_ca
        }
    };
    let local_count = families.iter().filter(|f| self_signed_ee(f)).count();

    if local_count > 0 {
        return families
            .iter()
            .zip(anchors)
            .map(|(f, anchor)| {
                if self_signed_ee(f) {
                    Classification {
                        kind: CertKind::Local,
                        rule: ClassificationRule::SelfSignedEndEntity,
                        basis: "self-signed end-entity certificate: signed by its own key, not by \
                                a CA, so it was generated where its key lives (the terminal)"
                            .to_owned(),
                    }
                } else {
                    Classification {
                        kind: CertKind::Nes,
                        rule: ClassificationRule::IssuedByCa,
                        basis: format!(
                            "issued within a CA hierarchy (anchor: {anchor}), while this store's \
                             {local_count} self-signed end-entity certificates are the locally \
                             generated ones"
                        ),
                    }
                }
            })
            .collect();
    }

    let sizes: Vec<usize> = families.iter().map(|f| f.members.len()).collect();
    let (l, n) = (expected_local as usize, expected_nes as usize);
    if sizes.len() == 2 && l != n && (sizes == [l, n] || sizes == [n, l]) {
        return sizes
            .iter()
            .zip(anchors)
            .map(|(&size, anchor)| {
                let kind = if size == l {
                    CertKind::Local
                } else {
                    CertKind::Nes
                };
                let which = if size == l { "local" } else { "NES" };
                Classification {
                    kind,
                    rule: ClassificationRule::FamilySize,
                    basis: format!(
                        "the store holds exactly two issuance families; this one (anchor: \
                         {anchor}) has {size} certificates, the expected {which} count"
                    ),
                }
            })
            .collect();
    }

    let basis = format!(
        "no self-signed end-entity certificates, and the {} issuance families (sizes {:?}) do \
         not match the expected local/NES counts ({l}/{n})",
        sizes.len(),
        sizes
    );
    families
        .iter()
        .map(|_| Classification {
            kind: CertKind::Unclassified,
            rule: ClassificationRule::None,
            basis: basis.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::model::{ChainStatus, SignatureCheck};

    fn link(self_signed: bool, issuer: Option<usize>) -> Link {
        Link {
            issuer_present: issuer.is_some(),
            issuer,
            signature: SignatureCheck::Verified,
            self_signed,
            status: ChainStatus::Complete,
            root: None,
            depth: 0,
        }
    }

    fn family(members: Vec<usize>) -> Family {
        Family {
            members,
            root: None,
            external_top: None,
        }
    }

    #[test]
    fn self_signed_end_entities_are_local_and_hierarchies_nes() {
        // 0, 1: self-signed end entities; 2 root CA; 3 leaf under 2.
        let links = [
            link(true, Some(0)),
            link(true, Some(1)),
            link(true, Some(2)),
            link(false, Some(2)),
        ];
        let facts = [
            Facts { is_ca: false },
            Facts { is_ca: false },
            Facts { is_ca: true },
            Facts { is_ca: false },
        ];
        let fams = [family(vec![0]), family(vec![1]), family(vec![2, 3])];
        let anchors = ["a".to_owned(), "b".to_owned(), "CN=NES".to_owned()];
        let c = classify(&fams, &links, &facts, &anchors, 8, 12);
        assert_eq!(c[0].kind, CertKind::Local);
        assert_eq!(c[2].kind, CertKind::Nes);
        assert_eq!(c[2].rule, ClassificationRule::IssuedByCa);
    }

    #[test]
    fn two_families_matching_the_counts_are_classified_by_size() {
        let links: Vec<_> = (0..5)
            .map(|i| link(i == 0 || i == 2, Some(if i < 2 { 0 } else { 2 })))
            .collect();
        let facts = [Facts { is_ca: true }; 5];
        let fams = [family(vec![0, 1]), family(vec![2, 3, 4])];
        let anchors = ["L".to_owned(), "N".to_owned()];
        let c = classify(&fams, &links, &facts, &anchors, 2, 3);
        assert_eq!((c[0].kind, c[1].kind), (CertKind::Local, CertKind::Nes));
        assert_eq!(c[0].rule, ClassificationRule::FamilySize);
        // Equal expected counts cannot tell the families apart.
        let c = classify(&fams, &links, &facts, &anchors, 3, 3);
        assert_eq!(c[0].kind, CertKind::Unclassified);
    }

    #[test]
    fn otherwise_unclassified() {
        let links = [link(true, Some(0)), link(false, Some(0))];
        let facts = [Facts { is_ca: true }, Facts { is_ca: false }];
        let fams = [family(vec![0, 1])];
        let c = classify(&fams, &links, &facts, &["X".to_owned()], 8, 12);
        assert_eq!(c[0].kind, CertKind::Unclassified);
        assert!(c[0].basis.contains("do not match"));
    }
}
