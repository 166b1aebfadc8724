//! Resource policies (Secrets Manager's, role trust policies) as the
//! evaluator sees them: parsed once per distinct text, failing closed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use kinko_model::iam::Policy;

/// Resource policies (Secrets Manager's, role trust policies) parsed once
/// per distinct text. Bounded: cleared when it grows past [`Self::MAX`].
#[derive(Default)]
pub struct ResourcePolicies {
    parsed: Mutex<HashMap<String, StoredPolicy>>,
}

/// A stored resource policy as the evaluator sees it.
#[derive(Clone)]
pub(super) enum StoredPolicy {
    Parsed(Arc<Policy>),
    /// The stored text does not parse (it was validated when stored, so it
    /// was edited in the database or written by another version). It
    /// denies: it may have held a Deny, and ignoring it would widen access.
    Unreadable,
}

impl ResourcePolicies {
    const MAX: usize = 4096;

    pub(super) fn get(&self, text: &str) -> StoredPolicy {
        let mut parsed = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = parsed.get(text) {
            return found.clone();
        }
        let policy = match Policy::parse_resource(text) {
            Ok(p) => StoredPolicy::Parsed(Arc::new(p)),
            Err(error) => {
                tracing::error!(%error, "a stored resource policy does not parse; it denies every request it applies to");
                StoredPolicy::Unreadable
            }
        };
        if parsed.len() >= Self::MAX {
            parsed.clear();
        }
        parsed.insert(text.to_owned(), policy.clone());
        policy
    }
}

/// What the audit record says when a policy could not be read.
pub(super) const UNREADABLE_RESOURCE_POLICY: &str =
    "the resource's stored policy does not parse; denied (fail closed)";
