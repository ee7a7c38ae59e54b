//! Request and fixture helpers on [`TestApp`]: HTTP shortcuts, identity fixtures, the mailbox,
//! and the store checks ("nothing half-written", moving the clock of stored rows), which span
//! every database of the topology.

use std::time::Duration;

use agora_adapters::{platform::SqlMailbox, store::Database};
use agora_app::identity::{CreateUserInput, Identity};
use agora_domain::{
    identity::{Role, Tier},
    mail::OutgoingMail,
    paging::PageRequest,
    ports::MailboxReader,
};
use serde_json::{json, Value};

use crate::support::TestApp;

/// Request and fixture helpers for identity journeys.
impl TestApp {
    /// GET with a bearer token.
    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request failed")
    }

    /// POST a JSON body, optionally with a bearer token.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request failed")
    }

    /// PATCH a JSON body with a bearer token.
    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    /// Creates a verified account directly through the use case (a fixture, not under test).
    pub async fn create_user(&self, email: &str, password: &str, role: Role, tier: Tier) {
        let input = CreateUserInput {
            email: email.to_owned(),
            name: "Fixture User".to_owned(),
            password: password.to_owned(),
            role,
            tier,
        };
        self.service::<Identity>()
            .create_user(input)
            .await
            .expect("fixture user");
    }

    /// Logs in over HTTP and returns the session body (`accessToken`, `refreshToken`, …).
    pub async fn login(&self, email: &str, password: &str) -> Value {
        let response = self
            .post(
                "/api/auth/login",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(response.status(), 200, "login of {email} failed");
        response.json().await.expect("session JSON")
    }

    /// An access token of a fresh administrator.
    pub async fn admin_token(&self) -> String {
        let email = format!("admin-{}@example.org", uuid::Uuid::new_v4().simple());
        self.create_user(&email, "AdminPass1", Role::Admin, Tier::Enterprise)
            .await;
        self.login(&email, "AdminPass1").await["accessToken"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// Registers `email` over HTTP (201 asserted) and returns the verification mail it was sent.
    pub async fn register_for_mail(&self, email: &str) -> OutgoingMail {
        let body = json!({"email": email, "password": "Secret123", "name": "Pat Person"});
        assert_eq!(self.post("/api/users", None, &body).await.status(), 201);
        self.wait_for_mail(email, "Verify your email").await
    }

    /// Waits for a mail to `to` whose subject is `subject` in the embedded mailbox.
    pub async fn wait_for_mail(&self, to: &str, subject: &str) -> OutgoingMail {
        let reader = SqlMailbox::new(self.db.clone());
        let until = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let page = reader
                .list(
                    Some(to),
                    PageRequest {
                        page: 1,
                        limit: 100,
                    },
                    true,
                )
                .await
                .expect("mailbox");
            if let Some(found) = page.items.into_iter().find(|m| m.mail.subject == subject) {
                return found.mail;
            }
            assert!(
                std::time::Instant::now() < until,
                "no mail '{subject}' to {to} within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await; // poll: until the mail is in the mailbox
        }
    }

    /// Number of mails delivered to `to` so far.
    pub async fn mail_count(&self, to: &str) -> u64 {
        let reader = SqlMailbox::new(self.db.clone());
        reader
            .list(Some(to), PageRequest { page: 1, limit: 1 }, true)
            .await
            .expect("mailbox")
            .total
    }

    /// Moves the exchange of every spent refresh token an hour into the past: the clock moving
    /// on beyond the refresh grace period (ADR 0015), without waiting for it.
    pub async fn age_spent_refresh_tokens(&self) {
        self.execute_at(
            "UPDATE refresh_tokens SET used_at = $1 WHERE used_at IS NOT NULL",
            chrono::Utc::now() - chrono::Duration::hours(1),
        )
        .await;
    }

    /// Runs one statement whose `$1` is a point in time — how tests move the clock of stored
    /// rows (expiry, leases, grace periods) instead of waiting. On the split it runs in every
    /// database holding the table (the union of theirs is the monolith's one).
    pub async fn execute_at(&self, sql: &str, at: chrono::DateTime<chrono::Utc>) {
        let mut ran = false;
        for db in self.databases() {
            let outcome = agora_adapters::on_writer!(&db, |pool| sqlx::query(sql)
                .bind(at)
                .execute(pool)
                .await
                .map(drop));
            match outcome {
                Ok(()) => ran = true,
                Err(error) if missing_table(&error) => {}
                Err(error) => panic!("{sql}: {error}"),
            }
        }
        assert!(ran, "{sql}: no database of the topology has its table");
    }

    /// Rows in a table (for "nothing half-written" checks); on the split, summed over the
    /// databases that have the table.
    pub async fn count(&self, table: &str) -> i64 {
        self.scalar_everywhere(&format!("SELECT count(*) FROM {table}"))
            .await
    }

    /// The sum of a `count(*)` over every database whose schema has its table (at least one).
    async fn scalar_everywhere(&self, sql: &str) -> i64 {
        let mut total = None;
        for db in self.databases() {
            let found: Result<i64, sqlx::Error> = match &db {
                Database::Sqlite(db) => sqlx::query_scalar(sql).fetch_one(db.reader()).await,
                Database::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            };
            match found {
                Ok(n) => *total.get_or_insert(0) += n,
                Err(error) if missing_table(&error) => {}
                Err(error) => panic!("{sql}: {error}"),
            }
        }
        total.unwrap_or_else(|| panic!("{sql}: no database of the topology has its table"))
    }

    /// Waits until the outbox (every service's, on the split) has delivered everything.
    pub async fn drain_outbox(&self) {
        let until = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let sql = "SELECT count(*) FROM outbox WHERE sent_at IS NULL";
            if self.scalar_everywhere(sql).await == 0 {
                return;
            }
            assert!(
                std::time::Instant::now() < until,
                "outbox not drained within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await; // poll: until the outbox drains
        }
    }
}

/// Whether a statement failed only because its table is not in this database's schema (a
/// split service has only its own context's tables).
fn missing_table(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.code().as_deref() == Some("42P01") || db.message().contains("no such table")
        }
        _ => false,
    }
}
