//! The exported functions. Their doc comments are the C documentation:
//! cbindgen copies them into `include/nymidiag.h`.

use std::ffi::c_char;

use super::boundary::{free_raw_buffer, json_call};
use crate::certs::{CertInventoryRequest, try_cert_inventory};
use crate::describe::{DescribeRequest, describe};
use crate::diagnose::{DiagnoseRequest, diagnose};
use crate::diagnose::{StatusLinesRequest, parse_status_lines};
use crate::fleet::{FleetReportRequest, fleet_report};
use crate::logs::{LogScanRequest, RuleListRequest, list_rules, try_log_scan};
use crate::nes_clients::{NesClientsRequest, nes_clients};
use crate::probe::{NesProbeRequest, nes_probe};
use crate::redaction::{RedactRequest, redact};
use crate::report::Capability;
use crate::report::part::{ReportPartRequest, report_part};

/// NUL-terminated copy of the crate version, for `nymidiag_version`.
static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// Returns the C ABI version of this library (`NYMIDIAG_ABI_VERSION` in the
/// header it was built with). Callers check it before any other call and
/// refuse a library whose ABI differs from the one they were written for.
///
/// Never fails; safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn nymidiag_abi_version() -> u32 {
    crate::ABI_VERSION
}

/// Returns the library version as a static NUL-terminated UTF-8 string
/// (for example `"0.1.0"`).
///
/// The pointer is valid for the life of the process and must NOT be passed
/// to `nymidiag_buffer_free` or any other free function. Never NULL; safe to
/// call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn nymidiag_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

/// Frees a buffer that a `nymidiag_*` capability export wrote to `*out`.
///
/// `len` must be the `*out_len` written with it. NULL is accepted and does
/// nothing, so a caller may free unconditionally in a `finally` block.
/// Freeing the same buffer twice, or a pointer this library did not hand
/// out, is undefined behaviour. Safe to call from any thread.
///
/// # Safety
///
/// `ptr` must be NULL or a buffer returned by this library together with
/// `len`, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nymidiag_buffer_free(ptr: *mut u8, len: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { free_raw_buffer(ptr, len) }
}

/// Describes the library and the process it runs in: the report envelope
/// with `context` filled (host, user, LocalSystem or elevated where known,
/// OS, architecture, process bitness, tool and ABI version) and `data`
/// listing the capability exports of this build.
///
/// Request: UTF-8 JSON `{"caller": "..."}`, every field optional; an empty
/// request (`request_len` 0, `request` may be NULL) means `{}`. Unknown
/// fields are rejected.
///
/// Returns `NYMIDIAG_STATUS_OK` (0) and the report in `*out`, or a non-zero
/// `NYMIDIAG_STATUS_*` and an error document
/// `{"error": {"id", "status", "message"}}` in `*out`. Whenever `out` and
/// `out_len` are both non-NULL, `*out` is a buffer the caller frees with
/// `nymidiag_buffer_free(*out, *out_len)`; if either is NULL the call
/// returns `NYMIDIAG_STATUS_NULL_ARGUMENT` and allocates nothing.
///
/// Safe to call from several threads at once; keeps no state between calls.
///
/// # Safety
///
/// `request` must be NULL or point to `request_len` readable bytes; `out`
/// and `out_len` must be NULL or valid for writing one value each.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nymidiag_describe(
    request: *const u8,
    request_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        json_call(
            Capability::Describe.name(),
            request,
            request_len,
            out,
            out_len,
            |req: DescribeRequest| Ok(describe(&req)),
        )
    }
}

/// Inventories the NEA key stores (`ksp` folders): every certificate with
/// its names, thumbprints, validity, key, extensions, chain and
/// local/NES classification, per store the counts against the expected
/// 8 local + 12 NES-issued, and findings such as `NEA_CERTS_MISSING`,
/// `NEA_CERT_EXPIRED` or `KSP_ACCESS_DENIED`. Never writes to the files it
/// reads.
///
/// Request: UTF-8 JSON, every field optional: `paths` (folders or files;
/// empty = the LocalSystem profile's `Nymi\NSL\*\ksp` folders),
/// `expected_local` (8), `expected_nes` (12), `expiring_days` (3),
/// `max_file_bytes` (1048576), `now` (RFC 3339, default the clock),
/// `caller`. Unknown fields are rejected.
///
/// Same calling contract as `nymidiag_describe`: status 0 and the report in
/// `*out`, or a non-zero status and an error document; the caller frees
/// `*out` with `nymidiag_buffer_free`. Safe to call from several threads.
///
/// # Safety
///
/// As for `nymidiag_describe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nymidiag_cert_inventory(
    request: *const u8,
    request_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        json_call(
            Capability::CertInventory.name(),
            request,
            request_len,
            out,
            out_len,
            |req: CertInventoryRequest| try_cert_inventory(&req),
        )
    }
}

/// Probes the path from this machine to the Nymi Enterprise Server, stage
/// by stage: URL, proxy, DNS, TCP, proxy CONNECT, TLS (recording the chain
/// the server presents even when it is not trusted) and one HTTP GET
/// without credentials. The first failing stage is the verdict, with a
/// finding such as `NES_DNS_FAILED`, `NES_TCP_TIMEOUT`, `NES_TLS_UNTRUSTED`
/// or `NES_HTTP_NOT_FOUND`; later stages are skipped.
///
/// Request: UTF-8 JSON with `url` (required; a bare host means
/// `https://host/nes`) and optional `deadline_ms` (20000), `dns_timeout_ms`
/// (5000), `tcp_timeout_ms` (5000), `tls_timeout_ms` (10000),
/// `http_timeout_ms` (10000), `proxy`, `use_env_proxy` (true),
/// `trusted_root_path`, `expected_issuer`, `use_platform_roots` (true),
/// `max_redirects` (5), `caller`. Unknown fields are rejected.
///
/// Blocks the calling thread for at most about `deadline_ms`. Same calling
/// contract as `nymidiag_describe`; safe to call from several threads.
///
/// # Safety
///
/// As for `nymidiag_describe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nymidiag_nes_probe(
    request: *const u8,
    request_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        json_call(
            Capability::NesProbe.name(),
            request,
            request_len,
            out,
            out_len,
            |req: NesProbeRequest| Ok(nes_probe(&req)),
        )
    }
}

/// Scans logs with the rule engine: the Evidian WGSS (Nymi) trace,
/// `nymi_api.log`, IIS W3C logs of the NES server, Windows Firewall logs and
/// any text file, in UTF-8, UTF-16 or Windows-1252. Each rule that fires is
/// a finding with its id (`LOG_NEA_CERTS_NOT_RETRIEVED`,
/// `IIS_KERBEROS_FAILURE`, `FIREWALL_DROP_NES`, ...), count, first and last
/// time seen (UTC), places and redacted excerpts; `data` also says what was
/// read (files, bytes, encodings, time range) so that "nothing matched" can
/// be trusted. Never writes to the files it reads.
///
/// Request: UTF-8 JSON, every field optional: `paths` (files, folders,
/// wildcards; empty = the usual Nymi and Evidian locations), `kind`
/// (`auto`), `since` (now - 14 days), `until`, `client_address`,
/// `remote_address`, `port`, `rule_paths` (extra TOML packs),
/// `default_rules` (true), `date_order` (`yy_mm_dd`), `merge_rotated`,
/// `local_offset_minutes`, `max_line_bytes`, `now`, `caller`. Unknown fields
/// are rejected; a rule pack that does not load returns
/// `NYMIDIAG_STATUS_REQUEST_INVALID` naming the file, line and reason.
///
/// Same calling contract as `nymidiag_describe`; safe to call from several
/// threads.
///
/// # Safety
///
/// As for `nymidiag_describe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nymidiag_log_scan(
    request: *const u8,
    request_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        json_call(
            Capability::LogScan.name(),
            request,
            request_len,
            out,
            out_len,
            |req: LogScanRequest| try_log_scan(&req),
        )
    }
}

/// Lists the log rules (the built-in pack and any `rule_paths` packs) with
/// their ids, severities, kinds, literals, explanations, remediation and
/// samples, and the table of known error codes.
///
/// Request: UTF-8 JSON, every field optional: `rule_paths`,
/// `default_rules` (true), `caller`. A pack that does not load returns
/// `NYMIDIAG_STATUS_REQUEST_INVALID` with `file:line: reason`.
///
/// Same calling contract as `nymidiag_describe`.
///
/// # Safety
///
/// As for `nymidiag_describe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nymidiag_rule_list(
    request: *const u8,
    request_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        json_call(
            Capability::RuleList.name(),
            request,
            request_len,
            out,
            out_len,
            |req: RuleListRequest| list_rules(&req),
        )
    }
}

/// The main job: counts the NEA key stores, scans the logs, probes the NES
/// (the URL from the request, else the one found in the logs) and
/// correlates them into one verdict (`HEALTHY`,
/// `NEA_CERTS_NOT_RETRIEVED_<cause>`, `NEA_CERTS_EXPIRED_NOT_RENEWED`,
/// `CERTS_OK_NES_UNREACHABLE`, `CERTS_OK_OTHER_CAUSE`, `INCONCLUSIVE`) with
/// its evidence, confidence, ordered next steps with commands, the Intune
/// status line, and the three part reports in full.
///
/// Request: UTF-8 JSON, every field optional: `nes_url`, `cert_inventory`
/// and `log_scan` (the requests of those exports), `nes_probe`
/// (`deadline_ms`, `proxy`, `use_env_proxy`, `trusted_root_path`,
/// `expected_issuer`, `use_platform_roots`), `skip` (parts not to run),
/// `host` (raw observations only Windows can make: services, PnP devices,
/// proxy settings, the request with the Windows identity, the chain
/// engine's build, the terminal's addresses; the library turns them into
/// the `HOST_*` checks and decides whether they count for the verdict),
/// `now`, `caller`. One call does the whole diagnosis. A log rule pack that does not load returns
/// `NYMIDIAG_STATUS_REQUEST_INVALID`. Bounded in time by the probe's
/// deadline plus the inventory and scan, which are bounded by their caps.
///
/// Same calling contract as `nymidiag_describe`; safe to call from several
/// threads.
///
/// # Safety
///
/// As for `nymidiag_describe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nymidiag_diagnose(
    request: *const u8,
    request_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        json_call(
            Capability::Diagnose.name(),
            request,
            request_len,
            out,
            out_len,
            |req: DiagnoseRequest| diagnose(&req),
        )
    }
}

/// Removes secrets from text before it leaves the machine (support
/// bundles): `Authorization` headers, bearer/basic/negotiate tokens,
/// `password=`/`token=` values, JSON secrets, JWTs and PEM private-key
/// blocks. `data.text` is the cleaned text, `data.replacements` the count.
///
/// Request: `{"text": "...", "caller": "..."}`; text over 32 MiB returns
/// `NYMIDIAG_STATUS_REQUEST_INVALID`. Or a file, read piece by piece so
/// memory stays bounded: `{"path": "...", "encoding": "utf-16le-bom",
/// "within": "<folder>", "max_bytes": 5242880}` answers the first piece
/// (at most `piece_bytes`, 64 to 524288 = the default, of the file, ending
/// on a line end; with `max_bytes` only the file's last bytes, from a
/// whole line) decoded and cleaned, and
/// `data.file.next`; send that back as `resume` (with the same `path`,
/// `encoding` and `within`) until it is `null`. `encoding` is the one the
/// log scan reported for the file (`data.files[].encoding`). The file is
/// read only when, with every link resolved, it lies inside `within`
/// (default: its own folder), and never when it is a FIFO, socket or
/// device: those return `NYMIDIAG_STATUS_IO` with the reason, as does a
/// file that cannot be read. Nothing is written.
///
/// Same calling contract as `nymidiag_describe`; safe to call from several
/// threads.
///
/// # Safety
///
/// As for `nymidiag_describe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nymidiag_redact(
    request: *const u8,
    request_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        json_call(
            Capability::Redact.name(),
            request,
            request_len,
            out,
            out_len,
            |req: RedactRequest| redact(&req),
        )
    }
}

/// Finds a part report embedded in a diagnosis, so that it can be stored
/// byte for byte without running the part again (the support bundle's
/// `cert-inventory.json` and `log-scan.json`). `data.span` gives where the
/// part's JSON lies in the request's `report` text, in bytes and in UTF-16
/// code units, or `null` when the diagnosis does not hold it (the part was
/// skipped or failed).
///
/// Request: UTF-8 JSON `{"report": "<JSON text>", "part": "cert_inventory"
/// | "log_scan" | "nes_probe", "caller": "..."}`; `report` is the text of a
/// diagnose report, or of a run record holding one in its `diagnosis`
/// field (the Intune and GPO report files), at most 64 MiB. Text that is
/// not JSON returns `NYMIDIAG_STATUS_REQUEST_INVALID`.
///
/// Same calling contract as `nymidiag_describe`; safe to call from several
/// threads.
///
/// # Safety
///
/// As for `nymidiag_describe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nymidiag_report_part(
    request: *const u8,
    request_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        json_call(
            Capability::ReportPart.name(),
            request,
            request_len,
            out,
            out_len,
            |req: ReportPartRequest| report_part(&req),
        )
    }
}

/// Reads status lines back, as a fleet collects them (Intune's detection
/// output, an export report's column): the parser next to the writer of
/// `data.status_line`, so one definition of the format serves both. Lines
/// without `v=` (written before versions) read too. Every line gives a row
/// with `parse_status` `ok`, `truncated` (the start was cut: Intune keeps
/// the last 2,048 characters), `empty` or `malformed` and the reason; a
/// line is never an error.
///
/// Request: UTF-8 JSON `{"lines": ["STATUS=OK v=1 ...", null, ...],
/// "caller": "..."}`, at most 100,000 lines (more returns
/// `NYMIDIAG_STATUS_REQUEST_INVALID`); each entry may be a whole output, of
/// which the last non-blank line is read. `data.table` holds one row per
/// line, in order, as a text table (columns listed in the schema), and
/// `data.counts` the lines per `parse_status`.
///
/// Same calling contract as `nymidiag_describe`; safe to call from several
/// threads.
///
/// # Safety
///
/// As for `nymidiag_describe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nymidiag_status_lines(
    request: *const u8,
    request_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        json_call(
            Capability::StatusLines.name(),
            request,
            request_len,
            out,
            out_len,
            |req: StatusLinesRequest| parse_status_lines(&req),
        )
    }
}

/// Rolls up the status lines of many terminals: one row per device (the
/// newest), each line parsed (version 0 and 1), the devices grouped by
/// verdict, stage, NES and site, and the indices of those whose NEA
/// certificates expire soon (or did), whose result is stale, or whose line
/// or report could not be read (with the reason). `data.devices` is one
/// text table (tab-separated, escaped), not JSON objects, so that 10,000
/// rows are cheap to read back.
///
/// Request: UTF-8 JSON with exactly one source: `csv` (a `.csv` file or a
/// `.zip` holding one: the Intune export report or any table with a device
/// column and an output column; `,`, `;` or tab; UTF-8 or UTF-16 with
/// BOM), `reports` (a folder of JSON diagnose reports and host-script run
/// records, read recursively) or `rows` (`[{"device_name", "device_id",
/// "output", "post_output", "last_seen", "detection", "origin"}]`, with
/// `rows_source` `pipeline` or `graph`); optional `now` (RFC 3339, default
/// the clock), `expiring_days` (7), `stale_days` (8), `caller`. Unknown
/// fields are rejected. A source that cannot be read (missing file, no
/// device or output column, more than 1,000,000 rows, a zip entry that
/// decompresses past its cap) returns `NYMIDIAG_STATUS_REQUEST_INVALID`
/// with the reason; a single bad report file is a row, not a failure.
///
/// Same calling contract as `nymidiag_describe`; safe to call from several
/// threads.
///
/// # Safety
///
/// As for `nymidiag_describe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nymidiag_fleet_report(
    request: *const u8,
    request_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        json_call(
            Capability::FleetReport.name(),
            request,
            request_len,
            out,
            out_len,
            |req: FleetReportRequest| fleet_report(&req),
        )
    }
}

/// Runs on the NES server: reads its IIS logs (and HTTP.sys error logs)
/// and answers one row per client: requests, successes, 401s by
/// substatus and Win32 status (401.1 with 2148074254: the Kerberos
/// failure), 403s, 5xx, HTTP.sys errors, first and last seen, last success
/// and failure, and a state: `AUTH_FAILING`, `NES_ERRORS`, `NOT_RENEWING`,
/// `NEVER_SEEN` (an expected client absent) or `OK`, worst first in
/// `data.clients`. The client is the first address of `X-Forwarded-For`
/// when logged, else `c-ip` (`address_source` says which). Fields missing
/// from the logs are listed in `data.missing_fields` with what they leave
/// unanswered; no log at all is a report with status `error` and the
/// paths tried in `warnings`.
///
/// Request: UTF-8 JSON, every field optional: `{"paths": [...], "since":
/// "<RFC 3339>", "until": "...", "now": "...", "uri_stem": "/NES",
/// "renewal_days": 14, "expected_clients": ["10.0.0.5", "WARD3-PC07"],
/// "include_user_names": false, "max_clients": 20000, "caller": "..."}`;
/// `{}` reads `%SystemDrive%\inetpub\logs\LogFiles` (every site) and
/// `System32\LogFiles\HTTPERR` over the last 28 days. A bad field
/// returns `NYMIDIAG_STATUS_REQUEST_INVALID` naming it.
///
/// Same calling contract as `nymidiag_describe`; safe to call from several
/// threads (it reads several files at once on threads of its own).
///
/// # Safety
///
/// As for `nymidiag_describe`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nymidiag_nes_clients(
    request: *const u8,
    request_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        json_call(
            Capability::NesClients.name(),
            request,
            request_len,
            out,
            out_len,
            |req: NesClientsRequest| nes_clients(&req),
        )
    }
}

/// TEST BUILDS ONLY (cargo feature `test-exports`): parses the request like
/// any capability, then panics, to prove that a panic becomes
/// `NYMIDIAG_STATUS_PANIC` and an error document instead of unwinding into
/// the caller. Same contract as `nymidiag_describe`.
///
/// # Safety
///
/// As for `nymidiag_describe`.
#[cfg(feature = "test-exports")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nymidiag_test_panic(
    request: *const u8,
    request_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        json_call(
            "test_panic",
            request,
            request_len,
            out,
            out_len,
            |req: DescribeRequest| {
                let _ = req;
                if true {
                    panic!("deliberate panic from nymidiag_test_panic");
                }
                Ok(())
            },
        )
    }
}
