//! A small DynamoDB client: the JSON 1.0 protocol over the workspace's `reqwest`, signed with
//! AWS Signature Version 4 (HMAC-SHA256 from `hmac`/`sha2`, already in the build). ADR 0022 says
//! why this instead of `aws-sdk-dynamodb`: a dozen operations do not justify the SDK's tree.

use std::time::Duration;

use agora_domain::ports::StoreError;
use chrono::Utc;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Attempts of one request when DynamoDB throttles (`ProvisionedThroughputExceededException`,
/// `ThrottlingException`, `RequestLimitExceeded`) or answers 5xx: the AWS SDKs' standard mode
/// (3 attempts, jittered exponential backoff from 25 ms).
const MAX_ATTEMPTS: u32 = 3;
const BACKOFF_BASE: Duration = Duration::from_millis(25);

/// Where the table is and how to sign for it.
#[derive(Clone)]
pub struct DynamoSettings {
    /// `http://127.0.0.1:8000` for a local emulator; `https://dynamodb.<region>.amazonaws.com`
    /// in AWS.
    pub endpoint: String,
    /// The single table identity keeps everything in.
    pub table: String,
    /// Signing region (`AWS_REGION`).
    pub region: String,
    /// Credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` — Lambda
    /// sets all three).
    pub credentials: Credentials,
}

impl std::fmt::Debug for DynamoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoSettings")
            .field("endpoint", &self.endpoint)
            .field("table", &self.table)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// AWS credentials; never printed.
#[derive(Clone, Default)]
pub struct Credentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token of temporary credentials (Lambda's role).
    pub session_token: Option<String>,
}

impl DynamoSettings {
    /// Settings for `table` at `endpoint` (or the region's public endpoint), with region and
    /// credentials from the standard AWS environment variables.
    pub fn from_env(endpoint: Option<&str>, table: &str) -> Self {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        Self {
            endpoint: endpoint
                .map(|e| e.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| format!("https://dynamodb.{region}.amazonaws.com")),
            table: table.to_owned(),
            region,
            credentials: Credentials {
                access_key_id: env("AWS_ACCESS_KEY_ID").unwrap_or_else(|| "local".into()),
                secret_access_key: env("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|| "local".into()),
                session_token: env("AWS_SESSION_TOKEN"),
            },
        }
    }
}

/// A failed DynamoDB call, classified.
#[derive(Debug, thiserror::Error)]
pub enum DynamoError {
    /// A transaction was cancelled; one reason code per operation, in order (`None` =
    /// that operation was fine).
    #[error("transaction cancelled: {0:?}")]
    TransactionCanceled(Vec<Option<String>>),
    /// A single conditional write's condition did not hold.
    #[error("conditional check failed")]
    ConditionalCheckFailed,
    /// The table does not exist (or is not active yet).
    #[error("{0}")]
    MissingTable(String),
    /// Throttled or failing after every retry; transient.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else (a malformed request: a bug).
    #[error("{0}")]
    Other(String),
}

impl From<DynamoError> for StoreError {
    fn from(error: DynamoError) -> Self {
        match error {
            DynamoError::Unavailable(message) | DynamoError::MissingTable(message) => {
                StoreError::Unavailable(message)
            }
            other => StoreError::Other(other.into()),
        }
    }
}

/// The client; cheap to clone, opens no connection until the first call (a Lambda's cold init
/// stays free of network work).
#[derive(Debug, Clone)]
pub struct DynamoClient {
    http: reqwest::Client,
    settings: std::sync::Arc<DynamoSettings>,
    host: String,
}

impl DynamoClient {
    /// A client for `settings`.
    pub fn new(settings: DynamoSettings) -> Result<Self, StoreError> {
        let url = url::Url::parse(&settings.endpoint).map_err(|e| {
            StoreError::Other(
                format!("invalid DynamoDB endpoint {}: {e}", settings.endpoint).into(),
            )
        })?;
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => {
                return Err(StoreError::Other(
                    format!("DynamoDB endpoint {} has no host", settings.endpoint).into(),
                ))
            }
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| StoreError::Other(e.into()))?;
        Ok(Self {
            http,
            settings: std::sync::Arc::new(settings),
            host,
        })
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.settings.table
    }

    /// Calls `operation` (`PutItem`, `TransactWriteItems`…) with `body`, retrying throttling
    /// and 5xx answers with backoff.
    pub async fn call(&self, operation: &str, body: &Value) -> Result<Value, DynamoError> {
        let payload = serde_json::to_vec(body).map_err(|e| DynamoError::Other(e.to_string()))?;
        let mut attempt = 1;
        loop {
            match self.call_once(operation, &payload).await {
                Err(DynamoError::Unavailable(reason)) if attempt < MAX_ATTEMPTS => {
                    let ceiling = BACKOFF_BASE * 2u32.pow(attempt);
                    let jitter = rand::random::<f64>();
                    tracing::debug!(%reason, attempt, "DynamoDB busy, retrying");
                    tokio::time::sleep(ceiling.mul_f64(jitter)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn call_once(&self, operation: &str, payload: &[u8]) -> Result<Value, DynamoError> {
        let target = format!("DynamoDB_20120810.{operation}");
        let now = Utc::now();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let authorization = self.authorization(&target, &amz_date, payload);
        let mut request = self
            .http
            .post(&self.settings.endpoint)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-date", &amz_date)
            .header("x-amz-target", &target)
            .header("authorization", authorization)
            .body(payload.to_vec());
        if let Some(token) = &self.settings.credentials.session_token {
            request = request.header("x-amz-security-token", token);
        }
        let response = request.send().await.map_err(|e| {
            DynamoError::Unavailable(format!(
                "DynamoDB at {} unreachable: {e}",
                self.settings.endpoint
            ))
        })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| DynamoError::Unavailable(format!("DynamoDB answer cut short: {e}")))?;
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(value);
        }
        Err(self.classify(status, &value))
    }

    /// Maps an error answer to what the store reports.
    fn classify(&self, status: reqwest::StatusCode, body: &Value) -> DynamoError {
        let kind = body["__type"]
            .as_str()
            .and_then(|t| t.rsplit('#').next())
            .unwrap_or("");
        let message = body["message"]
            .as_str()
            .or_else(|| body["Message"].as_str())
            .unwrap_or("");
        match kind {
            "ConditionalCheckFailedException" => DynamoError::ConditionalCheckFailed,
            "TransactionCanceledException" => {
                let reasons = body["CancellationReasons"]
                    .as_array()
                    .map(|reasons| {
                        reasons
                            .iter()
                            .map(|r| r["Code"].as_str().filter(|c| *c != "None").map(Into::into))
                            .collect()
                    })
                    .unwrap_or_default();
                DynamoError::TransactionCanceled(reasons)
            }
            "ResourceNotFoundException" => DynamoError::MissingTable(format!(
                "DynamoDB table `{}` not found at {} ({message}); create it (deploy/serverless/template.yaml, docs/serverless.md)",
                self.settings.table, self.settings.endpoint
            )),
            "ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "InternalServerError"
            | "ServiceUnavailable"
            | "TransactionInProgressException" => {
                DynamoError::Unavailable(format!("DynamoDB busy: {kind}: {message}"))
            }
            _ if status.is_server_error() => {
                DynamoError::Unavailable(format!("DynamoDB answered {status}: {message}"))
            }
            _ => DynamoError::Other(format!("DynamoDB refused the request: {kind}: {message}")),
        }
    }

    /// The SigV4 `Authorization` header of a POST to `/` with `payload`.
    fn authorization(&self, target: &str, amz_date: &str, payload: &[u8]) -> String {
        let settings = &self.settings;
        let date = &amz_date[..8];
        let mut headers = vec![
            ("content-type", "application/x-amz-json-1.0".to_owned()),
            ("host", self.host.clone()),
            ("x-amz-date", amz_date.to_owned()),
            ("x-amz-target", target.to_owned()),
        ];
        if let Some(token) = &settings.credentials.session_token {
            headers.push(("x-amz-security-token", token.clone()));
        }
        let canonical_headers: String = headers
            .iter()
            .map(|(name, value)| format!("{name}:{}\n", value.trim()))
            .collect();
        let signed_headers = headers
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(";");
        let canonical_request = format!(
            "POST\n/\n\n{canonical_headers}\n{signed_headers}\n{}",
            hex(&Sha256::digest(payload))
        );
        let scope = format!("{date}/{}/dynamodb/aws4_request", settings.region);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(&Sha256::digest(canonical_request.as_bytes()))
        );
        let secret = format!("AWS4{}", settings.credentials.secret_access_key);
        let key = [date, settings.region.as_str(), "dynamodb", "aws4_request"]
            .iter()
            .fold(secret.into_bytes(), |key, part| hmac(&key, part.as_bytes()));
        let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            settings.credentials.access_key_id
        )
    }

    /// Creates the table with identity's keys, index and TTL (tests, local development; in AWS
    /// the SAM template creates it). Already existing is fine.
    pub async fn create_table(&self) -> Result<(), DynamoError> {
        let table = self.table();
        let created = self
            .call(
                "CreateTable",
                &json!({
                    "TableName": table,
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [
                        {"AttributeName": "pk", "AttributeType": "S"},
                        {"AttributeName": "sk", "AttributeType": "S"},
                        {"AttributeName": "gsi1pk", "AttributeType": "S"},
                        {"AttributeName": "gsi1sk", "AttributeType": "S"}
                    ],
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"}
                    ],
                    "GlobalSecondaryIndexes": [{
                        "IndexName": "gsi1",
                        "KeySchema": [
                            {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                            {"AttributeName": "gsi1sk", "KeyType": "RANGE"}
                        ],
                        "Projection": {"ProjectionType": "ALL"}
                    }]
                }),
            )
            .await;
        match created {
            Ok(_) => {}
            Err(DynamoError::Other(message)) if message.contains("ResourceInUseException") => {
                return Ok(())
            }
            Err(error) => return Err(error),
        }
        self.call(
            "UpdateTimeToLive",
            &json!({
                "TableName": table,
                "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "ttl"}
            }),
        )
        .await?;
        Ok(())
    }

    /// Whether the table exists and answers (readiness, start-up check).
    pub async fn describe_table(&self) -> Result<(), DynamoError> {
        self.call("DescribeTable", &json!({ "TableName": self.table() }))
            .await
            .map(drop)
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the AWS SigV4 documentation's key derivation ("Examples of how to derive
    /// a signing key"): secret `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`, 20120215, us-east-1, iam.
    #[test]
    fn the_signing_key_derivation_matches_the_aws_example() {
        let secret = "AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
            .as_bytes()
            .to_vec();
        let key = ["20120215", "us-east-1", "iam", "aws4_request"]
            .iter()
            .fold(secret, |key, part| hmac(&key, part.as_bytes()));
        assert_eq!(
            hex(&key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    fn client() -> DynamoClient {
        DynamoClient::new(DynamoSettings {
            endpoint: "http://127.0.0.1:1".into(),
            table: "t".into(),
            region: "eu-west-1".into(),
            credentials: Credentials::default(),
        })
        .unwrap()
    }

    #[test]
    fn throttling_is_transient_and_a_missing_table_names_the_table() {
        let c = client();
        let throttled = c.classify(
            reqwest::StatusCode::BAD_REQUEST,
            &json!({"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", "message": "slow down"}),
        );
        assert!(matches!(throttled, DynamoError::Unavailable(_)));
        let missing = c.classify(
            reqwest::StatusCode::BAD_REQUEST,
            &json!({"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"}),
        );
        assert!(
            missing.to_string().contains("table `t` not found"),
            "{missing}"
        );
        assert!(matches!(
            StoreError::from(missing),
            StoreError::Unavailable(_)
        ));
    }

    #[test]
    fn a_cancelled_transaction_lists_a_reason_per_operation() {
        let cancelled = client().classify(
            reqwest::StatusCode::BAD_REQUEST,
            &json!({"__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                    "CancellationReasons": [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}]}),
        );
        let DynamoError::TransactionCanceled(reasons) = cancelled else {
            panic!("not a cancellation: {cancelled:?}");
        };
        assert_eq!(reasons, [None, Some("ConditionalCheckFailed".to_owned())]);
    }
}
