//! Reading the editors' multipart bodies: the text fields as typed, the chosen files (each at
//! most [`media::MAX_UPLOAD_BYTES`]), and — when the whole body went over the route's limit
//! ([`EDITOR_BODY_MAX`], see `http::limits::soft_cap`) — what was read before that point, so
//! the editor is shown again with the text and the reason instead of a bare 413.

use axum::extract::multipart::{Field, Multipart, MultipartError};
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use crate::http::AppError;
use crate::http::limits::OverLimit;
use crate::i18n::I18n;
use crate::media;
use crate::web::form::Fields;

/// What an editor's body may carry at most: two images at the upload limit (the post
/// editor's featured image and inserted image) and a megabyte of text.
pub const EDITOR_BODY_MAX: usize = 2 * media::MAX_UPLOAD_BYTES + 1024 * 1024;

/// [`EDITOR_BODY_MAX`] in whole megabytes, for messages.
pub const EDITOR_BODY_MAX_MB: usize = EDITOR_BODY_MAX / (1024 * 1024);

/// Most text fields kept from one body (the editors have a few dozen).
const MAX_FIELDS: usize = 500;

/// What an editor posted.
#[derive(Default)]
pub struct Posted {
    pub fields: Fields,
    /// Chosen files by field name (fields whose file was empty or too large are left out).
    pub files: Vec<(&'static str, Vec<u8>)>,
    /// The first file field whose file was over [`media::MAX_UPLOAD_BYTES`] (its bytes were
    /// dropped; the rest of the body was still read).
    pub too_large: Option<&'static str>,
    /// The body went over [`EDITOR_BODY_MAX`]: the fields after that point are missing, and
    /// this names the file field being read then (or the first file field).
    pub cut: Option<&'static str>,
}

impl Posted {
    /// The file posted in field `name`, if one was chosen and kept.
    pub fn take_file(&mut self, name: &str) -> Option<Vec<u8>> {
        let i = self.files.iter().position(|(n, _)| *n == name)?;
        Some(self.files.remove(i).1)
    }
}

/// The answer to a body that is not readable multipart (not over the limit): 400.
fn unreadable(e: MultipartError) -> Response {
    AppError::BadRequest(e.body_text()).into_response()
}

/// Reads a file field: its bytes (empty when no file was chosen), and whether it was over
/// [`media::MAX_UPLOAD_BYTES`] (then the bytes are dropped, but the field is still read to
/// its end, so the answer arrives).
async fn read_file(field: &mut Field<'_>) -> Result<(Vec<u8>, bool), MultipartError> {
    let mut buf = Vec::new();
    let mut over = false;
    while let Some(chunk) = field.chunk().await? {
        if buf.len() + chunk.len() > media::MAX_UPLOAD_BYTES {
            over = true;
            buf.clear();
        } else if !over {
            buf.extend_from_slice(&chunk);
        }
    }
    Ok((buf, over))
}

/// Reads the body: `file_fields` are the names of its file inputs (every other field is
/// text). `Err` only for a body that is not multipart at all (400); a body over the limit is
/// `Ok` with [`Posted::cut`] set.
pub async fn read(
    mp: &mut Multipart,
    file_fields: &[&'static str],
    over: &OverLimit,
) -> Result<Posted, Response> {
    let mut p = Posted::default();
    let cut_at = |current: Option<&'static str>| current.or(file_fields.first().copied());
    loop {
        let mut field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) if over.hit() => {
                p.cut = cut_at(None);
                break;
            }
            Err(e) => return Err(unreadable(e)),
        };
        let name = field.name().unwrap_or("").to_string();
        if let Some(which) = file_fields.iter().copied().find(|f| *f == name) {
            match read_file(&mut field).await {
                Ok((_, true)) => {
                    p.too_large.get_or_insert(which);
                }
                Ok((buf, false)) if !buf.is_empty() => p.files.push((which, buf)),
                Ok(_) => {}
                Err(_) if over.hit() => {
                    p.cut = cut_at(Some(which));
                    break;
                }
                Err(e) => return Err(unreadable(e)),
            }
        } else {
            match field.text().await {
                Ok(text) if p.fields.0.len() < MAX_FIELDS => p.fields.0.push((name, text)),
                Ok(_) => {}
                Err(_) if over.hit() => {
                    p.cut = cut_at(None);
                    break;
                }
                Err(e) => return Err(unreadable(e)),
            }
        }
    }
    Ok(p)
}

/// Why a file over [`media::MAX_UPLOAD_BYTES`] was refused.
pub fn too_large_message(tr: &I18n) -> String {
    tr.ta(
        "console-error-image-too-large",
        [("max", media::MAX_UPLOAD_MB.to_string())],
    )
}

/// Why the rest of a body over [`EDITOR_BODY_MAX`] was not read.
pub fn cut_message(tr: &I18n) -> String {
    tr.ta(
        "console-error-body-too-large",
        [("max", EDITOR_BODY_MAX_MB.to_string())],
    )
}

/// Why an image was refused, and the status to answer with.
pub fn refusal(tr: &I18n, err: &media::MediaError) -> (String, StatusCode) {
    let (key, status) = err.refusal();
    (
        tr.ta(key, [("max", media::MAX_UPLOAD_MB.to_string())]),
        status,
    )
}
