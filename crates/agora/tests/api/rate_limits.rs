//! Rate limits (API.md "Rate limits"), each policy on the in-process and the Redis adapter.

use agora_domain::identity::{Role, Tier};
use serde_json::{json, Value};

use crate::support::{
    private_redis, redis_delete_prefix, redis_url, spawn_app_with, Backend, Configure, Spawn,
    TestApp,
};

/// Where the counters live for one test.
#[derive(Clone)]
enum Counters {
    Memory,
    Redis { url: String, prefix: String },
}

impl Counters {
    /// Counters in Redis under a prefix of the test's own.
    async fn redis() -> Counters {
        Counters::Redis {
            url: redis_url().await,
            prefix: format!("agora-test-{}:", uuid::Uuid::new_v4().simple()),
        }
    }

    async fn cleanup(&self) {
        if let Counters::Redis { url, prefix } = self {
            redis_delete_prefix(url, prefix).await;
        }
    }
}

async fn app_with(
    counters: &Counters,
    adjust: impl FnOnce(&mut agora::config::Config) + Send + 'static,
) -> TestApp {
    let counters = counters.clone();
    let configure: Configure = Box::new(move |config| {
        if let Counters::Redis { url, prefix } = counters {
            config.redis_url = Some(agora::config::Secret::new(url));
            config.redis_prefix = prefix;
        }
        adjust(config);
    });
    spawn_app_with(
        Backend::Sqlite,
        Spawn {
            configure: Some(configure),
            ..Default::default()
        },
    )
    .await
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

async fn assert_rate_limited(response: reqwest::Response) {
    assert_eq!(response.status(), 429);
    let retry_after: u64 = header(&response, "retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_eq!(
        header(&response, "x-ratelimit-remaining").as_deref(),
        Some("0")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["code"].as_str(), body["error"].as_str()),
        (Some("rate_limited"), Some("Rate limit exceeded"))
    );
    assert_eq!(body["retryAfter"], retry_after);
    assert!(body["requestId"].is_string());
}

async fn anonymous_callers_are_limited_per_ip_with_headers_and_probes_exempt(counters: Counters) {
    let app = app_with(&counters, |c| {
        c.rate_limit.anonymous = "3/1m".parse().unwrap()
    })
    .await;
    for remaining in ["2", "1", "0"] {
        let response = app.get("/.well-known/jwks.json").await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-ratelimit-limit").as_deref(), Some("3"));
        assert_eq!(header(&response, "ratelimit-limit").as_deref(), Some("3"));
        assert_eq!(
            header(&response, "x-ratelimit-remaining").as_deref(),
            Some(remaining)
        );
        assert_eq!(
            header(&response, "ratelimit-remaining").as_deref(),
            Some(remaining)
        );
        assert!(
            header(&response, "x-ratelimit-reset").is_some()
                && header(&response, "ratelimit-reset").is_some()
        );
    }
    assert_rate_limited(app.get("/.well-known/jwks.json").await).await;
    for probe in ["/health", "/ready", "/metrics"] {
        assert_eq!(app.get(probe).await.status(), 200, "{probe} is exempt");
    }
    counters.cleanup().await;
}

async fn authenticated_callers_are_limited_per_user_by_tier_and_admins_not_at_all(
    counters: Counters,
) {
    let app = app_with(&counters, |c| {
        c.rate_limit.free = "2/1m".parse().unwrap();
        c.rate_limit.pro = "4/1m".parse().unwrap();
    })
    .await;
    for (email, tier) in [
        ("free@example.org", Tier::Free),
        ("pro@example.org", Tier::Pro),
    ] {
        app.create_user(email, "Secret123", Role::User, tier).await;
    }
    let free = app.login("free@example.org", "Secret123").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let pro = app.login("pro@example.org", "Secret123").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = app.admin_token().await;

    for _ in 0..2 {
        assert_eq!(app.get_as(&free, "/api/users/me").await.status(), 200);
    }
    assert_rate_limited(app.get_as(&free, "/api/users/me").await).await;
    for _ in 0..4 {
        assert_eq!(app.get_as(&pro, "/api/users/me").await.status(), 200);
    }
    assert_rate_limited(app.get_as(&pro, "/api/users/me").await).await;
    for _ in 0..10 {
        let response = app.get_as(&admin, "/api/users/me").await;
        assert_eq!(response.status(), 200);
        assert!(
            header(&response, "x-ratelimit-limit").is_none(),
            "admins are not tier-limited"
        );
    }
    counters.cleanup().await;
}

async fn failed_logins_are_limited_per_ip_and_email_and_successes_do_not_count(counters: Counters) {
    let app = app_with(&counters, |c| {
        c.rate_limit.auth_failures = "3/15m".parse().unwrap()
    })
    .await;
    app.create_user("victim@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    app.create_user("other@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    let attempt = |email: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/api/auth/login",
                None,
                &json!({"email": email, "password": password}),
            )
            .await
        }
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("other@example.org", "Secret123").await.status(),
            200,
            "successes never count"
        );
    }
    for _ in 0..3 {
        assert_eq!(
            attempt("victim@example.org", "Wrong1234").await.status(),
            401
        );
    }
    assert_rate_limited(attempt("victim@example.org", "Secret123").await).await;
    assert_eq!(
        attempt("other@example.org", "Secret123").await.status(),
        200,
        "other accounts unaffected"
    );
    assert_eq!(
        attempt("other@example.org", "Wrong1234").await.status(),
        401
    );
    counters.cleanup().await;
}

/// GraphQL's `login` runs the same use case as REST's and must key its failures the same way
/// (client address and email): guesses over GraphQL count against REST logins from that address.
#[tokio::test]
async fn graphql_login_failures_count_under_the_same_address_as_rest() {
    let app = app_with(&Counters::Memory, |c| {
        c.rate_limit.auth_failures = "3/15m".parse().unwrap()
    })
    .await;
    app.create_user("victim@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    let query = r#"mutation { login(input: {email: "victim@example.org", password: "Wrong1234"}) { accessToken } }"#;
    for _ in 0..3 {
        let answer: Value = app
            .post("/graphql", None, &json!({ "query": query }))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "authentication_failed",
            "{answer}"
        );
    }
    let rest = app
        .post(
            "/api/auth/login",
            None,
            &json!({"email": "victim@example.org", "password": "Secret123"}),
        )
        .await;
    assert_rate_limited(rest).await;
}

async fn parallel_guesses_cannot_outrun_the_failed_login_limit(counters: Counters) {
    let app = app_with(&counters, |c| {
        c.rate_limit.auth_failures = "3/15m".parse().unwrap()
    })
    .await;
    app.create_user("target@example.org", "Secret123", Role::User, Tier::Free)
        .await;
    let guesses: Vec<_> = (0..20)
        .map(|i| {
            let (client, url) = (app.client.clone(), app.url("/api/auth/login"));
            tokio::spawn(async move {
                let body =
                    json!({"email": "target@example.org", "password": format!("Guess{i}xx")});
                client
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        3,
        "only the budget is checked: {statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 17);
    counters.cleanup().await;
}

#[tokio::test]
async fn a_spoofed_forwarded_for_changes_nothing_unless_the_proxy_is_trusted() {
    let app = app_with(&Counters::Memory, |c| {
        c.rate_limit.anonymous = "2/1m".parse().unwrap()
    })
    .await;
    for i in 0..2 {
        let response = app
            .client
            .get(app.url("/.well-known/jwks.json"))
            .header("x-forwarded-for", format!("9.9.9.{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let spoofed = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .header("x-forwarded-for", "9.9.9.99")
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), 429);

    let trusting = app_with(&Counters::Memory, |c| {
        c.rate_limit.anonymous = "2/1m".parse().unwrap();
        c.rate_limit.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    for client in ["9.9.9.1", "9.9.9.2", "9.9.9.3"] {
        for _ in 0..2 {
            let response = trusting
                .client
                .get(trusting.url("/.well-known/jwks.json"))
                .header("x-forwarded-for", client)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                200,
                "each forwarded client has its own bucket"
            );
        }
    }
}

#[tokio::test]
async fn two_instances_sharing_redis_share_one_limit() {
    let url = redis_url().await;
    let counters = Counters::Redis {
        url,
        prefix: format!("agora-test-{}:", uuid::Uuid::new_v4().simple()),
    };
    let quota = |c: &mut agora::config::Config| c.rate_limit.anonymous = "5/1m".parse().unwrap();
    let (a, b) = (
        app_with(&counters, quota).await,
        app_with(&counters, quota).await,
    );
    let mut allowed = 0;
    for i in 0..12 {
        let app = if i % 2 == 0 { &a } else { &b };
        if app.get("/.well-known/jwks.json").await.status() == 200 {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 5, "together the replicas admit exactly the quota");
    counters.cleanup().await;
}

/// With Redis gone the limits hold per replica (never open, never 503), and the shared count
/// resumes once Redis is back — without a restart.
#[tokio::test]
async fn with_redis_down_the_limits_are_counted_per_replica_and_never_open() {
    let (redis, url) = private_redis().await;
    let port = redis.port();
    let counters = Counters::Redis {
        url,
        prefix: "agora-outage:".into(),
    };
    let app = app_with(&counters, |c| {
        c.rate_limit.anonymous = "3/1h".parse().unwrap();
    })
    .await;
    assert_eq!(app.get("/.well-known/jwks.json").await.status(), 200);
    drop(redis);
    let statuses = {
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(app.get("/.well-known/jwks.json").await.status().as_u16());
        }
        statuses
    };
    // The replica's own counter starts from zero: the full quota, then 429s.
    assert_eq!(statuses, [200, 200, 200, 429, 429, 429], "{statuses:?}");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("ratelimit_fallback_total"),
        "the fallback is counted"
    );

    // Redis returns (empty): the shared count takes over again, with a fresh budget.
    let _redis = crate::support::PrivateRedis::start_on(port).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while app.get("/.well-known/jwks.json").await.status() != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "the shared limiter never took over again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await; // poll: until the breaker's probe succeeds
    }
}

/// `RateLimiter::peek` is a dry run of a cost-1 request: on each adapter it predicts what the
/// next `check` decides (allowed or not, and the remaining count), and any number of dry runs
/// use up nothing.
async fn a_dry_run_predicts_the_next_request_and_uses_up_nothing(counters: Counters) {
    use std::sync::Arc;

    use agora_adapters::ratelimit::{MemoryRateLimiter, RedisRateLimiter};
    use agora_domain::{ports::RateLimiter, ratelimit::Quota};

    // A long period, so the refill between two calls (Redis's clock runs on) is nil.
    let quota: Quota = "3/1h".parse().unwrap();
    let limiter: Arc<dyn RateLimiter> = match &counters {
        Counters::Memory => Arc::new(MemoryRateLimiter::new()),
        Counters::Redis { url, prefix } => {
            let redis = agora_adapters::redis::RedisManager::connect(url, prefix)
                .await
                .unwrap();
            Arc::new(RedisRateLimiter::new(redis.commands(), prefix))
        }
    };
    let mut admitted = 0;
    for _ in 0..5 {
        for _ in 0..10 {
            limiter.peek("dry", quota).await.unwrap();
        }
        let dry = limiter.peek("dry", quota).await.unwrap();
        let real = limiter.check("dry", quota, 1).await.unwrap();
        assert_eq!(
            (dry.allowed, dry.remaining, dry.limit),
            (real.allowed, real.remaining, real.limit),
            "the dry run predicted {dry:?}, the request got {real:?}"
        );
        admitted += usize::from(real.allowed);
    }
    assert_eq!(admitted, 3, "dry runs consumed part of the quota");
    counters.cleanup().await;
}

async fn auth_endpoints_stay_limited_per_ip_whatever_token_is_sent(counters: Counters) {
    let app = app_with(&counters, |c| {
        c.rate_limit.anonymous = "3/1m".parse().unwrap();
        c.rate_limit.enterprise = "1000/1m".parse().unwrap();
    })
    .await;
    app.create_user("ent@example.org", "Secret123", Role::User, Tier::Enterprise)
        .await;
    // The fixture login is the first anonymous request of this IP.
    let token = app.login("ent@example.org", "Secret123").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    // With the token, a user endpoint is counted on the (roomy) user quota…
    let me = app.get_as(&token, "/api/users/me").await;
    assert_eq!(me.status(), 200);
    assert_eq!(header(&me, "x-ratelimit-limit").as_deref(), Some("1000"));
    // …but a login carrying it is counted per IP (limit 3): two more, then 429.
    let login = |token: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/auth/login"))
                .bearer_auth(token)
                .json(&json!({"email": "ent@example.org", "password": "Secret123"}))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..2 {
        let response = login(token.clone()).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-ratelimit-limit").as_deref(), Some("3"));
    }
    // The IP is at its limit: every auth endpoint answers 429 with the token too.
    assert_rate_limited(login(token.clone()).await).await;
    let users_before = app.count("users").await;
    let register = app
        .post(
            "/api/users",
            Some(&token),
            &json!({"email": "new@example.org", "password": "Secret123", "name": "New User"}),
        )
        .await;
    assert_rate_limited(register).await;
    assert_eq!(app.count("users").await, users_before, "nobody signed up");
    for (path, body) in [
        ("/api/auth/refresh", json!({"refreshToken": "x"})),
        (
            "/api/auth/forgot-password",
            json!({"email": "ent@example.org"}),
        ),
        (
            "/api/auth/reset-password",
            json!({"token": "x", "password": "Secret123"}),
        ),
        ("/api/auth/verify-email", json!({"token": "x"})),
        ("/api/auth/resend-verification", json!({})),
    ] {
        let response = app.post(path, Some(&token), &body).await;
        assert_eq!(response.status(), 429, "{path} with a token");
    }
    // The token's own quota is untouched by all that.
    assert_eq!(app.get_as(&token, "/api/users/me").await.status(), 200);
    counters.cleanup().await;
}

/// Generates `mod name { in_process, in_redis }` from one `async fn name(counters: Counters)`: each
/// policy runs on both adapters, and the Redis variant is named so a runner can deselect it.
macro_rules! on_both_counters {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn in_process() {
                super::$name(super::Counters::Memory).await;
            }
            #[tokio::test]
            async fn in_redis() {
                super::$name(super::Counters::redis().await).await;
            }
        }
    )+};
}

on_both_counters!(
    anonymous_callers_are_limited_per_ip_with_headers_and_probes_exempt,
    authenticated_callers_are_limited_per_user_by_tier_and_admins_not_at_all,
    failed_logins_are_limited_per_ip_and_email_and_successes_do_not_count,
    parallel_guesses_cannot_outrun_the_failed_login_limit,
    a_dry_run_predicts_the_next_request_and_uses_up_nothing,
    auth_endpoints_stay_limited_per_ip_whatever_token_is_sent,
);
