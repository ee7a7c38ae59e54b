use agora_domain::{
    ports::{RateLimiter, StoreError},
    ratelimit::{Decision, Quota},
};
use async_trait::async_trait;
use redis::Script;

use crate::redis::Commands;

/// GCRA in Redis: the same algorithm as `agora_domain::ratelimit::gcra`, executed atomically by a
/// Lua script with Redis's own clock, so every replica shares one limit and one notion of "now".
#[derive(Clone)]
pub struct RedisRateLimiter {
    conn: Commands,
    prefix: String,
    script: Script,
    refund_script: Script,
}

impl std::fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisRateLimiter(prefix={})", self.prefix)
    }
}

/// KEYS[1] = key; ARGV = period_ms, count, cost, store (1/0).
/// Returns {allowed, remaining, reset_ms, retry_after_ms}.
const GCRA_LUA: &str = r"
local period = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local store = ARGV[4] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = period / count
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval * cost
local allow_at = new_tat - period
local function remaining(at)
  local r = math.floor((now + period - at) / interval)
  if r < 0 then r = 0 end
  if r > count then r = count end
  return r
end
if now < allow_at then
  return {0, remaining(tat), math.ceil(tat - now), math.ceil(allow_at - now)}
end
if store then
  local ttl = math.ceil(new_tat - now)
  if ttl > 0 then redis.call('SET', KEYS[1], math.ceil(new_tat), 'PX', ttl) end
end
return {1, remaining(new_tat), math.ceil(new_tat - now), 0}
";

/// KEYS[1] = key; ARGV = period_ms, count, cost. The same arithmetic as `ratelimit::refund`.
const REFUND_LUA: &str = r"
local period = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or '')
if not tat then return 0 end
tat = tat - (period / count) * cost
if tat > now then
  redis.call('SET', KEYS[1], math.ceil(tat), 'PX', math.ceil(tat - now))
else
  redis.call('DEL', KEYS[1])
end
return 1
";

impl RedisRateLimiter {
    /// A limiter writing keys `<prefix>rl:<key>`.
    pub fn new(conn: Commands, prefix: &str) -> Self {
        Self {
            conn,
            prefix: prefix.to_owned(),
            script: Script::new(GCRA_LUA),
            refund_script: Script::new(REFUND_LUA),
        }
    }

    async fn run(
        &self,
        key: &str,
        quota: Quota,
        cost: u32,
        store: bool,
    ) -> Result<Decision, StoreError> {
        let mut conn = self.conn.clone();
        let period_ms = u64::try_from(quota.period.as_millis()).unwrap_or(u64::MAX);
        let (allowed, remaining, reset_ms, retry_after_ms): (i64, i64, i64, i64) = self
            .script
            .key(format!("{}rl:{key}", self.prefix))
            .arg(period_ms)
            .arg(quota.count)
            .arg(cost)
            .arg(if store { 1 } else { 0 })
            .invoke_async(&mut conn)
            .await
            .map_err(|e| StoreError::Unavailable(format!("redis: {e}")))?;
        let non_negative = |v: i64| u64::try_from(v).unwrap_or_default();
        Ok(Decision {
            allowed: allowed == 1,
            limit: quota.count,
            remaining: u32::try_from(remaining).unwrap_or_default(),
            reset_ms: non_negative(reset_ms),
            retry_after_ms: non_negative(retry_after_ms),
        })
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, key: &str, quota: Quota, cost: u32) -> Result<Decision, StoreError> {
        self.run(key, quota, cost, true).await
    }

    async fn peek(&self, key: &str, quota: Quota) -> Result<Decision, StoreError> {
        self.run(key, quota, 1, false).await
    }

    async fn refund(&self, key: &str, quota: Quota, cost: u32) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let period_ms = u64::try_from(quota.period.as_millis()).unwrap_or(u64::MAX);
        self.refund_script
            .key(format!("{}rl:{key}", self.prefix))
            .arg(period_ms)
            .arg(quota.count)
            .arg(cost)
            .invoke_async::<i64>(&mut conn)
            .await
            .map(drop)
            .map_err(|e| StoreError::Unavailable(format!("redis: {e}")))
    }
}
