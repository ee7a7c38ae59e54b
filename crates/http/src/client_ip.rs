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

/// The client behind `peer`: walking `X-Forwarded-For` from the right (the entry our nearest
/// proxy appended), skip trusted proxies; the first untrusted address is the client.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted.iter().any(|net| net.contains(ip)))
        .unwrap_or(peer)
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
    }
}
