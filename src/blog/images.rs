//! Responsive images in post pages: an `<img>` whose `src` is a local uploaded image
//! (`/media/<id>.<ext>`) gets `srcset` (its narrower copies, see `console::media`), `sizes`,
//! `width`/`height` and `loading="lazy"`. Runs on the sanitised HTML; any other image
//! (imported, external) is left alone.

use std::collections::HashMap;

use crate::db::{Db, DbResult};

/// The column the post text is laid out in.
pub const SIZES: &str = "(max-width: 44rem) 100vw, 44rem";

/// What is known of a stored original image (its size and its copies' widths).
pub use crate::media::Dimensions as Info;

/// `(id, ext)` of a local media path `/media/<32 hex>.<jpg|png>`.
pub fn media_id(src: &str) -> Option<(&str, &str)> {
    let file = src.strip_prefix("/media/")?;
    let (id, ext) = file.split_once('.')?;
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) && matches!(ext, "jpg" | "png"))
        .then_some((id, ext))
}

/// Finds each `<img …>` tag: (start, end exclusive, src).
fn img_tags(html: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = html[from..].find("<img ") {
        let start = from + i;
        let Some(len) = html[start..].find('>') else {
            break;
        };
        let end = start + len + 1;
        let tag = &html[start..end];
        if let Some(src) = attr(tag, "src") {
            out.push((start, end, src.to_string()));
        }
        from = end;
    }
    out
}

/// The value of a double-quoted attribute in one tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    let len = tag[i..].find('"')?;
    Some(&tag[i..i + len])
}

/// The attributes to add for one image.
fn extra_attrs(id: &str, ext: &str, info: &Info, lazy: bool) -> String {
    let mut s = String::new();
    if !info.variants.is_empty() {
        let mut set: Vec<String> = info
            .variants
            .iter()
            .map(|w| format!("/media/{id}-{w}.{ext} {w}w"))
            .collect();
        set.push(format!("/media/{id}.{ext} {}w", info.width));
        s.push_str(&format!(" srcset=\"{}\" sizes=\"{SIZES}\"", set.join(", ")));
    }
    s.push_str(&format!(
        " width=\"{}\" height=\"{}\"",
        info.width, info.height
    ));
    if lazy {
        s.push_str(" loading=\"lazy\"");
    }
    s
}

/// Adds the responsive attributes to every local media `<img>` in `html` that `known`
/// describes. Tags that already carry `srcset` or `width` are left as they are.
pub fn rewrite(html: &str, known: &HashMap<String, Info>, lazy: bool) -> String {
    let mut out = String::with_capacity(html.len() + 256);
    let mut at = 0;
    for (start, end, src) in img_tags(html) {
        let Some((id, ext)) = media_id(&src) else {
            continue;
        };
        let Some(info) = known.get(id) else {
            continue;
        };
        let tag = &html[start..end];
        if attr(tag, "srcset").is_some() || attr(tag, "width").is_some() {
            continue;
        }
        let close = if tag.ends_with("/>") {
            end - 2
        } else {
            end - 1
        };
        let body = html[start..close].trim_end();
        out.push_str(&html[at..start]);
        out.push_str(body);
        out.push_str(&extra_attrs(id, ext, info, lazy));
        out.push('>');
        at = end;
    }
    out.push_str(&html[at..]);
    out
}

/// The stored originals (and their copies) among `ids` (through `media`, the table's home).
pub async fn lookup(db: &Db, ids: &[&str]) -> DbResult<HashMap<String, Info>> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(*id) {
            continue;
        }
        if let Some(info) = crate::media::dimensions(db, id).await? {
            out.insert((*id).to_string(), info);
        }
    }
    Ok(out)
}

/// [`rewrite`] with the images looked up: the post body (lazy loading).
pub async fn responsive(db: &Db, html: &str) -> DbResult<String> {
    let srcs = img_tags(html);
    let ids: Vec<&str> = srcs
        .iter()
        .filter_map(|(_, _, src)| media_id(src).map(|(id, _)| id))
        .collect();
    if ids.is_empty() {
        return Ok(html.to_string());
    }
    let known = lookup(db, &ids).await?;
    Ok(rewrite(html, &known, true))
}

/// The featured image as a responsive `<img>` (not lazy: it is at the top of the page), when
/// it is a stored upload; empty otherwise (an imported or external featured image stays
/// out of the page, as before, and only reaches the metadata).
pub async fn featured(db: &Db, url: &str, alt: Option<&str>) -> DbResult<String> {
    let Some((id, ext)) = media_id(url) else {
        return Ok(String::new());
    };
    let known = lookup(db, &[id]).await?;
    if !known.contains_key(id) {
        return Ok(String::new());
    }
    let alt = shelfraiser_formats::html::escape(alt.unwrap_or(""));
    let tag = format!("<img class=\"featured\" src=\"/media/{id}.{ext}\" alt=\"{alt}\">");
    Ok(rewrite(&tag, &known, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn only_local_media_images_change() {
        let mut known = HashMap::new();
        known.insert(
            ID.to_string(),
            Info {
                width: 1600,
                height: 800,
                variants: vec![480, 960],
            },
        );
        let html = format!(
            "<p><img src=\"/media/{ID}.jpg\" alt=\"a\"> <img src=\"https://example.org/x.jpg\" alt=\"b\"> <img src=\"/media/{ID}.jpg.evil\" alt=\"c\"></p>"
        );
        let out = rewrite(&html, &known, true);
        assert_eq!(
            out,
            format!(
                "<p><img src=\"/media/{ID}.jpg\" alt=\"a\" srcset=\"/media/{ID}-480.jpg 480w, /media/{ID}-960.jpg 960w, /media/{ID}.jpg 1600w\" sizes=\"{SIZES}\" width=\"1600\" height=\"800\" loading=\"lazy\"> <img src=\"https://example.org/x.jpg\" alt=\"b\"> <img src=\"/media/{ID}.jpg.evil\" alt=\"c\"></p>"
            )
        );
        // Unknown ids are left alone.
        let other = "<img src=\"/media/ffffffffffffffffffffffffffffffff.png\" alt=\"\">";
        assert_eq!(rewrite(other, &known, true), other);
    }

    #[test]
    fn small_images_get_sizes_but_no_srcset() {
        let mut known = HashMap::new();
        known.insert(
            ID.to_string(),
            Info {
                width: 300,
                height: 200,
                variants: vec![],
            },
        );
        let out = rewrite(
            &format!("<img src=\"/media/{ID}.png\" alt=\"\"/>"),
            &known,
            false,
        );
        assert_eq!(
            out,
            format!("<img src=\"/media/{ID}.png\" alt=\"\" width=\"300\" height=\"200\">")
        );
    }
}
