use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Instant,
};

use super::*;
use crate::redis::tests::{local_manager, test_url};

fn settings(ttl: Duration) -> CacheSettings {
    CacheSettings {
        name: "test",
        l1_ttl: ttl,
        l1_capacity: 100,
    }
}

/// A loader that counts its runs and answers `value`.
fn counted(loads: &Arc<AtomicUsize>, value: u32) -> Load<'static, u32> {
    let loads = loads.clone();
    Box::pin(async move {
        loads.fetch_add(1, Ordering::SeqCst);
        Ok(value)
    })
}

#[tokio::test]
async fn concurrent_misses_of_one_key_share_one_load() {
    let cache = Arc::new(TwoLevelCache::<u32>::in_process(&settings(
        Duration::from_secs(60),
    )));
    let loads = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (cache, loads) = (cache.clone(), loads.clone());
            tokio::spawn(async move {
                cache
                    .get_or_load(
                        "k",
                        &["t"],
                        Box::pin(async move {
                            loads.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok(7)
                        }),
                    )
                    .await
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), 7);
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn invalidating_a_tag_forgets_exactly_the_values_carrying_it() {
    let cache = TwoLevelCache::<u32>::in_process(&settings(Duration::from_secs(60)));
    let loads = Arc::new(AtomicUsize::new(0));
    cache
        .get_or_load("a", &["red"], counted(&loads, 1))
        .await
        .unwrap();
    cache
        .get_or_load("b", &["blue"], counted(&loads, 2))
        .await
        .unwrap();
    cache
        .get_or_load("c", &["red", "blue"], counted(&loads, 3))
        .await
        .unwrap();
    assert_eq!(loads.load(Ordering::SeqCst), 3);

    cache.invalidate_tags(&["red"]).await;
    assert_eq!(
        cache
            .get_or_load("a", &["red"], counted(&loads, 10))
            .await
            .unwrap(),
        10
    );
    assert_eq!(
        cache
            .get_or_load("b", &["blue"], counted(&loads, 20))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        cache
            .get_or_load("c", &["red", "blue"], counted(&loads, 30))
            .await
            .unwrap(),
        30
    );
    assert_eq!(loads.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn entries_expire_after_the_l1_ttl_and_failures_are_not_cached() {
    let cache = TwoLevelCache::<u32>::in_process(&settings(Duration::from_millis(50)));
    let loads = Arc::new(AtomicUsize::new(0));
    let failing: Load<'static, u32> =
        Box::pin(async { Err(StoreError::Unavailable("down".into())) });
    assert!(cache.get_or_load("k", &[], failing).await.is_err());
    cache
        .get_or_load("k", &[], counted(&loads, 1))
        .await
        .unwrap();
    cache
        .get_or_load("k", &[], counted(&loads, 1))
        .await
        .unwrap();
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(80)).await;
    cache
        .get_or_load("k", &[], counted(&loads, 1))
        .await
        .unwrap();
    assert_eq!(loads.load(Ordering::SeqCst), 2);
}

/// Asks `cache` until it answers `want` (the other replica's invalidation travels over pub/sub).
async fn eventually_reads(cache: &TwoLevelCache<u32>, key: &str, tags: &[&str], want: u32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = cache
            .get_or_load(key, tags, Box::pin(async move { Ok(want) }))
            .await
            .unwrap();
        if got == want {
            return;
        }
        assert!(Instant::now() < deadline, "still {got}, expected {want}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn delete_prefix(manager: &RedisManager) {
    let mut conn = manager.commands();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", manager.prefix()))
        .query_async(&mut conn)
        .await
        .unwrap_or_default();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn two_replicas_share_l2_and_invalidate_each_others_l1() {
    let Some((a_redis, _a_running)) = local_manager().await else {
        return;
    };
    // Replica B: its own connections, the same deployment prefix.
    let b_redis = RedisManager::connect(&test_url(), a_redis.prefix())
        .await
        .unwrap();
    let _b_running = crate::redis::tests::Running::start(&b_redis);
    let ttl = Duration::from_secs(60);
    let a = TwoLevelCache::<u32>::with_l2(&settings(ttl), &a_redis, ttl).await;
    let b = TwoLevelCache::<u32>::with_l2(&settings(ttl), &b_redis, ttl).await;
    assert!(a.l1_active() && b.l1_active());
    let loads = Arc::new(AtomicUsize::new(0));

    assert_eq!(
        a.get_or_load("p", &["p1"], counted(&loads, 1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        b.get_or_load("p", &["p1"], counted(&loads, 99))
            .await
            .unwrap(),
        1,
        "B finds A's value in L2"
    );
    assert_eq!(loads.load(Ordering::SeqCst), 1);

    // A write through A: B's warm L1 must not keep answering 1.
    a.invalidate_tags(&["p1"]).await;
    eventually_reads(&b, "p", &["p1"], 2).await;
    assert_eq!(
        a.get_or_load("p", &["p1"], counted(&loads, 3))
            .await
            .unwrap(),
        2,
        "A reads B's reload from L2"
    );
    delete_prefix(&a_redis).await;
}

#[tokio::test]
async fn a_replicated_cache_without_l2_is_invalidated_by_the_other_replica() {
    let Some((a_redis, _a_running)) = local_manager().await else {
        return;
    };
    let b_redis = RedisManager::connect(&test_url(), a_redis.prefix())
        .await
        .unwrap();
    let _b_running = crate::redis::tests::Running::start(&b_redis);
    let ttl = Duration::from_secs(3600);
    let a = TwoLevelCache::<u32>::replicated(&settings(ttl), &a_redis).await;
    let b = TwoLevelCache::<u32>::replicated(&settings(ttl), &b_redis).await;
    let loads = Arc::new(AtomicUsize::new(0));
    b.get_or_load("flags", &["flags"], counted(&loads, 1))
        .await
        .unwrap();
    a.invalidate_tags(&["flags"]).await;
    eventually_reads(&b, "flags", &["flags"], 2).await;
    delete_prefix(&a_redis).await;
}

#[tokio::test]
async fn a_replica_that_may_have_missed_invalidations_bypasses_then_flushes_l1() {
    let Some((mut server, url)) = crate::redis::tests::private_server() else {
        return;
    };
    let port = server.port;
    let redis = crate::redis::tests::connect_when_up(&url).await;
    let _running = crate::redis::tests::Running::start(&redis);
    let cache =
        TwoLevelCache::<u32>::replicated(&settings(Duration::from_secs(3600)), &redis).await;
    let loads = Arc::new(AtomicUsize::new(0));
    cache
        .get_or_load("k", &["t"], counted(&loads, 1))
        .await
        .unwrap();
    assert_eq!(
        cache
            .get_or_load("k", &["t"], counted(&loads, 9))
            .await
            .unwrap(),
        1
    );

    // While disconnected, another replica's invalidation could be lost: L1 is not used.
    server.stop();
    let deadline = Instant::now() + Duration::from_secs(15);
    while cache.l1_active() {
        assert!(Instant::now() < deadline, "the loss is noticed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        cache
            .get_or_load("k", &["t"], counted(&loads, 2))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        cache
            .get_or_load("k", &["t"], counted(&loads, 3))
            .await
            .unwrap(),
        3
    );

    // Back: L1 is used again, starting empty (nothing cached before the gap is served).
    let _server = crate::redis::tests::PrivateRedis::start(port).expect("redis-server restarts");
    while !cache.l1_active() {
        assert!(Instant::now() < deadline, "the resubscription is noticed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        cache
            .get_or_load("k", &["t"], counted(&loads, 4))
            .await
            .unwrap(),
        4
    );
    assert_eq!(
        cache
            .get_or_load("k", &["t"], counted(&loads, 5))
            .await
            .unwrap(),
        4
    );
}
