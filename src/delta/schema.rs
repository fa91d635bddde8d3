//! A version's Arrow schema as a Delta `schemaString`, or why it cannot be one.
//!
//! Only types Delta represents exactly are mapped; anything else is refused with the column named,
//! never written as a different type: unsigned integers, half floats, nanosecond (or second,
//! millisecond) timestamps, time of day, durations, intervals, 64-bit dates, fixed-size binaries and
//! lists, 256-bit decimals, unions, the null type. A timestamp without a time zone is Delta's
//! `timestamp_ntz`, which needs the `timestampNtz` table feature (see [`uses_ntz`]).

use std::collections::BTreeMap;

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use serde_json::{Value, json};

use crate::partition::KeyType;

/// The Delta schema of a version: its data columns, then its partition columns (typed as declared:
/// string, date, long).
pub fn schema_string(
    schema: &Schema,
    partition_keys: &[String],
    partition_types: &BTreeMap<String, KeyType>,
) -> Result<String, String> {
    let mut fields = Vec::new();
    for f in schema.fields() {
        fields.push(field(f).map_err(|why| format!("column {:?}: {why}", f.name()))?);
    }
    for k in partition_keys {
        let t = match partition_types.get(k).copied().unwrap_or_default() {
            KeyType::String => "string",
            KeyType::Date => "date",
            KeyType::Int => "long",
        };
        fields.push(json!({"name": k, "type": t, "nullable": true, "metadata": {}}));
    }
    Ok(json!({"type": "struct", "fields": fields}).to_string())
}

/// Why the schema cannot be projected, if it cannot: a one-line message naming the column.
pub fn check(schema: &Schema) -> Result<(), String> {
    schema_string(schema, &[], &BTreeMap::new()).map(|_| ())
}

fn field(f: &Field) -> Result<Value, String> {
    Ok(json!({
        "name": f.name(),
        "type": data_type(f.data_type())?,
        "nullable": f.is_nullable(),
        "metadata": {},
    }))
}

fn data_type(t: &DataType) -> Result<Value, String> {
    use DataType::*;
    let prim = |s: &str| Ok(Value::String(s.to_string()));
    match t {
        Boolean => prim("boolean"),
        Int8 => prim("byte"),
        Int16 => prim("short"),
        Int32 => prim("integer"),
        Int64 => prim("long"),
        Float32 => prim("float"),
        Float64 => prim("double"),
        Utf8 | LargeUtf8 | Utf8View => prim("string"),
        Binary | LargeBinary | BinaryView => prim("binary"),
        Date32 => prim("date"),
        Timestamp(TimeUnit::Microsecond, Some(_)) => prim("timestamp"),
        Decimal32(p, s) | Decimal64(p, s) | Decimal128(p, s) if *p <= 38 && *s >= 0 => {
            prim(&format!("decimal({p},{s})"))
        }
        List(e) | LargeList(e) => Ok(json!({
            "type": "array",
            "elementType": data_type(e.data_type())?,
            "containsNull": e.is_nullable(),
        })),
        Struct(fs) => Ok(json!({
            "type": "struct",
            "fields": fs.iter().map(|f| field(f).map_err(|w| format!("field {:?}: {w}", f.name()))).collect::<Result<Vec<_>, _>>()?,
        })),
        Map(entries, _) => match entries.data_type() {
            Struct(kv) if kv.len() == 2 => Ok(json!({
                "type": "map",
                "keyType": data_type(kv[0].data_type())?,
                "valueType": data_type(kv[1].data_type())?,
                "valueContainsNull": kv[1].is_nullable(),
            })),
            _ => Err("a map without key and value fields".into()),
        },
        Dictionary(_, v) => data_type(v),
        Timestamp(TimeUnit::Microsecond, None) => prim("timestamp_ntz"),
        Timestamp(unit, _) => Err(format!(
            "Delta Lake timestamps are microseconds, this is {}; cast it to microseconds",
            match unit {
                TimeUnit::Second => "seconds",
                TimeUnit::Millisecond => "milliseconds",
                TimeUnit::Microsecond => "microseconds",
                TimeUnit::Nanosecond => "nanoseconds",
            }
        )),
        UInt8 | UInt16 | UInt32 | UInt64 => Err(format!(
            "Delta Lake has no unsigned integers ({t}); cast it to a signed type wide enough"
        )),
        other => Err(format!("Delta Lake cannot represent {other}")),
    }
}

/// Whether a `schemaString` has a `timestamp_ntz` anywhere (nested too): the table then needs the
/// `timestampNtz` reader and writer feature.
pub fn uses_ntz(schema_string: &str) -> bool {
    fn walk(v: &Value) -> bool {
        match v {
            Value::String(t) => t == "timestamp_ntz",
            Value::Object(o) => {
                ["type", "elementType", "keyType", "valueType"]
                    .iter()
                    .any(|k| o.get(*k).is_some_and(walk))
                    || o.get("fields")
                        .and_then(Value::as_array)
                        .is_some_and(|fs| fs.iter().any(walk))
            }
            _ => false,
        }
    }
    serde_json::from_str::<Value>(schema_string).is_ok_and(|v| walk(&v))
}

/// The message a writer gives when a schema cannot be projected.
pub fn refusal(dataset: &str, what: &str, why: &str) -> String {
    format!(
        "{what} of {dataset} cannot be read as a Delta table: {why} (or turn the projection off for a new dataset: `delta = false` under [datasets.{dataset}] in lastgood.toml)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn maps_what_delta_represents() {
        let s = Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("score", DataType::Float64, true),
            Field::new(
                "at",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
            Field::new(
                "tags",
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                true,
            ),
            Field::new("amount", DataType::Decimal128(12, 2), true),
        ]);
        let out = schema_string(
            &s,
            &["date".into()],
            &BTreeMap::from([("date".into(), KeyType::Date)]),
        )
        .unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        let types: Vec<&Value> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| &f["type"])
            .collect();
        assert_eq!(types[0], "long");
        assert_eq!(types[2], "timestamp");
        assert_eq!(types[3]["elementType"], "string");
        assert_eq!(types[4], "decimal(12,2)");
        assert_eq!(types[5], "date");
        assert_eq!(v["fields"][0]["nullable"], false);
        assert!(!uses_ntz(&out));
    }

    #[test]
    fn naive_timestamps_are_timestamp_ntz() {
        let naive = DataType::Timestamp(TimeUnit::Microsecond, None);
        let s = Schema::new(vec![
            Field::new("timestamp_ntz", DataType::Int64, true),
            Field::new(
                "l",
                DataType::List(Arc::new(Field::new("item", naive.clone(), true))),
                true,
            ),
        ]);
        let out = schema_string(&s, &[], &BTreeMap::new()).unwrap();
        assert!(out.contains("\"elementType\":\"timestamp_ntz\""), "{out}");
        assert!(uses_ntz(&out));
        let named = Schema::new(vec![Field::new("timestamp_ntz", DataType::Int64, true)]);
        assert!(!uses_ntz(
            &schema_string(&named, &[], &BTreeMap::new()).unwrap()
        ));
    }

    #[test]
    fn refuses_what_it_cannot() {
        for (t, word) in [
            (
                DataType::Timestamp(TimeUnit::Nanosecond, None),
                "nanoseconds",
            ),
            (DataType::UInt32, "unsigned"),
            (DataType::Time64(TimeUnit::Microsecond), "Time64"),
            (DataType::Duration(TimeUnit::Second), "Duration"),
        ] {
            let s = Schema::new(vec![Field::new("x", t, true)]);
            let why = check(&s).unwrap_err();
            assert!(why.contains("column \"x\"") && why.contains(word), "{why}");
        }
    }
}
