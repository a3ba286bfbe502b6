//! The receipt as a one-page A4 PDF (krilla): text only, in DejaVu Sans, embedded as a subset
//! with its Unicode map, so the PDF shows the same on every reader and its text can be
//! searched and copied (amounts, the receipt number).

use krilla::Document;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};

use super::Receipt;

/// DejaVu Sans (Bitstream Vera licence: `assets/fonts/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 56.0;
const VALUE_X: f32 = 230.0;

/// The receipt's PDF bytes.
pub fn render(r: &Receipt) -> anyhow::Result<Vec<u8>> {
    let font = Font::new(FONT.into(), 0).ok_or_else(|| anyhow::anyhow!("unreadable font"))?;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!("{} {}", r.labels.title, r.number))
            .language(r.lang.to_string()),
    );
    let page_size =
        PageSettings::from_wh(WIDTH, HEIGHT).ok_or_else(|| anyhow::anyhow!("page size"))?;
    let mut page = doc.start_page_with(page_size);
    let mut s = page.surface();
    let mut text = |x: f32, y: f32, size: f32, t: &str| {
        s.draw_text(
            Point::from_xy(x, y),
            font.clone(),
            size,
            t,
            false,
            TextDirection::Auto,
        );
    };
    text(LEFT, 80.0, 22.0, &r.labels.title);
    text(LEFT, 108.0, 13.0, &r.organisation);
    let mut y = 160.0;
    for (label, value) in r.rows() {
        text(LEFT, y, 11.0, label);
        text(VALUE_X, y, 11.0, value);
        y += 24.0;
    }
    y += 24.0;
    for line in wrap(&r.labels.thanks, 80) {
        text(LEFT, y, 11.0, &line);
        y += 16.0;
    }
    s.finish();
    page.finish();
    doc.finish()
        .map_err(|e| anyhow::anyhow!("the receipt PDF could not be written: {e:?}"))
}

/// `t` in lines of at most `width` characters, broken at spaces.
fn wrap(t: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in t.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("", 5), Vec::<String>::new());
    }
}
