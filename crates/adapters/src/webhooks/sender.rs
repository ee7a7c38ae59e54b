use std::net::SocketAddr;

use agora_domain::{
    ports::{SendOutcome, WebhookSender},
    webhooks::may_reach,
};
use async_trait::async_trait;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// How long a receiver may take to answer.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// POSTs messages with the Standard Webhooks headers: `webhook-id` (the message id, the same on
/// every attempt), `webhook-timestamp` (unix seconds) and `webhook-signature` (`v1,` + base64
/// HMAC-SHA256 of `{id}.{timestamp}.{body}` keyed with the base64-decoded part of the
/// `whsec_` secret). The host is resolved first and every address checked: an internal one not
/// allow-listed refuses the attempt; the request then goes to the checked address (no second
/// lookup an attacker's DNS could answer differently) and redirects are not followed.
#[derive(Debug, Clone)]
pub struct HttpWebhookSender {
    allowed: Vec<ipnet::IpNet>,
}

impl HttpWebhookSender {
    /// A sender that may also reach `allowed` networks.
    pub fn new(allowed: Vec<ipnet::IpNet>) -> Self {
        Self { allowed }
    }
}

/// `v1,<base64 HMAC-SHA256>` of the signed content.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("secret is not base64: {e}"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

impl HttpWebhookSender {
    async fn checked_address(&self, url: &url::Url) -> Result<SocketAddr, String> {
        let host = url.host_str().ok_or("URL without a host")?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = url.port_or_known_default().ok_or("URL without a port")?;
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
        if addresses.is_empty() {
            return Err(format!("{host} resolves to no address"));
        }
        if let Some(internal) = addresses.iter().find(|a| !may_reach(a.ip(), &self.allowed)) {
            return Err(format!(
                "refused: {host} resolves to {}, a private, loopback or link-local address",
                internal.ip()
            ));
        }
        Ok(addresses[0])
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn send(&self, url: &str, id: Uuid, body: &str, secret: &str) -> SendOutcome {
        let parsed = match url::Url::parse(url) {
            Ok(parsed) => parsed,
            Err(e) => return SendOutcome::Failed(format!("invalid URL: {e}")),
        };
        let address = match self.checked_address(&parsed).await {
            Ok(address) => address,
            Err(reason) => return SendOutcome::Failed(reason),
        };
        let timestamp = chrono::Utc::now().timestamp();
        let id = id.to_string();
        let signed = match signature(secret, &id, timestamp, body) {
            Ok(signed) => signed,
            Err(reason) => return SendOutcome::Failed(reason),
        };
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT);
        if let Some(host) = parsed.host_str() {
            client = client.resolve(host, address);
        }
        let client = match client.build() {
            Ok(client) => client,
            Err(e) => return SendOutcome::Failed(e.to_string()),
        };
        let sent = client
            .post(parsed)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signed)
            .body(body.to_owned())
            .send()
            .await;
        match sent {
            Ok(response) => SendOutcome::Answered(response.status().as_u16()),
            Err(e) if e.is_timeout() => SendOutcome::Failed("no answer within 5 s".into()),
            Err(e) => SendOutcome::Failed(format!("request failed: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification.
    #[test]
    fn signs_like_the_specification() {
        let signed = signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
