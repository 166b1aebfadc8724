//! A stored audit row as JSON: what `QueryAuditLog` answers and the audit
//! sink writes.

use kinko_store::AuditRow;

/// A stored row as the JSON object that `QueryAuditLog` returns and the
/// audit sink writes: the record's fields plus `seq`, `prevHash` and `hash`.
///
/// A row whose text is not a JSON object (edited by hand) is still shown,
/// its text under `"record"`, so an operator can look at it.
pub fn row_json(row: &AuditRow) -> serde_json::Value {
    let mut object = match serde_json::from_str::<serde_json::Value>(&row.record) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => {
            let mut map = serde_json::Map::new();
            map.insert("record".into(), row.record.clone().into());
            map
        }
    };
    object.insert("seq".into(), row.seq.into());
    object.insert("prevHash".into(), row.prev_hash.clone().into());
    object.insert("hash".into(), row.hash.clone().into());
    serde_json::Value::Object(object)
}
