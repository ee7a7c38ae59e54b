//! W3C Trace Context (`traceparent: 00-<trace id>-<parent id>-<flags>`): the gateway is a hop of
//! the trace, so it keeps the caller's trace id and flags and sends its own, new span id as the
//! parent id upstream; without a valid header from the caller it starts a trace.

/// The header.
pub const TRACEPARENT: &str = "traceparent";

/// The `traceparent` to send upstream for a request that arrived with `incoming`.
pub fn next_hop(incoming: Option<&str>) -> String {
    let (trace_id, flags) = incoming
        .and_then(parse)
        .unwrap_or_else(|| (hex(&rand::random::<[u8; 16]>()), "01".to_owned()));
    format!("00-{trace_id}-{}-{flags}", span_id())
}

/// A fresh 8-byte span id, never all zeroes (invalid by the spec).
fn span_id() -> String {
    loop {
        let bytes: [u8; 8] = rand::random();
        if bytes != [0; 8] {
            return hex(&bytes);
        }
    }
}

/// Trace id and flags of a valid version-00 header (lower-case hex, non-zero ids).
fn parse(header: &str) -> Option<(String, String)> {
    let mut parts = header.trim().split('-');
    let (version, trace_id, parent_id, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let lower_hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let valid = version == "00"
        && parts.next().is_none()
        && lower_hex(trace_id, 32)
        && lower_hex(parent_id, 16)
        && lower_hex(flags, 2)
        && trace_id.bytes().any(|b| b != b'0')
        && parent_id.bytes().any(|b| b != b'0');
    valid.then(|| (trace_id.to_owned(), flags.to_owned()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INCOMING: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_header_keeps_its_trace_id_and_flags_with_a_new_span() {
        let next = next_hop(Some(INCOMING));
        let parts: Vec<&str> = next.split('-').collect();
        assert_eq!(parts[0], "00");
        assert_eq!(parts[1], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_ne!(parts[2], "00f067aa0ba902b7");
        assert_eq!(parts[2].len(), 16);
        assert_eq!(parts[3], "01");
    }

    #[test]
    fn a_missing_or_invalid_header_starts_a_trace() {
        for incoming in [
            None,
            Some("garbage"),
            Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            Some("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
        ] {
            let next = next_hop(incoming);
            assert!(parse(&next).is_some(), "{next}");
            assert_ne!(
                next.split('-').nth(1),
                Some("4bf92f3577b34da6a3ce929d0e0e4736")
            );
        }
    }
}
