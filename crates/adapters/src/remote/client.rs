//! The HTTP client every remote port adapter shares: signed requests (ADR 0030), a timeout per
//! attempt, retries with full-jitter exponential backoff, and a circuit breaker per service.
//! Idempotent calls (snapshot and profile reads; reservation calls, which are idempotent by
//! reservation id; GraphQL reads) are retried on every failure that may be transient; the others
//! (GraphQL mutations, ADR 0035) are sent once.

use std::time::Duration;

use agora_domain::{ports::PortError, service_auth::ServiceKey};
use rand::Rng;
use serde::{de::DeserializeOwned, Serialize};

use super::breaker::CircuitBreaker;

/// Tunables of a remote service client.
#[derive(Debug, Clone)]
pub struct RemoteSettings {
    /// Longest one attempt may take (connect + answer).
    pub timeout: Duration,
    /// Attempts per call (1 = no retry).
    pub attempts: u32,
    /// Base of the backoff between attempts (doubled each time, jittered).
    pub backoff: Duration,
    /// Consecutive failures that open the breaker.
    pub breaker_threshold: u32,
    /// How long the breaker stays open before a probe.
    pub breaker_open_for: Duration,
}

impl Default for RemoteSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            attempts: 3,
            backoff: Duration::from_millis(50),
            breaker_threshold: 5,
            breaker_open_for: Duration::from_secs(5),
        }
    }
}

/// A client of one service (`catalog`, `identity`) at one base URL.
pub struct ServiceClient {
    service: &'static str,
    base: String,
    http: reqwest::Client,
    key: ServiceKey,
    settings: RemoteSettings,
    breaker: CircuitBreaker,
}

/// One attempt's failure: whether another attempt may help.
enum Failure {
    Transient(String),
    Permanent(String),
    /// 401: the service refused our signature — the shared secret differs (or is missing) on
    /// one side. A deployment fault, not a bug of the request: the dependency is unusable.
    Refused(String),
}

impl ServiceClient {
    /// A client of `service` at `base_url` (`http://host:port`), signing with `key`.
    pub fn new(
        service: &'static str,
        base_url: &str,
        key: ServiceKey,
        settings: RemoteSettings,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .build()
            .map_err(|e| format!("HTTP client for {service}: {e}"))?;
        Ok(Self {
            service,
            base: base_url.trim_end_matches('/').to_owned(),
            http,
            key,
            breaker: CircuitBreaker::new(settings.breaker_threshold, settings.breaker_open_for),
            settings,
        })
    }

    /// The service's breaker (readiness, tests).
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    /// Sends `body` to `path` and decodes the answer; retried while failures are transient.
    /// A refused call (breaker open, retries exhausted) is [`PortError::Unavailable`].
    pub async fn call<B: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<R, PortError> {
        self.call_with(method, path, body, &[], true).await
    }

    /// [`Self::call`] with `headers` added (a forwarded `Authorization`, `X-Request-Id`); a call
    /// that is not `idempotent` gets one attempt only, since a lost answer may hide a done deed.
    pub async fn call_with<B: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
        headers: &[(&'static str, String)],
        idempotent: bool,
    ) -> Result<R, PortError> {
        let bytes = serde_json::to_vec(body).map_err(|e| PortError::Unexpected(e.to_string()))?;
        let attempts = if idempotent {
            self.settings.attempts.max(1)
        } else {
            1
        };
        let mut last = String::new();
        for attempt in 0..attempts {
            if attempt > 0 {
                tokio::time::sleep(self.backoff(attempt)).await;
            }
            if !self.breaker.allow() {
                return Err(PortError::Unavailable(format!(
                    "{} unavailable (circuit open){}",
                    self.service,
                    if last.is_empty() {
                        String::new()
                    } else {
                        format!(": {last}")
                    }
                )));
            }
            match self.attempt(&method, path, &bytes, headers).await {
                Ok(answer) => {
                    self.breaker.success();
                    return serde_json::from_slice(&answer).map_err(|e| {
                        PortError::Unexpected(format!("{} answered {path} with {e}", self.service))
                    });
                }
                Err(Failure::Permanent(message)) => {
                    // The service answered: it is up, the request is wrong (a bug), and a retry
                    // will not fix it.
                    self.breaker.success();
                    return Err(PortError::Unexpected(message));
                }
                Err(Failure::Refused(message)) => {
                    // No retry can fix a secret mismatch; to the user it is an outage of the
                    // dependency (503), to the operator a configuration error (logged loudly).
                    self.breaker.failure();
                    tracing::error!(service = self.service, %path, %message, "the service refused this process's signature: set the same AGORA_SERVICES__SECRET on every service");
                    return Err(PortError::Unavailable(format!(
                        "{} refused this service's credentials",
                        self.service
                    )));
                }
                Err(Failure::Transient(message)) => {
                    self.breaker.failure();
                    tracing::debug!(service = self.service, %path, attempt, %message, "remote call failed");
                    last = message;
                }
            }
        }
        Err(PortError::Unavailable(format!("{}: {last}", self.service)))
    }

    async fn attempt(
        &self,
        method: &reqwest::Method,
        path: &str,
        body: &[u8],
        headers: &[(&'static str, String)],
    ) -> Result<Vec<u8>, Failure> {
        let signature = self
            .key
            .sign(method.as_str(), path, chrono::Utc::now().timestamp(), body);
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(agora_domain::service_auth::HEADER, signature);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| Failure::Transient(format!("{method} {path}: {e}")))?;
        let status = response.status();
        let answer = response
            .bytes()
            .await
            .map_err(|e| Failure::Transient(format!("{method} {path}: {e}")))?;
        if status.is_success() {
            Ok(answer.to_vec())
        } else if status == reqwest::StatusCode::UNAUTHORIZED {
            Err(Failure::Refused(format!("{method} {path}: {status}")))
        } else if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            Err(Failure::Transient(format!("{method} {path}: {status}")))
        } else {
            Err(Failure::Permanent(format!(
                "{} refused {method} {path}: {status} {}",
                self.service,
                String::from_utf8_lossy(&answer)
                    .chars()
                    .take(200)
                    .collect::<String>()
            )))
        }
    }

    /// Full jitter: uniform in [0, base · 2^(attempt-1)].
    fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .settings
            .backoff
            .saturating_mul(1 << (attempt - 1).min(10));
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
    }
}
