//! A circuit breaker in front of every Redis command (ADR 0018). With Redis gone, each command
//! would otherwise wait out a connection or response timeout; after a few consecutive failures
//! the breaker *opens* and commands fail at once, so callers take their fallback (database
//! reads, the in-process rate limiter) in microseconds. After a cool-down one command is let
//! through as a probe: success closes the breaker (recovery needs no restart), failure reopens it
//! with a longer cool-down.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use redis::{aio::ConnectionLike, Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, Value};

/// Consecutive transport failures that open the breaker.
const FAILURES_TO_OPEN: u32 = 3;
/// First and longest cool-down before a probe.
const COOL_DOWN: (Duration, Duration) = (Duration::from_millis(500), Duration::from_secs(5));
/// Longer than any command may take (the connection's response timeout).
const PROBE_LIMIT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
        cool_down: Duration,
    },
    /// One probe is out; everyone else fails fast until it returns (or is abandoned: a caller
    /// may drop the probe's future, so a probe older than [`PROBE_LIMIT`] no longer counts).
    Probing {
        cool_down: Duration,
        since: Instant,
    },
}

/// Whether the breaker lets commands through, for readiness and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Commands go to Redis.
    Closed,
    /// Redis is considered down: commands fail at once (a probe now and then).
    Open,
}

/// Shared by every clone of the process's command connection.
#[derive(Debug)]
pub struct CircuitBreaker {
    state: Mutex<State>,
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        Self {
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }
}

impl CircuitBreaker {
    /// Whether a command may go to Redis now; an open breaker lets one probe through once its
    /// cool-down has passed.
    fn admit(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match *state {
            State::Closed { .. } => true,
            State::Open { until, cool_down } if Instant::now() >= until => {
                *state = State::Probing {
                    cool_down,
                    since: Instant::now(),
                };
                true
            }
            State::Probing { cool_down, since } if since.elapsed() >= PROBE_LIMIT => {
                *state = State::Probing {
                    cool_down,
                    since: Instant::now(),
                };
                true
            }
            State::Open { .. } | State::Probing { .. } => false,
        }
    }

    fn succeeded(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if !matches!(*state, State::Closed { failures: 0 }) {
            if !matches!(*state, State::Closed { .. }) {
                tracing::info!("Redis answers again; circuit closed");
                metrics::gauge!("redis_circuit_open").set(0.0);
            }
            *state = State::Closed { failures: 0 };
        }
    }

    fn failed(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let next = match *state {
            State::Closed { failures } if failures + 1 < FAILURES_TO_OPEN => State::Closed {
                failures: failures + 1,
            },
            State::Closed { .. } => {
                tracing::warn!("Redis failing; circuit open: callers use their fallbacks");
                metrics::gauge!("redis_circuit_open").set(1.0);
                State::Open {
                    until: Instant::now() + COOL_DOWN.0,
                    cool_down: COOL_DOWN.0,
                }
            }
            State::Probing { cool_down, .. } | State::Open { cool_down, .. } => {
                let cool_down = (cool_down * 2).min(COOL_DOWN.1);
                State::Open {
                    until: Instant::now() + cool_down,
                    cool_down,
                }
            }
        };
        *state = next;
    }

    /// Closed or open (a probe in flight counts as open).
    pub fn state(&self) -> BreakerState {
        match *self.state.lock().unwrap_or_else(|p| p.into_inner()) {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } | State::Probing { .. } => BreakerState::Open,
        }
    }

    /// Records the outcome of a command: only transport trouble counts, never an answer Redis
    /// gave (a script error, `NOSCRIPT`, a wrong type) — Redis was there to give it.
    fn record<T>(&self, outcome: &Result<T, RedisError>) {
        match outcome {
            Ok(_) => self.succeeded(),
            Err(error) if is_transport(error) => self.failed(),
            Err(_) => self.succeeded(),
        }
    }
}

fn is_transport(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_unrecoverable_error()
}

fn open_error() -> RedisError {
    RedisError::from((
        ErrorKind::IoError,
        "circuit open",
        "Redis failed repeatedly; not trying again until the cool-down passes".to_owned(),
    ))
}

/// The process's command connection behind the breaker. Cheap to clone; every clone shares the
/// connection and the breaker. Implements [`ConnectionLike`], so commands, pipelines and scripts
/// run on it as on the connection itself.
#[derive(Clone)]
pub struct GuardedConnection<C> {
    inner: C,
    breaker: Arc<CircuitBreaker>,
}

impl<C> GuardedConnection<C> {
    /// `inner` behind `breaker`.
    pub fn new(inner: C, breaker: Arc<CircuitBreaker>) -> Self {
        Self { inner, breaker }
    }
}

impl<C: ConnectionLike + Send> ConnectionLike for GuardedConnection<C> {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            if !self.breaker.admit() {
                return Err(open_error());
            }
            let outcome = self.inner.req_packed_command(cmd).await;
            self.breaker.record(&outcome);
            outcome
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            if !self.breaker.admit() {
                return Err(open_error());
            }
            let outcome = self.inner.req_packed_commands(cmd, offset, count).await;
            self.breaker.record(&outcome);
            outcome
        })
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport_error() -> Result<(), RedisError> {
        Err(RedisError::from(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )))
    }

    #[test]
    fn opens_after_consecutive_transport_failures_only() {
        let breaker = CircuitBreaker::default();
        for _ in 0..FAILURES_TO_OPEN - 1 {
            assert!(breaker.admit());
            breaker.record(&transport_error());
        }
        // An answer from Redis, even an error, resets the count.
        breaker.record::<()>(&Err(RedisError::from((ErrorKind::TypeError, "wrong type"))));
        for _ in 0..FAILURES_TO_OPEN - 1 {
            breaker.record(&transport_error());
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
        breaker.record(&transport_error());
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(!breaker.admit(), "open: fails fast");
    }

    #[test]
    fn after_the_cool_down_one_probe_decides() {
        let breaker = CircuitBreaker::default();
        for _ in 0..FAILURES_TO_OPEN {
            breaker.record(&transport_error());
        }
        // Pretend the cool-down passed.
        *breaker.state.lock().unwrap() = State::Open {
            until: Instant::now(),
            cool_down: COOL_DOWN.0,
        };
        assert!(breaker.admit(), "the probe goes through");
        assert!(!breaker.admit(), "only one probe at a time");
        breaker.record(&transport_error());
        match *breaker.state.lock().unwrap() {
            State::Open { cool_down, .. } => assert_eq!(cool_down, COOL_DOWN.0 * 2),
            other => panic!("a failed probe reopens with a longer cool-down, got {other:?}"),
        }
        *breaker.state.lock().unwrap() = State::Open {
            until: Instant::now(),
            cool_down: COOL_DOWN.0,
        };
        assert!(breaker.admit());
        breaker.record(&Ok(()));
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert!(breaker.admit());
    }
}
