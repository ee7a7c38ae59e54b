//! The event bus on Redis Streams: a stream per event family (`<prefix>events:<family>`), a
//! consumer group per consumer, each process a member of it. Messages a member read but never
//! acknowledged (it crashed) are taken over with `XAUTOCLAIM` once idle for the redelivery
//! timeout. Every command goes through the process's guarded command connection (ADR 0018), so
//! reads never block on the server: a `BLOCK` would stall every other user of the multiplexed
//! connection. Instead an idle member polls, and a publish in the same process wakes its members.

use std::{collections::HashMap, sync::Arc, time::Duration};

use agora_domain::{
    event::EventEnvelope,
    ports::{event_family, Ack, BusError, Delivery, EventPublisher, EventSource, Subscription},
};
use async_trait::async_trait;
use redis::{
    streams::{StreamAutoClaimOptions, StreamAutoClaimReply, StreamReadOptions, StreamReadReply},
    AsyncCommands,
};
use tokio::sync::Notify;

use crate::redis::{Commands, RedisManager};

/// Entries kept per stream (approximately, `MAXLEN ~`): the bus is a transport, the outbox and
/// the consumers' tables are the record.
const MAX_LEN: usize = 1_000_000;

/// How often an idle member looks for new messages when nothing in its process published.
const IDLE_POLL: Duration = Duration::from_millis(50);

/// Redis Streams as the event bus.
#[derive(Clone)]
pub struct RedisStreamsBus {
    redis: Commands,
    prefix: String,
    redelivery: Duration,
    published: Arc<Notify>,
}

impl std::fmt::Debug for RedisStreamsBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStreamsBus")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStreamsBus {
    /// A bus on `redis`'s command connection; an unacknowledged message is taken over by another
    /// member after `redelivery`.
    pub fn new(redis: &RedisManager, redelivery: Duration) -> Self {
        Self {
            redis: redis.commands(),
            prefix: redis.key("events:"),
            redelivery,
            published: Arc::default(),
        }
    }

    fn stream(&self, event_type: &str) -> String {
        format!("{}{}", self.prefix, event_family(event_type))
    }
}

fn failed(error: &redis::RedisError) -> BusError {
    BusError(format!("redis: {error}"))
}

#[async_trait]
impl EventPublisher for RedisStreamsBus {
    async fn publish(&self, event: &EventEnvelope) -> Result<(), BusError> {
        self.publish_batch(std::slice::from_ref(event))
            .await
            .pop()
            .unwrap_or(Ok(()))
    }

    /// One pipeline for the batch: every event is added or, on a transport error, none is
    /// known to be (they are published again; consumers de-duplicate).
    async fn publish_batch(&self, events: &[EventEnvelope]) -> Vec<Result<(), BusError>> {
        let mut pipe = redis::pipe();
        for event in events {
            match serde_json::to_string(event) {
                Ok(json) => {
                    pipe.cmd("XADD")
                        .arg(self.stream(&event.event_type))
                        .arg("MAXLEN")
                        .arg("~")
                        .arg(MAX_LEN)
                        .arg("*")
                        .arg("event")
                        .arg(json)
                        .ignore();
                }
                Err(error) => {
                    return events
                        .iter()
                        .map(|_| Err(BusError(format!("event does not encode: {error}"))))
                        .collect()
                }
            }
        }
        let mut redis = self.redis.clone();
        match pipe.query_async::<()>(&mut redis).await {
            Ok(()) => {
                self.published.notify_waiters();
                events.iter().map(|_| Ok(())).collect()
            }
            Err(error) => events.iter().map(|_| Err(failed(&error))).collect(),
        }
    }

    async fn ping(&self) -> Result<(), BusError> {
        let mut redis = self.redis.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut redis)
            .await
            .map(drop)
            .map_err(|e| failed(&e))
    }
}

#[async_trait]
impl EventSource for RedisStreamsBus {
    async fn subscribe(
        &self,
        consumer: &str,
        event_types: &[String],
    ) -> Result<Box<dyn Subscription>, BusError> {
        let mut streams: Vec<String> = event_types.iter().map(|t| self.stream(t)).collect();
        streams.sort();
        streams.dedup();
        let mut redis = self.redis.clone();
        for stream in &streams {
            // From the stream's beginning: events published before the group first existed (a
            // worker deployed after the relay) are still delivered; the inbox makes that safe.
            let created: Result<(), _> = redis.xgroup_create_mkstream(stream, consumer, "0").await;
            if let Err(error) = created {
                if error.code() != Some("BUSYGROUP") {
                    return Err(failed(&error));
                }
            }
        }
        Ok(Box::new(RedisSubscription {
            bus: self.clone(),
            group: consumer.to_owned(),
            member: format!("{}-{}", std::process::id(), uuid::Uuid::now_v7()),
            wanted: event_types.to_vec(),
            streams,
            next_claim: tokio::time::Instant::now(),
        }))
    }
}

struct RedisSubscription {
    bus: RedisStreamsBus,
    group: String,
    member: String,
    wanted: Vec<String>,
    streams: Vec<String>,
    next_claim: tokio::time::Instant,
}

struct RedisAck {
    redis: Commands,
    stream: String,
    group: String,
    id: String,
}

#[async_trait]
impl Ack for RedisAck {
    async fn ack(mut self: Box<Self>) -> Result<(), BusError> {
        let stream = std::mem::take(&mut self.stream);
        self.redis
            .xack::<_, _, _, ()>(stream, &self.group, &[&self.id])
            .await
            .map_err(|e| failed(&e))
    }
}

impl RedisSubscription {
    /// Turns stream entries into deliveries; entries of types this consumer does not want (its
    /// family's other types) are acknowledged at once.
    async fn deliveries(
        &self,
        stream: &str,
        entries: Vec<redis::streams::StreamId>,
        out: &mut Vec<Delivery>,
    ) -> Result<(), BusError> {
        for entry in entries {
            let ack = Box::new(RedisAck {
                redis: self.bus.redis.clone(),
                stream: stream.to_owned(),
                group: self.group.clone(),
                id: entry.id.clone(),
            });
            let event = entry
                .map
                .get("event")
                .and_then(|v| redis::from_redis_value::<String>(v).ok())
                .and_then(|json| serde_json::from_str::<EventEnvelope>(&json).ok());
            match event {
                Some(event) if self.wanted.contains(&event.event_type) => {
                    out.push(Delivery { event, ack });
                }
                Some(_) => ack.ack().await?,
                None => {
                    tracing::error!(stream, id = entry.id, "undecodable stream entry skipped");
                    ack.ack().await?;
                }
            }
        }
        Ok(())
    }

    async fn claim_stuck(&mut self, max: usize, out: &mut Vec<Delivery>) -> Result<(), BusError> {
        let idle = u64::try_from(self.bus.redelivery.as_millis()).unwrap_or(u64::MAX);
        let streams = self.streams.clone();
        for stream in &streams {
            let mut redis = self.bus.redis.clone();
            let reply: StreamAutoClaimReply = redis
                .xautoclaim_options(
                    stream,
                    &self.group,
                    &self.member,
                    idle,
                    "0-0",
                    StreamAutoClaimOptions::default().count(max),
                )
                .await
                .map_err(|e| failed(&e))?;
            self.deliveries(stream, reply.claimed, out).await?;
        }
        Ok(())
    }

    async fn read_new(&self, max: usize, out: &mut Vec<Delivery>) -> Result<(), BusError> {
        let mut redis = self.bus.redis.clone();
        let ids: Vec<&str> = self.streams.iter().map(|_| ">").collect();
        let reply: Option<StreamReadReply> = redis
            .xread_options(
                &self.streams,
                &ids,
                &StreamReadOptions::default()
                    .group(&self.group, &self.member)
                    .count(max),
            )
            .await
            .map_err(|e| failed(&e))?;
        let mut by_stream: HashMap<String, Vec<_>> = HashMap::new();
        for key in reply.map(|r| r.keys).unwrap_or_default() {
            by_stream.entry(key.key).or_default().extend(key.ids);
        }
        for (stream, entries) in by_stream {
            self.deliveries(&stream, entries, out).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Subscription for RedisSubscription {
    async fn fetch(&mut self, max: usize, wait: Duration) -> Result<Vec<Delivery>, BusError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut out = Vec::new();
        loop {
            // Stuck messages of crashed members first, at most once per redelivery period / 4.
            if tokio::time::Instant::now() >= self.next_claim {
                self.next_claim = tokio::time::Instant::now() + self.bus.redelivery / 4;
                self.claim_stuck(max, &mut out).await?;
            }
            if out.len() < max {
                self.read_new(max - out.len(), &mut out).await?;
            }
            if !out.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(out);
            }
            let published = self.bus.published.notified();
            let nap = IDLE_POLL.min(deadline - tokio::time::Instant::now());
            tokio::select! {
                () = published => {}
                () = tokio::time::sleep(nap) => {}
            }
        }
    }
}
