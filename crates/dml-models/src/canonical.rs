//! Canonical JSON bytes: the same value always gives the same bytes.
//!
//! Objects have their keys sorted by their UTF-8 bytes, there is no whitespace,
//! strings use serde_json's escaping and numbers serde_json's formatting
//! (integers as integers, floats as the shortest decimal that reads back to the
//! same `f64`). This is independent of whether serde_json's `preserve_order`
//! feature is enabled anywhere in the build.

use serde_json::Value;

/// Encodes `value` canonically.
pub fn canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(serde_json::to_vec(key).expect("a string always serializes"));
                out.push(b':');
                write_value(item, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        scalar => out.extend(serde_json::to_vec(scalar).expect("a scalar always serializes")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_whitespace_dropped() {
        let a: Value = serde_json::from_str(r#"{ "b": [1, 2.5, {"z": null, "a": true}], "a": "x\n" }"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":"x\n","b":[1,2.5,{"a":true,"z":null}]}"#).unwrap();
        let expected = br#"{"a":"x\n","b":[1,2.5,{"a":true,"z":null}]}"#;
        assert_eq!(canonical_json(&a), expected);
        assert_eq!(canonical_json(&b), expected);
        assert_eq!(canonical_json(&json!(0.1)), b"0.1");
        assert_eq!(canonical_json(&json!(-3)), b"-3");
    }
}
