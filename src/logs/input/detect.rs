//! Which format a log file is in, and how that was decided.
//!
//! Detection reads the start of the file, not only its name: WGSS trace
//! files have no fixed name, `nymi_api.log` may be copied under any name
//! into a support ticket, and IIS logs are often renamed when collected.
//! The name is used only when the content says nothing (an empty file).

use super::format::{firewall, iis, nymi_api, wgss};
use crate::logs::model::{KindSource, LogKind};

/// How many non-empty lines of the sample are looked at.
const SAMPLE_LINES: usize = 50;

/// Detects the kind of a file from the decoded start of its content and
/// its file name.
pub(crate) fn detect(sample: &str, file_name: &str) -> (LogKind, KindSource) {
    if let Some(kind) = from_content(sample) {
        return (kind, KindSource::Content);
    }
    match from_name(file_name) {
        Some(kind) => (kind, KindSource::Name),
        None => (LogKind::Text, KindSource::Fallback),
    }
}

fn from_content(sample: &str) -> Option<LogKind> {
    let lines: Vec<&str> = sample
        .lines()
        .map(|l| l.trim_end_matches('\r').trim_start_matches('\u{feff}'))
        .filter(|l| !l.trim().is_empty())
        .take(SAMPLE_LINES)
        .collect();
    if lines.is_empty() {
        return None;
    }
    // Directive headers are unambiguous.
    for line in &lines {
        if let Some(rest) = line.strip_prefix("#Software:") {
            let rest = rest.trim();
            if rest.contains("Windows Firewall") {
                return Some(LogKind::Firewall);
            }
            if rest.contains("Internet Information Services") || rest.contains("HTTP API") {
                return Some(LogKind::Iis);
            }
        }
        if let Some(rest) = line.strip_prefix("#Fields:") {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if fields.contains(&"action") && fields.contains(&"src-ip") {
                return Some(LogKind::Firewall);
            }
            if fields
                .iter()
                .any(|f| matches!(*f, "cs-uri-stem" | "sc-status" | "c-ip" | "s-ip"))
            {
                return Some(LogKind::Iis);
            }
        }
    }
    let data: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with('#'))
        .collect();
    if data.is_empty() {
        return None;
    }
    let n = data.len();
    let api: Vec<bool> = data.iter().map(|l| nymi_api::looks_like(l)).collect();
    // Whatever the prefix (or none), WGSS lines carry its signatures;
    // continuation lines may outnumber them, so a third is enough.
    let wgss = data
        .iter()
        .zip(&api)
        .filter(|(l, api)| !**api && wgss::looks_like(l))
        .count();
    if wgss > 0 && wgss * 3 >= n {
        return Some(LogKind::Wgss);
    }
    let api = api.iter().filter(|a| **a).count();
    if api > 0 && api * 2 >= n {
        return Some(LogKind::NymiApi);
    }
    let fw = data.iter().filter(|l| firewall::looks_like(l)).count();
    if fw > 0 && fw * 2 >= n {
        return Some(LogKind::Firewall);
    }
    let web = data.iter().filter(|l| iis::looks_like(l)).count();
    if web > 0 && web * 2 >= n {
        return Some(LogKind::Iis);
    }
    None
}

fn from_name(file_name: &str) -> Option<LogKind> {
    let name = file_name.to_ascii_lowercase();
    if name.contains("wgss") {
        Some(LogKind::Wgss)
    } else if name.starts_with("nymi_api") {
        Some(LogKind::NymiApi)
    } else if name.starts_with("pfirewall") {
        Some(LogKind::Firewall)
    } else if name.starts_with("u_ex") || name.starts_with("httperr") || is_iis6_name(&name) {
        Some(LogKind::Iis)
    } else {
        None
    }
}

/// IIS 6 style `exYYMMDD.log`.
fn is_iis6_name(name: &str) -> bool {
    name.strip_prefix("ex")
        .and_then(|r| r.get(..6))
        .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_content() {
        let wgss = "704:(22/03/17 06:13:14.149):CHttpClient.cpp :0402: -> X\n'\n";
        assert_eq!(
            detect(wgss, "trace.txt"),
            (LogKind::Wgss, KindSource::Content)
        );
        let api = "WARN - Verifying NEA certs\nERROR - NSL: nsl_verify_nea_cert_chain, 2227, 5\n";
        assert_eq!(detect(api, "a.txt").0, LogKind::NymiApi);
        let iis = "#Software: Microsoft Internet Information Services 10.0\n";
        assert_eq!(detect(iis, "x").0, LogKind::Iis);
        let fw = "#Version: 1.5\n#Software: Microsoft Windows Firewall\n";
        assert_eq!(detect(fw, "x").0, LogKind::Firewall);
        let headerless =
            "2018-12-31 12:02:53 10.44.0.136 GET / - 443 - 10.50.6.188 UA - 401 0 0 0\n";
        assert_eq!(detect(headerless, "x").0, LogKind::Iis);
        let fw_headerless =
            "2024-05-02 09:41:08 DROP TCP 10.30.4.77 10.20.0.15 51514 443 0 - 0 0 0 - - - SEND\n";
        assert_eq!(detect(fw_headerless, "x").0, LogKind::Firewall);
    }

    #[test]
    fn detects_wgss_and_nymi_api_whatever_the_prefix() {
        let wgss_rests = [
            "WearableExtension.cpp :0440: Ext::GetListOfVisibleDevices returns: 0X8101201C",
            "NesClient.cpp :0114: Error from token request--code: 0 - message: 'x",
            "-> CHttpClient::GetHttpStatus",
            "<- CWearableContext::ConnectUserWearableDevice returned: 0x81010009",
        ];
        let api_rests = [
            "WARN - Verifying NEA certs without an NES connection.",
            "ERROR - NSL: nsl_verify_nea_cert_chain, 2227, 5",
        ];
        let prefixes = [
            "704:(22/03/17 06:13:14.149):",
            "704:(2022-03-17 06:13:14,149): ",
            "2022-03-17T06:13:14.149Z ",
            "[2022-03-17 06:13:14.149+01:00] [12:704] ",
            "17.03.2022 06:13:14 tid=704 ",
            "03/17/2022 6:13:14 PM\t704\t",
            "[704] ",
            "",
        ];
        for prefix in prefixes {
            let wgss: String = wgss_rests
                .iter()
                .map(|r| format!("{prefix}{r}\n'\n"))
                .collect();
            assert_eq!(
                detect(&wgss, "trace.txt"),
                (LogKind::Wgss, KindSource::Content),
                "{prefix:?}"
            );
            let api: String = api_rests.iter().map(|r| format!("{prefix}{r}\n")).collect();
            assert_eq!(
                detect(&api, "trace.txt"),
                (LogKind::NymiApi, KindSource::Content),
                "{prefix:?}"
            );
        }
        // Time-stamped lines without a WGSS signature are not WGSS.
        let other = "2022-03-17T06:13:14Z service started\n2022-03-17T06:13:15Z ready\n";
        assert_eq!(detect(other, "x.txt").0, LogKind::Text);
    }

    #[test]
    fn falls_back_to_the_name_then_text() {
        assert_eq!(
            detect("", "nymi_api.log"),
            (LogKind::NymiApi, KindSource::Name)
        );
        assert_eq!(
            detect("", "u_ex240502.log"),
            (LogKind::Iis, KindSource::Name)
        );
        assert_eq!(detect("", "ex240502.log"), (LogKind::Iis, KindSource::Name));
        assert_eq!(
            detect("", "pfirewall.log.old"),
            (LogKind::Firewall, KindSource::Name)
        );
        assert_eq!(detect("", "Evidian_WGSS_Nymi.log").0, LogKind::Wgss);
        assert_eq!(
            detect("hello\n", "notes.txt"),
            (LogKind::Text, KindSource::Fallback)
        );
    }

    #[test]
    fn content_wins_over_the_name() {
        let api = "INFO - sending update to nea {}\n";
        assert_eq!(detect(api, "u_ex240502.log").0, LogKind::NymiApi);
    }

    #[test]
    fn names_round_trip() {
        for k in LogKind::all() {
            assert_eq!(LogKind::from_name(k.as_str()), Some(k));
        }
    }
}
