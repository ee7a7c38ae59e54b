use std::{
    convert::Infallible,
    net::{IpAddr, SocketAddr},
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{request::Parts, HeaderMap},
};
use ipnet::IpNet;

/// The client address as resolved by the edge middleware (socket peer, or the forwarded client
/// when the peer is a trusted proxy).
#[derive(Debug, Clone, Copy)]
pub struct ResolvedClientIp(pub IpAddr);

/// The client's IP address. `X-Forwarded-For` is believed only when the socket peer is one of
/// the configured trusted proxies; otherwise anyone could pick the address they are limited by.
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let resolved = parts.extensions.get::<ResolvedClientIp>().map(|ip| ip.0);
        let peer = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip())
        };
        Ok(Self(resolved.or_else(peer).map(|ip| ip.to_string())))
    }
}

/// One `X-Forwarded-For` entry as an address: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
/// `[2001:db8::1]:443`; IPv4-mapped IPv6 is reduced to IPv4.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let ip = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))?;
    Some(ip.to_canonical())
}

/// The client behind `peer`: walking `X-Forwarded-For` from the right (the entry our nearest
/// proxy appended), skip trusted proxies; the first untrusted address is the client. An entry that
/// is not an address ends the walk at the socket peer — everything left of it may be forged.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for entry in entries.into_iter().rev() {
        match parse_entry(entry) {
            Some(ip) if is_trusted(&ip) => continue,
            Some(ip) => return ip,
            None => return peer,
        }
    }
    peer
}

/// The rate-limit identity of an address: IPv4 as is, IPv6 by its /64 — one subscriber usually
/// holds a whole /64, so counting single addresses would be trivially evaded.
pub fn limit_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", xff.parse().unwrap());
        headers
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            resolve(proxy, &headers("1.2.3.4"), &[]),
            proxy,
            "no trusted proxies: socket wins"
        );
        let stranger: IpAddr = "8.8.8.8".parse().unwrap();
        assert_eq!(
            resolve(stranger, &headers("1.2.3.4"), &trusted),
            stranger,
            "spoofed header ignored"
        );
        assert_eq!(
            resolve(proxy, &headers("6.6.6.6, 1.2.3.4"), &trusted).to_string(),
            "1.2.3.4"
        );
        assert_eq!(
            resolve(proxy, &headers("1.2.3.4, 10.0.0.9"), &trusted).to_string(),
            "1.2.3.4"
        );
        assert_eq!(resolve(proxy, &headers("garbage"), &trusted), proxy);
        assert_eq!(
            resolve(proxy, &headers("6.6.6.6, unknown"), &trusted),
            proxy,
            "no skipping past junk"
        );
        assert_eq!(
            resolve(proxy, &headers("1.2.3.4:5678"), &trusted).to_string(),
            "1.2.3.4"
        );
        let mapped: IpAddr = "::ffff:10.0.0.5".parse().unwrap();
        assert_eq!(
            resolve(mapped, &headers("1.2.3.4"), &trusted).to_string(),
            "1.2.3.4",
            "mapped proxies are trusted"
        );
    }

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(limit_key(a), limit_key(b));
        assert_eq!(limit_key("9.9.9.9".parse().unwrap()), "9.9.9.9");
    }
}
