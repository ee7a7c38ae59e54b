//! Identity use cases against in-memory fakes of their ports.

mod admin;
mod directory;
mod passwords;
mod register;
mod revocation;
mod sessions;

use agora_domain::{
    identity::{Role, Tier, User},
    mail::OutgoingMail,
};

use super::{CreateUserInput, LoginInput, RegisterInput, SessionTokens};
use crate::{testing::IdentityHarness, AppError};

/// A password every rule accepts.
const PASSWORD: &str = "Correct1horse";

fn registration(email: &str) -> RegisterInput {
    RegisterInput {
        email: Some(email.into()),
        password: Some(PASSWORD.into()),
        name: Some("Ada Lovelace".into()),
        age: Some(36),
        role: Role::User,
    }
}

fn credentials(email: &str, password: &str) -> LoginInput {
    LoginInput {
        email: Some(email.into()),
        password: Some(password.into()),
        ip: Some("192.0.2.7".into()),
    }
}

/// A verified account with [`PASSWORD`], as `agora user create` makes it.
async fn account(t: &IdentityHarness, email: &str, role: Role) -> User {
    t.identity
        .create_user(CreateUserInput {
            email: email.into(),
            name: "Grace Hopper".into(),
            password: PASSWORD.into(),
            role,
            tier: Tier::Free,
        })
        .await
        .unwrap()
}

async fn login(t: &IdentityHarness, email: &str) -> SessionTokens {
    t.identity
        .login(credentials(email, PASSWORD))
        .await
        .unwrap()
}

/// The clock moving on past the refresh grace period: every spent token was exchanged an hour
/// ago.
fn age_spent_refresh_tokens(t: &IdentityHarness) {
    let an_hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    for (_, record) in &mut t.db.committed().refresh_tokens {
        if record.used_at.is_some() {
            record.used_at = Some(an_hour_ago);
        }
    }
}

/// Asks for a reset link and runs the deferred job, as the relay would after the answer.
async fn forgot(t: &IdentityHarness, email: &str) {
    t.identity
        .forgot_password(Some(email.into()), None)
        .await
        .unwrap();
    run_jobs(t).await;
}

/// Runs (and removes) the outbox's jobs, as the relay does.
async fn run_jobs(t: &IdentityHarness) {
    use agora_domain::ports::{JobHandler, OutboxMessage};
    let jobs: Vec<_> = {
        let mut db = t.db.committed();
        let (jobs, rest) = std::mem::take(&mut db.outbox)
            .into_iter()
            .partition(|m| matches!(m, OutboxMessage::Job(_)));
        db.outbox = rest;
        jobs
    };
    let handler = super::PasswordResetJob(t.identity.clone());
    for message in jobs {
        let OutboxMessage::Job(job) = message else {
            unreachable!("partitioned")
        };
        assert_eq!(job.kind, super::PASSWORD_RESET_JOB);
        handler.run(&job.payload).await.unwrap();
    }
}

/// The token of a mailed link (`…?token=…`).
fn token_in(mail: &OutgoingMail) -> String {
    let start = mail.text.find("token=").expect("a link with a token") + "token=".len();
    mail.text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The last mail sent to `to`.
fn last_mail_to(t: &IdentityHarness, to: &str) -> OutgoingMail {
    t.db.committed()
        .mails()
        .into_iter()
        .rev()
        .find(|m| m.to == to)
        .cloned()
        .expect("a mail")
}

/// The fields a validation error names, in order.
fn fields(error: AppError) -> Vec<String> {
    match error {
        AppError::Validation(errors) => errors.errors().iter().map(|e| e.field.clone()).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}
