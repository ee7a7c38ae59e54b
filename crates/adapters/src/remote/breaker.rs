//! A circuit breaker for calls to another service: after `threshold` consecutive failures it
//! *opens* and refuses calls at once (the caller answers 503 without waiting for timeouts); after
//! `open_for` it lets ONE probe through (*half-open*): a success closes it, a failure opens it
//! again for another `open_for`.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

/// Where the breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls pass; failures are counted.
    Closed,
    /// Calls are refused until the instant given.
    Open,
    /// One probe is in flight; other calls are refused until it reports.
    HalfOpen,
}

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    failures: u32,
    open_until: Instant,
}

/// The breaker of one remote service (shared by every call to it).
#[derive(Debug)]
pub struct CircuitBreaker {
    threshold: u32,
    open_for: Duration,
    inner: Mutex<Inner>,
}

impl CircuitBreaker {
    /// Opens after `threshold` (≥ 1) consecutive failures, for `open_for`.
    pub fn new(threshold: u32, open_for: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            open_for,
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                failures: 0,
                open_until: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        self.lock().state
    }

    /// Whether a call may go out now.
    pub fn allow(&self) -> bool {
        self.allow_at(Instant::now())
    }

    /// [`CircuitBreaker::allow`] at `now` (tests drive the clock).
    pub fn allow_at(&self, now: Instant) -> bool {
        let mut inner = self.lock();
        match inner.state {
            BreakerState::Closed => true,
            // A probe whose caller was cancelled never reports; after another `open_for` the
            // next call probes instead, so such a probe cannot wedge the breaker half-open.
            BreakerState::Open | BreakerState::HalfOpen if now >= inner.open_until => {
                inner.state = BreakerState::HalfOpen;
                inner.open_until = now + self.open_for;
                true
            }
            BreakerState::Open | BreakerState::HalfOpen => false,
        }
    }

    /// Reports a call that reached the service and got a usable answer.
    pub fn success(&self) {
        let mut inner = self.lock();
        inner.state = BreakerState::Closed;
        inner.failures = 0;
    }

    /// Reports a call that failed (transport error, timeout, 5xx).
    pub fn failure(&self) {
        self.failure_at(Instant::now());
    }

    /// [`CircuitBreaker::failure`] at `now`.
    pub fn failure_at(&self, now: Instant) {
        let mut inner = self.lock();
        inner.failures = inner.failures.saturating_add(1);
        if inner.state == BreakerState::HalfOpen || inner.failures >= self.threshold {
            if inner.state != BreakerState::Open {
                tracing::warn!(failures = inner.failures, "circuit breaker opens");
            }
            inner.state = BreakerState::Open;
            inner.open_until = now + self.open_for;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN_FOR: Duration = Duration::from_secs(5);

    #[test]
    fn it_opens_after_the_threshold_of_consecutive_failures_only() {
        let breaker = CircuitBreaker::new(3, OPEN_FOR);
        let now = Instant::now();
        breaker.failure_at(now);
        breaker.failure_at(now);
        breaker.success();
        breaker.failure_at(now);
        breaker.failure_at(now);
        assert_eq!(
            breaker.state(),
            BreakerState::Closed,
            "a success resets the count"
        );
        assert!(breaker.allow_at(now));
        breaker.failure_at(now);
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(!breaker.allow_at(now));
        assert!(!breaker.allow_at(now + OPEN_FOR - Duration::from_millis(1)));
    }

    #[test]
    fn half_open_lets_one_probe_through_and_its_result_decides() {
        let breaker = CircuitBreaker::new(1, OPEN_FOR);
        let now = Instant::now();
        breaker.failure_at(now);
        let later = now + OPEN_FOR;
        assert!(breaker.allow_at(later), "the probe");
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert!(!breaker.allow_at(later), "only one probe at a time");
        breaker.failure_at(later);
        assert_eq!(
            breaker.state(),
            BreakerState::Open,
            "a failed probe reopens"
        );
        assert!(!breaker.allow_at(later + OPEN_FOR - Duration::from_millis(1)));
        assert!(breaker.allow_at(later + OPEN_FOR));
        breaker.success();
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert!(breaker.allow_at(later + OPEN_FOR));
    }

    #[test]
    fn a_probe_that_never_reports_does_not_wedge_the_breaker() {
        let breaker = CircuitBreaker::new(1, OPEN_FOR);
        let now = Instant::now();
        breaker.failure_at(now);
        assert!(
            breaker.allow_at(now + OPEN_FOR),
            "a probe, then its caller goes away"
        );
        assert!(!breaker.allow_at(now + OPEN_FOR + OPEN_FOR / 2));
        assert!(breaker.allow_at(now + OPEN_FOR * 2), "another probe");
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
    }

    #[test]
    fn a_high_threshold_tolerates_isolated_failures() {
        let breaker = CircuitBreaker::new(5, OPEN_FOR);
        let now = Instant::now();
        for _ in 0..4 {
            breaker.failure_at(now);
        }
        assert!(breaker.allow_at(now));
    }
}
