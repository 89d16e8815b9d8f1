//! Labels and the fingerprint that identifies an alert.

use std::collections::BTreeMap;

/// Label name -> value, sorted by name.
pub type Labels = BTreeMap<String, String>;

/// Alertmanager's fingerprint of a label set (`model.LabelSet.Fingerprint`): FNV-1a 64 over each
/// name and value in name order, each followed by the byte 0xff, as 16 hex digits. Written out
/// (ten lines) so that a receiver sees the same fingerprint Alertmanager would give these labels.
pub fn fingerprint(labels: &Labels) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    for (k, v) in labels {
        for b in k.bytes().chain([0xff]).chain(v.bytes()).chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
    }
    format!("{h:016x}")
}

/// `{a="1", b="2"}`, Alertmanager's text for a group key.
pub fn text(labels: &Labels) -> String {
    let parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", serde_json::Value::String(v.clone())))
        .collect();
    format!("{{{}}}", parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_alertmanagers() {
        // The empty set is FNV-1a's offset basis; one label by hand:
        // FNV-1a("a" 0xff "b" 0xff) computed with Python:
        //   h=0xcbf29ce484222325
        //   for b in b"a\xffb\xff": h=((h^b)*0x100000001b3)%2**64
        assert_eq!(fingerprint(&Labels::new()), "cbf29ce484222325");
        let one: Labels = [("a".to_owned(), "b".to_owned())].into();
        assert_eq!(fingerprint(&one), "d2b371819297f98a");
    }
}
