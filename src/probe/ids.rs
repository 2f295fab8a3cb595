//! Stable finding ids raised by the NES probe. Scripts, dashboards and the
//! Intune status line key on them: never rename or reuse one.

/// The NES URL cannot be probed (not a URL, wrong scheme, credentials in it).
pub const NES_URL_INVALID: &str = "NES_URL_INVALID";
/// The NES URL uses `http://`: no TLS, and Windows authentication over it.
pub const NES_URL_NOT_HTTPS: &str = "NES_URL_NOT_HTTPS";
/// The NES URL names an IP address: TLS names and Kerberos SPNs need the FQDN.
pub const NES_URL_IP_LITERAL: &str = "NES_URL_IP_LITERAL";
/// The NES URL names a single-label host: SPNs and certificates name the FQDN.
pub const NES_URL_SHORT_NAME: &str = "NES_URL_SHORT_NAME";

/// The proxy setting (request or environment) is not a usable HTTP proxy.
pub const NES_PROXY_INVALID: &str = "NES_PROXY_INVALID";
/// The proxy refused or failed the CONNECT tunnel to NES.
pub const NES_PROXY_CONNECT_FAILED: &str = "NES_PROXY_CONNECT_FAILED";
/// Raised by the PowerShell layer: the Windows proxy settings send NES
/// traffic through a proxy. Listed here so the id space stays in one place.
pub const NES_PROXY_INTERCEPTS: &str = "NES_PROXY_INTERCEPTS";

/// The first hop's name did not resolve (no such name, or no answer).
pub const NES_DNS_FAILED: &str = "NES_DNS_FAILED";

/// Every address refused the connection (nothing listening, or an active
/// reject).
pub const NES_TCP_REFUSED: &str = "NES_TCP_REFUSED";
/// No address answered within the timeout (firewall drop or no route).
pub const NES_TCP_TIMEOUT: &str = "NES_TCP_TIMEOUT";
/// The network or host is unreachable.
pub const NES_TCP_UNREACHABLE: &str = "NES_TCP_UNREACHABLE";
/// The connection was reset while being set up.
pub const NES_TCP_RESET: &str = "NES_TCP_RESET";
/// The connection failed for another reason.
pub const NES_TCP_FAILED: &str = "NES_TCP_FAILED";

/// The chain does not lead to a trusted root (unknown issuer).
pub const NES_TLS_UNTRUSTED: &str = "NES_TLS_UNTRUSTED";
/// A certificate of the chain has expired.
pub const NES_TLS_EXPIRED: &str = "NES_TLS_EXPIRED";
/// A certificate of the chain is not valid yet (often a wrong clock).
pub const NES_TLS_NOT_YET_VALID: &str = "NES_TLS_NOT_YET_VALID";
/// The server's `Date` differs from this machine's clock by more than
/// Kerberos tolerates (5 minutes).
pub const NES_CLOCK_SKEW: &str = "NES_CLOCK_SKEW";
/// The certificate does not name the host in the URL.
pub const NES_TLS_NAME_MISMATCH: &str = "NES_TLS_NAME_MISMATCH";
/// The server sent only its own certificate and its issuer is not trusted:
/// most likely the intermediate CA is missing on the server.
pub const NES_TLS_INCOMPLETE_CHAIN: &str = "NES_TLS_INCOMPLETE_CHAIN";
/// The certificate is revoked, or its revocation status is unknown.
pub const NES_TLS_REVOKED: &str = "NES_TLS_REVOKED";
/// The handshake failed before or apart from certificate validation (alert,
/// protocol mismatch, reset, stall, not TLS at all).
pub const NES_TLS_HANDSHAKE_FAILED: &str = "NES_TLS_HANDSHAKE_FAILED";
/// The admin CA file could not be read; the probe went on without it.
pub const NES_TLS_CA_FILE_UNREADABLE: &str = "NES_TLS_CA_FILE_UNREADABLE";
/// The chain validates only against the admin CA file, not the platform
/// store that Windows clients (the NEA) use.
pub const NES_TLS_PLATFORM_UNTRUSTED: &str = "NES_TLS_PLATFORM_UNTRUSTED";
/// The leaf or an intermediate expires within 30 days.
pub const NES_TLS_EXPIRING_SOON: &str = "NES_TLS_EXPIRING_SOON";
/// A certificate of the chain (other than the root) is signed with SHA-1.
pub const NES_TLS_SHA1_SIGNATURE: &str = "NES_TLS_SHA1_SIGNATURE";
/// The chain is not issued by the CA the admin expects: TLS inspection?
pub const NES_TLS_UNEXPECTED_ISSUER: &str = "NES_TLS_UNEXPECTED_ISSUER";

/// NES answered 401 offering Negotiate or NTLM: IIS is reached and Windows
/// authentication is in place (informational).
pub const NES_HTTP_AUTH_REQUIRED: &str = "NES_HTTP_AUTH_REQUIRED";
/// NES answered 401 without offering Negotiate or NTLM.
pub const NES_HTTP_NO_WINDOWS_AUTH: &str = "NES_HTTP_NO_WINDOWS_AUTH";
/// NES answered 403.
pub const NES_HTTP_FORBIDDEN: &str = "NES_HTTP_FORBIDDEN";
/// NES answered 404: wrong service path?
pub const NES_HTTP_NOT_FOUND: &str = "NES_HTTP_NOT_FOUND";
/// NES answered 5xx.
pub const NES_HTTP_SERVER_ERROR: &str = "NES_HTTP_SERVER_ERROR";
/// Redirects loop, or exceed the limit.
pub const NES_HTTP_REDIRECT_LOOP: &str = "NES_HTTP_REDIRECT_LOOP";
/// A redirect points to another host (a captive portal, TLS inspection or
/// a wrong NES URL); it is not followed.
pub const NES_HTTP_REDIRECT_OFF_HOST: &str = "NES_HTTP_REDIRECT_OFF_HOST";
/// A redirect points from https to http; it is not followed.
pub const NES_HTTP_REDIRECT_INSECURE: &str = "NES_HTTP_REDIRECT_INSECURE";
/// NES answered with a status the probe does not expect from it.
pub const NES_HTTP_UNEXPECTED_STATUS: &str = "NES_HTTP_UNEXPECTED_STATUS";
/// No response within the HTTP timeout or the overall deadline.
pub const NES_HTTP_TIMEOUT: &str = "NES_HTTP_TIMEOUT";
/// The HTTP request failed without a response (connection error).
pub const NES_HTTP_FAILED: &str = "NES_HTTP_FAILED";

/// The probe did not finish within its deadline plus a grace period (a bug
/// or a blocking system call); the report holds what was known.
pub const NES_PROBE_INCOMPLETE: &str = "NES_PROBE_INCOMPLETE";
