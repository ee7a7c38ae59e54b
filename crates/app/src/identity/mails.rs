//! Mail templates, text and HTML. Kept next to the use cases that send them.

use agora_domain::mail::OutgoingMail;

fn escape_html(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn render(
    to: &str,
    subject: &str,
    greeting_name: &str,
    lines: &[&str],
    link: &str,
    link_text: &str,
) -> OutgoingMail {
    let text = format!(
        "Hi {greeting_name},\n\n{}\n\n{link}\n\n— Agora\n",
        lines.join("\n")
    );
    let paragraphs: String = lines
        .iter()
        .map(|l| format!("<p>{}</p>", escape_html(l)))
        .collect();
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>Hi {},</p>{paragraphs}\
         <p><a href=\"{link}\">{link_text}</a></p><p style=\"color:#666\">{link}</p><p>— Agora</p></body></html>",
        escape_html(greeting_name),
    );
    OutgoingMail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text,
        html,
    }
}

/// "Verify your email", with the verification link (API.md).
pub(crate) fn verification(to: &str, name: &str, public_url: &str, token: &str) -> OutgoingMail {
    let link = format!("{public_url}/verify-email?token={token}");
    render(
        to,
        "Verify your email",
        name,
        &[
            "Welcome to Agora! Open the verification link below to confirm your email address.",
            "The verification link is valid for 24 hours. If you did not register, ignore this mail.",
        ],
        &link,
        "Verify my email",
    )
}

/// Password reset link, valid for one hour.
pub(crate) fn password_reset(to: &str, name: &str, public_url: &str, token: &str) -> OutgoingMail {
    let link = format!("{public_url}/reset-password?token={token}");
    render(
        to,
        "Reset your password",
        name,
        &[
            "Someone (hopefully you) asked to reset your Agora password. Open the link below to choose a new one.",
            "The link is valid for 1 hour and works once. If you did not ask, ignore this mail: your password stays unchanged.",
        ],
        &link,
        "Choose a new password",
    )
}

/// Subject of the mail that tells an account's owner about a registration with their address.
pub(crate) const REGISTRATION_ATTEMPT_SUBJECT: &str = "Someone tried to register with your address";

/// Sent instead of 409 `email_taken` when `identity.registration_conceal_taken` is on.
pub(crate) fn registration_attempt(to: &str, name: &str, public_url: &str) -> OutgoingMail {
    let link = format!("{public_url}/forgot-password");
    render(
        to,
        REGISTRATION_ATTEMPT_SUBJECT,
        name,
        &[
            "Someone tried to register a new Agora account with your email address, which already has one. No account was created.",
            "If it was you, log in instead — or reset your password with the link below. If it was not you, ignore this mail.",
        ],
        &link,
        "Reset my password",
    )
}

/// "Welcome to Agora", sent once the address is verified (by the `identity-welcome-mail`
/// consumer of `user.verified`).
pub(crate) fn welcome(to: &str, name: &str, public_url: &str) -> OutgoingMail {
    render(
        to,
        "Welcome to Agora",
        name,
        &[
            "Your email address is verified and your account is ready.",
            "Browse the shop, write posts and join the discussions.",
        ],
        public_url,
        "Visit Agora",
    )
}

/// "Order confirmed", for `order.placed` (by the `identity-order-mails` consumer).
pub(crate) fn order_confirmed(
    to: &str,
    name: &str,
    public_url: &str,
    order: &str,
    total: &str,
) -> OutgoingMail {
    let link = format!("{public_url}/orders/{order}");
    let total_line = format!("Total: {total}.");
    let mut lines = vec!["Thank you! We received your order and will let you know when it ships."];
    if !total.is_empty() {
        lines.push(&total_line);
    }
    render(to, "Order confirmed", name, &lines, &link, "View my order")
}

/// "Your order is <status>", for `order.status_changed`.
pub(crate) fn order_status(
    to: &str,
    name: &str,
    public_url: &str,
    order: &str,
    status: &str,
) -> OutgoingMail {
    let link = format!("{public_url}/orders/{order}");
    let line = format!("Your order is now {status}.");
    render(
        to,
        &format!("Your order is {status}"),
        name,
        &[&line],
        &link,
        "View my order",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verification_mail_matches_the_contract() {
        let mail = verification("ann@example.org", "Ann <b>", "http://x", "tok123");
        assert_eq!(mail.subject, "Verify your email");
        assert!(mail.text.contains("verification link"));
        assert!(mail.text.contains("http://x/verify-email?token=tok123"));
        assert!(mail
            .html
            .contains("href=\"http://x/verify-email?token=tok123\""));
        assert!(
            mail.html.contains("Ann &lt;b&gt;"),
            "names are escaped in HTML"
        );
    }
}
