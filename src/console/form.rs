//! Pieces the console's forms share: select options (money input's messages are the
//! language's: `I18n::money_error`).

/// One choice of a select, radio group or checkbox list.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}
