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
async fn two_redis_replicas_share_l2_and_invalidate_each_others_l1() {
    let (a_redis, _a_running) = local_manager().await;
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
async fn a_redis_replicated_cache_without_l2_is_invalidated_by_the_other_replica() {
    let (a_redis, _a_running) = local_manager().await;
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
async fn a_redis_replica_that_may_have_missed_invalidations_bypasses_then_flushes_l1() {
    let (mut server, url) = crate::redis::tests::private_server();
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

/// Two replicas (own managers, one deployment prefix) of one cache with L2; B keeps L1 `b_ttl`.
async fn two_replicas_with_l2(
    b_ttl: Duration,
) -> (
    (
        RedisManager,
        crate::redis::tests::Running,
        TwoLevelCache<u32>,
    ),
    (
        RedisManager,
        crate::redis::tests::Running,
        TwoLevelCache<u32>,
    ),
) {
    let (a_redis, a_running) = local_manager().await;
    let b_redis = RedisManager::connect(&test_url(), a_redis.prefix())
        .await
        .unwrap();
    let b_running = crate::redis::tests::Running::start(&b_redis);
    let hour = Duration::from_secs(3600);
    let a = TwoLevelCache::<u32>::with_l2(&settings(hour), &a_redis, hour).await;
    let b = TwoLevelCache::<u32>::with_l2(&settings(b_ttl), &b_redis, hour).await;
    assert!(a.l1_active() && b.l1_active());
    ((a_redis, a_running, a), (b_redis, b_running, b))
}

/// Waits until `held` holds a message: the invalidation reached this replica and was kept back.
async fn until_held(held: &crate::redis::HeldBack) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while held.count() == 0 {
        assert!(Instant::now() < deadline, "the invalidation never arrived");
        // poll: the message travels through Redis to the other connection
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The in-flight window: while the invalidation has not reached replica B (held back, B still
/// subscribed), B answers from its L1 — stale — and the moment the message is delivered B
/// answers with the new value, although its L1 TTL is an hour.
#[tokio::test]
async fn a_redis_replica_is_stale_while_the_invalidation_is_in_flight_and_fresh_when_it_arrives() {
    let ((a_redis, _a_running, a), (b_redis, _b_running, b)) =
        two_replicas_with_l2(Duration::from_secs(3600)).await;
    let loads = Arc::new(AtomicUsize::new(0));
    assert_eq!(
        b.get_or_load("p", &["p1"], counted(&loads, 1))
            .await
            .unwrap(),
        1
    );

    let held = b_redis.hold_back(&b_redis.key("test:invalidate"));
    // A write through A: its own L1 at once, L2's epochs in the same step as the publish.
    a.invalidate_tags(&["p1"]).await;
    assert_eq!(
        a.get_or_load("p", &["p1"], counted(&loads, 2))
            .await
            .unwrap(),
        2
    );
    until_held(&held).await;
    assert!(
        b.l1_active(),
        "B is still subscribed: nothing tells it to bypass L1"
    );
    assert_eq!(
        b.get_or_load("p", &["p1"], counted(&loads, 2))
            .await
            .unwrap(),
        1,
        "B serves its old L1 value while the message is held back"
    );

    held.release();
    assert_eq!(
        b.get_or_load("p", &["p1"], counted(&loads, 99))
            .await
            .unwrap(),
        2,
        "delivered: B reads the new value (from L2, written by A's reload)"
    );
    assert_eq!(
        loads.load(Ordering::SeqCst),
        2,
        "B's fresh read came from L2"
    );
    delete_prefix(&a_redis).await;
}

/// A builder that counts its runs and makes `part * 100 + page`.
fn built<'a>(builds: &Arc<AtomicUsize>, page: u32) -> Build<'a, u32> {
    let builds = builds.clone();
    Box::new(move |part| {
        Box::pin(async move {
            builds.fetch_add(1, Ordering::SeqCst);
            Ok(part * 100 + page)
        })
    })
}

/// Page `page` of `cache` through `get_or_build`, counted in `tallies` (counts, builds).
async fn build_page(
    cache: &TwoLevelCache<u32>,
    page: u32,
    count: u32,
    (counts, builds): (&Arc<AtomicUsize>, &Arc<AtomicUsize>),
) -> u32 {
    let key = format!("page:{page}");
    let (count, build) = (counted(counts, count), built(builds, page));
    cache
        .get_or_build(&key, &["lists"], "total", count, build)
        .await
        .unwrap()
}

/// `get_or_build` with L2 (a list page and its filter's count): a value another replica stored
/// is served whole; a new value of the same part reuses the part from L2; after a write, the
/// part is counted again even by a replica whose invalidation message is still in flight (it is
/// read from L2 under Redis's epochs, never from L1), and stored for the others.
#[tokio::test]
async fn a_built_value_and_its_part_travel_through_l2_in_one_read() {
    let ((a_redis, _a_running, a), (b_redis, _b_running, b)) =
        two_replicas_with_l2(Duration::from_secs(3600)).await;
    let (counts, builds) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let page = |cache, page, count| build_page(cache, page, count, (&counts, &builds));
    let tally = || (counts.load(Ordering::SeqCst), builds.load(Ordering::SeqCst));

    let (a, b) = (&a, &b);
    assert_eq!(page(b, 1, 7).await, 701);
    assert_eq!(tally(), (1, 1), "a cold miss counts and builds");
    assert_eq!(
        page(a, 1, 99).await,
        701,
        "the other replica reads B's value from L2"
    );
    assert_eq!(tally(), (1, 1));
    assert_eq!(
        page(a, 2, 99).await,
        702,
        "a new page reuses the count from L2"
    );
    assert_eq!(tally(), (1, 2));

    let held = b_redis.hold_back(&b_redis.key("test:invalidate"));
    a.invalidate_tags(&["lists"]).await;
    until_held(&held).await;
    assert_eq!(
        page(b, 1, 99).await,
        701,
        "B's L1 is stale while the message is held back"
    );
    assert_eq!(
        page(b, 3, 8).await,
        803,
        "but a new page on B counts again: the old count is gone under Redis's epochs"
    );
    assert_eq!(tally(), (2, 3));
    assert_eq!(
        page(a, 4, 99).await,
        804,
        "and B stored the new count for A"
    );
    assert_eq!(tally(), (2, 4));
    held.release();
    delete_prefix(&a_redis).await;
}

/// A value whose build fails stores nothing in L2, not even the part it counted: another
/// replica counts again, and the failure reaches the caller.
#[tokio::test]
async fn a_failed_build_stores_nothing_in_l2() {
    let ((a_redis, _a_running, a), (_b_redis, _b_running, b)) =
        two_replicas_with_l2(Duration::from_secs(3600)).await;
    let counts = Arc::new(AtomicUsize::new(0));
    let failing: Build<'_, u32> =
        Box::new(|_| Box::pin(async { Err(StoreError::Unavailable("rows query failed".into())) }));
    let failed = a
        .get_or_build("page:1", &["lists"], "total", counted(&counts, 7), failing)
        .await;
    assert!(
        matches!(failed, Err(StoreError::Unavailable(_))),
        "{failed:?}"
    );

    let builds = Arc::new(AtomicUsize::new(0));
    assert_eq!(build_page(&b, 1, 8, (&counts, &builds)).await, 801);
    assert_eq!(
        (counts.load(Ordering::SeqCst), builds.load(Ordering::SeqCst)),
        (2, 1),
        "B found neither the page nor the count in L2"
    );
    delete_prefix(&a_redis).await;
}

/// The bound when an invalidation is lost on a connection that stays up (held back and never
/// delivered): replica B serves its L1 value until that entry's L1 TTL has passed — not longer,
/// because L2 and the loader know the write — then the new value.
#[tokio::test]
async fn a_redis_replica_that_never_gets_the_invalidation_is_stale_at_most_for_its_l1_ttl() {
    let bound = Duration::from_secs(2);
    let ((a_redis, _a_running, a), (b_redis, _b_running, b)) = two_replicas_with_l2(bound).await;
    let loads = Arc::new(AtomicUsize::new(0));
    let warmed = Instant::now();
    assert_eq!(
        b.get_or_load("p", &["p1"], counted(&loads, 1))
            .await
            .unwrap(),
        1
    );

    let held = b_redis.hold_back(&b_redis.key("test:invalidate"));
    a.invalidate_tags(&["p1"]).await;
    until_held(&held).await;
    let mut stale_reads = 0;
    let fresh_after = loop {
        let got = b
            .get_or_load("p", &["p1"], counted(&loads, 2))
            .await
            .unwrap();
        let age = warmed.elapsed();
        if got == 2 {
            break age;
        }
        assert_eq!(got, 1);
        stale_reads += 1;
        assert!(
            age < bound + Duration::from_secs(3),
            "still stale after {age:?}"
        );
        // poll: B's L1 entry expires on its own; nothing else may end the staleness here
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        stale_reads > 0,
        "B was stale: the message really was held back"
    );
    assert!(
        fresh_after + Duration::from_millis(50) >= bound,
        "fresh after {fresh_after:?}, before the L1 TTL: something else invalidated B"
    );
    assert_eq!(held.count(), 1, "and the message was never delivered");
    drop(held);
    delete_prefix(&a_redis).await;
}
