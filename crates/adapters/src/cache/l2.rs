//! The shared level in Redis. Values are stored under the generation and the Redis-side epochs
//! of their tags, and written only if neither moved since they were read (Lua, atomically), so
//! a slow load racing a write cannot store the old value where readers will look.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use redis::Script;

use crate::redis::RedisManager;

/// KEYS: gen, one epoch key per tag. ARGV: value-key prefix, then the keys to read.
/// Returns {gen, epochs, value|false per key}: several values in one round trip, all under the
/// same gen and epochs (a list page and its filter's count).
const READ_LUA: &str = r"
local gen = redis.call('GET', KEYS[1]) or '0'
local parts = {}
for i = 2, #KEYS do parts[#parts + 1] = redis.call('GET', KEYS[i]) or '0' end
local epochs = table.concat(parts, '.')
local answer = {gen, epochs}
for i = 2, #ARGV do
  answer[#answer + 1] = redis.call('GET', ARGV[1] .. gen .. ':' .. epochs .. ':' .. ARGV[i])
end
return answer
";

/// ARGV: value-key prefix, gen, epochs, TTL in ms, then key and value pairs. Stores every
/// pair only if gen and epochs are still the ones read.
const WRITE_LUA: &str = r"
local gen = redis.call('GET', KEYS[1]) or '0'
local parts = {}
for i = 2, #KEYS do parts[#parts + 1] = redis.call('GET', KEYS[i]) or '0' end
local epochs = table.concat(parts, '.')
if gen ~= ARGV[2] or epochs ~= ARGV[3] then return 0 end
for i = 5, #ARGV, 2 do
  redis.call('SET', ARGV[1] .. gen .. ':' .. epochs .. ':' .. ARGV[i], ARGV[i + 1], 'PX', ARGV[4])
end
return 1
";

/// Where a read found the values (or not), and the guards a write must still see.
pub(super) struct Read {
    pub gen: String,
    pub epochs: String,
    /// One per key read, in the order asked.
    pub values: Vec<Option<Vec<u8>>>,
}

pub(super) struct L2 {
    redis: RedisManager,
    /// `<prefix><cache name>:`.
    namespace: String,
    ttl: Duration,
    read: Script,
    write: Script,
    /// An invalidation could not reach Redis: L2 may hold stale values until a generation bump.
    dirty: AtomicBool,
}

impl L2 {
    pub(super) fn new(redis: RedisManager, name: &str, ttl: Duration) -> Self {
        Self {
            namespace: redis.key(&format!("{name}:")),
            redis,
            ttl,
            read: Script::new(READ_LUA),
            write: Script::new(WRITE_LUA),
            dirty: AtomicBool::new(false),
        }
    }

    fn gen_key(&self) -> String {
        format!("{}gen", self.namespace)
    }

    fn epoch_key(&self, tag: &str) -> String {
        format!("{}epoch:{tag}", self.namespace)
    }

    /// Clears the dirty mark by retiring every L2 value (a generation bump); false while Redis is
    /// still unreachable.
    pub(super) async fn usable(&self) -> bool {
        if !self.dirty.load(Ordering::SeqCst) {
            return true;
        }
        let mut conn = self.redis.commands();
        let bumped: redis::RedisResult<i64> = redis::cmd("INCR")
            .arg(self.gen_key())
            .query_async(&mut conn)
            .await;
        if bumped.is_ok() {
            self.dirty.store(false, Ordering::SeqCst);
            tracing::info!(cache = %self.namespace, "L2 cache flushed after a missed invalidation");
        }
        bumped.is_ok()
    }

    pub(super) fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::SeqCst);
    }

    /// The values of `keys` (tagged `tags`), in one round trip.
    pub(super) async fn get(&self, keys: &[&str], tags: &[&str]) -> redis::RedisResult<Read> {
        let mut invocation = self.read.key(self.gen_key());
        for tag in tags {
            invocation.key(self.epoch_key(tag));
        }
        invocation.arg(format!("{}v:", self.namespace));
        for key in keys {
            invocation.arg(*key);
        }
        let reply: Vec<Option<Vec<u8>>> =
            invocation.invoke_async(&mut self.redis.commands()).await?;
        let mut reply = reply.into_iter();
        let mut guard = || {
            reply
                .next()
                .flatten()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| {
                    redis::RedisError::from((
                        redis::ErrorKind::TypeError,
                        "L2 read script answered without its guards",
                    ))
                })
        };
        let (gen, epochs) = (guard()?, guard()?);
        let values: Vec<_> = reply.collect();
        if values.len() != keys.len() {
            return Err(redis::RedisError::from((
                redis::ErrorKind::TypeError,
                "L2 read script answered a different number of values",
            )));
        }
        Ok(Read {
            gen,
            epochs,
            values,
        })
    }

    /// Stores every `(key, bytes)` of `writes`, in one round trip, unless a write moved the
    /// generation or the epochs of `tags` since `read`.
    pub(super) async fn put(
        &self,
        writes: &[(&str, Vec<u8>)],
        tags: &[&str],
        read: &Read,
    ) -> redis::RedisResult<()> {
        let mut invocation = self.write.key(self.gen_key());
        for tag in tags {
            invocation.key(self.epoch_key(tag));
        }
        invocation
            .arg(format!("{}v:", self.namespace))
            .arg(&read.gen)
            .arg(&read.epochs)
            .arg(self.ttl.as_millis() as u64);
        for (key, bytes) in writes {
            invocation.arg(*key).arg(bytes.as_slice());
        }
        let _: i64 = invocation.invoke_async(&mut self.redis.commands()).await?;
        Ok(())
    }

    /// Bumps the Redis-side epochs of `tags` and publishes `message` on `channel`, atomically.
    pub(super) async fn invalidate(
        &self,
        tags: &[&str],
        channel: &str,
        message: &[u8],
    ) -> redis::RedisResult<()> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for tag in tags {
            // Kept beyond the values' TTL, so an epoch never resets to a number a live value
            // was stored under.
            pipe.incr(self.epoch_key(tag), 1)
                .expire(self.epoch_key(tag), self.ttl.as_secs() as i64 * 2);
        }
        pipe.publish(channel, message);
        pipe.query_async::<()>(&mut self.redis.commands()).await
    }
}
