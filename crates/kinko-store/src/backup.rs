//! The backup file: a [`Snapshot`] as versioned JSON lines.
//!
//! ```text
//! {"format":"kinko-backup","version":2,"created_ms":…,"root_key_check":"base64…"}
//! {"type":"parameter",…}          one line per record, in snapshot order
//! {"type":"secret",…}
//! {"type":"principal",…}
//! {"type":"policy",…}
//! …
//! {"type":"end","records":N}
//! ```
//!
//! Values, wrapped key material and access-key secrets are written as the
//! store holds them, sealed under the root key (base64), so the file is
//! useless without that key. The header repeats the root-key check value so
//! a restore can refuse the wrong root key before it writes anything, and
//! the trailer's record count catches a truncated file. JSON lines rather
//! than one document: a reader needs no more memory per line than one
//! record, and `head` shows what a file is.
//!
//! The records' serde form (field names as in `lib.rs`) is the format;
//! renaming a field means a new `version`. Version 2 added the `principal`
//! and `policy` lines and the access keys' `retire_ms` / `last_used_*`
//! fields; version 1 files (without them) still read, as a snapshot with no
//! principals or policies and keys never used. Version 3 added the
//! principals' `unique_id`; a principal read from an older file gets a fresh
//! one, as the schema migration gives existing rows. Version 4 added the
//! `kms_key_material` lines (rotated KMS key materials); older files have
//! none, as keys never rotated; and the
//! `oidc_provider` lines (OpenID Connect identity providers).
//!
//! The audit log is not part of a backup: it is the record of what happened
//! to *this* store, not data to restore, and a restored store starts its own
//! chain. Keep an audit trail by streaming it (or by backing up the database
//! itself).

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::{
    AccessKeyRecord, KmsAliasRecord, KmsKeyMaterialRecord, KmsKeyRecord, OidcProviderRecord,
    ParameterExport, PolicyRecord, PrincipalRecord, SecretState, Snapshot,
};

/// The `format` of the header line.
pub const FORMAT: &str = "kinko-backup";
/// The file format version this build writes and reads.
pub const VERSION: u32 = 4;
/// The meta key holding the root-key check value (owned by `kinko-core`'s
/// keyring; repeated in the header).
pub const ROOT_CHECK_META: &str = "root-key-check";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("cannot read or write the backup file: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a kinko backup file: {0}")]
    NotABackup(String),
    #[error("backup file version {0} is newer than this kinko understands ({VERSION})")]
    UnsupportedVersion(u32),
    /// The line number and serde's message (which names a field, never a value).
    #[error("malformed backup record on line {line}: {message}")]
    Malformed { line: usize, message: String },
    #[error("the backup file is truncated: {0}")]
    Truncated(String),
}

/// The first line of a backup file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// Milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// The store's root-key check value (sealed), if it had one.
    #[serde(with = "base64_option")]
    pub root_key_check: Option<Vec<u8>>,
}

/// One line after the header.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
// Records are written and read one at a time; boxing would only add allocations.
#[allow(clippy::large_enum_variant)]
enum Line {
    Parameter(ParameterExport),
    KmsKey(KmsKeyRecord),
    KmsKeyMaterial(KmsKeyMaterialRecord),
    KmsAlias(KmsAliasRecord),
    Secret(SecretState),
    AccessKey(AccessKeyRecord),
    Principal(PrincipalRecord),
    Policy(PolicyRecord),
    OidcProvider(OidcProviderRecord),
    Meta {
        key: String,
        #[serde(with = "base64_bytes")]
        value: Vec<u8>,
    },
    End {
        records: u64,
    },
}

/// Writes `snapshot` to `out` and flushes it. Returns the header written.
pub fn write(
    snapshot: &Snapshot,
    created_ms: i64,
    out: &mut impl Write,
) -> Result<Header, BackupError> {
    let header = Header {
        format: FORMAT.to_owned(),
        version: VERSION,
        created_ms,
        root_key_check: snapshot
            .meta
            .iter()
            .find(|(key, _)| key == ROOT_CHECK_META)
            .map(|(_, value)| value.clone()),
    };
    write_line(out, &header)?;
    let mut records: u64 = 0;
    let mut emit = |out: &mut dyn Write, line: &Line| -> Result<(), BackupError> {
        records += 1;
        write_line(out, line)
    };
    for parameter in &snapshot.parameters {
        emit(out, &Line::Parameter(parameter.clone()))?;
    }
    for key in &snapshot.kms_keys {
        emit(out, &Line::KmsKey(key.clone()))?;
    }
    for material in &snapshot.kms_key_materials {
        emit(out, &Line::KmsKeyMaterial(material.clone()))?;
    }
    for alias in &snapshot.kms_aliases {
        emit(out, &Line::KmsAlias(alias.clone()))?;
    }
    for secret in &snapshot.secrets {
        emit(out, &Line::Secret(secret.clone()))?;
    }
    for key in &snapshot.access_keys {
        emit(out, &Line::AccessKey(key.clone()))?;
    }
    for principal in &snapshot.principals {
        emit(out, &Line::Principal(principal.clone()))?;
    }
    for policy in &snapshot.policies {
        emit(out, &Line::Policy(policy.clone()))?;
    }
    for provider in &snapshot.oidc_providers {
        emit(out, &Line::OidcProvider(provider.clone()))?;
    }
    for (key, value) in &snapshot.meta {
        emit(
            out,
            &Line::Meta {
                key: key.clone(),
                value: value.clone(),
            },
        )?;
    }
    write_line(out, &Line::End { records })?;
    out.flush()?;
    Ok(header)
}

fn write_line(out: &mut dyn Write, value: &impl Serialize) -> Result<(), BackupError> {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Reads only the header: enough to check the format and the root key.
pub fn read_header(input: &mut impl BufRead) -> Result<Header, BackupError> {
    let mut first = String::new();
    if input.read_line(&mut first)? == 0 {
        return Err(BackupError::NotABackup("the file is empty".to_owned()));
    }
    let header: Header = serde_json::from_str(&first)
        .map_err(|_| BackupError::NotABackup("the first line is not a backup header".to_owned()))?;
    if header.format != FORMAT {
        return Err(BackupError::NotABackup(format!(
            "format {:?}, expected {FORMAT:?}",
            header.format
        )));
    }
    if header.version > VERSION {
        return Err(BackupError::UnsupportedVersion(header.version));
    }
    Ok(header)
}

/// Reads a whole backup file: header, records and trailer.
pub fn read(input: &mut impl BufRead) -> Result<(Header, Snapshot), BackupError> {
    let header = read_header(input)?;
    let mut snapshot = Snapshot::default();
    let mut records: u64 = 0;
    let mut line_number = 1;
    let mut text = String::new();
    loop {
        text.clear();
        if input.read_line(&mut text)? == 0 {
            return Err(BackupError::Truncated(format!(
                "no end record after {records} records"
            )));
        }
        line_number += 1;
        let line: Line = serde_json::from_str(&text).map_err(|err| BackupError::Malformed {
            line: line_number,
            // serde_json's message names the field and position, not the data.
            message: err.to_string(),
        })?;
        match line {
            Line::Parameter(p) => snapshot.parameters.push(p),
            Line::KmsKey(k) => snapshot.kms_keys.push(k),
            Line::KmsKeyMaterial(m) => snapshot.kms_key_materials.push(m),
            Line::KmsAlias(a) => snapshot.kms_aliases.push(a),
            Line::Secret(s) => snapshot.secrets.push(s),
            Line::AccessKey(k) => snapshot.access_keys.push(k),
            Line::Principal(mut p) => {
                if p.unique_id.is_empty() {
                    p.unique_id = crate::unique_id::fresh(p.kind).map_err(|err| {
                        std::io::Error::other(format!(
                            "the system random number generator failed: {err}"
                        ))
                    })?;
                }
                snapshot.principals.push(p)
            }
            Line::Policy(p) => snapshot.policies.push(p),
            Line::OidcProvider(p) => snapshot.oidc_providers.push(p),
            Line::Meta { key, value } => snapshot.meta.push((key, value)),
            Line::End { records: expected } => {
                if expected != records {
                    return Err(BackupError::Truncated(format!(
                        "the end record counts {expected} records, the file holds {records}"
                    )));
                }
                return Ok((header, snapshot));
            }
        }
        records += 1;
    }
}

/// Serde for sealed bytes as standard base64.
pub(crate) mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|_| serde::de::Error::custom("invalid base64"))
    }
}

mod base64_option {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => serializer.serialize_some(&STANDARD.encode(bytes)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => STANDARD
                .decode(text.as_bytes())
                .map(Some)
                .map_err(|_| serde::de::Error::custom("invalid base64")),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{full_version, plain_version};
    use crate::{SecretRecord, SecretVersion};
    use kinko_model::Tag;
    use kinko_model::principals::PrincipalKind;
    use kinko_model::ssm::ParameterType;

    fn sample() -> Snapshot {
        let mut v2 = full_version(2, b"\x00sealed\xff");
        v2.labels = vec!["prod".to_owned()];
        Snapshot {
            parameters: vec![ParameterExport {
                region: "us-east-1".to_owned(),
                name: "/app/db".to_owned(),
                display_name: "/app/db".to_owned(),
                latest_version: 2,
                versions: vec![full_version(1, b"one"), v2],
                tags: vec![Tag {
                    key: "team".to_owned(),
                    value: "core".to_owned(),
                }],
            }],
            kms_keys: vec![KmsKeyRecord {
                region: "us-east-1".to_owned(),
                key_id: "k1".to_owned(),
                wrapped_material: vec![1, 2, 3],
                description: "d".to_owned(),
                enabled: false,
                key_manager: "CUSTOMER".to_owned(),
                created_ms: 5,
                metadata: "{}".to_owned(),
            }],
            kms_key_materials: vec![KmsKeyMaterialRecord {
                region: "us-east-1".to_owned(),
                key_id: "k1".to_owned(),
                version: 1,
                material_id: "ab".repeat(32),
                wrapped_material: vec![4, 5, 6],
                rotation_type: "ON_DEMAND".to_owned(),
                created_ms: 6,
            }],
            kms_aliases: vec![KmsAliasRecord {
                region: "us-east-1".to_owned(),
                alias: "alias/a".to_owned(),
                key_id: "k1".to_owned(),
                created_ms: 1,
                updated_ms: 2,
            }],
            secrets: vec![SecretState {
                record: SecretRecord {
                    region: "eu-west-1".to_owned(),
                    name: "s".to_owned(),
                    arn: "arn:s".to_owned(),
                    description: None,
                    kms_key_id: None,
                    tags: vec![],
                    tagged: true,
                    resource_policy: Some("{}".to_owned()),
                    created_ms: 1,
                    last_changed_ms: 2,
                    last_accessed_ms: Some(3),
                    deleted_ms: None,
                    deletion_date_ms: None,
                    primary_region: None,
                    metadata: "{}".to_owned(),
                    revision: 4,
                },
                versions: vec![SecretVersion {
                    version_id: "v1".to_owned(),
                    value: vec![9; 40],
                    binary: true,
                    stages: vec!["AWSCURRENT".to_owned()],
                    created_ms: 1,
                    last_accessed_ms: None,
                    kms_key_id: Some("alias/x".to_owned()),
                }],
            }],
            access_keys: vec![AccessKeyRecord {
                access_key_id: "AKIA1".to_owned(),
                principal_arn: "arn:u".to_owned(),
                sealed_secret: vec![7; 16],
                active: true,
                created_ms: 1,
                retire_ms: Some(9),
                last_used_ms: Some(5),
                last_used_operation: Some("GetParameter".to_owned()),
            }],
            principals: vec![
                PrincipalRecord {
                    name: "alice".to_owned(),
                    kind: PrincipalKind::User,
                    arn: "arn:aws:iam::000000000000:user/alice".to_owned(),
                    unique_id: "AIDAJQABLZS4A3QDU576Q".to_owned(),
                    tags: vec![Tag {
                        key: "team".to_owned(),
                        value: "core".to_owned(),
                    }],
                    trust_policy: None,
                    created_ms: 3,
                },
                PrincipalRecord {
                    name: "deploy".to_owned(),
                    kind: PrincipalKind::Role,
                    arn: "arn:aws:iam::000000000000:role/deploy".to_owned(),
                    unique_id: "AROA3XFRBF535PLBIFPI4".to_owned(),
                    tags: vec![],
                    trust_policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.to_owned()),
                    created_ms: 4,
                },
            ],
            policies: vec![PolicyRecord {
                principal_arn: "arn:aws:iam::000000000000:user/alice".to_owned(),
                name: "read".to_owned(),
                document: r#"{"Version":"2012-10-17","Statement":[]}"#.to_owned(),
                updated_ms: 6,
            }],
            oidc_providers: vec![OidcProviderRecord {
                arn: "arn:aws:iam::000000000000:oidc-provider/token.example.com".to_owned(),
                config: r#"{"Url":"https://token.example.com"}"#.to_owned(),
                created_ms: 7,
            }],
            meta: vec![(ROOT_CHECK_META.to_owned(), vec![4, 5, 6])],
        }
    }

    #[test]
    fn a_snapshot_round_trips_through_the_file() {
        let snapshot = sample();
        let mut file = Vec::new();
        let written = write(&snapshot, 42, &mut file).unwrap();
        assert_eq!(written.root_key_check, Some(vec![4, 5, 6]));
        let (header, read_back) = read(&mut file.as_slice()).unwrap();
        assert_eq!(header, written);
        assert_eq!(header.created_ms, 42);
        assert_eq!(read_back, snapshot);
        let text = String::from_utf8(file).unwrap();
        assert_eq!(
            text.lines().count(),
            1 + 11 + 1,
            "header, eleven records, trailer"
        );
        assert!(text.starts_with(r#"{"format":"kinko-backup","version":4,"#));
    }

    #[test]
    fn a_truncated_file_is_refused() {
        let mut file = Vec::new();
        write(&sample(), 1, &mut file).unwrap();
        let text = String::from_utf8(file).unwrap();
        let without_end: String = text
            .lines()
            .filter(|line| !line.contains(r#""type":"end""#))
            .map(|line| format!("{line}\n"))
            .collect();
        let err = read(&mut without_end.as_bytes()).unwrap_err();
        assert!(matches!(err, BackupError::Truncated(_)), "{err}");

        let one_record_less: String = text
            .lines()
            .filter(|line| !line.contains(r#""type":"access_key""#))
            .map(|line| format!("{line}\n"))
            .collect();
        let err = read(&mut one_record_less.as_bytes()).unwrap_err();
        assert!(matches!(err, BackupError::Truncated(_)), "{err}");
    }

    #[test]
    fn other_files_and_newer_versions_are_refused() {
        let err = read(&mut "".as_bytes()).unwrap_err();
        assert!(matches!(err, BackupError::NotABackup(_)), "{err}");
        let err = read(&mut "{\"a\":1}\n".as_bytes()).unwrap_err();
        assert!(matches!(err, BackupError::NotABackup(_)), "{err}");
        let newer = r#"{"format":"kinko-backup","version":5,"created_ms":0,"root_key_check":null}"#;
        let err = read(&mut format!("{newer}\n").as_bytes()).unwrap_err();
        assert!(matches!(err, BackupError::UnsupportedVersion(5)), "{err}");
        let bad = r#"{"format":"kinko-backup","version":1,"created_ms":0,"root_key_check":null}
{"type":"parameter","region":1}
"#;
        let err = read(&mut bad.as_bytes()).unwrap_err();
        assert!(
            matches!(err, BackupError::Malformed { line: 2, .. }),
            "{err}"
        );
    }

    /// A file written while the parameter type was a `String` in the record
    /// (the text below is what that code wrote) reads into the enum; a type
    /// text no `ParameterType` has is a malformed line, not a panic.
    #[test]
    fn a_file_from_before_the_parameter_type_enum_still_reads() {
        let old = r#"{"format":"kinko-backup","version":3,"created_ms":7,"root_key_check":null}
{"type":"parameter","region":"us-east-1","name":"/app/db","display_name":"/App/db","latest_version":2,"versions":[{"version":1,"value":"b25l","parameter_type":"SecureString","key_id":"alias/aws/ssm","description":"version 1","allowed_pattern":"^.*$","tier":"Advanced","policies":"[{\"Type\":\"Expiration\"}]","data_type":"text","labels":[],"last_modified_ms":1700000000001,"last_modified_user":"arn:aws:iam::000000000000:user/alice"},{"version":2,"value":"dHdv","parameter_type":"String","key_id":null,"description":null,"allowed_pattern":null,"tier":"Standard","policies":null,"data_type":"text","labels":[],"last_modified_ms":1700000000000,"last_modified_user":"arn:aws:iam::000000000000:user/bob"}],"tags":[]}
{"type":"end","records":1}
"#;
        let (_, snapshot) = read(&mut old.as_bytes()).unwrap();
        let expected = Snapshot {
            parameters: vec![ParameterExport {
                region: "us-east-1".to_owned(),
                name: "/app/db".to_owned(),
                display_name: "/App/db".to_owned(),
                latest_version: 2,
                versions: vec![full_version(1, b"one"), plain_version(2, b"two")],
                tags: vec![],
            }],
            ..Default::default()
        };
        assert_eq!(snapshot, expected);
        assert_eq!(
            snapshot.parameters[0].versions[0].parameter_type,
            ParameterType::SecureString
        );
        // And it is written back byte for byte as it was (under this
        // build's format version).
        let mut file = Vec::new();
        write(&expected, 7, &mut file).unwrap();
        assert_eq!(
            String::from_utf8(file).unwrap(),
            old.replacen(r#""version":3,"#, &format!(r#""version":{VERSION},"#), 1)
        );

        let odd = old.replace(
            r#""parameter_type":"String""#,
            r#""parameter_type":"Strung""#,
        );
        let err = read(&mut odd.as_bytes()).unwrap_err();
        assert!(
            matches!(err, BackupError::Malformed { line: 2, .. }),
            "{err}"
        );
    }

    /// A file written before principals and policies existed (version 1,
    /// access keys without the last-use fields) still reads.
    #[test]
    fn a_version_1_file_still_reads() {
        let old = r#"{"format":"kinko-backup","version":1,"created_ms":7,"root_key_check":"BAUG"}
{"type":"access_key","access_key_id":"AKIA1","principal_arn":"arn:u","sealed_secret":"BwcH","active":true,"created_ms":1}
{"type":"meta","key":"root-key-check","value":"BAUG"}
{"type":"end","records":2}
"#;
        let (header, snapshot) = read(&mut old.as_bytes()).unwrap();
        assert_eq!(header.version, 1);
        assert_eq!(header.root_key_check, Some(vec![4, 5, 6]));
        assert_eq!(
            snapshot.access_keys,
            vec![AccessKeyRecord {
                access_key_id: "AKIA1".to_owned(),
                principal_arn: "arn:u".to_owned(),
                sealed_secret: vec![7, 7, 7],
                active: true,
                created_ms: 1,
                retire_ms: None,
                last_used_ms: None,
                last_used_operation: None,
            }]
        );
        assert!(snapshot.principals.is_empty() && snapshot.policies.is_empty());
        assert!(!snapshot.is_empty());
    }

    /// A version 2 file has principals without unique ids: each gets a
    /// fresh one of its kind, different from the others.
    #[test]
    fn a_version_2_principal_gets_a_unique_id() {
        let old = r#"{"format":"kinko-backup","version":2,"created_ms":7,"root_key_check":null}
{"type":"principal","name":"alice","kind":"User","arn":"arn:aws:iam::000000000000:user/alice","tags":[],"trust_policy":null,"created_ms":3}
{"type":"principal","name":"deploy","kind":"Role","arn":"arn:aws:iam::000000000000:role/deploy","tags":[],"trust_policy":"{}","created_ms":4}
{"type":"principal","name":"bob","kind":"User","arn":"arn:aws:iam::000000000000:user/bob","tags":[],"trust_policy":null,"created_ms":5}
{"type":"end","records":3}
"#;
        let (_, snapshot) = read(&mut old.as_bytes()).unwrap();
        let ids: Vec<&str> = snapshot
            .principals
            .iter()
            .map(|p| p.unique_id.as_str())
            .collect();
        assert!(ids[0].starts_with("AIDA") && ids[0].len() == 21, "{ids:?}");
        assert!(ids[1].starts_with("AROA") && ids[1].len() == 21, "{ids:?}");
        assert!(ids[2].starts_with("AIDA") && ids[0] != ids[2], "{ids:?}");
        assert!(
            ids.iter().all(|id| id[4..]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))),
            "{ids:?}"
        );
    }

    #[test]
    fn principals_and_policies_count_as_data() {
        let only_principals = Snapshot {
            principals: sample().principals,
            ..Snapshot::default()
        };
        assert!(!only_principals.is_empty());
        let only_policies = Snapshot {
            policies: sample().policies,
            ..Snapshot::default()
        };
        assert!(!only_policies.is_empty());
        assert!(Snapshot::default().is_empty());
    }
}
