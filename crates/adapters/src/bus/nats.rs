//! The event bus on NATS JetStream: a stream per event family (`<PREFIX>_<FAMILY>`, subjects
//! `<prefix>.<family>.>`, file storage), a durable pull consumer per consumer and stream with
//! explicit acknowledgement; a message not acknowledged within the redelivery timeout is
//! delivered again (to any member). Events are published without `Nats-Msg-Id`: the server's
//! de-duplication window would also swallow a replayed dead letter (same event id), and the
//! consumers' inbox already makes a second publication harmless.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use agora_domain::{
    event::EventEnvelope,
    ports::{event_family, Ack, BusError, Delivery, EventPublisher, EventSource, Subscription},
};
use async_nats::jetstream::{self, consumer::pull, context::PublishAckFuture, stream};
use async_trait::async_trait;
use futures::StreamExt;
use tokio::{sync::mpsc, task::JoinHandle};

/// Events kept per stream: a week, enough to replay after any outage the outbox would also
/// have bridged.
const MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// NATS JetStream as the event bus.
#[derive(Clone)]
pub struct NatsBus {
    client: async_nats::Client,
    js: jetstream::Context,
    prefix: String,
    redelivery: Duration,
    /// Streams known to exist (created lazily: NATS may be down when the process starts).
    ensured: Arc<Mutex<HashSet<String>>>,
}

impl std::fmt::Debug for NatsBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsBus")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn failed(error: impl std::fmt::Display) -> BusError {
    BusError(format!("nats: {error}"))
}

impl NatsBus {
    /// Connects to `url` (in the background: the process starts while NATS is down, and the
    /// outbox keeps events until it is back). `prefix` names streams and subjects (a token:
    /// letters, digits, `-`, `_`).
    pub async fn connect(url: &str, prefix: &str, redelivery: Duration) -> anyhow::Result<Self> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(2))
            .retry_on_initial_connect()
            .connect(url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to NATS at {url}: {e}"))?;
        let js = jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(2))
            .build(client.clone());
        Ok(Self {
            client,
            js,
            prefix: prefix.to_owned(),
            redelivery,
            ensured: Arc::default(),
        })
    }

    fn stream_name(&self, family: &str) -> String {
        format!("{}_{}", self.prefix, family).to_uppercase()
    }

    fn subject(&self, event_type: &str) -> String {
        format!("{}.{}", self.prefix, event_type)
    }

    async fn ensure_stream(&self, family: &str) -> Result<stream::Stream, BusError> {
        let name = self.stream_name(family);
        let stream = self
            .js
            .get_or_create_stream(stream::Config {
                name: name.clone(),
                subjects: vec![format!("{}.{family}.>", self.prefix)],
                // File storage: an acknowledged publish survives a server restart (fsync is the
                // server's `sync_interval`; see ADR 0019 for the trade-off).
                storage: stream::StorageType::File,
                max_age: MAX_AGE,
                ..Default::default()
            })
            .await
            .map_err(failed)?;
        self.ensured
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name);
        Ok(stream)
    }

    fn is_ensured(&self, family: &str) -> bool {
        self.ensured
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&self.stream_name(family))
    }

    /// Deletes this prefix's streams of `families` (tests clean up after themselves).
    pub async fn delete_streams(&self, families: &[&str]) {
        for family in families {
            let _ = self.js.delete_stream(self.stream_name(family)).await;
        }
    }
}

#[async_trait]
impl EventPublisher for NatsBus {
    async fn publish(&self, event: &EventEnvelope) -> Result<(), BusError> {
        self.publish_batch(std::slice::from_ref(event))
            .await
            .pop()
            .unwrap_or(Ok(()))
    }

    /// Sends the whole batch, then waits for the server's acknowledgements together.
    async fn publish_batch(&self, events: &[EventEnvelope]) -> Vec<Result<(), BusError>> {
        let mut pending: Vec<Result<PublishAckFuture, BusError>> = Vec::with_capacity(events.len());
        for event in events {
            let family = event_family(&event.event_type);
            if !self.is_ensured(family) {
                if let Err(error) = self.ensure_stream(family).await {
                    pending.push(Err(error));
                    continue;
                }
            }
            let sent = match serde_json::to_vec(event) {
                Ok(body) => self
                    .js
                    .send_publish(
                        self.subject(&event.event_type),
                        jetstream::message::PublishMessage::build().payload(body.into()),
                    )
                    .await
                    .map_err(failed),
                Err(error) => Err(failed(error)),
            };
            pending.push(sent);
        }
        let mut results = Vec::with_capacity(pending.len());
        for sent in pending {
            results.push(match sent {
                Ok(ack) => ack.await.map(drop).map_err(failed),
                Err(error) => Err(error),
            });
        }
        results
    }

    async fn ping(&self) -> Result<(), BusError> {
        match self.client.connection_state() {
            async_nats::connection::State::Connected => Ok(()),
            other => Err(BusError(format!("nats: {other}"))),
        }
    }
}

#[async_trait]
impl EventSource for NatsBus {
    async fn subscribe(
        &self,
        consumer: &str,
        event_types: &[String],
    ) -> Result<Box<dyn Subscription>, BusError> {
        let mut families: Vec<&str> = event_types.iter().map(|t| event_family(t)).collect();
        families.sort_unstable();
        families.dedup();
        let (sender, receiver) = mpsc::channel(256);
        let mut pullers = Vec::new();
        for family in families {
            let stream = self.ensure_stream(family).await?;
            let durable: jetstream::consumer::PullConsumer = stream
                .get_or_create_consumer(
                    consumer,
                    pull::Config {
                        durable_name: Some(consumer.to_owned()),
                        filter_subjects: event_types
                            .iter()
                            .filter(|t| event_family(t) == family)
                            .map(|t| self.subject(t))
                            .collect(),
                        ack_policy: jetstream::consumer::AckPolicy::Explicit,
                        ack_wait: self.redelivery,
                        // Never given up by the server: the consumer dead-letters by itself.
                        max_deliver: -1,
                        ..Default::default()
                    },
                )
                .await
                .map_err(failed)?;
            let messages = durable.messages().await.map_err(failed)?;
            pullers.push(tokio::spawn(forward(messages, sender.clone())));
        }
        Ok(Box::new(NatsSubscription { receiver, pullers }))
    }
}

/// Feeds one durable consumer's messages to the subscription (the client keeps a pull request
/// open, so a new message arrives without polling).
async fn forward(mut messages: pull::Stream, sender: mpsc::Sender<jetstream::Message>) {
    while let Some(message) = messages.next().await {
        match message {
            Ok(message) => {
                if sender.send(message).await.is_err() {
                    return;
                }
            }
            // Heartbeats missed while NATS is away; the client resumes pulling by itself.
            Err(error) => tracing::debug!(%error, "nats pull interrupted"),
        }
    }
}

struct NatsSubscription {
    receiver: mpsc::Receiver<jetstream::Message>,
    pullers: Vec<JoinHandle<()>>,
}

impl Drop for NatsSubscription {
    fn drop(&mut self) {
        for puller in &self.pullers {
            puller.abort();
        }
    }
}

struct NatsAck(jetstream::Message);

#[async_trait]
impl Ack for NatsAck {
    async fn ack(self: Box<Self>) -> Result<(), BusError> {
        self.0.ack().await.map_err(failed)
    }
}

#[async_trait]
impl Subscription for NatsSubscription {
    async fn fetch(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, BusError> {
        let mut out = Vec::new();
        let Ok(Some(first)) = tokio::time::timeout(wait, self.receiver.recv()).await else {
            return Ok(out);
        };
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match serde_json::from_slice::<EventEnvelope>(&message.payload) {
                Ok(event) => out.push(Delivery {
                    event,
                    ack: Box::new(NatsAck(message)),
                }),
                Err(error) => {
                    tracing::error!(%error, subject = %message.subject, "undecodable NATS message skipped");
                    Box::new(NatsAck(message)).ack().await?;
                }
            }
            if out.len() < max {
                next = self.receiver.try_recv().ok();
            }
        }
        Ok(out)
    }
}
