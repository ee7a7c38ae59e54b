use agora_domain::{
    identity::{AuditEntry, Email, EmailTokenPurpose, IdentityEvent, Password, Principal},
    FieldError,
};

use agora_domain::ports::{Job, JobHandler, OutboxMessage};
use async_trait::async_trait;
use serde_json::json;

use super::{sessions::redeemed, Identity};
use crate::AppError;

/// `POST /api/auth/reset-password`.
#[derive(Debug, Clone, Default)]
pub struct ResetPasswordInput {
    /// The mailed token.
    pub token: Option<String>,
    /// The new password.
    pub password: Option<String>,
}

/// `POST /api/users/me/password`.
#[derive(Debug, Clone, Default)]
pub struct ChangePasswordInput {
    /// The password in use now.
    pub current_password: Option<String>,
    /// The replacement.
    pub new_password: Option<String>,
}

impl Identity {
    /// Asks for a reset link. The request path does the same work for every well-formed address
    /// — count the attempt, write one job to the outbox — so that neither the answer nor its
    /// timing tells whether the address has an account; the lookup and the mail happen after
    /// the answer, in [`Identity::send_password_reset`] run by the relay (ADR 0015).
    #[tracing::instrument(skip_all)]
    pub async fn forgot_password(
        &self,
        email: Option<String>,
        ip: Option<String>,
    ) -> Result<(), AppError> {
        let raw = email.unwrap_or_default();
        let email = Email::parse(&raw)?;
        // Every request counts: each may send a mail, so this also caps mail bombing.
        self.reserve_attempt(&Self::auth_key("forgot", ip.as_deref(), email.as_str()))
            .await?;
        let job = Job {
            kind: PASSWORD_RESET_JOB.to_owned(),
            payload: json!({ "email": email.as_str(), "ip": ip }),
        };
        let mut tx = self.deps.uow.begin().await?;
        self.deps
            .outbox
            .enqueue(&mut tx, &OutboxMessage::Job(job))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The deferred half of [`Identity::forgot_password`]: mails a reset link if the address
    /// belongs to an active account, and does nothing otherwise. Run (at least once) by the relay.
    #[tracing::instrument(skip_all)]
    pub async fn send_password_reset(
        &self,
        email: &str,
        ip: Option<String>,
    ) -> Result<(), AppError> {
        let email = Email::parse(email)?;
        let mut tx = self.deps.uow.begin().await?;
        let Some(user) = self.deps.users.find_by_email(&mut tx, &email).await? else {
            return Ok(());
        };
        if user.disabled {
            return Ok(());
        }
        self.mail_token(&mut tx, &user, EmailTokenPurpose::ResetPassword)
            .await?;
        self.emit(
            &mut tx,
            IdentityEvent::PasswordResetRequested { id: user.id },
        )
        .await?;
        let entry =
            AuditEntry::new("auth.password_reset_requested", None, Some(user.id)).with_ip(ip);
        self.deps.audit.record(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password with a mailed token and ends every session of the account.
    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn reset_password(&self, input: ResetPasswordInput) -> Result<(), AppError> {
        let mut errors = agora_domain::ValidationErrors::new();
        let token = input.token.filter(|t| !t.is_empty());
        if token.is_none() {
            errors.push(FieldError::new("token", "Token is required"));
        }
        let password = errors.check(Password::parse(
            input.password.as_deref().unwrap_or_default(),
            "password",
        ));
        errors.into_result()?;
        let (Some(token), Some(password)) = (token, password) else {
            unreachable!("validation passed");
        };
        let password_hash = self.deps.hasher.hash(password.expose().to_owned()).await?;

        let now = agora_domain::timestamp_now();
        let mut tx = self.deps.uow.begin().await?;
        let redemption = self
            .deps
            .email_tokens
            .redeem(
                &mut tx,
                &self.deps.secrets.hash(&token),
                EmailTokenPurpose::ResetPassword,
                now,
            )
            .await?;
        let user_id = redeemed(redemption, "Reset link")?;
        tracing::Span::current().record("user_id", tracing::field::display(user_id));
        // One used link kills the others still in mailboxes: each is a way into the account.
        self.deps
            .email_tokens
            .spend_all(&mut tx, user_id, EmailTokenPurpose::ResetPassword, now)
            .await?;
        let mut user = self
            .deps
            .users
            .find_by_id(&mut tx, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        user.password_hash = password_hash;
        user.updated_at = now;
        self.deps.users.update(&mut tx, &user).await?;
        let sessions = self
            .deps
            .refresh_tokens
            .revoke_user(&mut tx, user.id, None, now)
            .await?;
        self.deps
            .audit
            .record(
                &mut tx,
                &AuditEntry::new("auth.password_reset", None, Some(user.id)),
            )
            .await?;
        tx.commit().await?;
        self.sessions_revoked(&sessions, Some(user.id)).await;
        Ok(())
    }

    /// Changes the caller's password after checking the current one; other sessions end, the
    /// current one stays.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, session_id = %principal.session_id))]
    pub async fn change_password(
        &self,
        principal: &Principal,
        input: ChangePasswordInput,
    ) -> Result<(), AppError> {
        let mut errors = agora_domain::ValidationErrors::new();
        let current = input.current_password.filter(|p| !p.is_empty());
        if current.is_none() {
            errors.push(FieldError::new(
                "currentPassword",
                "Current password is required",
            ));
        }
        let new = errors.check(Password::parse(
            input.new_password.as_deref().unwrap_or_default(),
            "newPassword",
        ));
        errors.into_result()?;
        let (Some(current), Some(new)) = (current, new) else {
            unreachable!("validation passed");
        };
        let user = self
            .deps
            .users
            .get(principal.user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !self
            .deps
            .hasher
            .verify(current, user.password_hash.clone())
            .await?
        {
            return Err(FieldError::new("currentPassword", "Current password is incorrect").into());
        }
        let password_hash = self.deps.hasher.hash(new.expose().to_owned()).await?;
        let now = agora_domain::timestamp_now();
        let mut tx = self.deps.uow.begin().await?;
        let mut user = self
            .deps
            .users
            .find_by_id(&mut tx, principal.user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        user.password_hash = password_hash;
        user.updated_at = now;
        self.deps.users.update(&mut tx, &user).await?;
        let sessions = self
            .deps
            .refresh_tokens
            .revoke_user(&mut tx, user.id, Some(principal.session_id), now)
            .await?;
        self.deps
            .audit
            .record(
                &mut tx,
                &AuditEntry::new("auth.password_changed", Some(user.id), None),
            )
            .await?;
        tx.commit().await?;
        self.sessions_revoked(&sessions, None).await;
        Ok(())
    }
}

/// The outbox job kind of a password-reset request.
pub const PASSWORD_RESET_JOB: &str = "identity.password_reset";

/// Runs [`PASSWORD_RESET_JOB`] jobs: [`Identity::send_password_reset`].
pub struct PasswordResetJob(pub Identity);

#[async_trait]
impl JobHandler for PasswordResetJob {
    async fn run(&self, payload: &serde_json::Value) -> Result<(), String> {
        let email = payload["email"]
            .as_str()
            .ok_or("a password-reset job without an email")?;
        let ip = payload["ip"].as_str().map(str::to_owned);
        match self.0.send_password_reset(email, ip).await {
            Ok(()) => Ok(()),
            // A stored address that no longer parses cannot become valid by retrying.
            Err(AppError::Validation(_)) => Ok(()),
            Err(error) => Err(error.to_string()),
        }
    }
}
