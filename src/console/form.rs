//! Pieces the console's forms share: select options and the moderation queues' action form
//! (money input's messages are the language's: `I18n::money_error`).

use serde::Deserialize;

/// A moderation queue's action on one item (an event's entry, a Webmention): the form token,
/// the action's name and the list or tab to go back to.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ModerateForm {
    pub csrf: String,
    pub action: String,
    pub from: String,
}

/// One choice of a select, radio group or checkbox list.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}
