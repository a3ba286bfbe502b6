//! The live badge: an SVG a supporter puts on their site (`<img src=".../badge.svg">`). It is
//! drawn here, text and bar, with no fonts or scripts of its own: an image elsewhere cannot
//! load either.

use shelfraiser_formats::html::escape;

/// Width and height, in CSS pixels.
pub const WIDTH: u32 = 320;
pub const HEIGHT: u32 = 72;
/// The bar's left edge and length.
const BAR_X: u32 = 12;
const BAR_W: u32 = WIDTH - 2 * BAR_X;
/// Titles longer than this are cut (the badge is one line wide).
const TITLE_CHARS: usize = 38;

/// What the badge says, in the reader's language.
pub struct Badge<'a> {
    pub title: &'a str,
    /// "£1,250 raised of £5,000" (already formatted).
    pub amounts: &'a str,
    /// "25% of the goal".
    pub percent: &'a str,
    /// The bar's fill, 0–100.
    pub bar: i64,
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n - 1).collect();
    out.push('…');
    out
}

/// The badge as an SVG document.
pub fn svg(b: &Badge<'_>) -> String {
    let fill = (b.bar.clamp(0, 100) as u32 * BAR_W) / 100;
    let title = escape(&cut(b.title, TITLE_CHARS));
    let full_title = escape(b.title);
    let amounts = escape(b.amounts);
    let percent = escape(b.percent);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"t\">\
         <title id=\"t\">{full_title}: {amounts} ({percent})</title>\
         <rect x=\"0.5\" y=\"0.5\" width=\"{w}\" height=\"{h}\" rx=\"8\" fill=\"#fffdf8\" stroke=\"#d9d4c7\"/>\
         <g font-family=\"DejaVu Sans,Verdana,Arial,sans-serif\">\
         <text x=\"{BAR_X}\" y=\"24\" font-size=\"14\" font-weight=\"bold\" fill=\"#1f2937\">{title}</text>\
         <rect x=\"{BAR_X}\" y=\"33\" width=\"{BAR_W}\" height=\"10\" rx=\"5\" fill=\"#e5e1d8\"/>\
         <rect x=\"{BAR_X}\" y=\"33\" width=\"{fill}\" height=\"10\" rx=\"5\" fill=\"#1f7a4d\"/>\
         <text x=\"{BAR_X}\" y=\"61\" font-size=\"12\" fill=\"#374151\">{amounts} · {percent}</text>\
         </g></svg>",
        w = WIDTH - 1,
        h = HEIGHT - 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_is_escaped_accessible_and_its_bar_clamped() {
        let b = Badge {
            title: "Books & <bikes> for \"Kalpakkam\" — a much longer title than fits on a badge",
            amounts: "£1,250 raised of £5,000",
            percent: "25% of the goal",
            bar: 25,
        };
        let s = svg(&b);
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(s.contains("role=\"img\" aria-labelledby=\"t\""));
        assert!(s.contains("<title id=\"t\">Books &amp; &lt;bikes&gt; for &quot;Kalpakkam&quot;"));
        assert!(!s.contains("<bikes>"));
        assert!(s.contains("…</text>"), "the title is cut: {s}");
        assert!(s.contains("width=\"74\" height=\"10\""), "25% of 296: {s}");
        let over = svg(&Badge { bar: 250, ..b });
        assert!(over.contains("width=\"296\" height=\"10\" rx=\"5\" fill=\"#1f7a4d\""));
    }
}
