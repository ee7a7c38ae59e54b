//! Rate limiting rules: quotas (`COUNT/PERIOD`) and the Generic Cell Rate Algorithm, as pure
//! functions so the in-process and the Redis adapters share one tested definition.
//!
//! GCRA keeps one number per key, the theoretical arrival time (TAT). Each request advances it by
//! the emission interval `T = period / count`; a request is allowed while the TAT stays within
//! `period` of now. This gives `count` requests per `period` with a smooth refill — no double
//! burst at window edges as with fixed windows.

use std::{fmt, str::FromStr, time::Duration};

/// `count` requests per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed in a full period (also the burst size).
    pub count: u32,
    /// The period.
    pub period: Duration,
}

/// A quota text that is not `COUNT/PERIOD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid quota `{0}`; expected COUNT/PERIOD such as 100/15m, 10/1m or 5/30s (units s, m, h)"
)]
pub struct InvalidQuota(pub String);

impl FromStr for Quota {
    type Err = InvalidQuota;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidQuota(text.to_owned());
        let (count, period) = text.trim().split_once('/').ok_or_else(invalid)?;
        let count: u32 = count.trim().parse().map_err(|_| invalid())?;
        let period = period.trim();
        let split = period
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(period.len());
        let (amount, unit) = period.split_at(split);
        let amount: u64 = if amount.is_empty() {
            1
        } else {
            amount.parse().map_err(|_| invalid())?
        };
        let seconds = match unit {
            "s" => amount,
            "m" => amount * 60,
            "h" => amount * 3600,
            _ => return Err(invalid()),
        };
        if count == 0 || seconds == 0 {
            return Err(invalid());
        }
        Ok(Self {
            count,
            period: Duration::from_secs(seconds),
        })
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}s", self.count, self.period.as_secs())
    }
}

impl Quota {
    fn period_ms(&self) -> i64 {
        i64::try_from(self.period.as_millis()).unwrap_or(i64::MAX)
    }

    fn interval_ms(&self) -> f64 {
        self.period_ms() as f64 / f64::from(self.count)
    }
}

/// The outcome of one check, with everything the response headers need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The quota's count.
    pub limit: u32,
    /// Requests still allowed right now.
    pub remaining: u32,
    /// Milliseconds until the full quota is available again.
    pub reset_ms: u64,
    /// When denied, milliseconds until one request would be allowed.
    pub retry_after_ms: u64,
}

/// Applies GCRA at `now_ms` to a key whose stored TAT is `tat_ms` (None: never seen), for a request
/// of `cost` units. Returns the decision and the TAT to store (unchanged when denied).
pub fn gcra(now_ms: i64, tat_ms: Option<i64>, quota: Quota, cost: u32) -> (Decision, i64) {
    let interval = quota.interval_ms();
    let period = quota.period_ms() as f64;
    let tat = tat_ms.map_or(now_ms, |t| t.max(now_ms)) as f64;
    let new_tat = tat + interval * f64::from(cost);
    let allow_at = new_tat - period;
    let now = now_ms as f64;
    let remaining_at = |t: f64| {
        ((now + period - t) / interval)
            .floor()
            .clamp(0.0, f64::from(quota.count)) as u32
    };
    if now < allow_at {
        let decision = Decision {
            allowed: false,
            limit: quota.count,
            remaining: remaining_at(tat),
            reset_ms: (tat - now).max(0.0).ceil() as u64,
            retry_after_ms: (allow_at - now).ceil() as u64,
        };
        return (decision, tat as i64);
    }
    let decision = Decision {
        allowed: true,
        limit: quota.count,
        remaining: remaining_at(new_tat),
        reset_ms: (new_tat - now).max(0.0).ceil() as u64,
        retry_after_ms: 0,
    };
    (decision, new_tat.ceil() as i64)
}

/// The TAT after giving back `cost` units: never earlier than `now` (a refund cannot create credit
/// beyond a full bucket). `None` means the key can be forgotten.
pub fn refund(now_ms: i64, tat_ms: Option<i64>, quota: Quota, cost: u32) -> Option<i64> {
    let tat = tat_ms? as f64 - quota.interval_ms() * f64::from(cost);
    (tat > now_ms as f64).then(|| tat.ceil() as i64)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn quota(text: &str) -> Quota {
        text.parse().unwrap()
    }

    #[test]
    fn quotas_parse_in_the_documented_form() {
        assert_eq!(
            quota("100/15m"),
            Quota {
                count: 100,
                period: Duration::from_secs(900)
            }
        );
        assert_eq!(quota("5/30s").period, Duration::from_secs(30));
        assert_eq!(quota("1000/1h").period, Duration::from_secs(3600));
        assert_eq!(quota("10/m").period, Duration::from_secs(60));
        for bad in ["", "10", "0/1m", "10/0m", "ten/1m", "10/1d", "-1/1m"] {
            assert!(bad.parse::<Quota>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_full_burst_then_a_denial_with_retry_after_one_interval() {
        let q = quota("5/10s");
        let (mut tat, now) = (None, 1_000_000);
        for expected_remaining in (0..5).rev() {
            let (decision, next) = gcra(now, tat, q, 1);
            assert!(decision.allowed);
            assert_eq!(decision.remaining, expected_remaining);
            tat = Some(next);
        }
        let (denied, unchanged) = gcra(now, tat, q, 1);
        assert!(!denied.allowed);
        assert_eq!(unchanged, tat.unwrap());
        assert_eq!(denied.retry_after_ms, 2_000);
        assert_eq!(denied.reset_ms, 10_000);
        // One interval later exactly one more request fits.
        let (later, _) = gcra(now + 2_000, tat, q, 1);
        assert!(later.allowed);
        assert_eq!(later.remaining, 0);
    }

    #[test]
    fn no_double_burst_at_a_window_edge() {
        let q = quota("10/60s");
        let mut tat = None;
        let mut allowed = 0;
        // 10 at t=59.9 s and as many as possible at t=60.1 s: a fixed window would allow 20.
        for now in [59_900, 60_100] {
            for _ in 0..20 {
                let (decision, next) = gcra(now, tat, q, 1);
                if decision.allowed {
                    allowed += 1;
                    tat = Some(next);
                }
            }
        }
        assert_eq!(allowed, 10);
    }

    #[test]
    fn a_refund_gives_back_exactly_what_was_taken() {
        let q = quota("2/60s");
        let (_, tat) = gcra(0, None, q, 1);
        let (_, tat) = gcra(0, Some(tat), q, 1);
        assert!(!gcra(0, Some(tat), q, 1).0.allowed);
        let refunded = refund(0, Some(tat), q, 1);
        assert!(gcra(0, refunded, q, 1).0.allowed);
        assert_eq!(
            refund(0, refund(0, refunded, q, 1), q, 1),
            None,
            "never beyond a full bucket"
        );
    }

    /// A dry run (what `RateLimiter::peek` does: evaluate cost 1, store nothing) predicts the
    /// next real request exactly — allowed or not, with the same headers — and, however often
    /// it is repeated, uses up nothing.
    #[test]
    fn a_dry_run_of_cost_one_predicts_the_next_request() {
        let q = quota("2/60s");
        let mut tat = None;
        for (now, allowed) in [
            (0, true),
            (0, true),
            (0, false),
            (30_000, true),
            (30_000, false),
        ] {
            let (dry, _discarded) = gcra(now, tat, q, 1);
            let (again, _) = gcra(now, tat, q, 1);
            assert_eq!(dry, again, "a dry run changes nothing");
            let (real, next) = gcra(now, tat, q, 1);
            assert_eq!(dry, real, "at {now} ms");
            assert_eq!(real.allowed, allowed, "at {now} ms");
            if real.allowed {
                tat = Some(next);
            }
        }
    }

    proptest! {
        /// Over any sequence of arrivals, the admitted ones conform: between any two admitted
        /// requests `i` and `j`, at most `count` (the burst) plus one per elapsed interval.
        #[test]
        fn admissions_never_exceed_burst_plus_refill(
            count in 1u32..20,
            period_s in 1u64..120,
            gaps in proptest::collection::vec(0i64..5_000, 1..200),
        ) {
            let q = Quota { count, period: Duration::from_secs(period_s) };
            let interval = q.interval_ms();
            let (mut now, mut tat, mut admitted) = (0i64, None, Vec::new());
            for gap in gaps {
                now += gap;
                let (decision, next) = gcra(now, tat, q, 1);
                if decision.allowed {
                    tat = Some(next);
                    admitted.push(now);
                }
                prop_assert!(decision.remaining <= count);
            }
            for i in 0..admitted.len() {
                for j in i..admitted.len() {
                    let refill = ((admitted[j] - admitted[i]) as f64 / interval).floor() as usize;
                    prop_assert!(j - i < count as usize + refill, "{} admitted between {} and {}", j - i + 1, admitted[i], admitted[j]);
                }
            }
        }
    }
}
