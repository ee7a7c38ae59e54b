//! One Redis manager per process: one multiplexed connection for commands and one pub/sub
//! connection whose messages are dispatched to per-channel subscribers.
//!
//! Before it, every Redis user opened its own connections (five command connections and two
//! pub/sub connections in a monolith) and the two pub/sub users each ran their own reconnect loop
//! with its own idea of backoff and of what a reconnection means. Now there is one policy:
//! * the pub/sub connection is re-established with exponential backoff (100 ms doubling to 5 s);
//! * after every (re)connection all registered channels are re-subscribed, and every subscriber
//!   is told [`PubSubEvent::Subscribed`]; when the connection drops they are told
//!   [`PubSubEvent::Lost`]. Pub/sub is at-most-once, so both mean "you may have missed messages"
//!   and a cache flushes;
//! * a periodic `PING` on the subscribed connection detects a half-open TCP connection, which
//!   would otherwise look subscribed while receiving nothing.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSubSink, PubSubStream};
use tokio::sync::watch;

use super::breaker::{BreakerState, CircuitBreaker, GuardedConnection};
use crate::store::redact_url;

/// The process's command connection, behind its circuit breaker.
pub type Commands = GuardedConnection<ConnectionManager>;

/// First and largest pause between pub/sub reconnection attempts.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(5));
/// How long to wait for Redis when (re)connecting.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the subscribed connection is pinged, and how long the answer may take.
const KEEPALIVE: (Duration, Duration) = (Duration::from_secs(10), Duration::from_secs(2));

/// What a channel subscriber is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PubSubEvent<'a> {
    /// A message published on the channel.
    Message(&'a [u8]),
    /// The channel is subscribed (again). Messages published while it was not are lost.
    Subscribed,
    /// The subscription dropped; messages published until the next `Subscribed` are lost.
    Lost,
}

/// Receives the events of one channel. Called on the pub/sub task: keep it short and non-blocking.
pub type Handler = Arc<dyn Fn(PubSubEvent<'_>) + Send + Sync>;

/// State of the pub/sub connection, for readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PubSubState {
    /// Connected; every registered channel is subscribed.
    Subscribed,
    /// Disconnected; reconnecting with backoff.
    Reconnecting,
}

/// What [`RedisManager::health`] found.
#[derive(Debug, Clone)]
pub struct RedisHealth {
    /// `PING` on the command connection: its latency, or why it failed.
    pub ping: Result<Duration, String>,
    /// Whether the pub/sub connection is up.
    pub pubsub: PubSubState,
}

#[derive(Default)]
struct Hub {
    channels: Mutex<HashMap<String, Vec<Handler>>>,
    /// The live subscription's sink, to subscribe channels registered while connected.
    sink: Mutex<Option<PubSubSink>>,
    subscribed: AtomicBool,
    /// Channels whose messages a test holds back, and what it held (see [`HeldBack`]).
    #[cfg(any(test, feature = "test-hooks"))]
    held: Mutex<HashMap<String, Vec<Vec<u8>>>>,
}

impl Hub {
    fn handlers(&self, channel: &str) -> Vec<Handler> {
        let channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        channels.get(channel).cloned().unwrap_or_default()
    }

    /// Hands a received message to the channel's handlers (or to a test's hold).
    fn dispatch(&self, channel: &str, payload: &[u8]) {
        #[cfg(any(test, feature = "test-hooks"))]
        {
            let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(queue) = held.get_mut(channel) {
                queue.push(payload.to_vec());
                return;
            }
        }
        for handler in self.handlers(channel) {
            handler(PubSubEvent::Message(payload));
        }
    }

    fn broadcast(&self, event: PubSubEvent<'_>) {
        let all: Vec<Handler> = {
            let channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
            channels.values().flatten().cloned().collect()
        };
        for handler in all {
            handler(event);
        }
    }

    fn set_live(&self, sink: Option<PubSubSink>) {
        let up = sink.is_some();
        *self.sink.lock().unwrap_or_else(|p| p.into_inner()) = sink;
        self.subscribed.store(up, Ordering::SeqCst);
    }
}

/// The process's Redis: cheap to clone, every clone shares the same two connections.
#[derive(Clone)]
pub struct RedisManager {
    client: redis::Client,
    commands: ConnectionManager,
    breaker: Arc<CircuitBreaker>,
    prefix: String,
    shown_url: String,
    hub: Arc<Hub>,
    /// The pub/sub connection opened by [`RedisManager::connect`], handed to the first run of
    /// [`RedisManager::run_pubsub`]: start-up fails when Redis is unreachable, and modules that
    /// subscribe while starting (before the loop runs) are subscribed at once.
    first: Arc<Mutex<Option<Connection>>>,
}

impl std::fmt::Debug for RedisManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RedisManager({}, prefix={})",
            self.shown_url, self.prefix
        )
    }
}

impl RedisManager {
    /// Connects the command and pub/sub connections; fails (naming the URL without its
    /// password) when Redis does not answer within 5 s. `prefix` starts every key and channel
    /// of this deployment.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let shown_url = redact_url(url);
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("invalid `redis_url` {shown_url}: {e}"))?;
        let cannot = |e: &dyn std::fmt::Display| {
            anyhow::anyhow!("cannot connect to Redis at {shown_url}: {e}")
        };
        let commands = tokio::time::timeout(
            CONNECT_TIMEOUT,
            // Bounded waits: until the breaker opens (a few failures), each command waits at
            // most this long before its caller takes the fallback.
            ConnectionManager::new_with_config(
                client.clone(),
                ConnectionManagerConfig::new()
                    .set_connection_timeout(Duration::from_millis(250))
                    .set_response_timeout(Duration::from_millis(250))
                    .set_number_of_retries(1)
                    .set_max_delay(200),
            ),
        )
        .await
        .map_err(|_| cannot(&"no answer within 5 s"))?
        .map_err(|e| cannot(&e))?;
        let (sink, stream) = open_pubsub(&client).await.map_err(|e| cannot(&e))?;
        let hub = Arc::new(Hub::default());
        hub.set_live(Some(sink.clone()));
        Ok(Self {
            client,
            commands,
            breaker: Arc::default(),
            prefix: prefix.to_owned(),
            shown_url,
            hub,
            first: Arc::new(Mutex::new(Some((sink, stream)))),
        })
    }

    /// The multiplexed command connection behind the process's circuit breaker (clone it per
    /// use; clones share the connection and the breaker).
    pub fn commands(&self) -> Commands {
        GuardedConnection::new(self.commands.clone(), self.breaker.clone())
    }

    /// Whether commands currently reach Redis or fail fast.
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// The key and channel prefix of this deployment.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `<prefix><name>`.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Registers `handler` for `channel` (a full channel name, see [`RedisManager::key`]). When
    /// the pub/sub connection is up the channel is subscribed before this returns and the
    /// handler is told [`PubSubEvent::Subscribed`]; otherwise it is told [`PubSubEvent::Lost`]
    /// now and `Subscribed` once the connection is back.
    pub async fn subscribe(&self, channel: &str, handler: Handler) {
        let new_channel = {
            let mut channels = self.hub.channels.lock().unwrap_or_else(|p| p.into_inner());
            let handlers = channels.entry(channel.to_owned()).or_default();
            handlers.push(handler.clone());
            handlers.len() == 1
        };
        let sink = self
            .hub
            .sink
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let subscribed = match sink {
            Some(_) if !new_channel => true,
            Some(mut sink) => sink.subscribe(channel).await.is_ok(),
            None => false,
        };
        // A reconnection in between re-subscribes every registered channel (this one included)
        // and tells every handler, so a `Lost` here is always followed by a `Subscribed`.
        handler(if subscribed {
            PubSubEvent::Subscribed
        } else {
            PubSubEvent::Lost
        });
    }

    /// Whether the pub/sub connection is up.
    pub fn pubsub_state(&self) -> PubSubState {
        if self.hub.subscribed.load(Ordering::SeqCst) {
            PubSubState::Subscribed
        } else {
            PubSubState::Reconnecting
        }
    }

    /// Pings the command connection (2 s at most) and reports the pub/sub state.
    pub async fn health(&self) -> RedisHealth {
        let started = Instant::now();
        let mut conn = self.commands.clone();
        let pong = tokio::time::timeout(
            Duration::from_secs(2),
            redis::cmd("PING").query_async::<String>(&mut conn),
        )
        .await;
        let ping = match pong {
            Ok(Ok(_)) => Ok(started.elapsed()),
            Ok(Err(error)) => Err(format!("Redis unreachable: {error}")),
            Err(_) => Err("Redis did not answer within 2 s".to_owned()),
        };
        RedisHealth {
            ping,
            pubsub: self.pubsub_state(),
        }
    }

    /// Receives pub/sub messages and dispatches them to the subscribers until `stop` turns
    /// true, reconnecting with backoff whenever the connection drops. Run it once per process
    /// (the composition root hands it to the task supervisor).
    pub async fn run_pubsub(&self, mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
        let mut backoff = BACKOFF.0;
        let mut pubsub = self.first.lock().unwrap_or_else(|p| p.into_inner()).take();
        // Subscribers registered on the first connection were told `Subscribed` then.
        let mut reconnected = pubsub.is_none();
        loop {
            if let Some(connection) = pubsub.take() {
                match self.follow(connection, reconnected, &mut stop).await {
                    Followed::Stopped => return Ok(()),
                    Followed::Lost { was_subscribed } => {
                        if was_subscribed {
                            backoff = BACKOFF.0;
                        }
                        self.hub.set_live(None);
                        self.hub.broadcast(PubSubEvent::Lost);
                        tracing::warn!("Redis pub/sub connection lost; reconnecting");
                    }
                }
            }
            tokio::select! {
                () = stopped(&mut stop) => return Ok(()),
                () = tokio::time::sleep(backoff) => {}
            }
            match open_pubsub(&self.client).await {
                Ok(connection) => {
                    pubsub = Some(connection);
                    reconnected = true;
                }
                Err(error) => {
                    tracing::warn!(%error, url = %self.shown_url, "cannot reconnect Redis pub/sub");
                    backoff = (backoff * 2).min(BACKOFF.1);
                }
            }
        }
    }

    /// Subscribes every registered channel on `connection` and dispatches until it drops.
    async fn follow(
        &self,
        connection: Connection,
        reconnected: bool,
        stop: &mut watch::Receiver<bool>,
    ) -> Followed {
        let (mut sink, mut messages) = connection;
        let channels: Vec<String> = {
            let channels = self.hub.channels.lock().unwrap_or_else(|p| p.into_inner());
            channels.keys().cloned().collect()
        };
        for channel in &channels {
            if sink.subscribe(channel).await.is_err() {
                return Followed::Lost {
                    was_subscribed: false,
                };
            }
        }
        self.hub.set_live(Some(sink.clone()));
        if reconnected {
            self.hub.broadcast(PubSubEvent::Subscribed);
            tracing::info!(channels = channels.len(), "Redis pub/sub resubscribed");
        }
        let mut keepalive = tokio::time::interval(KEEPALIVE.0);
        keepalive.tick().await;
        loop {
            tokio::select! {
                () = stopped(stop) => return Followed::Stopped,
                message = messages.next() => match message {
                    Some(message) => self
                        .hub
                        .dispatch(message.get_channel_name(), message.get_payload_bytes()),
                    None => return Followed::Lost { was_subscribed: true },
                },
                _ = keepalive.tick() => {
                    let pong = tokio::time::timeout(KEEPALIVE.1, sink.ping::<redis::Value>()).await;
                    if !matches!(pong, Ok(Ok(_))) {
                        return Followed::Lost { was_subscribed: true };
                    }
                }
            }
        }
    }
}

/// **Test API** (`cfg(test)` or the `test-hooks` feature, which only the workspace's tests
/// enable; a production build has neither, and no configuration reaches it): messages received
/// on one channel are kept from its handlers while the subscription itself stays up, as if they
/// were still in flight. This is how tests prove what a replica serves while an invalidation has
/// not arrived. [`HeldBack::release`] delivers them; dropping the hold discards them (a message
/// lost while connected).
#[cfg(any(test, feature = "test-hooks"))]
pub struct HeldBack {
    hub: Arc<Hub>,
    channel: String,
}

#[cfg(any(test, feature = "test-hooks"))]
impl RedisManager {
    /// Holds back every message this process receives on `channel` (a full channel name) from
    /// now until the returned [`HeldBack`] is released or dropped. Test API, see [`HeldBack`].
    pub fn hold_back(&self, channel: &str) -> HeldBack {
        self.hub
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(channel.to_owned())
            .or_default();
        HeldBack {
            hub: self.hub.clone(),
            channel: channel.to_owned(),
        }
    }
}

#[cfg(any(test, feature = "test-hooks"))]
impl HeldBack {
    fn take(&self) -> Vec<Vec<u8>> {
        let mut held = self.hub.held.lock().unwrap_or_else(|p| p.into_inner());
        held.remove(&self.channel).unwrap_or_default()
    }

    /// How many messages are held so far.
    pub fn count(&self) -> usize {
        let held = self.hub.held.lock().unwrap_or_else(|p| p.into_inner());
        held.get(&self.channel).map_or(0, Vec::len)
    }

    /// Ends the hold and delivers what was held, in order, to the channel's handlers.
    pub fn release(self) {
        for payload in self.take() {
            for handler in self.hub.handlers(&self.channel) {
                handler(PubSubEvent::Message(&payload));
            }
        }
    }
}

#[cfg(any(test, feature = "test-hooks"))]
impl Drop for HeldBack {
    /// Ends the hold; what was held is lost, as a message lost on a live connection would be.
    fn drop(&mut self) {
        self.take();
    }
}

/// Resolves once `stop` turns true (or its sender is gone). The guard `wait_for` returns is not
/// `Send`, so it must not be the output of a `select!` branch whose handler awaits.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

enum Followed {
    Stopped,
    Lost { was_subscribed: bool },
}

/// A pub/sub connection, split so channels can be subscribed while messages are read.
type Connection = (PubSubSink, PubSubStream);

async fn open_pubsub(client: &redis::Client) -> anyhow::Result<Connection> {
    let pubsub = tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_pubsub())
        .await
        .map_err(|_| anyhow::anyhow!("no answer within 5 s"))??;
    Ok(pubsub.split())
}
