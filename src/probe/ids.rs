//! Stable finding ids raised by the NES probe. Scripts, dashboards and the
//! Intune status line key on them: never rename or reuse one.

crate::ids::id_catalogue! {
    /// Every probe finding id, in the order of the probe's stages.
    ALL;

    /// The NES URL cannot be probed (not a URL, wrong scheme, credentials in it).
    NES_URL_INVALID,
    /// The NES URL uses `http://`: no TLS, and Windows authentication over it.
    NES_URL_NOT_HTTPS,
    /// The NES URL names an IP address: TLS names and Kerberos SPNs need the FQDN.
    NES_URL_IP_LITERAL,
    /// The NES URL names a single-label host: SPNs and certificates name the FQDN.
    NES_URL_SHORT_NAME,

    /// The proxy setting (request or environment) is not a usable HTTP proxy.
    NES_PROXY_INVALID,
    /// The proxy refused or failed the CONNECT tunnel to NES.
    NES_PROXY_CONNECT_FAILED,
    /// The Windows proxy settings the module observed send NES traffic
    /// through a proxy (the probe's `host` observations).
    NES_PROXY_INTERCEPTS,

    /// The first hop's name did not resolve (no such name, or no answer).
    NES_DNS_FAILED,

    /// Every address refused the connection (nothing listening, or an active
    /// reject).
    NES_TCP_REFUSED,
    /// No address answered within the timeout (firewall drop or no route).
    NES_TCP_TIMEOUT,
    /// The network or host is unreachable.
    NES_TCP_UNREACHABLE,
    /// The connection was reset while being set up.
    NES_TCP_RESET,
    /// The connection failed for another reason.
    NES_TCP_FAILED,

    /// The chain does not lead to a trusted root (unknown issuer).
    NES_TLS_UNTRUSTED,
    /// A certificate of the chain has expired.
    NES_TLS_EXPIRED,
    /// A certificate of the chain is not valid yet (often a wrong clock).
    NES_TLS_NOT_YET_VALID,
    /// The server's `Date` differs from this machine's clock by more than
    /// Kerberos tolerates (5 minutes).
    NES_CLOCK_SKEW,
    /// The certificate does not name the host in the URL.
    NES_TLS_NAME_MISMATCH,
    /// The server sent only its own certificate and its issuer is not trusted:
    /// most likely the intermediate CA is missing on the server.
    NES_TLS_INCOMPLETE_CHAIN,
    /// The certificate is revoked, or its revocation status is unknown.
    NES_TLS_REVOKED,
    /// The handshake failed before or apart from certificate validation (alert,
    /// protocol mismatch, reset, stall, not TLS at all).
    NES_TLS_HANDSHAKE_FAILED,
    /// The admin CA file could not be read; the probe went on without it.
    NES_TLS_CA_FILE_UNREADABLE,
    /// The chain validates only against the admin CA file, not the platform
    /// store that Windows clients (the NEA) use.
    NES_TLS_PLATFORM_UNTRUSTED,
    /// The leaf or an intermediate expires within 30 days.
    NES_TLS_EXPIRING_SOON,
    /// A certificate of the chain (other than the root) is signed with SHA-1.
    NES_TLS_SHA1_SIGNATURE,
    /// The chain is not issued by the CA the admin expects: TLS inspection?
    NES_TLS_UNEXPECTED_ISSUER,

    /// NES answered 401 offering Negotiate or NTLM: IIS is reached and Windows
    /// authentication is in place (informational).
    NES_HTTP_AUTH_REQUIRED,
    /// NES answered 401 without offering Negotiate or NTLM.
    NES_HTTP_NO_WINDOWS_AUTH,
    /// NES answered 403.
    NES_HTTP_FORBIDDEN,
    /// NES answered 404: wrong service path?
    NES_HTTP_NOT_FOUND,
    /// NES answered 5xx.
    NES_HTTP_SERVER_ERROR,
    /// Redirects loop, or exceed the limit.
    NES_HTTP_REDIRECT_LOOP,
    /// A redirect points to another host (a captive portal, TLS inspection or
    /// a wrong NES URL); it is not followed.
    NES_HTTP_REDIRECT_OFF_HOST,
    /// A redirect points from https to http; it is not followed.
    NES_HTTP_REDIRECT_INSECURE,
    /// NES answered with a status the probe does not expect from it.
    NES_HTTP_UNEXPECTED_STATUS,
    /// No response within the HTTP timeout or the overall deadline.
    NES_HTTP_TIMEOUT,
    /// The HTTP request failed without a response (connection error).
    NES_HTTP_FAILED,
    /// NES answered 401 even to the request with the caller's Windows
    /// identity (a Kerberos, SPN or account problem), as the module observed
    /// it (the `host` observations of a probe or a diagnosis).
    NES_AUTH_FAILED,

    /// The probe did not finish within its deadline plus a grace period (a bug
    /// or a blocking system call); the report holds what was known.
    NES_PROBE_INCOMPLETE,
}
