//! The guarded outbound HTTP client (infrastructure): every request this server makes to an
//! address it learnt from outside — federation (actors, keys, deliveries), Webmention
//! sources, link previews, remote avatars — goes through [`Outbound`]. Calls to a payment
//! provider's configured `api_base` are the operator's choice and use their own client.
//!
//! What it guarantees:
//!
//! * only `http` and `https` URLs, without credentials in them;
//! * only public unicast addresses ([`address::classify`]): loopback, private, shared,
//!   link-local (the cloud metadata address), unique local, multicast, documentation,
//!   reserved and the IPv6 forms of such IPv4 addresses are refused — checked on the
//!   addresses a name resolves to, inside the resolver the connection uses (so the
//!   connection goes to an address that was checked: no second lookup to rebind), and on
//!   IP-literal URLs before the request (the resolver does not see those);
//! * redirects followed by hand (GET and HEAD only, at most `max_redirects`), each hop checked
//!   the same way; a redirect from `https` to `http` is refused;
//! * the response body read as a stream and abandoned at `max_bytes`; the whole exchange,
//!   redirects included, within `timeout`;
//! * no proxy from the environment (a proxy would resolve the name instead of us);
//! * `User-Agent: Shelfraiser/<version> (+<base URL>)`.
//!
//! The allow list (`outbound_allow`, [`allow::AllowList`]) lets named hosts through whatever
//! they resolve to: a `host` entry on any port, `host:port` entries on their ports only (the
//! host's other ports are refused). It is for tests on loopback and for intranets.
//!
//! Errors ([`OutboundError`]) are for logs and for the caller's decisions; pages never show
//! them.

pub mod address;
pub mod allow;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use url::Url;

pub use address::{AddressClass, classify};
pub use allow::{AllowList, Listed};

/// Why a request was not made (or not followed further).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not `http` or `https`.
    Scheme,
    /// A user name or password in the URL.
    Credentials,
    /// The address (of an IP-literal URL, or every address the name resolves to) is not
    /// public.
    Address(AddressClass),
    /// The host is on the allow list with other ports only.
    Port,
    /// The name resolves to no address.
    NoAddress,
    /// A redirect from `https` to `http`.
    Downgrade,
    /// More than `max_redirects` redirects.
    TooManyRedirects,
    /// A redirect without a usable `Location`.
    BadRedirect,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Scheme => f.write_str("only http and https URLs are fetched"),
            Refusal::Credentials => f.write_str("credentials in the URL"),
            Refusal::Address(class) => write!(f, "{class}"),
            Refusal::Port => f.write_str("the host is allowed on other ports only"),
            Refusal::NoAddress => f.write_str("the name has no address"),
            Refusal::Downgrade => f.write_str("a redirect from https to http"),
            Refusal::TooManyRedirects => f.write_str("too many redirects"),
            Refusal::BadRedirect => f.write_str("a redirect without a usable Location"),
        }
    }
}

/// What went wrong with an outbound request. For logs and the caller's decisions (retry,
/// give up, remove); never shown on a page.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OutboundError {
    #[error("refused: {reason}")]
    Refused { reason: Refusal },
    #[error("the response is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("no complete answer within the time limit")]
    Timeout,
    /// Only from [`Fetched::error_for_status`]: the request itself returns every status.
    #[error("answered {status}")]
    Status { status: StatusCode },
    #[error("not a URL: {0}")]
    Url(String),
    #[error("HTTP: {0}")]
    Http(String),
}

impl OutboundError {
    fn refused(reason: Refusal) -> OutboundError {
        OutboundError::Refused { reason }
    }
}

/// Limits of one request (redirects included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    pub timeout: Duration,
    pub max_redirects: usize,
}

impl Default for Limits {
    /// 1 MiB, 10 seconds, 5 redirects.
    fn default() -> Self {
        Limits {
            max_bytes: 1024 * 1024,
            timeout: Duration::from_secs(10),
            max_redirects: 5,
        }
    }
}

/// An answer, read whole (within the limits).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: StatusCode,
    /// The URL that answered (after redirects).
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Fetched {
    /// The answer if its status is 2xx, else [`OutboundError::Status`].
    pub fn error_for_status(self) -> Result<Fetched, OutboundError> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(OutboundError::Status {
                status: self.status,
            })
        }
    }

    /// A header's value as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Adds headers for one hop (e.g. an HTTP signature over this hop's method, URL and body);
/// called again for each redirect.
pub type Signer = dyn Fn(&Method, &Url, &[u8], &mut HeaderMap) -> Result<(), String> + Send + Sync;

/// The guarded client; cheap to clone (one connection pool per node).
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow: Arc<AllowList>,
    limits: Limits,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("allow", &self.allow)
            .field("limits", &self.limits)
            .finish()
    }
}

/// The `User-Agent` the client sends.
pub fn user_agent(base_url: &str) -> String {
    format!(
        "Shelfraiser/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        base_url.trim_end_matches('/')
    )
}

impl Outbound {
    /// A client with the given allow list entries (`outbound_allow`) and default limits,
    /// naming `base_url` in its `User-Agent`.
    pub fn new<S: AsRef<str>>(allow: &[S], base_url: &str) -> Result<Outbound, String> {
        let allow = Arc::new(AllowList::parse(allow)?);
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver {
                allow: allow.clone(),
            }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(user_agent(base_url))
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("cannot build the outbound client: {e}"))?;
        Ok(Outbound {
            client,
            allow,
            limits: Limits::default(),
        })
    }

    /// The same client (and connection pool) with other default limits.
    pub fn with_limits(mut self, limits: Limits) -> Outbound {
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn get(&self, url: &str) -> OutboundRequest<'_> {
        self.request(Method::GET, url)
    }

    pub fn post(&self, url: &str) -> OutboundRequest<'_> {
        self.request(Method::POST, url)
    }

    pub fn request(&self, method: Method, url: &str) -> OutboundRequest<'_> {
        OutboundRequest {
            outbound: self,
            method,
            url: url.to_string(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            limits: self.limits,
            signer: None,
        }
    }

    /// Checks a URL as a request to it would be checked before connecting: the scheme, no
    /// credentials, an IP literal's class and the allow list's ports. Names are checked
    /// again when they are resolved.
    pub fn check_url(&self, url: &Url) -> Result<(), OutboundError> {
        check_url(&self.allow, url)
    }
}

fn check_url(allow: &AllowList, url: &Url) -> Result<(), OutboundError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(OutboundError::refused(Refusal::Scheme));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(OutboundError::refused(Refusal::Credentials));
    }
    let host = url
        .host()
        .ok_or_else(|| OutboundError::Url("no host".into()))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| OutboundError::Url("no port".into()))?;
    match allow.lookup(&host, port) {
        Listed::Yes => Ok(()),
        Listed::OtherPortsOnly => Err(OutboundError::refused(Refusal::Port)),
        Listed::No => {
            let ip = match host {
                url::Host::Ipv4(ip) => IpAddr::V4(ip),
                url::Host::Ipv6(ip) => IpAddr::V6(ip),
                // Checked by the resolver, on the addresses the connection will use.
                url::Host::Domain(_) => return Ok(()),
            };
            match classify(ip) {
                None => Ok(()),
                Some(class) => Err(OutboundError::refused(Refusal::Address(class))),
            }
        }
    }
}

/// Where a redirect leads, if it may be followed.
fn next_hop(from: &Url, location: Option<&HeaderValue>) -> Result<Url, OutboundError> {
    let location = location
        .and_then(|l| l.to_str().ok())
        .ok_or_else(|| OutboundError::refused(Refusal::BadRedirect))?;
    let to = from
        .join(location)
        .map_err(|_| OutboundError::refused(Refusal::BadRedirect))?;
    if from.scheme() == "https" && to.scheme() == "http" {
        return Err(OutboundError::refused(Refusal::Downgrade));
    }
    Ok(to)
}

/// One request being put together.
pub struct OutboundRequest<'a> {
    outbound: &'a Outbound,
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Bytes,
    limits: Limits,
    signer: Option<Arc<Signer>>,
}

impl OutboundRequest<'_> {
    /// Adds a header (a bad name or value is dropped: callers pass constants and values they
    /// made).
    pub fn header(mut self, name: header::HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.append(name, v);
        }
        self
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// A form body (`application/x-www-form-urlencoded`).
    pub fn form(self, fields: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
    }

    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn max_bytes(mut self, n: usize) -> Self {
        self.limits.max_bytes = n;
        self
    }

    pub fn timeout(mut self, d: Duration) -> Self {
        self.limits.timeout = d;
        self
    }

    /// Headers added per hop (an HTTP signature), after the request's own.
    pub fn signer(mut self, signer: Arc<Signer>) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Sends the request (following redirects of GET and HEAD) and reads the answer within
    /// the limits. Every status is an `Ok`; see [`Fetched::error_for_status`].
    pub async fn send(self) -> Result<Fetched, OutboundError> {
        let timeout = self.limits.timeout;
        match tokio::time::timeout(timeout, self.run()).await {
            Ok(result) => result,
            Err(_) => Err(OutboundError::Timeout),
        }
    }

    async fn run(self) -> Result<Fetched, OutboundError> {
        let o = self.outbound;
        let mut url = Url::parse(&self.url).map_err(|e| OutboundError::Url(e.to_string()))?;
        let follows = self.method == Method::GET || self.method == Method::HEAD;
        let mut hops = 0;
        loop {
            check_url(&o.allow, &url)?;
            let mut headers = self.headers.clone();
            if let Some(sign) = &self.signer {
                sign(&self.method, &url, &self.body, &mut headers).map_err(OutboundError::Http)?;
            }
            let mut req = o
                .client
                .request(self.method.clone(), url.clone())
                .headers(headers);
            if !self.body.is_empty() {
                req = req.body(self.body.clone());
            }
            let resp = req.send().await.map_err(from_reqwest)?;
            let status = resp.status();
            if follows && status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                if hops >= self.limits.max_redirects {
                    return Err(OutboundError::refused(Refusal::TooManyRedirects));
                }
                hops += 1;
                url = next_hop(&url, resp.headers().get(header::LOCATION))?;
                continue;
            }
            return read(resp, url, self.limits.max_bytes).await;
        }
    }
}

async fn read(
    mut resp: reqwest::Response,
    url: Url,
    limit: usize,
) -> Result<Fetched, OutboundError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(OutboundError::TooLarge { limit });
    }
    let status = resp.status();
    let headers = resp.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(from_reqwest)? {
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(OutboundError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        status,
        url,
        headers,
        body: Bytes::from(body),
    })
}

/// A reqwest error as ours: the resolver's refusal found in the error's causes, time-outs,
/// else the error's text without the URL (which may carry a query string).
fn from_reqwest(e: reqwest::Error) -> OutboundError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(c) = cause {
        // The resolver's error reaches us inside an io::Error, whose `source` skips it.
        let inner = c
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .and_then(|i| i.downcast_ref::<ResolverRefusal>());
        if let Some(r) = c.downcast_ref::<ResolverRefusal>().or(inner) {
            return OutboundError::refused(r.0.clone());
        }
        cause = c.source();
    }
    if e.is_timeout() {
        return OutboundError::Timeout;
    }
    let e = e.without_url();
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    OutboundError::Http(text)
}

#[derive(Debug)]
struct ResolverRefusal(Refusal);

impl std::fmt::Display for ResolverRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused: {}", self.0)
    }
}

impl std::error::Error for ResolverRefusal {}

/// Resolves names with the system resolver and keeps only public addresses (unless the
/// name is on the allow list). The connection is made to what this returns, so what was
/// checked is what is used.
struct GuardedResolver {
    allow: Arc<AllowList>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow.clone();
        let name = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let kept = filter_addresses(&allow, &name, found).map_err(ResolverRefusal)?;
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The addresses a name may connect to: all of them for a listed name, else the public
/// ones; none left is a refusal naming the first address's class.
fn filter_addresses(
    allow: &AllowList,
    name: &str,
    found: Vec<SocketAddr>,
) -> Result<Vec<SocketAddr>, Refusal> {
    if allow.names(name) {
        return if found.is_empty() {
            Err(Refusal::NoAddress)
        } else {
            Ok(found)
        };
    }
    let first_refused = found.iter().find_map(|a| classify(a.ip()));
    let kept: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| classify(a.ip()).is_none())
        .collect();
    if kept.is_empty() {
        Err(first_refused.map_or(Refusal::NoAddress, Refusal::Address))
    } else {
        Ok(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn literals_schemes_and_credentials_are_checked_before_connecting() {
        let allow = AllowList::parse(&["127.0.0.1:8080", "intranet.test:8443"]).expect("list");
        let refused = |u: &str| match check_url(&allow, &url(u)) {
            Err(OutboundError::Refused { reason }) => Some(reason),
            Ok(()) => None,
            Err(e) => panic!("{u}: {e}"),
        };
        assert_eq!(refused("https://example.org/x"), None);
        assert_eq!(refused("http://127.0.0.1:8080/"), None);
        assert_eq!(
            refused("http://127.0.0.1:8081/"),
            Some(Refusal::Port),
            "listed with another port"
        );
        assert_eq!(
            refused("http://127.0.0.2/"),
            Some(Refusal::Address(AddressClass::Loopback))
        );
        // The url crate reads every IPv4 spelling as the address it names (127.0.0.2).
        for spelled in [
            "http://0x7f.2/",
            "http://2130706434/",
            "http://0177.0.0.2/",
            "http://127.2/",
        ] {
            assert_eq!(
                refused(spelled),
                Some(Refusal::Address(AddressClass::Loopback)),
                "{spelled}"
            );
        }
        assert_eq!(
            refused("http://169.254.169.254/latest/meta-data/"),
            Some(Refusal::Address(AddressClass::LinkLocal))
        );
        assert_eq!(
            refused("http://[::ffff:127.0.0.1]/"),
            Some(Refusal::Address(AddressClass::Loopback))
        );
        assert_eq!(
            refused("http://[fd00::1]/"),
            Some(Refusal::Address(AddressClass::UniqueLocal))
        );
        assert_eq!(refused("ftp://example.org/"), Some(Refusal::Scheme));
        assert_eq!(refused("file:///etc/passwd"), Some(Refusal::Scheme));
        assert_eq!(
            refused("https://user:pw@example.org/"),
            Some(Refusal::Credentials)
        );
        assert_eq!(refused("https://intranet.test:8443/"), None);
        assert_eq!(refused("https://intranet.test/"), Some(Refusal::Port));
        // Names are left to the resolver.
        assert_eq!(refused("http://localhost:8080/"), None);
    }

    #[test]
    fn the_resolver_keeps_public_addresses_unless_the_name_is_listed() {
        let allow = AllowList::parse(&["intranet.test:8443"]).expect("list");
        let sa = |s: &str| -> SocketAddr { s.parse().expect("socket address") };
        assert_eq!(
            filter_addresses(&allow, "a.example", vec![sa("127.0.0.1:0")]),
            Err(Refusal::Address(AddressClass::Loopback))
        );
        assert_eq!(
            filter_addresses(
                &allow,
                "a.example",
                vec![sa("10.0.0.1:0"), sa("[::ffff:169.254.169.254]:0")]
            ),
            Err(Refusal::Address(AddressClass::Private))
        );
        assert_eq!(
            filter_addresses(
                &allow,
                "a.example",
                vec![sa("127.0.0.1:0"), sa("93.184.215.14:0")]
            ),
            Ok(vec![sa("93.184.215.14:0")]),
            "only the checked public address is connected to"
        );
        assert_eq!(
            filter_addresses(&allow, "a.example", vec![]),
            Err(Refusal::NoAddress)
        );
        assert_eq!(
            filter_addresses(&allow, "Intranet.test.", vec![sa("10.1.1.1:0")]),
            Ok(vec![sa("10.1.1.1:0")])
        );
    }

    #[test]
    fn redirects_resolve_against_the_hop_and_never_downgrade() {
        let loc = |s: &str| HeaderValue::from_str(s).expect("value");
        let from = url("https://a.example/x/y");
        assert_eq!(
            next_hop(&from, Some(&loc("/z")))
                .expect("relative")
                .as_str(),
            "https://a.example/z"
        );
        assert_eq!(
            next_hop(&from, Some(&loc("https://b.example/")))
                .expect("absolute")
                .as_str(),
            "https://b.example/"
        );
        assert_eq!(
            next_hop(&from, Some(&loc("http://b.example/"))),
            Err(OutboundError::refused(Refusal::Downgrade))
        );
        assert_eq!(
            next_hop(&from, None),
            Err(OutboundError::refused(Refusal::BadRedirect))
        );
        assert!(next_hop(&url("http://a.example/"), Some(&loc("https://a.example/"))).is_ok());
    }

    #[test]
    fn the_user_agent_names_the_version_and_the_site() {
        assert_eq!(
            user_agent("https://library.example/"),
            format!(
                "Shelfraiser/{} (+https://library.example)",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}
