use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use agora_domain::ports::{FlagChangeListener, FlagChangeNotifier, NotifyError};
use async_trait::async_trait;
use futures::StreamExt;
use redis::{aio::ConnectionManager, AsyncCommands};
use tokio::{sync::watch, task::JoinHandle};

/// The embedded default: there is nobody to tell. The writing process drops its own cache; any
/// other process on the same database sees the change when its cache entry expires.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalFlagChangeNotifier;

#[async_trait]
impl FlagChangeNotifier for LocalFlagChangeNotifier {
    async fn publish(&self) -> Result<(), NotifyError> {
        Ok(())
    }

    async fn subscribe(&self, _: Arc<dyn FlagChangeListener>) -> Result<(), NotifyError> {
        Ok(())
    }
}

/// How long to wait for Redis when (re)subscribing.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// First and largest pause between resubscription attempts.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(500), Duration::from_secs(30));

/// "Flags changed" over Redis pub/sub (`AGORA_REDIS_URL`), on the channel
/// `<prefix>flags:changed`. Publishing uses the shared managed connection; each subscriber holds
/// a dedicated pub/sub connection (a subscribed Redis connection can do nothing else), followed by
/// a background task that resubscribes when the connection drops. Pub/sub delivers at most once,
/// so every (re)subscription also tells the listener: changes published while it was not
/// listening are assumed, never silently missed.
pub struct RedisFlagChangeNotifier {
    client: redis::Client,
    publisher: ConnectionManager,
    channel: String,
    followers: Mutex<Vec<(watch::Sender<bool>, JoinHandle<()>)>>,
}

impl std::fmt::Debug for RedisFlagChangeNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisFlagChangeNotifier(channel={})", self.channel)
    }
}

fn notify_error(error: redis::RedisError) -> NotifyError {
    NotifyError(format!("redis: {error}"))
}

impl RedisFlagChangeNotifier {
    /// Publishes through `publisher`; subscribes with new connections from `client`.
    pub fn new(client: redis::Client, publisher: ConnectionManager, prefix: &str) -> Self {
        Self {
            client,
            publisher,
            channel: format!("{prefix}flags:changed"),
            followers: Mutex::new(Vec::new()),
        }
    }

    /// The channel announcements go to.
    pub fn channel(&self) -> &str {
        &self.channel
    }
}

/// A pub/sub connection subscribed to `channel`.
async fn subscribe_to(
    client: &redis::Client,
    channel: &str,
) -> Result<redis::aio::PubSub, NotifyError> {
    let mut pubsub = tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_pubsub())
        .await
        .map_err(|_| NotifyError("redis: no answer within 5 s".into()))?
        .map_err(notify_error)?;
    pubsub.subscribe(channel).await.map_err(notify_error)?;
    Ok(pubsub)
}

/// Delivers announcements to `listener` until `stop`, resubscribing with backoff when the
/// connection drops.
async fn follow(
    client: redis::Client,
    channel: String,
    first: redis::aio::PubSub,
    listener: Arc<dyn FlagChangeListener>,
    mut stop: watch::Receiver<bool>,
) {
    let mut subscribed = Some(first);
    let mut backoff = BACKOFF.0;
    loop {
        if let Some(mut pubsub) = subscribed.take() {
            backoff = BACKOFF.0;
            let mut messages = pubsub.on_message();
            loop {
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => return,
                    message = messages.next() => match message {
                        Some(_) => listener.flags_changed(),
                        None => break,
                    },
                }
            }
            tracing::warn!(%channel, "lost the Redis flag-change subscription; resubscribing");
            listener.flags_changed();
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(backoff) => {}
        }
        match subscribe_to(&client, &channel).await {
            Ok(pubsub) => {
                tracing::info!(%channel, "resubscribed to flag changes");
                listener.flags_changed();
                subscribed = Some(pubsub);
            }
            Err(error) => {
                tracing::warn!(%error, %channel, "could not resubscribe to flag changes");
                backoff = (backoff * 2).min(BACKOFF.1);
            }
        }
    }
}

#[async_trait]
impl FlagChangeNotifier for RedisFlagChangeNotifier {
    async fn publish(&self) -> Result<(), NotifyError> {
        let mut conn = self.publisher.clone();
        conn.publish::<_, _, i64>(&self.channel, "changed")
            .await
            .map(drop)
            .map_err(notify_error)
    }

    /// Subscribes before returning, so a failure to reach Redis is reported to the caller (the
    /// module's start) and an announcement made after this returns is never missed.
    async fn subscribe(&self, listener: Arc<dyn FlagChangeListener>) -> Result<(), NotifyError> {
        let pubsub = subscribe_to(&self.client, &self.channel).await?;
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(follow(
            self.client.clone(),
            self.channel.clone(),
            pubsub,
            listener,
            stop_rx,
        ));
        self.followers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((stop, task));
        Ok(())
    }

    async fn close(&self) {
        let followers =
            std::mem::take(&mut *self.followers.lock().unwrap_or_else(|p| p.into_inner()));
        for (stop, task) in followers {
            let _ = stop.send(true);
            if let Err(error) = task.await {
                tracing::warn!(%error, "flag-change follower ended abnormally");
            }
        }
    }
}
