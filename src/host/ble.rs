//! The BLE adapter check: which of the present devices is an adapter, and
//! `HOST_BLE_ADAPTER_MISSING` when none of them works.

use serde_json::json;

use crate::report::{Finding, Severity};

use super::ids;
use super::model::{BleSeen, HostCheck, PnpDeviceSeen};

/// Adapters listed in the check's facts.
const MAX_LISTED: usize = 10;

/// What kind of adapter a device is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AdapterKind {
    /// The USB dongle Nymi names.
    Bluegiga,
    /// A Bluetooth radio.
    Bluetooth,
    /// A serial adapter that may be the dongle.
    UsbSerial,
}

impl AdapterKind {
    fn as_str(self) -> &'static str {
        match self {
            AdapterKind::Bluegiga => "bluegiga",
            AdapterKind::Bluetooth => "bluetooth",
            AdapterKind::UsbSerial => "usb_serial",
        }
    }
}

/// Whether `name` contains any of `words`, ignoring case (as PowerShell's
/// `-match 'a|b'` does for plain words).
fn names_any(name: &str, words: &[&str]) -> bool {
    let name = name.to_lowercase();
    words.iter().any(|w| name.contains(&w.to_lowercase()))
}

/// The kind of adapter, or `None` for what is not one: paired devices,
/// protocol and enumerator entries, other serial ports.
fn kind_of(d: &PnpDeviceSeen) -> Option<AdapterKind> {
    if names_any(&d.friendly_name, &["Bluegiga", "BLED112"]) {
        return Some(AdapterKind::Bluegiga);
    }
    if d.class.eq_ignore_ascii_case("Ports") {
        return names_any(
            &d.friendly_name,
            &["Bluetooth", "Low Energy", "USB Serial", "USB-SERIAL", "CDC"],
        )
        .then_some(AdapterKind::UsbSerial);
    }
    if d.class.eq_ignore_ascii_case("Bluetooth") {
        let not_adapter = [
            "Enumerator",
            "RFCOMM",
            "Protocol",
            "Attribute",
            "Identification",
            "Service",
            "Avrcp",
            "Hands-Free",
            "Audio",
            "LE Device",
        ];
        if names_any(&d.friendly_name, &not_adapter) {
            return None;
        }
        if names_any(
            &d.friendly_name,
            &["Bluetooth", "Radio", "Adapter", "Wireless", "BLE"],
        ) {
            return Some(AdapterKind::Bluetooth);
        }
    }
    None
}

/// Judges the present devices.
pub(crate) fn check(seen: &BleSeen) -> HostCheck {
    let adapters: Vec<(&PnpDeviceSeen, AdapterKind)> = seen
        .devices
        .iter()
        .filter_map(|d| kind_of(d).map(|k| (d, k)))
        .collect();
    let listed: Vec<_> = adapters
        .iter()
        .take(MAX_LISTED)
        .map(|(d, k)| json!({ "name": d.friendly_name, "class": d.class, "status": d.status, "kind": k.as_str() }))
        .collect();
    let working: Vec<&str> = adapters
        .iter()
        .filter(|(d, _)| d.status.eq_ignore_ascii_case("OK"))
        .map(|(d, _)| d.friendly_name.as_str())
        .collect();
    if !working.is_empty() {
        return HostCheck::checked(format!("BLE adapter present: {}", working.join(", ")))
            .with_fact("adapters", listed);
    }
    let detail = if adapters.is_empty() {
        "No Bluetooth or Bluegiga (USB serial) adapter is present: the Nymi Bluetooth Endpoint cannot see any band, and a tap ends in \"Object not found\".".to_owned()
    } else {
        format!(
            "Adapters are present but none works: {}.",
            adapters
                .iter()
                .map(|(d, _)| format!("{} ({})", d.friendly_name, d.status))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let finding = Finding::new(
        ids::HOST_BLE_ADAPTER_MISSING,
        Severity::Error,
        "No working BLE adapter on this terminal",
        detail,
    )
    .with_evidence("adapters", adapters.len())
    .with_remediation(
        "Plug in the BLE adapter (Bluegiga USB dongle) before tapping, or check it in Device Manager.",
    )
    .with_ref("Nymi article \"Object not found\": BLE adapter unplugged")
    .with_ref("domain brief section 5: check L");
    HostCheck::checked("No working BLE adapter found")
        .with_findings(vec![finding])
        .with_fact("adapters", listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(name: &str, class: &str, status: &str) -> PnpDeviceSeen {
        PnpDeviceSeen {
            friendly_name: name.into(),
            class: class.into(),
            status: status.into(),
        }
    }

    fn seen(devices: Vec<PnpDeviceSeen>) -> BleSeen {
        BleSeen { devices }
    }

    #[test]
    fn no_device_is_host_ble_adapter_missing() {
        let c = check(&seen(vec![]));
        assert_eq!(c.state, crate::report::CoverageState::Checked);
        assert_eq!(c.findings.len(), 1);
        assert_eq!(c.findings[0].id, ids::HOST_BLE_ADAPTER_MISSING);
        assert_eq!(c.findings[0].severity, Severity::Error);
    }

    #[test]
    fn enumerators_paired_devices_and_other_ports_are_not_adapters() {
        let c = check(&seen(vec![
            device("Microsoft Bluetooth Enumerator", "Bluetooth", "OK"),
            device("Bluetooth Device (RFCOMM Protocol TDI)", "Bluetooth", "OK"),
            device("Communications Port (COM1)", "Ports", "OK"),
        ]));
        assert_eq!(c.findings[0].id, ids::HOST_BLE_ADAPTER_MISSING);
        assert_eq!(c.facts["adapters"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn a_bluegiga_dongle_on_a_serial_port_is_an_adapter() {
        let c = check(&seen(vec![device(
            "Bluegiga Bluetooth Low Energy (COM3)",
            "Ports",
            "OK",
        )]));
        assert!(c.findings.is_empty());
        assert_eq!(c.facts["adapters"][0]["kind"], "bluegiga");
        assert!(c.detail.unwrap().contains("Bluegiga"));
    }

    #[test]
    fn a_bluetooth_radio_is_an_adapter() {
        let c = check(&seen(vec![device(
            "Intel(R) Wireless Bluetooth(R)",
            "Bluetooth",
            "OK",
        )]));
        assert!(c.findings.is_empty());
        assert_eq!(c.facts["adapters"][0]["kind"], "bluetooth");
    }

    #[test]
    fn an_adapter_in_an_error_state_is_missing_and_says_so() {
        let c = check(&seen(vec![device(
            "Bluegiga Bluetooth Low Energy (COM3)",
            "Ports",
            "Error",
        )]));
        assert_eq!(c.findings[0].id, ids::HOST_BLE_ADAPTER_MISSING);
        assert!(c.findings[0].detail.contains("Error"));
    }
}
