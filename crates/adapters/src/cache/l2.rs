//! The shared level in Redis. Values are stored under the generation and the Redis-side epochs
//! of their tags, and written only if neither moved since they were read (Lua, atomically), so
//! a slow load racing a write cannot store the old value where readers will look.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use redis::Script;

use crate::redis::RedisManager;

/// KEYS: gen, one epoch key per tag. ARGV: value-key prefix, key. Returns {gen, epochs, value|false}.
const READ_LUA: &str = r"
local gen = redis.call('GET', KEYS[1]) or '0'
local parts = {}
for i = 2, #KEYS do parts[#parts + 1] = redis.call('GET', KEYS[i]) or '0' end
local epochs = table.concat(parts, '.')
local value = redis.call('GET', ARGV[1] .. gen .. ':' .. epochs .. ':' .. ARGV[2])
return {gen, epochs, value}
";

/// Stores ARGV[3] (for ARGV[6] ms) only if gen and epochs are still ARGV[4], ARGV[5].
const WRITE_LUA: &str = r"
local gen = redis.call('GET', KEYS[1]) or '0'
local parts = {}
for i = 2, #KEYS do parts[#parts + 1] = redis.call('GET', KEYS[i]) or '0' end
local epochs = table.concat(parts, '.')
if gen ~= ARGV[4] or epochs ~= ARGV[5] then return 0 end
redis.call('SET', ARGV[1] .. gen .. ':' .. epochs .. ':' .. ARGV[2], ARGV[3], 'PX', ARGV[6])
return 1
";

/// Where a read found the value (or not), and the guards a write must still see.
pub(super) struct Read {
    pub gen: String,
    pub epochs: String,
    pub value: Option<Vec<u8>>,
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

    pub(super) async fn get(&self, key: &str, tags: &[&str]) -> redis::RedisResult<Read> {
        let mut invocation = self.read.key(self.gen_key());
        for tag in tags {
            invocation.key(self.epoch_key(tag));
        }
        let (gen, epochs, value): (String, String, Option<Vec<u8>>) = invocation
            .arg(format!("{}v:", self.namespace))
            .arg(key)
            .invoke_async(&mut self.redis.commands())
            .await?;
        Ok(Read { gen, epochs, value })
    }

    pub(super) async fn put(
        &self,
        key: &str,
        tags: &[&str],
        bytes: Vec<u8>,
        read: &Read,
    ) -> redis::RedisResult<()> {
        let mut invocation = self.write.key(self.gen_key());
        for tag in tags {
            invocation.key(self.epoch_key(tag));
        }
        let _: i64 = invocation
            .arg(format!("{}v:", self.namespace))
            .arg(key)
            .arg(bytes)
            .arg(&read.gen)
            .arg(&read.epochs)
            .arg(self.ttl.as_millis() as u64)
            .invoke_async(&mut self.redis.commands())
            .await?;
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
