//! Configuration: defaults → config file → `SHELFRAISER_*` environment → command-line flags.
//!
//! The settings struct is passed into everything that needs it; nothing reads configuration
//! from a global. `shelfraiser config default` prints [`DEFAULT_CONFIG`], and a test checks
//! that it parses to exactly `Settings::default()`.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// A secret string that never prints.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("Secret(<unset>)")
        } else {
            f.write_str("Secret(<redacted>)")
        }
    }
}

impl Secret {
    pub fn is_set(&self) -> bool {
        !self.0.is_empty()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address the HTTP server binds. Port 0 picks a free port; the real address is printed.
    pub listen: SocketAddr,
    /// Folder for the SQLite database and other local files.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`. Empty means `sqlite://<data_dir>/shelfraiser.db`.
    pub database_url: String,
    /// Public base URL used in links and for the cookie `Secure` flag. Empty means
    /// `http://<listen>`.
    pub base_url: String,
    /// Seed demo content into an empty database and enable the test payment provider.
    pub demo: bool,
    /// Log format: `text` or `json`.
    pub log_format: String,
    /// Reverse proxies whose forwarding header is believed (IP addresses or CIDR ranges).
    /// Empty: no one; the connection's peer is the client (see `http::client_ip`). The
    /// environment takes a comma-separated list: `SHELFRAISER_TRUSTED_PROXIES=127.0.0.1,::1`.
    #[serde(deserialize_with = "list_or_commas")]
    pub trusted_proxies: Vec<String>,
    /// The header trusted proxies write the client's address into: `x-forwarded-for` or
    /// `forwarded` (RFC 7239). Only this one is read.
    pub client_ip_header: String,
    /// Hosts the outbound client (`outbound`: federation, Webmention, link previews) may
    /// reach although they are not on the public internet: `host` (any port) or `host:port`
    /// entries (that port only), names or addresses (`[::1]:8080`). Empty: public addresses
    /// only. For tests on loopback and intranets; the environment takes a comma-separated
    /// list: `SHELFRAISER_OUTBOUND_ALLOW=127.0.0.1:8081,intranet.example`.
    #[serde(deserialize_with = "list_or_commas")]
    pub outbound_allow: Vec<String>,
    pub donations: DonationSettings,
    pub providers: ProviderSettings,
    pub mail: MailSettings,
    pub blog: BlogSettings,
    pub passwords: PasswordSettings,
    pub http: HttpSettings,
    pub live: LiveSettings,
    pub pool: PoolSettings,
    pub metrics: MetricsSettings,
    pub backup: BackupSettings,
    pub rates: RatesSettings,
    pub insight: InsightSettings,
    /// The configuration file these settings were read from (set by [`Settings::load`]),
    /// so a backup can keep it. Not a setting itself.
    #[serde(skip)]
    pub config_file: Option<PathBuf>,
}

/// Cookie-less page views (`promotion::insight`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct InsightSettings {
    /// Count page views at all.
    pub enabled: bool,
    /// Seconds between two flushes of a node's counted views to the database.
    pub flush_secs: u64,
    /// Days the daily page-view rows are kept; older ones are deleted. At least 1.
    pub retention_days: u32,
}

impl Default for InsightSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            flush_secs: 5,
            retention_days: 400,
        }
    }
}

/// Scheduled backups and the backup before an upgrade (`backup`). On by default: the
/// people who run a site are rarely the ones who would remember to set them up, and a week
/// of daily archives costs little disk next to losing the donations.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct BackupSettings {
    /// Hours between scheduled backups. 0: no scheduled backups.
    pub every_hours: u64,
    /// Scheduled archives kept in `dir`; the oldest beyond these are deleted. At least 1.
    pub keep: usize,
    /// Where the archives go. Empty: `<data_dir>/backups` (left out of the archives).
    pub dir: PathBuf,
    /// Before pending migrations run (a new release started on an older database), write
    /// an archive of the database as it is, with the old schema, into `dir`.
    pub before_upgrade: bool,
}

impl Default for BackupSettings {
    fn default() -> Self {
        Self {
            every_hours: 24,
            keep: 7,
            dir: PathBuf::new(),
            before_upgrade: true,
        }
    }
}

impl BackupSettings {
    /// `dir`, with the empty default worked out from the data folder.
    pub fn effective_dir(&self, data_dir: &Path) -> PathBuf {
        if self.dir.as_os_str().is_empty() {
            data_dir.join("backups")
        } else {
            self.dir.clone()
        }
    }
}

/// Exchange rates fetched on a schedule (`rates::fetch`). Off by default: it is a request to
/// a third party (the European Central Bank) that the operator turns on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct RatesSettings {
    /// Fetch the daily reference rates once a day (through the guarded outbound client).
    pub fetch: bool,
    /// The daily file's address.
    pub fetch_url: String,
}

impl Default for RatesSettings {
    fn default() -> Self {
        Self {
            fetch: false,
            fetch_url: "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml".into(),
        }
    }
}

/// Live progress streams (`/campaigns/{slug}/live`, Server-Sent Events).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct LiveSettings {
    /// Streams open at once on this node; more are answered 503 with `Retry-After` (the
    /// page still shows the total it was rendered with). 0: half of the connections
    /// `http.max_connections` allows, leaving the rest for pages.
    pub max_streams: usize,
    /// Seconds between comment lines on an idle stream, so proxies and phones keep it
    /// open. 1 to 3600.
    pub heartbeat_secs: u64,
    /// What a stream tells the browser to wait before reconnecting, in milliseconds; each
    /// stream gets a value between this and twice this, so the streams of a node that went
    /// away do not all come back at once. 100 to 600000.
    pub retry_ms: u64,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            max_streams: 0,
            heartbeat_secs: 20,
            retry_ms: 3000,
        }
    }
}

impl LiveSettings {
    /// `max_streams`, with 0 worked out from the connection cap.
    pub fn effective_max_streams(&self, http: &HttpSettings) -> usize {
        if self.max_streams > 0 {
            return self.max_streams;
        }
        (http.effective_max_connections() / 2).max(1)
    }
}

/// The database connection pool of this node (src/db).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PoolSettings {
    /// Connections in the pool. 0: 8 on SQLite, 16 on PostgreSQL.
    pub max_connections: u32,
    /// How long a request waits for a free connection before it is answered 503 with
    /// `Retry-After` (a database that is slow or a pool that is used up fails fast instead
    /// of piling up requests), in milliseconds. 100 to 60000.
    pub acquire_timeout_ms: u64,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 0,
            acquire_timeout_ms: 3000,
        }
    }
}

/// Password hashing (src/passwords.rs): argon2id takes 19 MiB and tens of milliseconds
/// per check, so at most `hash_workers` run at once, each in memory it keeps.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordSettings {
    /// Password checks and hashes running at once; 0 means one per available core.
    pub hash_workers: usize,
    /// Requests that may wait for a free worker; more are answered 503 at once.
    pub hash_queue: usize,
    /// How long a request waits for a free worker before it is answered 503, in
    /// milliseconds.
    pub hash_wait_ms: u64,
}

impl Default for PasswordSettings {
    fn default() -> Self {
        Self {
            hash_workers: 0,
            hash_queue: 32,
            hash_wait_ms: 1500,
        }
    }
}

/// Connection limits and time-outs of the HTTP server (src/app/server.rs). A reverse proxy in
/// front should keep its own (shorter or equal) limits; these protect the node itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// A connection that has not sent a complete request head within this many seconds is
    /// closed; an idle keep-alive connection is closed after as long. 1 to 3600.
    pub header_timeout_secs: u64,
    /// A request body that sends no bytes for this many seconds ends with 408. 1 to 3600.
    pub body_idle_timeout_secs: u64,
    /// A request body not complete within this many seconds ends with 408. 1 to 86400.
    pub body_timeout_secs: u64,
    /// Connections served at once (live progress streams count too); further connections
    /// wait in the kernel's accept queue until one closes. 0: three quarters of the
    /// process's open-file limit (`ulimit -n`), so 768 at the common 1,024.
    pub max_connections: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            header_timeout_secs: 10,
            body_idle_timeout_secs: 15,
            body_timeout_secs: 120,
            max_connections: 0,
        }
    }
}

impl HttpSettings {
    /// `max_connections`, with 0 worked out from the open-file limit.
    pub fn effective_max_connections(&self) -> usize {
        if self.max_connections > 0 {
            return self.max_connections;
        }
        open_file_limit().map_or(768, |n| (n / 4 * 3).clamp(16, 1_000_000))
    }
}

/// The process's soft limit on open files, from `/proc/self/limits` (Linux); `None`
/// elsewhere or when unlimited.
fn open_file_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Who may read `/metrics`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Answer everyone. Off: only connections from a loopback address that carry no
    /// forwarding header (so not a public request relayed by a proxy on the same host),
    /// and requests with the bearer `token`; everyone else gets 404.
    pub public: bool,
    /// A bearer token a scraper sends as `Authorization: Bearer <token>`. Empty: none.
    pub token: Secret,
}

/// The blog (src/blog/).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct BlogSettings {
    /// Where articles and notes live, in WordPress's structure tags (`%year%`, `%monthnum%`,
    /// `%day%`, `%postname%`), e.g. `/%year%/%monthnum%/%postname%/` or `/%postname%/`.
    /// Checked when the configuration is read (`blog::permalink`). Pages stay at `/{slug}/`;
    /// posts asked for under the default pattern answer 301 with their new address.
    pub permalink: shelfraiser_formats::permalink::Permalinks,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// Outgoing mail server, e.g. `smtps://user:pass@mail.example.org` or
    /// `smtp://127.0.0.1:2525` (plain, for a local relay). Empty: messages are kept in the
    /// console's outbox and written as `.eml` files under `<data_dir>/outbox/`.
    pub smtp_url: Secret,
    /// The sender, e.g. `Shelfraiser <team@example.org>`.
    pub from: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp_url: Secret::default(),
            from: "Shelfraiser <noreply@localhost>".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct DonationSettings {
    /// Largest single donation accepted through the public form, in major units of the
    /// campaign currency (converted at the current rate).
    pub max_amount_major: i64,
    /// Smallest single donation accepted through the public form, in whole major units of
    /// the campaign currency (converted at the current rate, like the largest). 0: any
    /// amount above zero.
    pub min_amount_major: i64,
    /// Card-testing defence: checkouts with one donor e-mail address (lower-cased, trimmed)
    /// within `checkouts_per_email_window_secs`. 0 turns the limit off.
    pub checkouts_per_email: i64,
    pub checkouts_per_email_window_secs: i64,
    /// Card declines (reported by the provider with the card's fingerprint) for one campaign
    /// within `challenge_window_secs` after which its donate form asks for a proof of work;
    /// 0 turns it off.
    pub challenge_after_declines: i64,
    /// Declines of one card (fingerprint) for one campaign within the window that do the
    /// same; 0 turns it off.
    pub challenge_after_card_declines: i64,
    pub challenge_window_secs: i64,
    /// The proof of work's difficulty: leading zero bits of SHA-256 (18 ≈ 262,000 hashes,
    /// one to two seconds on a phone).
    pub challenge_bits: u8,
    /// Card-testing defence: checkouts one client address (IPv6: its /64) may start within
    /// `checkouts_per_ip_window_secs`. 0 turns the limit off.
    pub checkouts_per_ip: i64,
    pub checkouts_per_ip_window_secs: i64,
    /// The per-campaign circuit breaker: how many distinct client addresses may have
    /// unfinished or failed checkouts (not succeeded) for one campaign within
    /// `checkouts_per_campaign_window_secs` before new checkouts are refused for everyone
    /// (the owners and treasurers are e-mailed, at most once an hour per campaign). A few
    /// addresses at their own limit can never fill it. 0 turns it off.
    pub checkouts_per_campaign: i64,
    pub checkouts_per_campaign_window_secs: i64,
    /// The organisation's name printed on receipts and signing their e-mails. Empty: the
    /// site's name.
    pub organisation: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderSettings {
    pub test: TestProviderSettings,
    pub paypal: PaypalSettings,
    pub stripe: StripeProviderSettings,
}

/// PayPal Checkout (`payments::paypal`). On when `client_id` and `client_secret` are set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PaypalSettings {
    /// The REST app's client id (not secret: it is in PayPal's buttons on every page).
    pub client_id: String,
    pub client_secret: Secret,
    /// The id of the webhook pointing at `/providers/paypal/callback` (verification).
    pub webhook_id: String,
    /// `https://api-m.paypal.com`, `https://api-m.sandbox.paypal.com`, or a test server.
    pub api_base: String,
    /// The fee PayPal charges the site, as an estimate for the donate form's "cover the
    /// fees" box: basis points of the amount plus a fixed part in the charged currency's
    /// minor units. 0 and 0: no box for PayPal. (The fee recorded is the one PayPal reports.)
    pub fee_percent_bp: u32,
    pub fee_fixed_minor: i64,
}

impl Default for PaypalSettings {
    fn default() -> Self {
        Self {
            client_id: String::new(),
            client_secret: Secret::default(),
            webhook_id: String::new(),
            api_base: "https://api-m.paypal.com".into(),
            fee_percent_bp: 0,
            fee_fixed_minor: 0,
        }
    }
}

impl PaypalSettings {
    pub fn enabled(&self) -> bool {
        !self.client_id.is_empty() && self.client_secret.is_set()
    }
}

/// Stripe Checkout (`payments::stripe`): enabled when both keys are set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct StripeProviderSettings {
    /// The secret API key (`sk_…`), sent as the Bearer token of every call.
    pub secret_key: Secret,
    /// The webhook endpoint's signing secret (`whsec_…`).
    pub webhook_secret: Secret,
    /// Where Stripe's API answers; a test points it at a local server.
    pub api_base: String,
    /// How long a call to Stripe may take before the donor is shown the form again, in
    /// seconds.
    pub timeout_secs: u64,
    /// The fee Stripe charges the site, as an estimate for the donate form's "cover the
    /// fees" box: basis points of the amount plus a fixed part in the charged currency's
    /// minor units. 0 and 0: no box for Stripe. (The fee recorded is the one Stripe reports.)
    pub fee_percent_bp: u32,
    pub fee_fixed_minor: i64,
}

impl Default for StripeProviderSettings {
    fn default() -> Self {
        Self {
            secret_key: Secret::default(),
            webhook_secret: Secret::default(),
            api_base: "https://api.stripe.com".into(),
            timeout_secs: 10,
            fee_percent_bp: 0,
            fee_fixed_minor: 0,
        }
    }
}

impl StripeProviderSettings {
    pub fn enabled(&self) -> bool {
        self.secret_key.is_set() && self.webhook_secret.is_set()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct TestProviderSettings {
    /// Offer the test-mode hosted checkout. Always on with `--demo`.
    pub enabled: bool,
    /// Signing secret for test-provider callbacks. Empty: one is generated and kept in the
    /// database, so every node of a cluster shares it.
    pub secret: Secret,
    /// A fee the test provider charges on every payment, so demos show fees: basis points
    /// of the amount (150 = 1.5 %) plus a fixed part in the charged currency's minor units.
    pub fee_percent_bp: u32,
    pub fee_fixed_minor: i64,
}

impl Default for DonationSettings {
    fn default() -> Self {
        Self {
            max_amount_major: 100_000,
            min_amount_major: 1,
            checkouts_per_email: 5,
            checkouts_per_email_window_secs: 3600,
            challenge_after_declines: 10,
            challenge_after_card_declines: 3,
            challenge_window_secs: 3600,
            challenge_bits: 18,
            checkouts_per_ip: 10,
            checkouts_per_ip_window_secs: 600,
            checkouts_per_campaign: 60,
            checkouts_per_campaign_window_secs: 60,
            organisation: String::new(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./shelfraiser-data"),
            database_url: String::new(),
            base_url: String::new(),
            demo: false,
            log_format: "text".into(),
            trusted_proxies: Vec::new(),
            client_ip_header: "x-forwarded-for".into(),
            outbound_allow: Vec::new(),
            donations: DonationSettings::default(),
            providers: ProviderSettings::default(),
            mail: MailSettings::default(),
            blog: BlogSettings::default(),
            passwords: PasswordSettings::default(),
            http: HttpSettings::default(),
            live: LiveSettings::default(),
            pool: PoolSettings::default(),
            metrics: MetricsSettings::default(),
            backup: BackupSettings::default(),
            rates: RatesSettings::default(),
            insight: InsightSettings::default(),
            config_file: None,
        }
    }
}

/// The documented default configuration file.
pub const DEFAULT_CONFIG: &str = include_str!("../shelfraiser.example.toml");

/// The keys of [`Settings`], for picking configuration out of the environment.
const TOP_LEVEL_KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "base_url",
    "demo",
    "log_format",
    "trusted_proxies",
    "client_ip_header",
    "outbound_allow",
    "donations",
    "providers",
    "mail",
    "blog",
    "passwords",
    "http",
    "live",
    "pool",
    "metrics",
    "backup",
    "rates",
    "insight",
];

/// Overrides from the command line; `None` leaves the value from file/environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub base_url: Option<String>,
    pub demo: bool,
}

impl Settings {
    /// Layers defaults, the config file (`--config`, `SHELFRAISER_CONFIG`, or
    /// `shelfraiser.toml` in the working directory when present), `SHELFRAISER_*` variables
    /// (nested keys with `__`, e.g. `SHELFRAISER_PROVIDERS__TEST__SECRET`) and flags.
    pub fn load(o: &Overrides) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = Settings::file(o) {
            if !path.exists() {
                return Err(ConfigError(format!(
                    "the config file {} does not exist",
                    path.display()
                )));
            }
            fig = fig.merge(Toml::file(path));
        }
        // Only variables naming a setting are read: other SHELFRAISER_* variables (the log
        // filter, test harness settings) are not configuration.
        // The filter sees the key after `split`, so nested keys arrive as `providers.test.secret`.
        fig = fig.merge(Env::prefixed("SHELFRAISER_").split("__").filter(|k| {
            let k = k.as_str().to_ascii_lowercase();
            TOP_LEVEL_KEYS
                .iter()
                .any(|t| k == *t || k.starts_with(&format!("{t}.")))
        }));
        let mut s: Settings = fig
            .extract()
            .map_err(|e| ConfigError(format!("invalid configuration: {e}")))?;
        s.config_file = Settings::file(o);
        if s.insight.retention_days == 0 || s.insight.flush_secs == 0 {
            return Err(ConfigError(
                "insight.retention_days and insight.flush_secs must be at least 1".into(),
            ));
        }
        if s.backup.every_hours > 0 && s.backup.keep == 0 {
            return Err(ConfigError(
                "backup.keep must be at least 1 when backup.every_hours is set".into(),
            ));
        }
        if let Some(v) = o.listen {
            s.listen = v;
        }
        if let Some(v) = &o.data_dir {
            s.data_dir = v.clone();
        }
        if let Some(v) = &o.database_url {
            s.database_url = v.clone();
        }
        if let Some(v) = &o.base_url {
            s.base_url = v.clone();
        }
        if o.demo {
            s.demo = true;
        }
        if s.demo {
            s.providers.test.enabled = true;
        }
        if s.donations.max_amount_major <= 0 {
            return Err(ConfigError(
                "donations.max_amount_major must be positive".into(),
            ));
        }
        let d = &s.donations;
        if d.min_amount_major < 0 || d.min_amount_major > d.max_amount_major {
            return Err(ConfigError(
                "donations.min_amount_major must be between 0 and max_amount_major".into(),
            ));
        }
        if d.checkouts_per_email < 0
            || d.checkouts_per_email_window_secs <= 0
            || d.challenge_after_declines < 0
            || d.challenge_after_card_declines < 0
            || !(1..=86_400).contains(&d.challenge_window_secs)
            || !(1..=32).contains(&d.challenge_bits)
        {
            return Err(ConfigError(
                "donations: checkouts_per_email and challenge_after_* must be 0 or more, \
                 their windows positive (the challenge's at most 86400), challenge_bits 1 to 32"
                    .into(),
            ));
        }
        if d.checkouts_per_ip < 0
            || d.checkouts_per_campaign < 0
            || d.checkouts_per_ip_window_secs <= 0
            || d.checkouts_per_campaign_window_secs <= 0
            || d.checkouts_per_ip_window_secs > 86_400
            || d.checkouts_per_campaign_window_secs > 86_400
        {
            return Err(ConfigError(
                "donations.checkouts_per_* must be 0 (off) or more, and their windows 1 to 86400 seconds"
                    .into(),
            ));
        }
        let pp = &s.providers.paypal;
        if (pp.enabled() && pp.webhook_id.is_empty())
            || (pp.client_id.is_empty() != pp.client_secret.0.is_empty())
        {
            return Err(ConfigError(
                "providers.paypal needs client_id, client_secret and webhook_id together".into(),
            ));
        }
        if pp.enabled()
            && !(pp.api_base.starts_with("https://") || pp.api_base.starts_with("http://"))
        {
            return Err(ConfigError(
                "providers.paypal.api_base must be an http(s) URL".into(),
            ));
        }
        let p = &s.providers;
        for (name, bp, fixed) in [
            ("test", p.test.fee_percent_bp, p.test.fee_fixed_minor),
            ("stripe", p.stripe.fee_percent_bp, p.stripe.fee_fixed_minor),
            ("paypal", p.paypal.fee_percent_bp, p.paypal.fee_fixed_minor),
        ] {
            if bp > shelfraiser_formats::fees::MAX_PERCENT_BP || !(0..=1_000_000).contains(&fixed) {
                return Err(ConfigError(format!(
                    "providers.{name}: fee_percent_bp must be 0 to {} (basis points: 150 = 1.5 %) \
                     and fee_fixed_minor 0 to 1000000",
                    shelfraiser_formats::fees::MAX_PERCENT_BP
                )));
            }
        }
        if s.passwords.hash_wait_ms > 60_000 {
            return Err(ConfigError(
                "passwords.hash_wait_ms can be at most 60000".into(),
            ));
        }
        let h = &s.http;
        if !(1..=3600).contains(&h.header_timeout_secs)
            || !(1..=3600).contains(&h.body_idle_timeout_secs)
            || !(1..=86_400).contains(&h.body_timeout_secs)
        {
            return Err(ConfigError(
                "http.header_timeout_secs and http.body_idle_timeout_secs must be 1 to 3600 seconds, http.body_timeout_secs 1 to 86400"
                    .into(),
            ));
        }
        if !(1..=3600).contains(&s.live.heartbeat_secs)
            || !(100..=600_000).contains(&s.live.retry_ms)
        {
            return Err(ConfigError(
                "live.heartbeat_secs must be 1 to 3600 seconds, live.retry_ms 100 to 600000".into(),
            ));
        }
        if !(100..=60_000).contains(&s.pool.acquire_timeout_ms) {
            return Err(ConfigError(
                "pool.acquire_timeout_ms must be 100 to 60000".into(),
            ));
        }
        // `client_ip_header` and `trusted_proxies` are checked by their parser in `http`
        // (`app::cli` runs it right after loading, before anything starts).
        crate::outbound::AllowList::parse(&s.outbound_allow)
            .map_err(|e| ConfigError(format!("outbound_allow: {e}")))?;
        Ok(s)
    }

    /// The configuration file `load` reads: `--config`, `SHELFRAISER_CONFIG`, or
    /// `shelfraiser.toml` in the working directory when present (`backup` keeps a copy).
    pub fn file(o: &Overrides) -> Option<PathBuf> {
        o.config
            .clone()
            .or_else(|| std::env::var_os("SHELFRAISER_CONFIG").map(PathBuf::from))
            .or_else(|| {
                let local = Path::new("shelfraiser.toml");
                local.exists().then(|| local.to_path_buf())
            })
    }

    /// The database URL in effect.
    pub fn effective_database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!(
                "sqlite://{}",
                self.data_dir.join("shelfraiser.db").display()
            )
        } else {
            self.database_url.clone()
        }
    }

    /// The public base URL, without a trailing slash, given the address actually bound.
    pub fn effective_base_url(&self, bound: SocketAddr) -> String {
        if self.base_url.is_empty() {
            format!("http://{bound}")
        } else {
            self.base_url.trim_end_matches('/').to_string()
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// A list of strings, or one string of comma- or space-separated items (as the environment
/// gives it).
fn list_or_commas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrText {
        List(Vec<String>),
        Text(String),
    }
    let items = match ListOrText::deserialize(d)? {
        ListOrText::List(v) => v,
        ListOrText::Text(t) => vec![t],
    };
    Ok(items
        .iter()
        .flat_map(|t| t.split([',', ' ', '\t']))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_file_matches_defaults() {
        let parsed: Settings = Figment::from(Toml::string(DEFAULT_CONFIG))
            .extract()
            .expect("the example config parses");
        assert_eq!(parsed, Settings::default());
    }

    #[test]
    fn trusted_proxies_from_a_list_or_comma_separated_text() {
        let from_toml: Settings =
            Figment::from(Toml::string("trusted_proxies = [\"10.0.0.0/8\", \"::1\"]"))
                .extract()
                .expect("list");
        assert_eq!(from_toml.trusted_proxies, ["10.0.0.0/8", "::1"]);
        // The environment gives one string.
        let from_env: Settings = Figment::from(Serialized::default(
            "trusted_proxies",
            "127.0.0.1, ::1 10.0.0.0/8",
        ))
        .extract()
        .expect("text");
        assert_eq!(from_env.trusted_proxies, ["127.0.0.1", "::1", "10.0.0.0/8"]);
        assert!(Settings::default().trusted_proxies.is_empty());
    }

    #[test]
    fn outbound_allow_from_a_list_or_comma_separated_text() {
        let from_toml: Settings = Figment::from(Toml::string(
            "outbound_allow = [\"127.0.0.1:8081\", \"intranet.example\"]",
        ))
        .extract()
        .expect("list");
        assert_eq!(
            from_toml.outbound_allow,
            ["127.0.0.1:8081", "intranet.example"]
        );
        let from_env: Settings = Figment::from(Serialized::default(
            "outbound_allow",
            "127.0.0.1:8081, [::1]:9000 intranet.example",
        ))
        .extract()
        .expect("text");
        assert_eq!(
            from_env.outbound_allow,
            ["127.0.0.1:8081", "[::1]:9000", "intranet.example"]
        );
        assert!(Settings::default().outbound_allow.is_empty());
    }

    #[test]
    fn connection_cap_defaults_to_the_open_file_limit() {
        let auto = HttpSettings::default().effective_max_connections();
        assert!(auto >= 16, "{auto}");
        if let Some(n) = open_file_limit() {
            assert_eq!(auto, (n / 4 * 3).clamp(16, 1_000_000));
        }
        let set = HttpSettings {
            max_connections: 5,
            ..HttpSettings::default()
        };
        assert_eq!(set.effective_max_connections(), 5);
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret("hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
        let mut all = Settings::default();
        all.providers.paypal.client_secret = Secret("pp-hunter2".into());
        assert!(!format!("{all:?}").contains("pp-hunter2"));
    }
}
