//! The outbound allow list (setting `outbound_allow`): hosts an operator lets through although
//! they are not on the public internet (a test's loopback server, an intranet instance).

use std::net::IpAddr;

/// One entry: a host (a name or an address) and, optionally, one port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    host: Host,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Ip(IpAddr),
    /// Lower case, without a trailing dot.
    Name(String),
}

/// What the list says about a host and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    /// Listed (the host alone, or with this port): any address it resolves to is allowed.
    Yes,
    /// Listed only with other ports: this port is refused outright.
    OtherPortsOnly,
    /// Not listed: only public addresses.
    No,
}

/// The parsed `outbound_allow` entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    entries: Vec<Entry>,
}

fn normal_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl AllowList {
    /// Parses `host`, `host:port`, `1.2.3.4`, `1.2.3.4:80`, `::1` and `[::1]:80` entries.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<AllowList, String> {
        let mut out = Vec::new();
        for raw in entries {
            let raw = raw.as_ref().trim();
            out.push(parse_entry(raw).ok_or_else(|| {
                format!("`{raw}` is not a host, an address or either with a port")
            })?);
        }
        Ok(AllowList { entries: out })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What the list says about a URL's host (an address or a name) and port.
    pub fn lookup(&self, host: &url::Host<&str>, port: u16) -> Listed {
        let want = match host {
            url::Host::Ipv4(ip) => Host::Ip(IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => Host::Ip(IpAddr::V6(*ip)),
            url::Host::Domain(name) => Host::Name(normal_name(name)),
        };
        let mut other_ports = false;
        for e in self.entries.iter().filter(|e| e.host == want) {
            match e.port {
                None => return Listed::Yes,
                Some(p) if p == port => return Listed::Yes,
                Some(_) => other_ports = true,
            }
        }
        if other_ports {
            Listed::OtherPortsOnly
        } else {
            Listed::No
        }
    }

    /// Whether a name is listed at all (with or without ports): the resolver, which does not
    /// see the port, lets such a name resolve to any address; the port was checked before
    /// the request was made ([`AllowList::lookup`]).
    pub fn names(&self, name: &str) -> bool {
        let want = Host::Name(normal_name(name));
        self.entries.iter().any(|e| e.host == want)
    }
}

fn parse_entry(raw: &str) -> Option<Entry> {
    if raw.is_empty() {
        return None;
    }
    if let Ok(sa) = raw.parse::<std::net::SocketAddr>() {
        return Some(Entry {
            host: Host::Ip(sa.ip()),
            port: Some(sa.port()),
        });
    }
    if let Ok(ip) = raw
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Some(Entry {
            host: Host::Ip(ip),
            port: None,
        });
    }
    let (name, port) = match raw.rsplit_once(':') {
        Some((name, port)) => (name, Some(port.parse::<u16>().ok().filter(|p| *p > 0)?)),
        None => (raw, None),
    };
    let name = normal_name(name);
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    valid.then_some(Entry {
        host: Host::Name(name),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> url::Host<String> {
        url::Host::parse(s).expect("host")
    }

    fn lookup(list: &AllowList, h: &str, port: u16) -> Listed {
        let h = host(h);
        let borrowed = match &h {
            url::Host::Domain(d) => url::Host::Domain(d.as_str()),
            url::Host::Ipv4(ip) => url::Host::Ipv4(*ip),
            url::Host::Ipv6(ip) => url::Host::Ipv6(*ip),
        };
        list.lookup(&borrowed, port)
    }

    #[test]
    fn entries_with_and_without_ports() {
        let list = AllowList::parse(&[
            "127.0.0.1:8080",
            "[::1]:9000",
            "fe80::1",
            "Intranet.Example.",
            "mastodon.test:3000",
        ])
        .expect("parses");
        assert_eq!(lookup(&list, "127.0.0.1", 8080), Listed::Yes);
        assert_eq!(lookup(&list, "127.0.0.1", 8081), Listed::OtherPortsOnly);
        assert_eq!(lookup(&list, "127.0.0.2", 8080), Listed::No);
        assert_eq!(lookup(&list, "[::1]", 9000), Listed::Yes);
        assert_eq!(lookup(&list, "[::1]", 80), Listed::OtherPortsOnly);
        assert_eq!(lookup(&list, "[fe80::1]", 80), Listed::Yes);
        assert_eq!(lookup(&list, "intranet.example", 443), Listed::Yes);
        assert_eq!(lookup(&list, "mastodon.test", 3000), Listed::Yes);
        assert_eq!(lookup(&list, "mastodon.test", 443), Listed::OtherPortsOnly);
        assert_eq!(lookup(&list, "localhost", 8080), Listed::No);
        assert!(list.names("MASTODON.test."));
        assert!(list.names("intranet.example"));
        assert!(!list.names("localhost"));
    }

    #[test]
    fn bad_entries_are_refused() {
        for bad in [
            "",
            "host:",
            "host:0",
            "host:70000",
            "a b",
            "http://x",
            "x..y",
            ":80",
        ] {
            assert!(AllowList::parse(&[bad]).is_err(), "{bad}");
        }
        assert!(AllowList::parse::<&str>(&[]).expect("empty").is_empty());
    }
}
