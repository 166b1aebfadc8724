//! Webhook subscriptions: create (with its cap), read, rotate, the
//! delivery state's compare-and-swap, delete.

use std::sync::Arc;

use crate::{Store, StoreError, WebhookRecord, WebhookRows, WebhookState, WebhookStatus};

fn record(id: &str) -> WebhookRecord {
    WebhookRecord {
        id: id.to_owned(),
        config: r#"{"url":"https://hooks.example.com/x"}"#.to_owned(),
        sealed_secret: vec![1, 2, 3],
        previous_sealed_secret: None,
        previous_until_ms: None,
        created_ms: 1_000,
        state: WebhookState::starting_after(41),
    }
}

pub async fn run(store: Arc<dyn Store>) {
    webhook_round_trip(&*store).await;
    webhook_state_is_compare_and_swap(&*store).await;
}

pub async fn webhook_round_trip(store: &dyn WebhookRows) {
    let id = "wh-conformance-a";
    store.create_webhook(record(id), 1000).await.unwrap();
    assert!(matches!(
        store.create_webhook(record(id), 1000).await,
        Err(StoreError::AlreadyExists)
    ));
    let existing = store.list_webhooks().await.unwrap().len();
    assert!(matches!(
        store
            .create_webhook(record("wh-conformance-over"), existing)
            .await,
        Err(StoreError::LimitExceeded { .. })
    ));
    assert_eq!(store.get_webhook(id).await.unwrap(), Some(record(id)));
    assert!(
        store
            .list_webhooks()
            .await
            .unwrap()
            .iter()
            .any(|w| w.id == id)
    );

    assert!(
        store
            .rotate_webhook_secret(id, vec![9, 9], 5_000)
            .await
            .unwrap()
    );
    let rotated = store.get_webhook(id).await.unwrap().unwrap();
    assert_eq!(rotated.sealed_secret, vec![9, 9]);
    assert_eq!(rotated.previous_sealed_secret, Some(vec![1, 2, 3]));
    assert_eq!(rotated.previous_until_ms, Some(5_000));
    assert!(
        !store
            .rotate_webhook_secret("wh-conformance-none", vec![1], 1)
            .await
            .unwrap()
    );

    assert!(store.delete_webhook(id).await.unwrap());
    assert!(!store.delete_webhook(id).await.unwrap());
    assert_eq!(store.get_webhook(id).await.unwrap(), None);
}

pub async fn webhook_state_is_compare_and_swap(store: &dyn WebhookRows) {
    let id = "wh-conformance-b";
    store.create_webhook(record(id), 1000).await.unwrap();
    let failing = WebhookState {
        status: WebhookStatus::Active,
        delivered_through: 41,
        attempts: 2,
        failing_since_ms: Some(2_000),
        next_attempt_ms: 9_000,
        last_error: Some("HTTP 500".to_owned()),
        last_delivered_ms: None,
    };
    assert!(
        store
            .update_webhook_state(id, 41, failing.clone())
            .await
            .unwrap()
    );
    assert_eq!(store.get_webhook(id).await.unwrap().unwrap().state, failing);
    let delivered = WebhookState {
        delivered_through: 44,
        last_delivered_ms: Some(3_000),
        ..WebhookState::starting_after(44)
    };
    // A stale deliverer (expecting an older position) changes nothing.
    assert!(
        !store
            .update_webhook_state(id, 40, delivered.clone())
            .await
            .unwrap()
    );
    assert!(
        store
            .update_webhook_state(id, 41, delivered.clone())
            .await
            .unwrap()
    );
    let failed = WebhookState {
        status: WebhookStatus::Failed,
        ..delivered.clone()
    };
    assert!(
        store
            .update_webhook_state(id, 44, failed.clone())
            .await
            .unwrap()
    );
    assert_eq!(store.get_webhook(id).await.unwrap().unwrap().state, failed);
    assert!(store.delete_webhook(id).await.unwrap());
}
