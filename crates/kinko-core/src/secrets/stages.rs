//! Staging-label moves (shared/spec/secrets-manager.md §3), as pure
//! functions over a secret's versions so every rule is testable alone.
//!
//! 1. A label is on at most one version.
//! 2. When AWSCURRENT moves A → B, AWSPREVIOUS moves to A.
//! 3. AWSPENDING on B stays when AWSCURRENT arrives.
//! 4. A default-stage put drops AWSPENDING from the old current version.
//! 5. The first version always gets AWSCURRENT.
//! 6. A version without labels is deprecated.

use kinko_store::SecretVersion;

use super::error::SecretsError;

pub const CURRENT: &str = "AWSCURRENT";
pub const PREVIOUS: &str = "AWSPREVIOUS";
pub const PENDING: &str = "AWSPENDING";

/// The version carrying `stage`, if any.
pub fn holder<'a>(versions: &'a [SecretVersion], stage: &str) -> Option<&'a SecretVersion> {
    versions
        .iter()
        .find(|v| v.stages.iter().any(|s| s == stage))
}

fn add(version: &mut SecretVersion, stage: &str) {
    if !version.stages.iter().any(|s| s == stage) {
        version.stages.push(stage.to_owned());
        version.stages.sort();
    }
}

fn remove(version: &mut SecretVersion, stage: &str) {
    version.stages.retain(|s| s != stage);
}

/// Puts `stage` on `target` (rule 1), with the AWSPREVIOUS move when the
/// stage is AWSCURRENT (rule 2). `target` must exist.
pub fn attach(versions: &mut [SecretVersion], target: &str, stage: &str) {
    let old_holder = holder(versions, stage).map(|v| v.version_id.clone());
    if old_holder.as_deref() == Some(target) {
        return;
    }
    for v in versions.iter_mut() {
        if v.version_id == target {
            add(v, stage);
        } else {
            remove(v, stage);
        }
    }
    if stage == CURRENT
        && let Some(old) = old_holder
    {
        for v in versions.iter_mut() {
            if v.version_id == old {
                add(v, PREVIOUS);
            } else {
                remove(v, PREVIOUS);
            }
        }
    }
}

/// Labels a version just appended by PutSecretValue/UpdateSecret/CreateSecret.
/// `requested` = `None` means the default `[AWSCURRENT]`.
pub fn label_new_version(
    versions: &mut [SecretVersion],
    new_id: &str,
    requested: Option<&[String]>,
) {
    let first = versions.iter().all(|v| v.version_id == new_id);
    let default = [CURRENT.to_owned()];
    let stages: &[String] = requested.unwrap_or(&default);
    if requested.is_none()
        && let Some(old_current) = versions
            .iter_mut()
            .find(|v| v.version_id != new_id && v.stages.iter().any(|s| s == CURRENT))
    {
        // Rule 4: a completed rotation leaves no stray AWSPENDING.
        remove(old_current, PENDING);
    }
    for stage in stages {
        attach(versions, new_id, stage);
    }
    if first {
        attach(versions, new_id, CURRENT);
    }
}

/// UpdateSecretVersionStage's rules: the caller must name the version the
/// label leaves, AWSCURRENT can only move, never vanish.
pub fn move_stage(
    versions: &mut [SecretVersion],
    stage: &str,
    remove_from: Option<&str>,
    move_to: Option<&str>,
) -> Result<(), SecretsError> {
    let exists = |id: &str| versions.iter().any(|v| v.version_id == id);
    for id in [remove_from, move_to].into_iter().flatten() {
        if !exists(id) {
            return Err(SecretsError::InvalidParameter(format!(
                "The version {id} doesn't exist for this secret."
            )));
        }
    }
    let current_holder = holder(versions, stage).map(|v| v.version_id.clone());
    match move_to {
        Some(target) => {
            if let Some(held) = current_holder.as_deref()
                && held != target
                && remove_from != Some(held)
            {
                return Err(SecretsError::InvalidParameter(format!(
                    "The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently attached to version {held}, so you must explicitly reference that version in RemoveFromVersionId."
                )));
            }
            attach(versions, target, stage);
        }
        None => {
            let Some(from) = remove_from else {
                return Err(SecretsError::InvalidParameter(
                    "You must specify at least one of RemoveFromVersionId and MoveToVersionId."
                        .into(),
                ));
            };
            if current_holder.as_deref() != Some(from) {
                return Err(SecretsError::InvalidParameter(format!(
                    "The staging label {stage} is not attached to version {from}."
                )));
            }
            if stage == CURRENT {
                return Err(SecretsError::InvalidParameter(
                    "You can only move staging label AWSCURRENT to a different secret version. It can't be completely removed."
                        .into(),
                ));
            }
            for v in versions.iter_mut() {
                if v.version_id == from {
                    remove(v, stage);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: &str, stages: &[&str]) -> SecretVersion {
        SecretVersion {
            version_id: id.into(),
            value: Vec::new(),
            binary: false,
            stages: stages.iter().map(|s| s.to_string()).collect(),
            created_ms: 0,
            last_accessed_ms: None,
            kms_key_id: None,
        }
    }

    fn stages_of(versions: &[SecretVersion]) -> Vec<(String, Vec<String>)> {
        versions
            .iter()
            .map(|v| (v.version_id.clone(), v.stages.clone()))
            .collect()
    }

    fn expect(pairs: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        pairs
            .iter()
            .map(|(id, s)| (id.to_string(), s.iter().map(|x| x.to_string()).collect()))
            .collect()
    }

    fn owned(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn the_observed_example_trace() {
        let mut vs = vec![v("v1", &[])];
        label_new_version(&mut vs, "v1", None);
        assert_eq!(stages_of(&vs), expect(&[("v1", &[CURRENT])]));

        vs.push(v("v2", &[]));
        label_new_version(&mut vs, "v2", Some(&owned(&[PENDING])));
        assert_eq!(
            stages_of(&vs),
            expect(&[("v1", &[CURRENT]), ("v2", &[PENDING])])
        );

        move_stage(&mut vs, CURRENT, Some("v1"), Some("v2")).unwrap();
        assert_eq!(
            stages_of(&vs),
            expect(&[("v1", &[PREVIOUS]), ("v2", &[CURRENT, PENDING])])
        );

        vs.push(v("v3", &[]));
        label_new_version(&mut vs, "v3", None);
        assert_eq!(
            stages_of(&vs),
            expect(&[("v1", &[]), ("v2", &[PREVIOUS]), ("v3", &[CURRENT])])
        );
    }

    #[test]
    fn previous_holder_keeps_its_custom_labels() {
        let mut vs = vec![v("a", &[CURRENT, "PUT0"]), v("b", &[])];
        label_new_version(&mut vs, "b", None);
        assert_eq!(
            stages_of(&vs),
            expect(&[("a", &[PREVIOUS, "PUT0"]), ("b", &[CURRENT])])
        );
    }

    #[test]
    fn a_label_moves_off_its_old_version() {
        let mut vs = vec![v("a", &[CURRENT, "blue"]), v("b", &[])];
        label_new_version(&mut vs, "b", Some(&owned(&["blue"])));
        assert_eq!(
            stages_of(&vs),
            expect(&[("a", &[CURRENT]), ("b", &["blue"])])
        );
    }

    #[test]
    fn first_version_gets_current_even_with_other_stages() {
        let mut vs = vec![v("a", &[])];
        label_new_version(&mut vs, "a", Some(&owned(&[PENDING])));
        assert_eq!(stages_of(&vs), expect(&[("a", &[CURRENT, PENDING])]));
    }

    #[test]
    fn explicit_stages_with_current_keep_pending_on_the_old_version() {
        let mut vs = vec![v("a", &[CURRENT, PENDING]), v("b", &[])];
        label_new_version(&mut vs, "b", Some(&owned(&[CURRENT])));
        assert_eq!(
            stages_of(&vs),
            expect(&[("a", &[PENDING, PREVIOUS]), ("b", &[CURRENT])])
        );
    }

    #[test]
    fn rollback_moves_previous_back() {
        let mut vs = vec![v("a", &[PREVIOUS]), v("b", &[CURRENT])];
        move_stage(&mut vs, CURRENT, Some("b"), Some("a")).unwrap();
        assert_eq!(
            stages_of(&vs),
            expect(&[("a", &[CURRENT]), ("b", &[PREVIOUS])])
        );
    }

    #[test]
    fn move_requires_naming_the_current_holder() {
        let mut vs = vec![v("a", &[CURRENT]), v("b", &[])];
        let err = move_stage(&mut vs, CURRENT, None, Some("b")).unwrap_err();
        assert_eq!(
            err,
            SecretsError::InvalidParameter(
                "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version a, so you must explicitly reference that version in RemoveFromVersionId.".into()
            )
        );
        let err = move_stage(&mut vs, CURRENT, Some("b"), Some("b")).unwrap_err();
        assert!(matches!(err, SecretsError::InvalidParameter(_)));
        assert!(matches!(
            move_stage(&mut vs, CURRENT, Some("a"), Some("zz")).unwrap_err(),
            SecretsError::InvalidParameter(m) if m.contains("zz")
        ));
        // Nothing changed by the refusals.
        assert_eq!(stages_of(&vs), expect(&[("a", &[CURRENT]), ("b", &[])]));
    }

    #[test]
    fn remove_only_and_current_cannot_vanish() {
        let mut vs = vec![v("a", &[CURRENT]), v("b", &["blue"])];
        move_stage(&mut vs, "blue", Some("b"), None).unwrap();
        assert_eq!(stages_of(&vs), expect(&[("a", &[CURRENT]), ("b", &[])]));
        assert!(move_stage(&mut vs, CURRENT, Some("a"), None).is_err());
        assert!(move_stage(&mut vs, "blue", Some("a"), None).is_err());
        // A new custom label can be attached without RemoveFromVersionId.
        move_stage(&mut vs, "green", None, Some("b")).unwrap();
        assert_eq!(
            stages_of(&vs),
            expect(&[("a", &[CURRENT]), ("b", &["green"])])
        );
    }
}
