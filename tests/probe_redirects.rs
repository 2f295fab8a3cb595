//! Redirects the HTTP stage follows and those it refuses: only the same
//! scheme, host and port, or http to https on the same host, is followed;
//! another host (`NES_HTTP_REDIRECT_OFF_HOST`) or https to http
//! (`NES_HTTP_REDIRECT_INSECURE`) fails the stage. Query strings of
//! redirect targets never reach the report. Every server is on 127.0.0.1
//! and started here; `127.0.0.2` and `localhost` name other hosts that are
//! never contacted.

mod support;

use std::sync::Arc;

use nymidiag::probe::model::{NesProbeData, StageName, StageStatus, VerdictStatus};
use nymidiag::probe::{NesProbeRequest, nes_probe_with_resolver};
use nymidiag::report::Report;
use support::servers::{self, Server, raw_response};

const SECRET: &str = "s3cr3t-t0ken";

fn request(url: &str) -> NesProbeRequest {
    support::nes::loopback_request(url, &support::nes::healthy_tls().ca_file)
}

fn probe(url: &str) -> Report<NesProbeData> {
    nes_probe_with_resolver(&request(url), support::nes::table())
}

fn redirect(status: &str, location: &str) -> Vec<u8> {
    raw_response(status, &[&format!("Location: {location}")], "")
}

fn ok() -> Vec<u8> {
    raw_response("200 OK", &["Server: Microsoft-IIS/10.0"], "ok")
}

fn serve(tls: bool, routes: Vec<(&str, Vec<u8>)>) -> Server {
    servers::start_routes(
        tls.then(|| Arc::clone(&support::nes::healthy_tls().tls)),
        routes.into_iter().map(|(p, r)| (p.to_owned(), r)).collect(),
    )
}

/// The whole report as JSON text, and asserts the secret is not in it.
fn assert_no_secret(r: &Report<NesProbeData>) -> String {
    let json = serde_json::to_string(r).unwrap();
    for secret in [SECRET, "token=", "jdoe", "hunter2"] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    json
}

fn assert_failed_with(r: &Report<NesProbeData>, id: &str, status: u16, target: &str) {
    let json = serde_json::to_string_pretty(&r.data).unwrap();
    assert_eq!(r.data.verdict.status, VerdictStatus::Failed, "{json}");
    assert_eq!(r.data.verdict.stage, Some(StageName::Http), "{json}");
    assert_eq!(r.data.verdict.finding.as_deref(), Some(id), "{json}");
    let f = r.findings.iter().find(|f| f.id == id).expect("finding");
    assert_eq!(f.severity, nymidiag::report::Severity::Error);
    assert_eq!(f.evidence["status"], status, "{f:?}");
    assert_eq!(f.evidence["target"], target, "{f:?}");
    assert!(f.detail.contains(target), "{}", f.detail);
    let http = r.data.http.as_ref().expect("http info");
    assert_eq!(http.status, None, "not followed: {json}");
    assert_eq!(http.redirects.last().map(|x| x.to.as_str()), Some(target));
    assert_no_secret(r);
}

#[test]
fn a_redirect_to_another_host_is_not_followed() {
    // Every redirect status, to hosts that differ from the NES host by
    // name, address or port; with credentials, queries and fragments that
    // must not reach the report.
    let statuses = [
        "301 Moved Permanently",
        "302 Found",
        "303 See Other",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ];
    let targets = [
        (
            format!("http://127.0.0.2:8080/login?token={SECRET}"),
            "http://127.0.0.2:8080/login",
        ),
        (
            format!("http://jdoe:hunter2@portal.example/?token={SECRET}#frag"),
            "http://portal.example/",
        ),
        (
            format!("https://captive.portal.example/auth?next=/nes&token={SECRET}"),
            "https://captive.portal.example/auth",
        ),
        (
            format!("//127.0.0.2/nes?token={SECRET}"),
            "http://127.0.0.2/nes",
        ),
    ];
    for status in statuses {
        for (location, shown) in &targets {
            let server = serve(false, vec![("/nes", redirect(status, location))]);
            let url = format!("http://127.0.0.1:{}/nes", server.port);
            let r = probe(&url);
            let code: u16 = status[..3].parse().unwrap();
            assert_failed_with(&r, "NES_HTTP_REDIRECT_OFF_HOST", code, shown);
            let f = &r.findings[0];
            assert_eq!(f.evidence["url"], url.as_str());
        }
    }
}

#[test]
fn localhost_and_127_0_0_1_are_different_hosts() {
    let https = serve(true, vec![("/nes", ok())]);
    for (from_host, to_host) in [("localhost", "127.0.0.1"), ("127.0.0.1", "localhost")] {
        let to = format!("https://{to_host}:{}/nes", https.port);
        let server = serve(
            true,
            vec![(
                "/nes",
                redirect("302 Found", &format!("{to}?token={SECRET}")),
            )],
        );
        let r = probe(&format!("https://{from_host}:{}/nes", server.port));
        assert_failed_with(&r, "NES_HTTP_REDIRECT_OFF_HOST", 302, &to);
        // The TLS stage passed: the redirect is the failure.
        let tls = r.data.stages.iter().find(|s| s.name == StageName::Tls);
        assert_eq!(tls.map(|s| s.status), Some(StageStatus::Ok));
    }
}

#[test]
fn another_port_on_the_same_host_is_another_service() {
    let server = serve(
        true,
        vec![("/nes", redirect("302 Found", "https://localhost:1/nes"))],
    );
    let r = probe(&format!("https://localhost:{}/nes", server.port));
    assert_failed_with(
        &r,
        "NES_HTTP_REDIRECT_OFF_HOST",
        302,
        "https://localhost:1/nes",
    );
}

#[test]
fn https_to_http_on_the_same_host_is_not_followed() {
    let plain = serve(false, vec![("/nes", ok())]);
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "307 Temporary Redirect",
    ] {
        for (host, path) in [("localhost", "/nes"), ("127.0.0.1", "/other/nes")] {
            let to = format!("http://{host}:{}{path}", plain.port);
            let server = serve(
                true,
                vec![("/nes", redirect(status, &format!("{to}?token={SECRET}")))],
            );
            let r = probe(&format!("https://{host}:{}/nes", server.port));
            assert_failed_with(
                &r,
                "NES_HTTP_REDIRECT_INSECURE",
                status[..3].parse().unwrap(),
                &to,
            );
            let f = &r.findings[0];
            assert!(f.detail.contains("plain http"), "{}", f.detail);
        }
    }
}

#[test]
fn http_to_https_on_the_same_host_is_followed() {
    let https = serve(true, vec![("/nes", ok())]);
    for host in ["localhost", "127.0.0.1"] {
        let to = format!("https://{host}:{}/nes", https.port);
        let plain = serve(
            false,
            vec![(
                "/nes",
                redirect("301 Moved Permanently", &format!("{to}?token={SECRET}")),
            )],
        );
        let r = probe(&format!("http://{host}:{}/nes", plain.port));
        let json = assert_no_secret(&r);
        assert_eq!(r.data.verdict.status, VerdictStatus::Ok, "{json}");
        let http = r.data.http.as_ref().unwrap();
        assert_eq!(http.status, Some(200), "{json}");
        assert_eq!(http.final_url.as_deref(), Some(to.as_str()), "{json}");
        assert_eq!(http.redirects.len(), 1);
        assert_eq!(http.redirects[0].to, to);
        assert_eq!(http.redirects[0].status, 301);
    }
}

#[test]
fn a_path_redirect_on_the_same_host_is_followed_and_its_query_dropped() {
    // Relative, absolute (naming the server itself), and a chain of two,
    // each hop carrying the token.
    for (location, hops) in [
        (format!("/nes/?token={SECRET}"), 1usize),
        (
            format!("https://localhost:{{port}}/nes/?token={SECRET}&x=1#top"),
            1,
        ),
        (format!("https://LOCALHOST:{{port}}/nes/?token={SECRET}"), 1),
        (format!("/step?token={SECRET}"), 2),
    ] {
        let server = serve(
            true,
            vec![
                ("/old/nes", redirect("301 Moved Permanently", &location)),
                (
                    "/step",
                    redirect("307 Temporary Redirect", &format!("/nes/?token={SECRET}")),
                ),
                ("/nes/", ok()),
            ],
        );
        let r = probe(&format!("https://localhost:{}/old/nes", server.port));
        let json = assert_no_secret(&r);
        assert_eq!(
            r.data.verdict.status,
            VerdictStatus::Ok,
            "{location}: {json}"
        );
        let http = r.data.http.as_ref().unwrap();
        assert_eq!(http.status, Some(200), "{json}");
        assert_eq!(http.redirects.len(), hops, "{json}");
        let base = format!("https://localhost:{}", server.port);
        for hop in &http.redirects {
            assert!(hop.to.starts_with(&base), "{hop:?}");
            assert!(!hop.to.contains('?') && !hop.to.contains('#'), "{hop:?}");
        }
        assert_eq!(
            http.final_url.as_deref(),
            Some(format!("{base}/nes/").as_str())
        );
    }
}
