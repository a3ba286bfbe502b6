//! Promotion: what helps supporters spread the word about a campaign, without any
//! third-party script or tracker.
//!
//! * [`badge`]: the live badge, `/campaigns/{slug}/badge.svg` — the campaign's title, a
//!   progress bar and "£X raised of £Y", for a supporter's blog or a forum signature; an
//!   accessible image (`<title>`, `role="img"`), cached a minute.
//! * [`embed`]: the embeddable card, `/campaigns/{slug}/embed` (the campaign's card with its
//!   live progress, the only page other sites may frame), and the oEmbed endpoint
//!   `/oembed?url=…` that the campaign page advertises, so that pasting the campaign's
//!   address into WordPress or another oEmbed consumer embeds the card.
//! * [`share`]: the share kit (`/campaigns/{slug}/share`: short and long texts in the
//!   reader's language, each network's own share address filled in, the badge's and the
//!   card's code) and the printable poster with a QR code (`/campaigns/{slug}/poster`).
//! * [`newsletter`]: e-mail updates — the updates form (`/campaigns/{slug}/updates`, a news
//!   consent confirmed by mail) and each new campaign post mailed to those who confirmed,
//!   with one-click unsubscribing.
//! * [`referrals`]: supporters' own links `/r/{code}` (made on the share kit, managed through
//!   a secret address), the donations they brought (read through
//!   `donations::attribution`) and the supporters' leaderboard
//!   (`/campaigns/{slug}/supporters`).
//! * [`events`]: hashtag days and challenges — an awareness day's event page
//!   (`/campaigns/{slug}/events/{event}`) with its entry form and gallery of approved entries.
//! * `pages`: the routes; [`repo`]: the store.

pub mod badge;
pub mod chart;
pub mod embed;
pub mod events;
pub mod insight;
pub mod newsletter;
pub mod pages;
pub mod referrals;
pub mod repo;
pub mod share;
