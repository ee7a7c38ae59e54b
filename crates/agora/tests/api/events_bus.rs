//! The shared buses under failure: a consumer that crashed after its effect but before the
//! acknowledgement gets the event again and skips it (one effect); a bus that goes away leaves
//! committed events in the outbox, `/ready` names it, and they drain once it is back without a
//! restart (ADR 0019).

use std::{sync::Arc, time::Duration};

use agora_adapters::{
    bus::{NatsBus, RedisStreamsBus},
    platform::SqlConsumerLedger,
    redis::RedisManager,
};
use agora_app::platform::{ConsumerPolicy, IdempotentConsumer};
use agora_domain::ports::{
    EventConsumer, EventHandler, EventPublisher, EventSource, Subscription, UnitOfWork,
};
use serde_json::Value;

use crate::{
    events::{commit_events, ping, probe_app, Probe, ProbeState, TestBus},
    outbox::migrated,
    support::{connect_store, eventually, private_redis, Backend, PrivateRedis},
};

/// Fetches until one delivery arrives (bounded).
async fn next(subscription: &mut dyn Subscription) -> agora_domain::ports::Delivery {
    let until = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut batch = subscription
            .fetch(1, Duration::from_millis(200))
            .await
            .unwrap();
        if let Some(delivery) = batch.pop() {
            return delivery;
        }
        assert!(std::time::Instant::now() < until, "nothing was delivered");
    }
}

async fn crash_before_ack_redelivers_with_one_effect(
    bus: Arc<dyn EventPublisher>,
    source: Arc<dyn EventSource>,
) {
    let (_store, db) = connect_store(Backend::Postgres).await;
    migrated(&db).await;
    let state = Arc::new(ProbeState::default());
    let consumer = IdempotentConsumer::new(
        Arc::new(Probe(state.clone())) as Arc<dyn EventHandler>,
        Arc::new(SqlConsumerLedger::new(db.clone())),
        Arc::new(db.clone()) as Arc<dyn UnitOfWork>,
        ConsumerPolicy::default(),
    );
    let types = consumer.event_types();
    let event = ping();

    // Member A subscribes, takes the event, applies it, and dies before acknowledging.
    let mut a = source.subscribe("probe", &types).await.unwrap();
    bus.publish(&event).await.unwrap();
    let delivery = next(&mut *a).await;
    assert_eq!(delivery.event.id, event.id);
    consumer.consume(&delivery.event).await.unwrap();
    drop(delivery);
    drop(a);
    assert_eq!(state.effects_of(event.id), 1);

    // Member B gets it once the redelivery timeout (1 s here) passed; its inbox says "done".
    let mut b = source.subscribe("probe", &types).await.unwrap();
    let again = next(&mut *b).await;
    assert_eq!(again.event.id, event.id);
    consumer.consume(&again.event).await.unwrap();
    again.ack.ack().await.unwrap();
    assert_eq!(
        state.effects_of(event.id),
        1,
        "the redelivery was applied again"
    );
    assert!(b
        .fetch(10, Duration::from_millis(1500))
        .await
        .unwrap()
        .is_empty());
    db.close().await;
}

#[tokio::test]
async fn a_crash_before_the_ack_redelivers_with_one_effect_redis_postgres() {
    let TestBus::Redis { url, prefix } = TestBus::redis().await else {
        unreachable!()
    };
    let redis = RedisManager::connect(&url, &prefix).await.unwrap();
    let bus = RedisStreamsBus::new(&redis, Duration::from_secs(1));
    crash_before_ack_redelivers_with_one_effect(Arc::new(bus.clone()), Arc::new(bus)).await;
    crate::support::redis_delete_prefix(&url, &prefix).await;
}

#[tokio::test]
async fn a_crash_before_the_ack_redelivers_with_one_effect_nats_postgres() {
    let TestBus::Nats { url, prefix } = TestBus::nats().await else {
        unreachable!()
    };
    let bus = NatsBus::connect(&url, &prefix, Duration::from_secs(1))
        .await
        .unwrap();
    crash_before_ack_redelivers_with_one_effect(Arc::new(bus.clone()), Arc::new(bus.clone())).await;
    bus.delete_streams(&["probe"]).await;
}

async fn bus_down_keeps_events_in_the_outbox_until_it_is_back(backend: Backend) {
    let (redis, url) = private_redis().await;
    let port = redis.port();
    let bus = TestBus::Redis {
        url,
        prefix: "outage:".into(),
    };
    let (app, state) = probe_app(backend, &bus).await;
    let before: Vec<_> = (0..5).map(|_| ping()).collect();
    commit_events(&app, &before).await;
    eventually(Duration::from_secs(20), || state.total() == 5).await;

    drop(redis); // the bus goes away
    let during: Vec<_> = (0..5).map(|_| ping()).collect();
    commit_events(&app, &during).await;
    let until = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ready: Value = app.get("/ready").await.json().await.unwrap();
        let check = ready["checks"]["bus:redis"].clone();
        if check["status"] == "degraded" {
            assert!(
                check["reason"].as_str().unwrap().contains("outbox"),
                "{check}"
            );
            break;
        }
        assert!(std::time::Instant::now() < until, "/ready: {ready}");
        tokio::time::sleep(Duration::from_millis(50)).await; // poll: until the check sees it
    }
    let pending: i64 = app.count("outbox WHERE sent_at IS NULL").await;
    assert!(
        pending > 0,
        "events were marked sent while the bus was down"
    );
    assert_eq!(state.total(), 5);

    let _back = PrivateRedis::start_on(port).await; // empty, as a Redis without persistence
    eventually(Duration::from_secs(40), || state.total() == 10).await;
    for event in before.iter().chain(&during) {
        assert_eq!(state.effects_of(event.id), 1);
    }
}

#[tokio::test]
async fn a_redis_bus_outage_loses_nothing_sqlite() {
    bus_down_keeps_events_in_the_outbox_until_it_is_back(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_redis_bus_outage_loses_nothing_postgres() {
    bus_down_keeps_events_in_the_outbox_until_it_is_back(Backend::Postgres).await;
}
