//! The site's identity as a form shows it (`templates/site_fields.html`): the first-run
//! setup page and the console's site settings share the fields, their checks
//! (`i18n::site::Site::checked`) and their messages.

use super::form::{Errors, Fields};
use crate::i18n::site::Site;
use crate::i18n::{I18n, SUPPORTED};

/// What the identity fields show: as stored, or as typed.
#[derive(Debug, Clone, Default)]
pub struct SiteFields {
    pub name: String,
    pub description: String,
    pub language: String,
    pub timezone: String,
    pub footer: String,
}

/// One language of the select.
pub struct LangOpt {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

impl SiteFields {
    pub fn of(site: &Site) -> SiteFields {
        SiteFields {
            name: site.name.clone(),
            description: site.description.clone(),
            language: site.language.unwrap_or("en").to_string(),
            timezone: site.timezone.clone(),
            footer: site.footer.clone(),
        }
    }

    /// As posted (each cut to what the form shows again).
    pub fn posted(f: &Fields) -> SiteFields {
        SiteFields {
            name: f.text("site_name", 200),
            description: f.text("site_description", 400),
            language: f.text("site_language", 10),
            timezone: f.text("site_timezone", 64),
            footer: f.text("site_footer", 400),
        }
    }

    /// The identity, or every field at fault in the page's language.
    pub fn checked(&self, tr: &I18n) -> Result<Site, Errors> {
        Site::checked(
            &self.name,
            &self.description,
            &self.language,
            &self.timezone,
            &self.footer,
        )
        .map_err(|problems| {
            let mut e = Errors::default();
            for p in problems {
                e.add(p.field, tr.t(p.key));
            }
            e
        })
    }

    /// The language select's options.
    pub fn languages(&self) -> Vec<LangOpt> {
        SUPPORTED
            .iter()
            .map(|(code, name)| LangOpt {
                value: code,
                label: name,
                selected: *code == self.language,
            })
            .collect()
    }
}
