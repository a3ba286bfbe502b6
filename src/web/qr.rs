//! QR codes as inline SVG: the two-factor enrolment page and the campaign poster.

/// An inline SVG QR code of `text` (no script, no external reference), labelled for screen
/// readers; safe to put into a page as markup.
pub fn qr_svg(text: &str, label: &str) -> Option<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg")?;
    let label: String = label
        .chars()
        .filter(|c| !matches!(c, '<' | '>' | '"' | '&'))
        .collect();
    Some(format!(
        "<svg role=\"img\" aria-label=\"{label}\" class=\"qr\"{}",
        &svg[start + 4..]
    ))
}
