//! Parameter reads and writes as plain synchronous functions over one
//! connection; the caller (see `mod.rs`) chooses the connection and wraps each
//! call in a transaction, so every function here sees one consistent snapshot
//! and every write is atomic.

use std::collections::BTreeMap;

use kinko_model::Tag;
use kinko_model::ssm::VersionSelector;
use rusqlite::{Connection, OptionalExtension, Row, params};

use async_trait::async_trait;

use super::SqliteStore;
use super::changes::append_change;
use crate::ParameterRows;
use crate::{
    Change, ParameterLookup, ParameterQuery, ParameterRecord, ParameterVersion, ParameterWrite,
    PutOutcome, StoreError, UnlabelOutcome,
};

/// Columns of `parameter_versions` read into a [`ParameterVersion`], in the
/// order [`version_from_row`] expects them. A macro so that `concat!` builds
/// each query at compile time: no formatting on the hot read path.
macro_rules! version_columns {
    () => {
        "v.version, v.value, v.parameter_type, v.key_id, v.description, \
         v.allowed_pattern, v.tier, v.policies, v.data_type, v.modified_ms, v.modified_user"
    };
}

/// Reads `version_columns!()` starting at column `at` of a row of parameter
/// `name` (named in the error if the row is corrupt); labels are filled in later.
fn version_from_row(row: &Row<'_>, at: usize, name: &str) -> Result<ParameterVersion, StoreError> {
    let parameter_type: String = row.get(at + 2)?;
    Ok(ParameterVersion {
        version: row.get(at)?,
        value: row.get(at + 1)?,
        parameter_type: crate::parameter_type_from_stored(name, &parameter_type)?,
        key_id: row.get(at + 3)?,
        description: row.get(at + 4)?,
        allowed_pattern: row.get(at + 5)?,
        tier: row.get(at + 6)?,
        policies: row.get(at + 7)?,
        data_type: row.get(at + 8)?,
        labels: Vec::new(),
        last_modified_ms: row.get(at + 9)?,
        last_modified_user: row.get(at + 10)?,
    })
}

/// `(display_name, latest_version)` of a parameter, if it exists.
fn head(conn: &Connection, region: &str, name: &str) -> Result<Option<(String, u32)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT display_name, latest_version FROM parameters WHERE region = ?1 AND name = ?2",
    )?;
    Ok(stmt
        .query_row(params![region, name], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?)
}

fn version_exists(
    conn: &Connection,
    region: &str,
    name: &str,
    version: u32,
) -> Result<bool, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT 1 FROM parameter_versions WHERE region = ?1 AND name = ?2 AND version = ?3",
    )?;
    Ok(stmt.exists(params![region, name, version])?)
}

fn labels_of(
    conn: &Connection,
    region: &str,
    name: &str,
    version: u32,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT label FROM parameter_labels WHERE region = ?1 AND name = ?2 AND version = ?3 \
         ORDER BY label",
    )?;
    let labels = stmt
        .query_map(params![region, name, version], |row| row.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(labels)
}

fn count_labels(
    conn: &Connection,
    region: &str,
    name: &str,
    version: u32,
) -> Result<usize, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT COUNT(*) FROM parameter_labels WHERE region = ?1 AND name = ?2 AND version = ?3",
    )?;
    let count: i64 = stmt.query_row(params![region, name, version], |row| row.get(0))?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

pub(super) fn tags_of(conn: &Connection, region: &str, name: &str) -> Result<Vec<Tag>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, value FROM parameter_tags WHERE region = ?1 AND name = ?2 ORDER BY key",
    )?;
    let tags = stmt
        .query_map(params![region, name], |row| {
            Ok(Tag {
                key: row.get(0)?,
                value: row.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<Tag>>>()?;
    Ok(tags)
}

pub(super) fn get_parameter(
    conn: &Connection,
    region: &str,
    name: &str,
    selector: &VersionSelector,
) -> Result<ParameterLookup, StoreError> {
    let wanted: Option<u32> = match selector {
        VersionSelector::Latest => None,
        VersionSelector::Version(version) => Some(*version),
        VersionSelector::Label(label) => {
            let mut stmt = conn.prepare_cached(
                "SELECT version FROM parameter_labels \
                 WHERE region = ?1 AND name = ?2 AND label = ?3",
            )?;
            let version: Option<u32> = stmt
                .query_row(params![region, name, label], |row| row.get(0))
                .optional()?;
            match version {
                Some(version) => Some(version),
                None if head(conn, region, name)?.is_some() => {
                    return Ok(ParameterLookup::VersionNotFound);
                }
                None => return Ok(ParameterLookup::NotFound),
            }
        }
    };
    // One query for the parameter and the selected version: the LEFT JOIN
    // tells "no such parameter" (no row) from "no such version" (NULLs).
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT p.display_name, p.latest_version, ",
        version_columns!(),
        " FROM parameters p LEFT JOIN parameter_versions v \
           ON v.region = p.region AND v.name = p.name \
          AND v.version = coalesce(?3, p.latest_version) \
         WHERE p.region = ?1 AND p.name = ?2"
    ))?;
    // `query_and_then`, not `query_row`: the row conversion can fail with a
    // `StoreError` (a corrupt row), which `query_row`'s closure cannot return.
    let found = stmt
        .query_and_then(params![region, name, wanted], |row| {
            let display_name: String = row.get(0)?;
            let latest_version: u32 = row.get(1)?;
            let has_version: Option<u32> = row.get(2)?;
            let version = match has_version {
                Some(_) => Some(version_from_row(row, 2, name)?),
                None => None,
            };
            Ok::<_, StoreError>((display_name, latest_version, version))
        })?
        .next()
        .transpose()?;
    let Some((display_name, latest_version, version)) = found else {
        return Ok(ParameterLookup::NotFound);
    };
    let Some(mut version) = version else {
        return Ok(ParameterLookup::VersionNotFound);
    };
    version.labels = labels_of(conn, region, name, version.version)?;
    let tags = tags_of(conn, region, name)?;
    Ok(ParameterLookup::Found(ParameterRecord {
        name: name.to_owned(),
        display_name,
        latest_version,
        version,
        tags,
    }))
}

pub(super) fn parameter_history(
    conn: &Connection,
    region: &str,
    name: &str,
) -> Result<Option<Vec<ParameterVersion>>, StoreError> {
    if head(conn, region, name)?.is_none() {
        return Ok(None);
    }
    let mut labels: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT version, label FROM parameter_labels WHERE region = ?1 AND name = ?2 \
             ORDER BY version, label",
        )?;
        let mut rows = stmt.query(params![region, name])?;
        while let Some(row) = rows.next()? {
            labels.entry(row.get(0)?).or_default().push(row.get(1)?);
        }
    }
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT ",
        version_columns!(),
        " FROM parameter_versions v WHERE v.region = ?1 AND v.name = ?2 ORDER BY v.version"
    ))?;
    let mut versions = stmt
        .query_and_then(params![region, name], |row| version_from_row(row, 0, name))?
        .collect::<Result<Vec<ParameterVersion>, StoreError>>()?;
    for version in &mut versions {
        if let Some(found) = labels.remove(&version.version) {
            version.labels = found;
        }
    }
    Ok(Some(versions))
}

/// Compare-and-swap write; see [`ParameterWrite`]. Runs inside the caller's
/// IMMEDIATE transaction, so the read of the latest version and the insert
/// cannot interleave with another writer. On any `Err` the caller rolls back.
pub(super) fn put_parameter_version(
    conn: &Connection,
    region: &str,
    write: &ParameterWrite,
    change: &Change,
) -> Result<PutOutcome, StoreError> {
    if write.expected_latest.is_some() && !write.tags.is_empty() {
        return Err(StoreError::TagsOnOverwrite);
    }
    let current = head(conn, region, &write.name)?.map(|(_, latest)| latest);
    if current != write.expected_latest {
        return Ok(PutOutcome::Conflict);
    }
    let new_version = match write.expected_latest {
        None => 1,
        Some(latest) => latest
            .checked_add(1)
            .ok_or_else(|| StoreError::Backend("parameter version number overflow".to_owned()))?,
    };
    if write.version.version != new_version {
        return Err(StoreError::Backend(format!(
            "version {} written on top of version {:?}; expected {new_version}",
            write.version.version, write.expected_latest
        )));
    }

    if current.is_none() {
        conn.prepare_cached(
            "INSERT INTO parameters (region, name, display_name, latest_version) \
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![region, write.name, write.display_name, new_version])?;
        let mut insert_tag = conn.prepare_cached(
            "INSERT INTO parameter_tags (region, name, key, value) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (region, name, key) DO UPDATE SET value = excluded.value",
        )?;
        for tag in &write.tags {
            insert_tag.execute(params![region, write.name, tag.key, tag.value])?;
        }
    } else {
        drop_oldest_versions(conn, region, &write.name, write.max_versions)?;
        conn.prepare_cached(
            "UPDATE parameters SET latest_version = ?3 WHERE region = ?1 AND name = ?2",
        )?
        .execute(params![region, write.name, new_version])?;
    }

    // `write.version.labels` is ignored: a new version starts unlabelled and
    // labels only arrive through `label_parameter_version`.
    let v = &write.version;
    conn.prepare_cached(
        "INSERT INTO parameter_versions (region, name, version, value, parameter_type, key_id, \
         description, allowed_pattern, tier, policies, data_type, modified_ms, modified_user) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        region,
        write.name,
        new_version,
        v.value,
        v.parameter_type.as_str(),
        v.key_id,
        v.description,
        v.allowed_pattern,
        v.tier,
        v.policies,
        v.data_type,
        v.last_modified_ms,
        v.last_modified_user,
    ])?;
    append_change(conn, change)?;
    Ok(PutOutcome::Written)
}

/// Makes room for one more version under `max_versions` by dropping the
/// oldest ones; refuses (before the caller writes anything) when one of them
/// carries a label, as AWS does.
fn drop_oldest_versions(
    conn: &Connection,
    region: &str,
    name: &str,
    max_versions: u32,
) -> Result<(), StoreError> {
    let keep_before_insert = u64::from(max_versions.max(1)) - 1;
    let kept: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM parameter_versions WHERE region = ?1 AND name = ?2")?
        .query_row(params![region, name], |row| row.get(0))?;
    let kept = u64::try_from(kept).unwrap_or(0);
    for _ in keep_before_insert..kept {
        let oldest: u32 = conn
            .prepare_cached(
                "SELECT MIN(version) FROM parameter_versions WHERE region = ?1 AND name = ?2",
            )?
            .query_row(params![region, name], |row| row.get(0))?;
        if count_labels(conn, region, name, oldest)? > 0 {
            return Err(StoreError::OldestVersionLabelled { version: oldest });
        }
        conn.prepare_cached(
            "DELETE FROM parameter_versions WHERE region = ?1 AND name = ?2 AND version = ?3",
        )?
        .execute(params![region, name, oldest])?;
    }
    Ok(())
}

/// Deletes the parameter and appends `change` with the deleted latest
/// version's type and description added (only the store sees them at the
/// moment of the delete).
pub(super) fn delete_parameter(
    conn: &Connection,
    region: &str,
    name: &str,
    change: Change,
) -> Result<bool, StoreError> {
    let latest: Option<(String, Option<String>)> = conn
        .prepare_cached(
            "SELECT v.parameter_type, v.description FROM parameters p \
             JOIN parameter_versions v ON v.region = p.region AND v.name = p.name \
             AND v.version = p.latest_version WHERE p.region = ?1 AND p.name = ?2",
        )?
        .query_row(params![region, name], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((parameter_type, description)) = latest else {
        return Ok(false);
    };
    // Versions, labels and tags go with it (ON DELETE CASCADE).
    conn.prepare_cached("DELETE FROM parameters WHERE region = ?1 AND name = ?2")?
        .execute(params![region, name])?;
    append_change(
        conn,
        &change
            .with("type", parameter_type)
            .with("description", description),
    )?;
    Ok(true)
}

/// The smallest string greater than every string that starts with `prefix`,
/// or `None` when there is none. SQLite compares TEXT bytewise, and UTF-8
/// byte order is code point order, so bumping the last char gives the
/// exclusive upper bound of the prefix range; this avoids LIKE, whose `_` and
/// `%` are legal in parameter names.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if next == 0xD800 {
            next = 0xE000; // skip the surrogate gap
        }
        if let Some(bumped) = char::from_u32(next) {
            chars.push(bumped);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

pub(super) fn list_parameters(
    conn: &Connection,
    region: &str,
    query: &ParameterQuery,
) -> Result<Vec<ParameterRecord>, StoreError> {
    if query.limit == 0 {
        return Ok(Vec::new());
    }
    let prefix = query.prefix.as_deref().unwrap_or("");
    let upper = prefix_upper_bound(prefix);
    // Each combination of bounds gets its own SQL text, so each is prepared
    // once and cached and every bound can use the primary-key index.
    let mut sql = String::from(concat!(
        "SELECT p.name, p.display_name, p.latest_version, ",
        version_columns!(),
        " FROM parameters p JOIN parameter_versions v \
           ON v.region = p.region AND v.name = p.name AND v.version = p.latest_version \
         WHERE p.region = ?1 AND p.name >= ?2"
    ));
    if upper.is_some() {
        sql.push_str(" AND p.name < ?3");
    }
    if query.after.is_some() {
        sql.push_str(" AND p.name > ?4");
    }
    sql.push_str(" ORDER BY p.name LIMIT ?5");
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    let mut records = {
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![region, prefix, upper, query.after, limit])?;
        let mut records = Vec::new();
        while let Some(row) = rows.next()? {
            let name: String = row.get(0)?;
            let version = version_from_row(row, 3, &name)?;
            records.push(ParameterRecord {
                name,
                display_name: row.get(1)?,
                latest_version: row.get(2)?,
                version,
                tags: Vec::new(),
            });
        }
        records
    };
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return Ok(records);
    };
    // The page is a contiguous run of names, so the labels and tags of its
    // parameters are exactly those in [first, last]: two range queries
    // instead of two per record.
    let (first, last) = (first.name.clone(), last.name.clone());
    let mut labels: BTreeMap<String, Vec<String>> = BTreeMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT l.name, l.label FROM parameter_labels l JOIN parameters p \
               ON p.region = l.region AND p.name = l.name AND p.latest_version = l.version \
             WHERE l.region = ?1 AND l.name >= ?2 AND l.name <= ?3 ORDER BY l.name, l.label",
        )?;
        let mut rows = stmt.query(params![region, first, last])?;
        while let Some(row) = rows.next()? {
            labels.entry(row.get(0)?).or_default().push(row.get(1)?);
        }
    }
    let mut tags: BTreeMap<String, Vec<Tag>> = BTreeMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT name, key, value FROM parameter_tags \
             WHERE region = ?1 AND name >= ?2 AND name <= ?3 ORDER BY name, key",
        )?;
        let mut rows = stmt.query(params![region, first, last])?;
        while let Some(row) = rows.next()? {
            tags.entry(row.get(0)?).or_default().push(Tag {
                key: row.get(1)?,
                value: row.get(2)?,
            });
        }
    }
    for record in &mut records {
        record.version.labels = labels.remove(&record.name).unwrap_or_default();
        record.tags = tags.remove(&record.name).unwrap_or_default();
    }
    Ok(records)
}

pub(super) fn label_parameter_version(
    conn: &Connection,
    region: &str,
    name: &str,
    version: Option<u32>,
    labels: &[String],
    max_labels: usize,
    change: Change,
) -> Result<u32, StoreError> {
    let Some((_, latest)) = head(conn, region, name)? else {
        return Err(StoreError::ParameterNotFound);
    };
    let target = version.unwrap_or(latest);
    if !version_exists(conn, region, name, target)? {
        return Err(StoreError::VersionNotFound);
    }
    let mut upsert = conn.prepare_cached(
        "INSERT INTO parameter_labels (region, name, label, version) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (region, name, label) DO UPDATE SET version = excluded.version",
    )?;
    for label in labels {
        upsert.execute(params![region, name, label, target])?;
    }
    // Counted after the moves, as AWS does; the caller rolls back on Err.
    if count_labels(conn, region, name, target)? > max_labels {
        return Err(StoreError::LabelLimitExceeded { max: max_labels });
    }
    append_change(conn, &change.with_version(target))?;
    Ok(target)
}

pub(super) fn unlabel_parameter_version(
    conn: &Connection,
    region: &str,
    name: &str,
    version: u32,
    labels: &[String],
    change: Change,
) -> Result<UnlabelOutcome, StoreError> {
    if head(conn, region, name)?.is_none() {
        return Err(StoreError::ParameterNotFound);
    }
    if !version_exists(conn, region, name, version)? {
        return Err(StoreError::VersionNotFound);
    }
    let mut delete = conn.prepare_cached(
        "DELETE FROM parameter_labels WHERE region = ?1 AND name = ?2 AND label = ?3 \
         AND version = ?4",
    )?;
    let mut outcome = UnlabelOutcome {
        removed: Vec::new(),
        invalid: Vec::new(),
    };
    for label in labels {
        if outcome.removed.contains(label) || outcome.invalid.contains(label) {
            continue; // a label named twice is reported once
        }
        if delete.execute(params![region, name, label, version])? > 0 {
            outcome.removed.push(label.clone());
        } else {
            outcome.invalid.push(label.clone());
        }
    }
    if !outcome.removed.is_empty() {
        let change = change
            .with_version(version)
            .with("labels", outcome.removed.clone());
        append_change(conn, &change)?;
    }
    Ok(outcome)
}

pub(super) fn add_parameter_tags(
    conn: &Connection,
    region: &str,
    name: &str,
    tags: &[Tag],
    max_tags: usize,
    change: &Change,
) -> Result<(), StoreError> {
    if head(conn, region, name)?.is_none() {
        return Err(StoreError::ParameterNotFound);
    }
    let mut upsert = conn.prepare_cached(
        "INSERT INTO parameter_tags (region, name, key, value) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (region, name, key) DO UPDATE SET value = excluded.value",
    )?;
    for tag in tags {
        upsert.execute(params![region, name, tag.key, tag.value])?;
    }
    let count: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM parameter_tags WHERE region = ?1 AND name = ?2")?
        .query_row(params![region, name], |row| row.get(0))?;
    if usize::try_from(count).unwrap_or(usize::MAX) > max_tags {
        return Err(StoreError::TooManyTags { max: max_tags });
    }
    append_change(conn, change)
}

pub(super) fn remove_parameter_tags(
    conn: &Connection,
    region: &str,
    name: &str,
    keys: &[String],
    change: &Change,
) -> Result<(), StoreError> {
    if head(conn, region, name)?.is_none() {
        return Err(StoreError::ParameterNotFound);
    }
    let mut delete = conn.prepare_cached(
        "DELETE FROM parameter_tags WHERE region = ?1 AND name = ?2 AND key = ?3",
    )?;
    for key in keys {
        delete.execute(params![region, name, key])?;
    }
    append_change(conn, change)
}

#[async_trait]
impl ParameterRows for SqliteStore {
    async fn get_parameter(
        &self,
        region: &str,
        name: &str,
        selector: &VersionSelector,
    ) -> Result<ParameterLookup, StoreError> {
        let (region, name, selector) = (region.to_owned(), name.to_owned(), selector.clone());
        self.read(move |conn| get_parameter(conn, &region, &name, &selector))
            .await
    }

    async fn parameter_history(
        &self,
        region: &str,
        name: &str,
    ) -> Result<Option<Vec<ParameterVersion>>, StoreError> {
        let (region, name) = (region.to_owned(), name.to_owned());
        self.read(move |conn| parameter_history(conn, &region, &name))
            .await
    }

    async fn put_parameter_version(
        &self,
        region: &str,
        write: ParameterWrite,
        change: Change,
    ) -> Result<PutOutcome, StoreError> {
        let region = region.to_owned();
        self.write(move |conn| put_parameter_version(conn, &region, &write, &change))
            .await
    }

    async fn delete_parameter(
        &self,
        region: &str,
        name: &str,
        change: Change,
    ) -> Result<bool, StoreError> {
        let (region, name) = (region.to_owned(), name.to_owned());
        self.write(move |conn| delete_parameter(conn, &region, &name, change))
            .await
    }

    async fn list_parameters(
        &self,
        region: &str,
        query: &ParameterQuery,
    ) -> Result<Vec<ParameterRecord>, StoreError> {
        let (region, query) = (region.to_owned(), query.clone());
        self.read(move |conn| list_parameters(conn, &region, &query))
            .await
    }

    async fn label_parameter_version(
        &self,
        region: &str,
        name: &str,
        version: Option<u32>,
        labels: &[String],
        max_labels: usize,
        change: Change,
    ) -> Result<u32, StoreError> {
        let (region, name, labels) = (region.to_owned(), name.to_owned(), labels.to_vec());
        self.write(move |conn| {
            label_parameter_version(conn, &region, &name, version, &labels, max_labels, change)
        })
        .await
    }

    async fn unlabel_parameter_version(
        &self,
        region: &str,
        name: &str,
        version: u32,
        labels: &[String],
        change: Change,
    ) -> Result<UnlabelOutcome, StoreError> {
        let (region, name, labels) = (region.to_owned(), name.to_owned(), labels.to_vec());
        self.write(move |conn| {
            unlabel_parameter_version(conn, &region, &name, version, &labels, change)
        })
        .await
    }

    async fn add_parameter_tags(
        &self,
        region: &str,
        name: &str,
        tags: &[Tag],
        max_tags: usize,
        change: Change,
    ) -> Result<(), StoreError> {
        let (region, name, tags) = (region.to_owned(), name.to_owned(), tags.to_vec());
        self.write(move |conn| add_parameter_tags(conn, &region, &name, &tags, max_tags, &change))
            .await
    }

    async fn remove_parameter_tags(
        &self,
        region: &str,
        name: &str,
        keys: &[String],
        change: Change,
    ) -> Result<(), StoreError> {
        let (region, name, keys) = (region.to_owned(), name.to_owned(), keys.to_vec());
        self.write(move |conn| remove_parameter_tags(conn, &region, &name, &keys, &change))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_upper_bound;

    #[test]
    fn prefix_upper_bound_bumps_the_last_char() {
        assert_eq!(prefix_upper_bound("/app/"), Some("/app0".to_owned()));
        assert_eq!(prefix_upper_bound("a_"), Some("a`".to_owned()));
        assert_eq!(prefix_upper_bound(""), None);
        assert_eq!(prefix_upper_bound("a\u{10FFFF}"), Some("b".to_owned()));
        assert_eq!(prefix_upper_bound("\u{D7FF}"), Some("\u{E000}".to_owned()));
        assert_eq!(prefix_upper_bound("\u{10FFFF}"), None);
    }
}
