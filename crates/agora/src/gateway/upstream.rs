//! Upstreams: each service's base URLs, picked round-robin, skipping members that failed
//! recently or whose `/ready` said no. A member is marked down by a failed request (passive) or
//! by the prober (active, once a second), and up again by the prober or a request that succeeds.
//! When every member is marked down the gateway still tries them: marks are hints, and a single
//! restarted service must be reachable at once, not after the next probe.

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

/// One base URL (no trailing slash) and whether it is believed to answer.
#[derive(Debug)]
pub struct Member {
    /// `http://host:port`.
    pub base: String,
    healthy: AtomicBool,
}

impl Member {
    /// Records a failed request or probe.
    pub fn mark_down(&self) {
        if self.healthy.swap(false, Ordering::Relaxed) {
            tracing::warn!(upstream = %self.base, "upstream marked down");
        }
    }

    /// Records a successful request or probe.
    pub fn mark_up(&self) {
        if !self.healthy.swap(true, Ordering::Relaxed) {
            tracing::info!(upstream = %self.base, "upstream up again");
        }
    }

    /// Whether the last request or probe succeeded.
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }
}

/// The members serving one service.
#[derive(Debug)]
pub struct Pool {
    members: Vec<Arc<Member>>,
    next: AtomicUsize,
}

impl Pool {
    /// A pool of `bases` (validated `http://` URLs), all presumed healthy.
    pub fn new(bases: Vec<String>) -> Self {
        Self {
            members: bases
                .into_iter()
                .map(|base| {
                    Arc::new(Member {
                        base: base.trim_end_matches('/').to_owned(),
                        healthy: AtomicBool::new(true),
                    })
                })
                .collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// Every member, for probes and readiness.
    pub fn members(&self) -> &[Arc<Member>] {
        &self.members
    }

    /// The members to try for one request, in order: round-robin from the next one, healthy
    /// members first, then the others (still worth a try when nothing else answers).
    pub fn candidates(&self) -> Vec<Arc<Member>> {
        let count = self.members.len();
        if count == 0 {
            return Vec::new();
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed) % count;
        let rotated = (0..count).map(|i| self.members[(start + i) % count].clone());
        let (mut healthy, unhealthy): (Vec<_>, Vec<_>) = rotated.partition(|m| m.healthy());
        healthy.extend(unhealthy);
        healthy
    }
}

/// Every service's pool, by service name.
#[derive(Debug, Default)]
pub struct Upstreams {
    pools: BTreeMap<&'static str, Arc<Pool>>,
}

impl Upstreams {
    /// Adds `service` with its members; several services may share one pool (the monolith
    /// replicas answer everything).
    pub fn insert(&mut self, service: &'static str, pool: Arc<Pool>) {
        self.pools.insert(service, pool);
    }

    /// The pool of `service`, if any upstream serves it.
    pub fn pool(&self, service: &str) -> Option<&Arc<Pool>> {
        self.pools.get(service)
    }

    /// Every distinct member, once each (shared pools are probed once).
    pub fn distinct_members(&self) -> Vec<Arc<Member>> {
        let mut seen: Vec<Arc<Member>> = Vec::new();
        for pool in self.pools.values() {
            for member in pool.members() {
                if !seen.iter().any(|m| m.base == member.base) {
                    seen.push(member.clone());
                }
            }
        }
        seen
    }

    /// Services and their pools.
    pub fn iter(&self) -> impl Iterator<Item = (&&'static str, &Arc<Pool>)> {
        self.pools.iter()
    }
}

/// Whether `member` answers `GET /ready` with 200 within `timeout`.
pub async fn probe(client: &reqwest::Client, member: &Member, timeout: Duration) -> Probe {
    let url = format!("{}/ready", member.base);
    match tokio::time::timeout(timeout, client.get(&url).send()).await {
        Ok(Ok(response)) if response.status().is_success() => Probe::Ready,
        Ok(Ok(response)) => Probe::NotReady(format!("{url} answered {}", response.status())),
        Ok(Err(error)) => Probe::NotReady(format!("{url}: {}", describe(&error))),
        Err(_) => Probe::NotReady(format!("{url}: no answer within {timeout:?}")),
    }
}

/// A probe's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// `/ready` answered 200.
    Ready,
    /// Why not.
    NotReady(String),
}

/// A request error for operators, without the URL reqwest repeats.
pub fn describe(error: &reqwest::Error) -> &'static str {
    if error.is_connect() {
        "connection refused or unreachable"
    } else if error.is_timeout() {
        "timed out"
    } else if error.is_body() || error.is_decode() {
        "the response broke off"
    } else {
        "the request failed"
    }
}

/// Probes every member once a second and marks it up or down until `stop` turns true.
pub async fn run_prober(
    client: reqwest::Client,
    members: Vec<Arc<Member>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let mut round = tokio::task::JoinSet::new();
        for member in &members {
            let (client, member) = (client.clone(), member.clone());
            round.spawn(async move {
                match probe(&client, &member, Duration::from_millis(900)).await {
                    Probe::Ready => member.mark_up(),
                    Probe::NotReady(_) => member.mark_down(),
                }
            });
        }
        while round.join_next().await.is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_rotate_and_put_down_members_last() {
        let pool = Pool::new(vec![
            "http://a".into(),
            "http://b".into(),
            "http://c".into(),
        ]);
        let firsts: Vec<String> = (0..3).map(|_| pool.candidates()[0].base.clone()).collect();
        assert_eq!(firsts, ["http://a", "http://b", "http://c"]);
        pool.members()[1].mark_down();
        for _ in 0..3 {
            let order = pool.candidates();
            assert_eq!(order.len(), 3);
            assert_eq!(order[2].base, "http://b", "a down member is tried last");
        }
    }
}
