//! Trust decision shared by the TLS and HTTP stages.
//!
//! The presented chain is validated against two sources, each on its own:
//! the platform store (rustls-platform-verifier: the Windows chain engine
//! with the machine's stores, or the system roots elsewhere) and an
//! optional admin-supplied CA file. The chain is accepted when any used
//! source trusts it. Judging them separately tells "the chain is right but
//! this terminal lacks the root" apart from "the chain is wrong".
//!
//! The verifier records the chain the server presents before judging it,
//! so the report has it even when validation fails.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::report::{Finding, Severity};

use super::ids;
use super::model::{MAX_TEXT, TrustCheck, TrustInfo, TrustState, cap_text};

/// Largest CA file read; a bigger one is not a CA bundle.
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// One trust source: not used, unavailable (why), or a verifier.
#[derive(Debug)]
enum Source {
    NotUsed,
    Unavailable(String),
    Ready(Arc<dyn ServerCertVerifier>),
}

/// The trust sources of one probe, loaded once and shared by the TLS
/// handshake and the HTTP client.
#[derive(Debug)]
pub(crate) struct TrustSources {
    provider: Arc<CryptoProvider>,
    platform: Source,
    ca_file: Source,
    ca_file_certificates: usize,
}

/// What a verifier saw and decided during one handshake.
#[derive(Debug, Default)]
pub(crate) struct TrustRecord {
    /// The chain as presented: leaf first, then the rest in the server's
    /// order.
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) platform: Option<Result<(), rustls::Error>>,
    pub(crate) ca_file: Option<Result<(), rustls::Error>>,
}

/// The crypto provider of every configuration the probe builds: ring,
/// because aws-lc-rs is not available to this build.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl TrustSources {
    /// Loads the sources the settings ask for. A CA file that cannot be used
    /// yields a warning finding and the source is marked unavailable.
    pub(crate) fn load(
        use_platform_roots: bool,
        ca_file: Option<&Path>,
    ) -> (TrustSources, Option<Finding>) {
        let provider = provider();
        let platform = if use_platform_roots {
            match rustls_platform_verifier::Verifier::new(provider.clone()) {
                Ok(v) => Source::Ready(Arc::new(v)),
                Err(e) => Source::Unavailable(cap_text(&e.to_string(), MAX_TEXT)),
            }
        } else {
            Source::NotUsed
        };
        let mut finding = None;
        let mut count = 0;
        let ca_source = match ca_file {
            None => Source::NotUsed,
            Some(path) => match load_ca_file(path, &provider) {
                Ok((verifier, n)) => {
                    count = n;
                    Source::Ready(verifier)
                }
                Err(why) => {
                    finding = Some(
                        Finding::new(
                            ids::NES_TLS_CA_FILE_UNREADABLE,
                            Severity::Warning,
                            "The trusted CA file could not be used",
                            format!(
                                "'{}' was given as trusted_root_path but {why}; the chain \
                                 was judged without it.",
                                path.display()
                            ),
                        )
                        .with_evidence("path", path.display().to_string())
                        .with_remediation(
                            "Give a PEM or DER file holding the CA certificate(s) that issue \
                             the NES certificate.",
                        ),
                    );
                    Source::Unavailable(why)
                }
            },
        };
        (
            TrustSources {
                provider,
                platform,
                ca_file: ca_source,
                ca_file_certificates: count,
            },
            finding,
        )
    }

    /// A fresh verifier over these sources and the record it fills.
    pub(crate) fn verifier(self: &Arc<Self>) -> (Arc<RecordingVerifier>, Arc<Mutex<TrustRecord>>) {
        let record = Arc::new(Mutex::new(TrustRecord::default()));
        let verifier = Arc::new(RecordingVerifier {
            sources: Arc::clone(self),
            record: Arc::clone(&record),
        });
        (verifier, record)
    }

    /// A client configuration (TLS 1.2 and 1.3, ring) that trusts what these
    /// sources trust, with the given ALPN protocols.
    pub(crate) fn client_config(
        self: &Arc<Self>,
        alpn: &[&str],
    ) -> Result<(rustls::ClientConfig, Arc<Mutex<TrustRecord>>), rustls::Error> {
        let (verifier, record) = self.verifier();
        let mut config = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        Ok((config, record))
    }

    /// The trust summary for the report, from what a handshake recorded.
    pub(crate) fn summary(&self, record: &TrustRecord) -> TrustInfo {
        let check = |source: &Source, result: &Option<Result<(), rustls::Error>>| match source {
            Source::NotUsed => TrustCheck {
                state: TrustState::NotUsed,
                error: None,
            },
            Source::Unavailable(why) => TrustCheck {
                state: TrustState::Unavailable,
                error: Some(why.clone()),
            },
            Source::Ready(_) => match result {
                None => TrustCheck {
                    state: TrustState::NotReached,
                    error: None,
                },
                Some(Ok(())) => TrustCheck {
                    state: TrustState::Trusted,
                    error: None,
                },
                Some(Err(e)) => TrustCheck {
                    state: TrustState::Rejected,
                    error: Some(cap_text(&e.to_string(), MAX_TEXT)),
                },
            },
        };
        TrustInfo {
            platform: check(&self.platform, &record.platform),
            ca_file: check(&self.ca_file, &record.ca_file),
            ca_file_certificates: self.ca_file_certificates,
        }
    }
}

/// Reads a PEM bundle or a single DER certificate into a verifier.
fn load_ca_file(
    path: &Path,
    provider: &Arc<CryptoProvider>,
) -> Result<(Arc<dyn ServerCertVerifier>, usize), String> {
    use crate::fsutil::{ReadError, read_capped};
    let bytes = read_capped(path, MAX_CA_FILE_BYTES).map_err(|e| match e {
        ReadError::Io(e) => format!("it cannot be read ({e})"),
        ReadError::TooLarge { .. } => {
            format!("it is {e}, more than a CA bundle (1 MiB)")
        }
        ReadError::NotRegular(_) => format!("it is {e}; give a PEM or DER file"),
    })?;
    let certs: Vec<CertificateDer<'static>> = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("its PEM is invalid ({e:?})"))?
    } else {
        vec![CertificateDer::from(bytes)]
    };
    if certs.is_empty() {
        return Err("it holds no CERTIFICATE block".to_owned());
    }
    let mut store = RootCertStore::empty();
    let (added, ignored) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!(
            "none of its {ignored} certificate(s) could be used as a trust anchor"
        ));
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
        .build()
        .map_err(|e| format!("it could not be used ({e})"))?;
    Ok((verifier, added))
}

/// A verifier that records the presented chain, judges it against every
/// ready source, and accepts it when any of them does.
#[derive(Debug)]
pub(crate) struct RecordingVerifier {
    sources: Arc<TrustSources>,
    record: Arc<Mutex<TrustRecord>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let judge = |source: &Source| match source {
            Source::Ready(v) => Some(
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                    .map(|_| ()),
            ),
            _ => None,
        };
        let platform = judge(&self.sources.platform);
        let ca_file = judge(&self.sources.ca_file);
        let accepted = matches!(platform, Some(Ok(()))) || matches!(ca_file, Some(Ok(())));
        let error = [&ca_file, &platform]
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_ref().err())
            .min_by_key(|e| rank(e))
            .cloned();
        {
            let mut record = self.record.lock().unwrap_or_else(PoisonError::into_inner);
            record.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            record.platform = platform;
            record.ca_file = ca_file;
        }
        if accepted {
            Ok(ServerCertVerified::assertion())
        } else {
            // No source at all reads as an unknown issuer to the peer; the
            // report says what really happened.
            Err(error.unwrap_or(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.sources.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.sources.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.sources
            .provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Orders certificate errors from most to least specific, so that an
/// expired or misnamed certificate is reported as such even when another
/// source also lacks its root.
pub(crate) fn rank(error: &rustls::Error) -> u8 {
    match error {
        rustls::Error::InvalidCertificate(ce) => match ce {
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. }
            | CertificateError::NotValidForName
            | CertificateError::NotValidForNameContext { .. }
            | CertificateError::Revoked => 0,
            CertificateError::UnknownIssuer => 2,
            _ => 1,
        },
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specific_errors_rank_before_unknown_issuer() {
        let e = |ce| rustls::Error::InvalidCertificate(ce);
        assert!(rank(&e(CertificateError::Expired)) < rank(&e(CertificateError::UnknownIssuer)));
        assert!(
            rank(&e(CertificateError::NotValidForName)) < rank(&e(CertificateError::UnknownIssuer))
        );
        assert!(
            rank(&e(CertificateError::BadSignature)) < rank(&e(CertificateError::UnknownIssuer))
        );
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_a_warning() {
        let (sources, finding) =
            TrustSources::load(false, Some(Path::new("/nonexistent/nymidiag-ca.pem")));
        assert_eq!(finding.unwrap().id, ids::NES_TLS_CA_FILE_UNREADABLE);
        assert!(matches!(sources.ca_file, Source::Unavailable(_)));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.pem");
        std::fs::write(
            &path,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let (_, finding) = TrustSources::load(false, Some(&path));
        assert!(finding.unwrap().detail.contains("no CERTIFICATE"));
    }

    #[test]
    fn reads_pem_and_der_ca_files() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = params.self_signed(&key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("ca.pem");
        std::fs::write(&pem, ca.pem()).unwrap();
        let der = dir.path().join("ca.cer");
        std::fs::write(&der, ca.der()).unwrap();
        for path in [pem, der] {
            let (sources, finding) = TrustSources::load(false, Some(&path));
            assert!(finding.is_none(), "{finding:?}");
            assert_eq!(sources.ca_file_certificates, 1);
            assert!(matches!(sources.ca_file, Source::Ready(_)));
        }
    }
}
