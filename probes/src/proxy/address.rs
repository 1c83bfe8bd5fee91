//! Addresses that never leave the machine: loopback and Unix sockets.
//!
//! A listener bound only to such an address is reachable from its own pod (or host) alone, and a
//! backend at such an address is a process of the same pod: a sidecar Envoy or nginx in front of
//! its application talks to it over `127.0.0.1`. Those hops cross no network.

use std::net::IpAddr;

/// Is `host` an address of the machine itself: `localhost` (and names under `.localhost`,
/// RFC 6761), the Debian-style `ip6-localhost`/`ip6-loopback` that pods' `/etc/hosts` carry,
/// 127.0.0.0/8, `::1` (bracketed or not, and `::ffff:127.x.y.z`), or a Unix socket as the readers
/// write it (nginx `unix:/path`, HAProxy `unix@`/`abns@`/`abnsz@` and bare paths, an Envoy
/// `pipe` path or `@abstract` name)?
///
/// The wildcard addresses (`0.0.0.0`, `::`, `*`) are not: they take connections from anywhere.
pub fn is_local_host(host: &str) -> bool {
    let h = host.trim();
    if h.is_empty() {
        return false;
    }
    let lower = h.to_ascii_lowercase();
    if h.starts_with('/')
        || h.starts_with('@')
        || ["unix:", "unix@", "abns@", "abnsz@"].iter().any(|p| lower.starts_with(p))
    {
        return true;
    }
    let bare = h.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(h);
    // An IPv6 zone (`::1%lo`) does not change the address.
    let bare = bare.split_once('%').map_or(bare, |(a, _)| a);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => v4.is_loopback(),
            IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        };
    }
    let name = bare.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost") || name == "ip6-localhost" || name == "ip6-loopback"
}

/// The host a listener is bound to, when it names one: an IP address (without brackets) or a
/// host name. `None` for the wildcard addresses (`*`, `0.0.0.0`, `::`), an empty host and Unix
/// sockets: a client cannot tell from those where to connect.
pub fn bound_host(host: &str) -> Option<String> {
    let h = host.trim();
    let lower = h.to_ascii_lowercase();
    if h.starts_with('/')
        || h.starts_with('@')
        || ["unix:", "unix@", "abns@", "abnsz@", "fd@", "sockpair@"].iter().any(|p| lower.starts_with(p))
    {
        return None;
    }
    let bare = h.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(h);
    let bare = bare.strip_prefix("ipv4@").or_else(|| bare.strip_prefix("ipv6@")).unwrap_or(bare);
    match bare.parse::<IpAddr>() {
        Ok(ip) if ip.is_unspecified() => None,
        Ok(ip) => Some(ip.to_string()),
        Err(_) if bare.is_empty() || bare == "*" || bare.contains(['/', ' ', '@', '%']) => None,
        Err(_) => Some(bare.trim_end_matches('.').to_ascii_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::is_local_host;

    #[test]
    fn bound_hosts_name_an_address_or_nothing() {
        use super::bound_host;
        assert_eq!(bound_host("10.0.0.5").as_deref(), Some("10.0.0.5"));
        assert_eq!(bound_host("[2001:db8::1]").as_deref(), Some("2001:db8::1"));
        assert_eq!(bound_host("Edge.Example.com.").as_deref(), Some("edge.example.com"));
        assert_eq!(bound_host("ipv4@192.0.2.1").as_deref(), Some("192.0.2.1"));
        for none in ["", "*", "0.0.0.0", "::", "[::]", "unix:/run/a.sock", "/run/a.sock", "abns@x", "fd@3"] {
            assert_eq!(bound_host(none), None, "{none}");
        }
    }

    #[test]
    fn loopback_names_addresses_and_sockets_are_local() {
        for h in [
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            "[::1]",
            "0:0:0:0:0:0:0:1",
            "::ffff:127.0.0.1",
            "[::1%lo]",
            "localhost",
            "LOCALHOST.",
            "app.localhost",
            "ip6-localhost",
            "unix:/run/app.sock",
            "unix@/run/h.sock",
            "abns@haproxy",
            "/var/run/envoy.sock",
            "@envoy-admin",
        ] {
            assert!(is_local_host(h), "{h}");
        }
    }

    #[test]
    fn wildcards_and_other_hosts_are_not_local() {
        for h in [
            "",
            "*",
            "0.0.0.0",
            "::",
            "[::]",
            "10.0.0.1",
            "128.0.0.1",
            "::2",
            "[fd00::1]",
            "localhost.example.com",
            "mylocalhost",
            "orders.shop.svc.cluster.local",
            "fd@3",
        ] {
            assert!(!is_local_host(h), "{h}");
        }
    }
}
