//! Entries from the fediverse: the handler of federation's `tagged_note` job (a note with
//! hashtags that mentions a campaign's actor or replies to it; see `federation::tagged`).
//!
//! * Created: when one of its hashtags is that of a *published* event of the campaign whose
//!   day is at most [`NEAR_DAYS`](super::NEAR_DAYS) days from the note's publication day,
//!   the note becomes a pending entry of source `fediverse` (the nearest such event): its
//!   link the note's page (else its id), its title the note's text shortened, its name the
//!   author's `@user@host`. One link once per event (a redelivery adds nothing).
//! * Updated: a still-pending entry of the note takes the new text; nothing is created and
//!   nothing moderated changes.
//! * Deleted by its author: a still-pending entry of the note is removed; an approved or
//!   rejected one stays (the team decided on it, and a gallery entry links to a page that
//!   now answers "gone" — the team can reject it).

use chrono::{DateTime, Utc};

use super::{NAME_MAX, Source, TITLE_MAX, clean_line};
use crate::db::Db;
use crate::federation::tagged::{Change, TaggedNote};

/// The longest title made from a note's text (characters, the ellipsis included).
pub const NOTE_TITLE_MAX: usize = 140;

/// A note's text as an entry's title: one line, cut at a word near [`NOTE_TITLE_MAX`].
pub fn title_of(text: &str, fallback: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let one = clean_line(&one, TITLE_MAX);
    if one.is_empty() {
        return clean_line(fallback, TITLE_MAX);
    }
    if one.chars().count() <= NOTE_TITLE_MAX {
        return one;
    }
    let cut: String = one.chars().take(NOTE_TITLE_MAX - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > NOTE_TITLE_MAX / 2 => cut[..i].to_string(),
        _ => cut,
    };
    format!("{}…", cut.trim_end())
}

/// Runs one `tagged_note` job.
pub async fn on_tagged_note(db: &Db, p: &TaggedNote, now: DateTime<Utc>) -> anyhow::Result<()> {
    match p.change {
        Change::Deleted => {
            super::withdraw_pending(db, Source::Fediverse, &p.note_id, None).await?;
        }
        Change::Updated => {
            let title = title_of(&p.text, &p.url);
            super::repo::retitle_pending(db, Source::Fediverse.as_str(), &p.note_id, &title)
                .await?;
        }
        Change::Created => {
            let on = p.published.min(now).date_naive();
            let Some(event) = super::near(db, &p.campaign_id, &p.hashtags, on).await? else {
                return Ok(());
            };
            let Ok(url) = super::entry_url(&p.url) else {
                return Ok(());
            };
            super::submit(
                db,
                &event.id,
                Source::Fediverse,
                &p.note_id,
                &url,
                &title_of(&p.text, &url),
                &clean_line(&p.author_name, NAME_MAX),
                now,
            )
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_becomes_a_one_line_title() {
        assert_eq!(title_of("  My\nvideo  ", "u"), "My video");
        assert_eq!(
            title_of(" ", "https://m.example/@a/1"),
            "https://m.example/@a/1"
        );
        let long = "word ".repeat(60);
        let t = title_of(&long, "u");
        assert!(t.ends_with("word…"), "{t}");
        assert!(t.chars().count() <= NOTE_TITLE_MAX);
    }
}
