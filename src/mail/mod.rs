//! Outgoing e-mail. Every message has a plain-text and an HTML part (and may carry
//! attachments, e.g. a receipt's PDF), is kept in the
//! `outbox` table (the console shows it) and is then sent through SMTP (lettre) when
//! `mail.smtp_url` is set, or written as an `.eml` file under `<data_dir>/outbox/` when not
//! (and in `--demo`).

use std::path::PathBuf;

use askama::Template;
use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::Settings;
use crate::db::{Db, DbError, DbResult};
use crate::email::Email;
use crate::i18n::I18n;
use crate::on_db;

/// A message ready to send.
#[derive(Debug, Clone)]
pub struct Message {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Files sent with the message (none for most).
    pub attachments: Vec<Attachment>,
}

/// A file sent with a message.
#[derive(Clone)]
pub struct Attachment {
    /// The file name the recipient sees, e.g. `receipt-LIB-000042.pdf`.
    pub name: String,
    /// Its MIME type, e.g. `application/pdf`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

impl Attachment {
    /// How the console's outbox lists it: `name (type, N bytes)`.
    fn summary(&self) -> String {
        format!(
            "{} ({}, {} bytes)",
            self.name,
            self.content_type,
            self.bytes.len()
        )
    }
}

/// The message's body: the text and HTML alternatives, inside a `multipart/mixed` with the
/// attachments when it has any.
fn body_of(m: &Message) -> Result<MultiPart, MailError> {
    let alternative = MultiPart::alternative_plain_html(m.text.clone(), m.html.clone());
    if m.attachments.is_empty() {
        return Ok(alternative);
    }
    let mut mixed = MultiPart::mixed().multipart(alternative);
    for a in &m.attachments {
        let ct = ContentType::parse(&a.content_type)
            .map_err(|e| MailError::Build(format!("attachment type: {e}")))?;
        let part: SinglePart =
            lettre::message::Attachment::new(a.name.clone()).body(a.bytes.clone(), ct);
        mixed = mixed.singlepart(part);
    }
    Ok(mixed)
}

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct NoticeText<'a> {
    tr: &'a I18n,
    site: String,
    name: String,
    intro: String,
    action: String,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct NoticeHtml<'a> {
    tr: &'a I18n,
    subject: String,
    site: String,
    name: String,
    intro: String,
    action: String,
    url: &'a str,
}

/// A short notice (greeting, one paragraph, one link) in both parts.
pub fn notice(
    tr: &I18n,
    to: Email,
    name: &str,
    subject: String,
    intro: String,
    action: String,
    url: &str,
) -> anyhow::Result<Message> {
    let site = tr.t("site-name");
    let text = NoticeText {
        tr,
        site: site.clone(),
        name: name.to_string(),
        intro: intro.clone(),
        action: action.clone(),
        url,
    }
    .render()?;
    let html = NoticeHtml {
        tr,
        subject: subject.clone(),
        site,
        name: name.to_string(),
        intro,
        action,
        url,
    }
    .render()?;
    Ok(Message {
        to,
        subject,
        text,
        html,
        attachments: Vec::new(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail settings are invalid: {0}")]
    Config(String),
    #[error("the message could not be built: {0}")]
    Build(String),
    #[error("the mail server refused or could not be reached: {0}")]
    Send(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot write the outbox file: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Clone)]
pub struct Mailer {
    db: Db,
    from: Mailbox,
    /// The site's identity (the node's copy, shared with `AppState`): its name is the
    /// sender's display name when `mail.from` gives none (or the product's default).
    site: std::sync::Arc<crate::i18n::site::SiteCache>,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    outbox_dir: PathBuf,
}

impl Mailer {
    pub fn new(settings: &Settings, db: Db) -> Result<Mailer, MailError> {
        let from: Mailbox = settings
            .mail
            .from
            .parse()
            .map_err(|e| MailError::Config(format!("mail.from: {e}")))?;
        let smtp = if settings.mail.smtp_url.is_set() && !settings.demo {
            Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.mail.smtp_url.0)
                    .map_err(|e| MailError::Config(format!("mail.smtp_url: {e}")))?
                    .build(),
            )
        } else {
            None
        };
        Ok(Mailer {
            db,
            from,
            site: Default::default(),
            smtp,
            outbox_dir: settings.data_dir.join("outbox"),
        })
    }

    /// The node's copy of the site's identity (`AppState` shares it).
    pub fn site(&self) -> std::sync::Arc<crate::i18n::site::SiteCache> {
        self.site.clone()
    }

    /// A message's translator in `lang` that speaks for the site (its configured name in
    /// subjects and bodies).
    pub async fn tr(&self, lang: &str) -> I18n {
        I18n::new(lang).with_site(self.site.get(&self.db).await)
    }

    /// Keeps the message in the outbox, then delivers it (SMTP or `.eml` file).
    pub async fn send(&self, m: &Message) -> Result<(), MailError> {
        self.send_keyed(m, None).await
    }

    /// [`Self::send`] for a job that may be retried: with a `key`, the message keeps one
    /// outbox row whatever the number of attempts — a retry delivers that row again (as
    /// built now), and once it was delivered a retry sends nothing.
    pub async fn send_keyed(&self, m: &Message, key: Option<&str>) -> Result<(), MailError> {
        self.send_with(m, key, None).await
    }

    /// [`Self::send_keyed`] for a message to a list (a campaign's updates): it carries
    /// `List-Unsubscribe: <unsubscribe>` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
    /// (RFC 8058), so mail programs offer one-click unsubscribing by a POST to that address.
    pub async fn send_to_list(
        &self,
        m: &Message,
        key: &str,
        unsubscribe: &str,
    ) -> Result<(), MailError> {
        self.send_with(m, Some(key), Some(unsubscribe)).await
    }

    async fn send_with(
        &self,
        m: &Message,
        key: Option<&str>,
        unsubscribe: Option<&str>,
    ) -> Result<(), MailError> {
        let attachments = m
            .attachments
            .iter()
            .map(Attachment::summary)
            .collect::<Vec<_>>()
            .join("\n");
        let kept: Option<(String, Option<DateTime<Utc>>)> = match key {
            Some(k) => on_db!(&self.db, |p| sqlx::query_as(
                "SELECT id, sent_at FROM outbox WHERE dedupe_key = $1"
            )
            .bind(k)
            .fetch_optional(p)
            .await
            .map_err(DbError::from)?),
            None => None,
        };
        let id = match kept {
            Some((_, Some(_))) => return Ok(()),
            Some((id, None)) => {
                on_db!(&self.db, |p| sqlx::query(
                    "UPDATE outbox SET to_addr = $2, subject = $3, text_body = $4, \
                     html_body = $5, attachments = $6, error = NULL WHERE id = $1"
                )
                .bind(&id)
                .bind(m.to.as_str())
                .bind(&m.subject)
                .bind(&m.text)
                .bind(&m.html)
                .bind(&attachments)
                .execute(p)
                .await
                .map_err(DbError::from)?
                .rows_affected());
                id
            }
            None => self.keep(m, &attachments, key).await?,
        };
        self.deliver(m, &id, unsubscribe).await
    }

    /// A new outbox row for `m`; its id.
    async fn keep(
        &self,
        m: &Message,
        attachments: &str,
        key: Option<&str>,
    ) -> Result<String, MailError> {
        let id = uuid::Uuid::new_v4().to_string();
        on_db!(&self.db, |p| {
            sqlx::query(
            "INSERT INTO outbox (id, to_addr, subject, text_body, html_body, created_at, attachments, dedupe_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(&id)
        .bind(m.to.as_str())
        .bind(&m.subject)
        .bind(&m.text)
        .bind(&m.html)
        .bind(Utc::now())
        .bind(attachments)
        .bind(key)
        .execute(p)
        .await
        .map_err(DbError::from)?
        .rows_affected()
        });
        Ok(id)
    }

    /// Delivers `m`, kept as outbox row `id`, and notes the outcome on the row.
    async fn deliver(
        &self,
        m: &Message,
        id: &str,
        unsubscribe: Option<&str>,
    ) -> Result<(), MailError> {
        let to: Mailbox =
            m.to.as_str()
                .parse()
                .map_err(|e| MailError::Build(format!("{e}")))?;
        // The site's name as the sender's, unless `mail.from` names another than the
        // product's default.
        let from = match (
            self.from.name.as_deref(),
            self.site.get(&self.db).await.name(),
        ) {
            (None | Some("Shelfraiser"), Some(name)) => {
                Mailbox::new(Some(name.to_string()), self.from.email.clone())
            }
            _ => self.from.clone(),
        };
        let mut builder = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(&m.subject);
        if let Some(url) = unsubscribe {
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost);
        }
        let email = builder
            .multipart(body_of(m)?)
            .map_err(|e| MailError::Build(e.to_string()))?;
        let result = match &self.smtp {
            Some(t) => t
                .send(email)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Send(e.to_string())),
            None => {
                tokio::fs::create_dir_all(&self.outbox_dir).await?;
                tokio::fs::write(self.outbox_dir.join(format!("{id}.eml")), email.formatted())
                    .await?;
                Ok(())
            }
        };
        let (sent_at, error) = match &result {
            Ok(()) => (Some(Utc::now()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        on_db!(&self.db, |p| sqlx::query(
            "UPDATE outbox SET sent_at = $2, error = $3 WHERE id = $1"
        )
        .bind(id)
        .bind(sent_at)
        .bind(error)
        .execute(p)
        .await
        .map_err(DbError::from)?
        .rows_affected());
        result
    }
}

impl Mailer {
    /// Erasure: every kept message to `address` (any case) is addressed to `pseudonym` from
    /// now on and loses its subject, bodies and attachment list; its `.eml` file, if there is
    /// one, is overwritten with a stub naming only the pseudonym. The number of messages.
    pub async fn erase(&self, address: &str, pseudonym: &str) -> Result<u64, MailError> {
        let ids: Vec<String> = on_db!(&self.db, |p| sqlx::query_scalar(
            "SELECT id FROM outbox WHERE LOWER(to_addr) = LOWER($1)"
        )
        .bind(address)
        .fetch_all(p)
        .await
        .map_err(DbError::from)?);
        for id in &ids {
            on_db!(&self.db, |p| sqlx::query(
                "UPDATE outbox SET to_addr = $2, subject = $3, text_body = '', html_body = '', \
                 attachments = '' WHERE id = $1"
            )
            .bind(id)
            .bind(pseudonym)
            .bind(ERASED_SUBJECT)
            .execute(p)
            .await
            .map_err(DbError::from)?
            .rows_affected());
            let file = self.outbox_dir.join(format!("{id}.eml"));
            if tokio::fs::try_exists(&file).await.unwrap_or(false) {
                let stub = format!(
                    "To: {pseudonym}\r\nSubject: {ERASED_SUBJECT}\r\n\r\n\
                     This message was erased at its recipient's request.\r\n"
                );
                tokio::fs::write(&file, stub).await?;
            }
        }
        Ok(ids.len() as u64)
    }
}

/// The subject an erased message keeps.
pub const ERASED_SUBJECT: &str = "(erased)";

/// A kept message as the console's outbox page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Kept {
    pub to_addr: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    /// When it was delivered (SMTP or file); `None` while not, or when it failed.
    pub sent_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// Its attachments, `name (type, N bytes)` per line; empty when none.
    pub attachments: String,
}

/// The kept messages, newest first: at most `limit` of them after skipping `offset`.
pub async fn kept(db: &Db, limit: i64, offset: i64) -> DbResult<Vec<Kept>> {
    Ok(on_db!(db, |p| sqlx::query_as::<_, Kept>(
        "SELECT to_addr, subject, created_at, sent_at, error, attachments FROM outbox \
         ORDER BY created_at DESC, id LIMIT $1 OFFSET $2"
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(p)
    .await?))
}

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl lettre::message::header::Header for ListUnsubscribe {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl lettre::message::header::Header for ListUnsubscribePost {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(
            Self::name(),
            "List-Unsubscribe=One-Click".to_string(),
        )
    }
}
