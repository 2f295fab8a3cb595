//! The server's clock: loopback HTTP servers answer with a `Date` header
//! set ahead of, behind or close to this machine's clock (or none), and
//! the probe records `server_date` and `clock_offset_ms` and raises
//! `NES_CLOCK_SKEW` only beyond Kerberos' 5-minute tolerance.

mod support;

use support::servers::{Server, start_dated};

use nymidiag::probe::model::{NesProbeData, StageName, StageStatus};
use nymidiag::probe::{NesProbeRequest, nes_probe};
use nymidiag::report::Report;
use time::OffsetDateTime;

const SKEW: &str = "NES_CLOCK_SKEW";

fn probe(server: &Server) -> Report<NesProbeData> {
    let mut req = NesProbeRequest::new(format!("http://127.0.0.1:{}/nes", server.port));
    req.use_env_proxy = false;
    nes_probe(&req)
}

#[test]
fn the_server_date_is_recorded_and_skew_beyond_five_minutes_is_raised() {
    // (status, offset in seconds, skew expected)
    let cases: [(&str, Option<i64>, bool); 7] = [
        ("401 Unauthorized", Some(3600), true),
        ("200 OK", Some(-600), true),
        ("404 Not Found", Some(2), false),
        ("401 Unauthorized", Some(-2), false),
        ("503 Service Unavailable", Some(-400), true),
        ("401 Unauthorized", Some(0), false),
        ("401 Unauthorized", None, false),
    ];
    for (status, offset, skew) in cases {
        let server = start_dated(status, offset.map(time::Duration::seconds));
        let r = probe(&server);
        let http = r.data.http.as_ref().expect("the HTTP stage ran");
        assert_eq!(
            http.status,
            Some(status[..3].parse().unwrap()),
            "{status} {offset:?}"
        );
        let raised: Vec<_> = r.findings.iter().filter(|f| f.id == SKEW).collect();
        assert_eq!(raised.len(), usize::from(skew), "{status} {offset:?}");
        match offset {
            Some(o) => {
                let got = http.clock_offset_ms.expect("an offset");
                // Date truncates to the second, and the response takes a
                // moment to arrive.
                let want = o * 1000;
                assert!(
                    (want - 2_000..=want + 1_000).contains(&got),
                    "{status}: offset {got} for {o} s"
                );
                let date = http.server_date.expect("a date");
                let now = OffsetDateTime::now_utc();
                let diff = (date.0 - now).whole_seconds() - o;
                assert!((-10..=1).contains(&diff), "{status}: date {date}");
            }
            None => {
                assert_eq!(http.server_date, None);
                assert_eq!(http.clock_offset_ms, None);
            }
        }
        if let Some(f) = raised.first() {
            assert_eq!(f.severity, nymidiag::report::Severity::Warning);
            assert!(f.detail.contains(&http.server_date.unwrap().to_string()));
            assert!(
                f.remediation
                    .as_deref()
                    .unwrap()
                    .contains("w32tm /query /status")
            );
            let json = serde_json::to_value(&r).unwrap();
            let skew = json["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == SKEW)
                .unwrap();
            assert_eq!(
                skew["evidence"]["clock_offset_ms"],
                http.clock_offset_ms.unwrap()
            );
        }
        // The clock does not change the HTTP stage's verdict.
        let stage = r
            .data
            .stages
            .iter()
            .find(|s| s.name == StageName::Http)
            .unwrap();
        let ok = matches!(status, "401 Unauthorized" | "200 OK");
        assert_eq!(stage.status == StageStatus::Ok, ok, "{status}: {:?}", stage);
    }
}
