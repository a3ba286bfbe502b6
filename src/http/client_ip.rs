// SPDX-License-Identifier: AGPL-3.0-or-later
//! The client's address, also behind a reverse proxy: the [`ClientIp`] extractor.
//!
//! Every place that keys on the visitor's address (the sign-in throttle, the comment rate
//! limit, likes, the donate-form limits, sessions and the audit log) reads it here and
//! nowhere else; nothing reads `ConnectInfo` directly.
//!
//! * The connection's peer is the client unless it is one of the configured
//!   `trusted_proxies` (IP addresses or CIDR ranges; empty by default, so no header is ever
//!   believed).
//! * When the peer is trusted, the forwarding header chosen by `client_ip_header` is read
//!   (`X-Forwarded-For` by default, or RFC 7239 `Forwarded: for=`; only one of them, because a
//!   proxy that sets one passes the other through from the client untouched). Its entries are
//!   walked from the right, skipping trusted proxies; the first untrusted address is the
//!   client. Entries further left were written by the client and are never believed.
//! * If every entry is a trusted proxy, the left-most one is the client. If the walk meets
//!   something that is not an address (`unknown`, an obfuscated `_name`, garbage), the last
//!   trusted hop before it is the client: a client cannot escape a throttle that way.
//! * IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) become plain IPv4.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, FromRequestParts};
use http::request::Parts;
use http::{HeaderMap, header};

use super::AppState;

/// At most this many forwarding entries are looked at (from the right).
const MAX_HOPS: usize = 32;

/// The client's address: the peer, or what a trusted proxy forwarded. `None` only when the
/// connection's address is unknown (a router called without `ConnectInfo`, as in unit tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    /// The address as text, for the throttles, sessions and the audit log.
    pub fn text(&self) -> Option<String> {
        self.0.map(|ip| ip.to_string())
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        Ok(client_ip(parts, &s.proxies))
    }
}

/// The client address of a request under a proxy configuration.
pub fn client_ip(parts: &Parts, proxies: &Proxies) -> ClientIp {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    ClientIp(peer.map(|p| proxies.resolve(p, &parts.headers)))
}

/// The connection's own peer address, never a forwarded one: for decisions no proxy header
/// may influence (who may read `/metrics`). `None` without `ConnectInfo` (unit tests).
pub fn peer(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| match c.0.ip() {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            ip => ip,
        })
}

/// The request's `User-Agent` (at most 300 characters), for sessions and the audit log.
pub fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect())
}

/// Which header a trusted proxy writes the client's address into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, Caddy, Traefik, HAProxy).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for="[2001:db8::1]:4711"`.
    Forwarded,
}

impl FromStr for ForwardedHeader {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ForwardedHeader::XForwardedFor),
            "forwarded" => Ok(ForwardedHeader::Forwarded),
            other => Err(format!(
                "client_ip_header must be \"x-forwarded-for\" or \"forwarded\", not {other:?}"
            )),
        }
    }
}

/// An IP address range (`192.0.2.0/24`, `2001:db8::/32`; a bare address is a /32 or /128),
/// an `ipnet::IpNet` read from the settings with a message that says what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr(ipnet::IpNet);

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || format!("{s:?} is not an IP address or CIDR range (like 10.0.0.0/8)");
        if s.contains('/') {
            return ipnet::IpNet::from_str(s).map(Cidr).map_err(|_| bad());
        }
        let addr = IpAddr::from_str(s).map_err(|_| bad())?.to_canonical();
        Ok(Cidr(ipnet::IpNet::from(addr)))
    }
}

impl Cidr {
    /// Whether `ip` (an IPv4-mapped IPv6 address counting as its IPv4 address) is in range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }

    fn covers_everything(&self) -> bool {
        self.0.prefix_len() == 0
    }
}

/// The trusted reverse proxies and the header they write (settings `trusted_proxies` and
/// `client_ip_header`). The default trusts no one: the peer is always the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    trusted: Vec<Cidr>,
    header: ForwardedHeader,
}

impl Proxies {
    /// Parses the settings; the error names the offending entry.
    pub fn parse<S: AsRef<str>>(trusted: &[S], header: &str) -> Result<Proxies, String> {
        Ok(Proxies {
            trusted: trusted
                .iter()
                .map(|t| t.as_ref().parse())
                .collect::<Result<_, _>>()?,
            header: header.parse()?,
        })
    }

    /// True when a range covers every address (`0.0.0.0/0`, `::/0`): then any client can
    /// claim any address.
    pub fn trusts_everyone(&self) -> bool {
        self.trusted.iter().any(Cidr::covers_everything)
    }

    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|c| c.contains(ip))
    }

    /// The client's address for a connection from `peer` with these request headers.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.is_trusted(peer) {
            return peer;
        }
        let hops = match self.header {
            ForwardedHeader::XForwardedFor => x_forwarded_for(headers),
            ForwardedHeader::Forwarded => forwarded_for(headers),
        };
        let mut client = peer;
        for hop in hops.iter().rev().take(MAX_HOPS) {
            match hop {
                Some(ip) => {
                    client = *ip;
                    if !self.is_trusted(*ip) {
                        return client;
                    }
                }
                // A trusted hop handed on something that is not an address: stop at it.
                None => return client,
            }
        }
        client
    }
}

/// The entries of every `X-Forwarded-For` header, in order; `None` for one that is not an
/// address.
fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    for v in headers.get_all("x-forwarded-for") {
        match v.to_str() {
            Ok(v) if v.trim().is_empty() => {}
            Ok(v) => hops.extend(v.split(',').map(node)),
            Err(_) => hops.push(None),
        }
    }
    hops
}

/// The `for=` of every element of every `Forwarded` header, in order; `None` for an element
/// without one or whose node is not an address (`unknown`, `_obfuscated`).
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut hops = Vec::new();
    for v in headers.get_all(header::FORWARDED) {
        let Ok(v) = v.to_str() else {
            hops.push(None);
            continue;
        };
        if v.trim().is_empty() {
            continue;
        }
        for element in split_unquoted(v, ',') {
            let node_value = split_unquoted(element, ';').into_iter().find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| unquote(v.trim()))
            });
            hops.push(node_value.and_then(|n| node(&n)));
        }
    }
    hops
}

/// Splits on `sep` outside double-quoted strings.
fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, ch) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && ch == '\\' {
            escaped = true;
        } else if ch == '"' {
            quoted = !quoted;
        } else if ch == sep && !quoted {
            out.push(&s[start..i]);
            start = i + ch.len_utf8();
        }
    }
    out.push(&s[start..]);
    out
}

/// A quoted-string's content (backslash escapes undone); other text as it is.
fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut escaped = false;
            for ch in inner.chars() {
                if !escaped && ch == '\\' {
                    escaped = true;
                } else {
                    out.push(ch);
                    escaped = false;
                }
            }
            out
        }
        None => s.to_string(),
    }
}

/// One node: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`, `[2001:db8::1]` or
/// `[2001:db8::1]:8080`.
fn node(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || valid_port(after.strip_prefix(':')?)) {
            return None;
        }
        return inside
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|ip| IpAddr::V6(ip).to_canonical());
    }
    let (host, port) = s.split_once(':')?;
    if !valid_port(port) {
        return None;
    }
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

fn valid_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    fn xff(trusted: &[&str]) -> Proxies {
        Proxies::parse(trusted, "x-forwarded-for").expect("proxies")
    }

    #[test]
    fn cidrs_parse_and_match() {
        let c: Cidr = "10.0.0.0/8".parse().expect("cidr");
        assert!(c.contains(ip("10.200.3.4")));
        assert!(!c.contains(ip("11.0.0.1")));
        assert!(c.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped");
        assert!(!c.contains(ip("::1")));
        let one: Cidr = "192.0.2.7".parse().expect("bare address");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: Cidr = "2001:db8::/32".parse().expect("v6");
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let all: Cidr = "0.0.0.0/0".parse().expect("all");
        assert!(all.contains(ip("203.0.113.1")));
        let loopback6: Cidr = "::1".parse().expect("::1");
        assert!(loopback6.contains(ip("::1")));
        for bad in [
            "",
            "abc",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/x",
            "10.0.0.0/+8",
            "10.0.0/8",
            "10.0.0.1:80",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn settings_parse() {
        assert!(Proxies::parse(&["10.0.0.0/8", "::1"], "X-Forwarded-For").is_ok());
        assert!(Proxies::parse(&["10.0.0.0/8"], "forwarded").is_ok());
        assert!(Proxies::parse(&["nonsense"], "x-forwarded-for").is_err());
        assert!(Proxies::parse::<&str>(&[], "x-real-ip").is_err());
        assert_eq!(Proxies::default(), xff(&[]));
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("forwarded", "for=203.0.113.9"),
        ]);
        assert_eq!(xff(&[]).resolve(ip("10.0.0.1"), &h), ip("10.0.0.1"));
        // A peer outside the trusted ranges is not believed either.
        assert_eq!(
            xff(&["10.0.0.0/8"]).resolve(ip("198.51.100.1"), &h),
            ip("198.51.100.1")
        );
        assert_eq!(
            xff(&[]).resolve(ip("::ffff:192.0.2.1"), &h),
            ip("192.0.2.1"),
            "IPv4-mapped peers become IPv4"
        );
    }

    #[test]
    fn spoofed_left_most_entries_are_ignored() {
        let p = xff(&["10.0.0.0/8"]);
        // The client sent "6.6.6.6, 1.1.1.1"; nginx appended the real address.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 1.1.1.1, 203.0.113.9")]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("203.0.113.9"));
        // Two proxies: the inner one appends the outer one's address.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.0.0.2")]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("203.0.113.9"));
        // Several header lines are one list, in order.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.9 , 10.0.0.2"),
        ]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("203.0.113.9"));
        // A spoofed trusted-looking address left of the real client changes nothing.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 203.0.113.9")]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn all_trusted_or_no_header() {
        let p = xff(&["10.0.0.0/8"]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"));
        let h = headers(&[("x-forwarded-for", "")]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("10.0.0.1"));
        let h = headers(&[("x-forwarded-for", "10.0.0.3, 10.0.0.2")]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("10.0.0.3"), "left-most");
    }

    #[test]
    fn ipv6_and_ports() {
        let p = xff(&["10.0.0.0/8", "fd00::/8"]);
        for (value, want) in [
            ("2001:db8::7", "2001:db8::7"),
            ("[2001:db8::7]", "2001:db8::7"),
            ("[2001:db8::7]:4711", "2001:db8::7"),
            ("203.0.113.9:51234", "203.0.113.9"),
            ("::ffff:203.0.113.9", "203.0.113.9"),
            ("2001:db8::7, fd00::1", "2001:db8::7"),
        ] {
            let h = headers(&[("x-forwarded-for", value)]);
            assert_eq!(p.resolve(ip("fd00::2"), &h), ip(want), "{value}");
        }
    }

    #[test]
    fn garbage_stops_at_the_last_trusted_hop() {
        let p = xff(&["10.0.0.0/8"]);
        for value in [
            "203.0.113.9, nonsense",
            "unknown",
            "203.0.113.9,",
            "999.1.1.1",
            "[2001:db8::1",
            "[2001:db8::1]x",
            "203.0.113.9:port",
            "1.2.3.4:123456",
            "<script>",
        ] {
            let h = headers(&[("x-forwarded-for", value)]);
            assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("10.0.0.1"), "{value:?}");
        }
        // Garbage left of the real client is never reached.
        let h = headers(&[("x-forwarded-for", "nonsense, 203.0.113.9")]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("203.0.113.9"));
        // Garbage behind a trusted inner proxy: that proxy is the client.
        let h = headers(&[("x-forwarded-for", "nonsense, 10.0.0.2")]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("10.0.0.2"));
        // Bytes that are not text.
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"\xff203.0.113.9").expect("opaque"),
        );
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn forwarded_header() {
        let p = Proxies::parse(&["10.0.0.0/8"], "forwarded").expect("proxies");
        let cases = [
            ("for=203.0.113.9", "203.0.113.9"),
            ("For=\"203.0.113.9:4711\";proto=https", "203.0.113.9"),
            (
                "for=192.0.2.60;proto=http;by=203.0.113.43, for=\"[2001:db8:cafe::17]:4711\"",
                "2001:db8:cafe::17",
            ),
            (
                "for=6.6.6.6, for=203.0.113.9;by=10.0.0.1, for=10.0.0.2",
                "203.0.113.9",
            ),
            ("for=\"[2001:db8::1]\"", "2001:db8::1"),
            // Quoted commas and semicolons do not split.
            ("proto=\"a,b;c\";for=203.0.113.9", "203.0.113.9"),
            ("for=unknown", "10.0.0.1"),
            ("for=_hidden, for=10.0.0.2", "10.0.0.2"),
            ("for=203.0.113.9, proto=https", "10.0.0.1"),
            ("for=\"[2001:db8::1\"", "10.0.0.1"),
        ];
        for (value, want) in cases {
            let h = headers(&[("forwarded", value)]);
            assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip(want), "{value}");
        }
        // Only the configured header counts: X-Forwarded-For is the client's own here.
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(p.resolve(ip("10.0.0.1"), &h), ip("10.0.0.1"));
        // …and the other way round.
        let h = headers(&[("forwarded", "for=203.0.113.9")]);
        assert_eq!(
            xff(&["10.0.0.0/8"]).resolve(ip("10.0.0.1"), &h),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn long_chains_are_bounded() {
        let p = xff(&["10.0.0.0/8"]);
        let mut chain = vec!["203.0.113.9".to_string()];
        chain.extend((0..100).map(|i| format!("10.0.{}.{}", i / 250, i % 250 + 1)));
        let h = headers(&[("x-forwarded-for", &chain.join(", "))]);
        let got = p.resolve(ip("10.0.0.1"), &h);
        assert!(
            p.is_trusted(got),
            "stops after {MAX_HOPS} hops at a trusted one"
        );
    }
}
