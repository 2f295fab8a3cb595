//! Generates WGSS (Nymi) trace logs of any size with the failure
//! signatures planted at known places, for the benchmarks.

// Each bench target uses a different part of this file.
#![allow(dead_code)]

use std::io::{self, BufWriter, Write};
use std::path::Path;

/// What was written.
#[derive(Debug, Default, Clone)]
pub(crate) struct Manifest {
    /// Lines written.
    pub(crate) lines: u64,
    /// Bytes written.
    pub(crate) bytes: u64,
    /// Failing taps planted (token failure, chain not trusted, "Object not
    /// found"), 6 candidate lines each.
    pub(crate) chain_plants: u64,
    /// BLE-only taps planted ("0 visible devices" without 0x8101201c), 2
    /// candidate lines each.
    pub(crate) ble_plants: u64,
    /// First line number (1-based) of the first plants.
    pub(crate) first_plant_lines: Vec<u64>,
}

impl Manifest {
    /// Lines holding a literal of the WGSS rules (what `rg -c -F` counts).
    pub(crate) fn candidate_lines(&self) -> u64 {
        self.chain_plants * 6 + self.ble_plants * 2
    }

    /// Expected count per rule id of the built-in pack.
    pub(crate) fn expected(&self) -> Vec<(&'static str, u64)> {
        let (c, b) = (self.chain_plants, self.ble_plants);
        vec![
            ("LOG_TOKEN_REQUEST_ERROR", c),
            ("LOG_TOKEN_REQUEST_FAILED", c),
            ("LOG_CERT_CHAIN_NOT_TRUSTED", c),
            ("LOG_NO_VISIBLE_DEVICES", b),
            ("LOG_OBJECT_NOT_FOUND", 2 * c + b),
            ("LOG_NEA_CERTS_NOT_RETRIEVED", 2 * c),
            ("LOG_ERROR_CODE_RETURNED", 3 * c + b),
        ]
    }
}

/// Ordinary trace lines: (source, line, message). None holds a literal.
const FILLER: &[(&str, &str, &str)] = &[
    ("CHttpClient.cpp", "0402", "-> CHttpClient::GetHttpStatus"),
    (
        "CHttpClient.cpp",
        "0417",
        "<- CHttpClient::GetHttpStatus returned: 0x00000000",
    ),
    (
        "WearableExtension.cpp",
        "0440",
        "Ext::GetListOfVisibleDevices returns: 0x00000000",
    ),
    ("WearableExtension.cpp", "0441", "1 visible devices"),
    (
        "Wearable.cpp",
        "0210",
        "[TIME] Wearable::FreeListOfDevices()",
    ),
    (
        "NesClient.cpp",
        "0110",
        "-> nymi::NesClient::AuthenticateWithToken",
    ),
    (
        "NesClient.cpp",
        "0131",
        "<- nymi::NesClient::AuthenticateWithToken returned: 0x00000000",
    ),
    (
        "Listener.cpp",
        "0388",
        "CListener::OnTap reader=ACS ACR122 0 uid=04A224B2C35E80 handle=0x0000abcd",
    ),
    (
        "Agent.cpp",
        "0077",
        "Sending heartbeat to agent ws://127.0.0.1:9120/socket/websocket",
    ),
    (
        "WearableContext.cpp",
        "0460",
        "<- CWearableContext::ConnectUserWearableDevice returned: 0x00000000",
    ),
    (
        "WearableExtension.cpp",
        "0495",
        "<- CWearableExtension::ValidateProvisions returned: 0x00000000",
    ),
    (
        "Policy.cpp",
        "1022",
        "Reading policy value RFIDSelfEnrollAllowed=0 from HKLM",
    ),
];

const CHAIN: &[(&str, &str, &str)] = &[
    (
        "NesClient.cpp",
        "0114",
        "Error from token request--code: 0 - message: 'The operation is complete\n'",
    ),
    (
        "Listener.cpp",
        "0411",
        "Unable to get token with USER creds",
    ),
    (
        "WearableExtension.cpp",
        "0440",
        "Ext::GetListOfVisibleDevices returns: 0x8101201c",
    ),
    ("WearableExtension.cpp", "0441", "0 visible devices"),
    (
        "Wearable.cpp",
        "0210",
        "[TIME] Wearable::FreeListOfDevices()",
    ),
    (
        "WearableExtension.cpp",
        "0495",
        "<- CWearableExtension::ValidateProvisions returned: 0x81010009",
    ),
    (
        "WearableContext.cpp",
        "0460",
        "<- CWearableContext::ConnectUserWearableDevice returned: 0x81010009",
    ),
];

const BLE: &[(&str, &str, &str)] = &[
    (
        "WearableExtension.cpp",
        "0440",
        "Ext::GetListOfVisibleDevices returns: 0x00000000",
    ),
    ("WearableExtension.cpp", "0441", "0 visible devices"),
    (
        "WearableContext.cpp",
        "0460",
        "<- CWearableContext::ConnectUserWearableDevice returned: 0x81010009",
    ),
];

struct Writer<W: Write> {
    out: W,
    ms: u64,
    m: Manifest,
}

impl<W: Write> Writer<W> {
    fn line(&mut self, thread: u64, (source, line, msg): (&str, &str, &str)) -> io::Result<()> {
        // 2024-05-02, one millisecond per line, wrapping within the day.
        let t = self.ms % 86_400_000;
        self.ms += 1;
        let text = format!(
            "{thread}:(24/05/02 {:02}:{:02}:{:02}.{:03}):{source} :{line}: {msg}\n",
            t / 3_600_000,
            t / 60_000 % 60,
            t / 1000 % 60,
            t % 1000
        );
        self.out.write_all(text.as_bytes())?;
        self.m.bytes += text.len() as u64;
        self.m.lines += 1 + msg.matches('\n').count() as u64;
        Ok(())
    }
}

/// Writes about `target` bytes of trace to `path`, planting a failing tap
/// every `every` lines (and a BLE-only tap every fifth time).
pub(crate) fn generate(path: &Path, target: u64, every: u64) -> io::Result<Manifest> {
    let file = std::fs::File::create(path)?;
    let mut w = Writer {
        out: BufWriter::with_capacity(1 << 20, file),
        ms: 0,
        m: Manifest::default(),
    };
    let mut i = 0u64;
    while w.m.bytes < target {
        if i > 0 && i.is_multiple_of(every) {
            let plant = i / every;
            if w.m.first_plant_lines.len() < 5 {
                w.m.first_plant_lines.push(w.m.lines + 1);
            }
            let thread = 5000 + plant % 4000;
            if plant.is_multiple_of(5) {
                for l in BLE {
                    w.line(thread, *l)?;
                }
                w.m.ble_plants += 1;
            } else {
                for l in CHAIN {
                    w.line(thread, *l)?;
                }
                w.m.chain_plants += 1;
            }
        }
        let f = FILLER[(i % FILLER.len() as u64) as usize];
        w.line(700 + i % 17, f)?;
        i += 1;
    }
    w.out.flush()?;
    Ok(w.m)
}
