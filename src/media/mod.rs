//! Uploaded images: checked by their first bytes (JPEG, PNG or WebP only), at most
//! [`MAX_UPLOAD_BYTES`] (room for what phone cameras save), decoded with limits, turned
//! upright, scaled down to fit [`MAX_WIDTH`] × [`MAX_HEIGHT`] pixels and re-encoded (which
//! drops EXIF, GPS and every other metadata block). The result is stored in the `media` table, so every app node serves it,
//! at `/media/<id>.<ext>` with a year-long immutable cache (the id never gets new bytes).
//!
//! Post images ([`process_with_variants`]) also keep narrower copies at
//! [`VARIANT_WIDTHS`] (only those narrower than the stored original), rows linked to the
//! original by `parent_id`, served at `/media/<id>-<width>.<ext>` (see `blog::images`,
//! which reads their sizes through [`dimensions`]). The `media` table's SQL is in `store`.

use std::io::Cursor;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::http::{AppError, AppState};

mod store;

pub use store::{Dimensions, dimensions, insert_in, insert_with_variants_in};

/// Largest upload accepted: a phone's full-size photo (commonly 3–12 MB) with room to spare.
/// Bigger files are refused with the form shown again (see `console::upload`).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// [`MAX_UPLOAD_BYTES`] in whole megabytes, for messages.
pub const MAX_UPLOAD_MB: usize = MAX_UPLOAD_BYTES / (1024 * 1024);
/// Wider images are scaled down to this width.
pub const MAX_WIDTH: u32 = 1600;
/// Taller images are scaled down to this height (so the longest side of what is stored is at
/// most 2400 pixels: a portrait phone photo keeps its shape without a 3,000-pixel column).
pub const MAX_HEIGHT: u32 = 2400;
/// Widths of the narrower copies kept for post images.
pub const VARIANT_WIDTHS: [u32; 2] = [480, 960];
/// Wider or taller sources are refused before decoding (decompression bombs: a few KB of
/// PNG can declare 12,000 × 12,000 pixels, half a gigabyte decoded).
pub const MAX_SOURCE_SIDE: u32 = 10_000;
/// Sources with more pixels than this (40 megapixels, more than any phone camera saves by
/// default) are refused before decoding, too.
pub const MAX_SOURCE_PIXELS: u64 = 40_000_000;
/// What one decode may allocate: a 40-megapixel image at 4 bytes a pixel, with room for the
/// decoder's own buffers.
const MAX_DECODE_ALLOC: u64 = 192 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
}

/// The image type told by its magic bytes, whatever the file name or declared type says.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(Kind::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(Kind::Webp)
    } else {
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("the file is larger than 20 MB")]
    TooLarge,
    #[error("the file is not a JPEG, PNG or WebP image")]
    NotAnImage,
    #[error("the image could not be read")]
    Undecodable,
    #[error("the image has too many pixels")]
    TooManyPixels,
}

impl MediaError {
    /// The console's message key for the refusal, and its status.
    pub fn refusal(&self) -> (&'static str, StatusCode) {
        match self {
            MediaError::TooLarge => (
                "console-error-image-too-large",
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            MediaError::NotAnImage => {
                ("console-error-image-type", StatusCode::UNPROCESSABLE_ENTITY)
            }
            MediaError::Undecodable => (
                "console-error-image-broken",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            MediaError::TooManyPixels => (
                "console-error-image-dimensions",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        }
    }
}

/// A re-encoded image, ready to store.
#[derive(Debug, Clone)]
pub struct Processed {
    pub content_type: &'static str,
    pub ext: &'static str,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Checks, decodes, scales and re-encodes an upload. CPU-bound: call it off the async
/// threads ([`process_blocking`]).
pub fn process(bytes: &[u8]) -> Result<Processed, MediaError> {
    let (kind, img) = decode(bytes)?;
    encode(kind, &img)
}

/// [`process`], plus the narrower copies at [`VARIANT_WIDTHS`] that are narrower than the
/// stored original, as `(width, image)`.
pub fn process_with_variants(bytes: &[u8]) -> Result<(Processed, Vec<Processed>), MediaError> {
    let (kind, img) = decode(bytes)?;
    let original = encode(kind, &img)?;
    let mut variants = Vec::new();
    for w in VARIANT_WIDTHS {
        if w < img.width() {
            variants.push(encode(kind, &scale_to(&img, w))?);
        }
    }
    Ok((original, variants))
}

/// The width to scale a `w` × `h` image to so that it fits [`MAX_WIDTH`] × [`MAX_HEIGHT`]
/// (its shape kept); `None` when it fits already.
fn fitted_width(w: u32, h: u32) -> Option<u32> {
    if w <= MAX_WIDTH && h <= MAX_HEIGHT {
        return None;
    }
    let by_height = u64::from(w) * u64::from(MAX_HEIGHT) / u64::from(h.max(1));
    let width = u64::from(MAX_WIDTH).min(by_height).max(1);
    Some(u32::try_from(width).unwrap_or(MAX_WIDTH))
}

fn scale_to(img: &DynamicImage, width: u32) -> DynamicImage {
    let h = (u64::from(img.height()) * u64::from(width) / u64::from(img.width())).max(1);
    img.resize_exact(
        width,
        u32::try_from(h).unwrap_or(1),
        image::imageops::FilterType::Triangle,
    )
}

/// Checks and decodes an upload, turned upright and scaled down to fit [`MAX_WIDTH`] ×
/// [`MAX_HEIGHT`].
fn decode(bytes: &[u8]) -> Result<(Kind, DynamicImage), MediaError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(MediaError::TooLarge);
    }
    let kind = sniff(bytes).ok_or(MediaError::NotAnImage)?;
    let format = match kind {
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Png => ImageFormat::Png,
        Kind::Webp => ImageFormat::WebP,
    };
    // The dimensions come from the header alone; only then is anything decoded.
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| MediaError::Undecodable)?;
    if w > MAX_SOURCE_SIDE || h > MAX_SOURCE_SIDE || u64::from(w) * u64::from(h) > MAX_SOURCE_PIXELS
    {
        return Err(MediaError::TooManyPixels);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_SIDE);
    limits.max_image_height = Some(MAX_SOURCE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => MediaError::TooManyPixels,
        _ => MediaError::Undecodable,
    })?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => MediaError::TooManyPixels,
        _ => MediaError::Undecodable,
    })?;
    img.apply_orientation(orientation);
    if let Some(width) = fitted_width(img.width(), img.height()) {
        img = scale_to(&img, width);
    }
    Ok((kind, img))
}

/// Re-encodes a decoded image (no metadata is written).
fn encode(kind: Kind, img: &DynamicImage) -> Result<Processed, MediaError> {
    let (width, height) = (img.width(), img.height());
    let mut out = Vec::new();
    // Photos (JPEG, and WebP without transparency) become JPEG; PNG and transparent WebP
    // stay lossless.
    let as_jpeg = kind == Kind::Jpeg || (kind == Kind::Webp && !img.color().has_alpha());
    if as_jpeg {
        let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
        rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out, 85,
        ))
        .map_err(|_| MediaError::Undecodable)?;
        Ok(Processed {
            content_type: "image/jpeg",
            ext: "jpg",
            bytes: out,
            width,
            height,
        })
    } else {
        let img = if img.color().has_alpha() {
            DynamicImage::ImageRgba8(img.to_rgba8())
        } else {
            DynamicImage::ImageRgb8(img.to_rgb8())
        };
        img.write_with_encoder(image::codecs::png::PngEncoder::new_with_quality(
            &mut out,
            image::codecs::png::CompressionType::Default,
            image::codecs::png::FilterType::Adaptive,
        ))
        .map_err(|_| MediaError::Undecodable)?;
        Ok(Processed {
            content_type: "image/png",
            ext: "png",
            bytes: out,
            width,
            height,
        })
    }
}

/// Image decodes running at once in this process: one per core. Each may hold up to
/// [`MAX_DECODE_ALLOC`] bytes, so this bounds the memory uploads can take together
/// (further uploads wait their turn; see [`crate::blocking`]).
static DECODES: std::sync::LazyLock<crate::blocking::Lane> =
    std::sync::LazyLock::new(crate::blocking::Lane::per_core);

/// Runs `f` (a decode) on the blocking thread pool once a decode slot is free.
async fn decode_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, MediaError> + Send + 'static,
) -> Result<T, MediaError> {
    DECODES.run(f).await.unwrap_or(Err(MediaError::Undecodable))
}

/// A small square picture (an avatar) made from an image: decoded with the upload's limits,
/// scaled and cropped to `side` × `side`, re-encoded (no metadata), off the async threads.
pub async fn square_blocking(bytes: Vec<u8>, side: u32) -> Result<Processed, MediaError> {
    decode_blocking(move || {
        let (kind, img) = decode(&bytes)?;
        let img = img.resize_to_fill(side, side, image::imageops::FilterType::Triangle);
        encode(kind, &img)
    })
    .await
}

/// [`process`] on the blocking thread pool, at most one decode per core at once.
pub async fn process_blocking(bytes: Vec<u8>) -> Result<Processed, MediaError> {
    decode_blocking(move || process(&bytes)).await
}

/// [`process_with_variants`] on the blocking thread pool, at most one decode per core at
/// once.
pub async fn process_with_variants_blocking(
    bytes: Vec<u8>,
) -> Result<(Processed, Vec<Processed>), MediaError> {
    decode_blocking(move || process_with_variants(&bytes)).await
}

/// `GET /media/{id}.{ext}` (the original) and `GET /media/{id}-{width}.{ext}` (a narrower
/// copy): public, immutable.
pub async fn serve(
    State(s): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (stem, ext) = file.split_once('.').ok_or(AppError::NotFound)?;
    let (id, width) = match stem.split_once('-') {
        Some((id, w)) => {
            let w: u32 = w.parse().map_err(|_| AppError::NotFound)?;
            if !VARIANT_WIDTHS.contains(&w) || w.to_string() != stem[id.len() + 1..] {
                return Err(AppError::NotFound);
            }
            (id, Some(w))
        }
        None => (stem, None),
    };
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let row = store::file(&s.db, id, width).await?;
    let (content_type, bytes) = row.ok_or(AppError::NotFound)?;
    let want = match ext {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        _ => return Err(AppError::NotFound),
    };
    if content_type != want {
        return Err(AppError::NotFound);
    }
    let etag = format!("\"{stem}\"");
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Response::new(Body::from(bytes))
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type).map_err(|e| AppError::Internal(e.into()))?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([10, 120, 80]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("png");
        out
    }

    #[test]
    fn sniffs_magic_bytes() {
        assert_eq!(sniff(&png(2, 2)), Some(Kind::Png));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some(Kind::Jpeg));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Kind::Webp));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"<svg></svg>"), None);
    }

    #[test]
    fn scales_wide_images_and_refuses_fakes() {
        let p = process(&png(2000, 500)).expect("processed");
        assert_eq!(
            (p.width, p.height, p.content_type),
            (1600, 400, "image/png")
        );
        assert!(matches!(
            process(b"not an image"),
            Err(MediaError::NotAnImage)
        ));
        let (orig, variants) = process_with_variants(&png(2000, 1000)).expect("processed");
        assert_eq!(orig.width, 1600);
        let sizes: Vec<_> = variants.iter().map(|v| (v.width, v.height)).collect();
        assert_eq!(sizes, vec![(480, 240), (960, 480)]);
        let (_, variants) = process_with_variants(&png(700, 100)).expect("processed");
        assert_eq!(variants.len(), 1);
        let (_, variants) = process_with_variants(&png(300, 100)).expect("processed");
        assert!(variants.is_empty());
        // A tall (portrait) image fits 2400 pixels high.
        let p = process(&png(1200, 3000)).expect("processed");
        assert_eq!((p.width, p.height), (960, 2400));
        assert_eq!(fitted_width(1600, 2400), None);
        assert_eq!(fitted_width(4032, 3024), Some(1600));
        assert_eq!(fitted_width(3024, 4032), Some(1600));
        assert_eq!(fitted_width(1000, 4800), Some(500));
        let mut broken = png(4, 4);
        broken.truncate(20);
        assert!(matches!(process(&broken), Err(MediaError::Undecodable)));
    }

    /// A PNG header declaring `w` × `h` pixels, followed by no pixel data worth the name.
    fn declared_png(w: u32, h: u32) -> Vec<u8> {
        let mut out = png(1, 1);
        // IHDR's width and height sit right after the signature, length and type; its CRC
        // follows the 13 bytes of data.
        out[16..20].copy_from_slice(&w.to_be_bytes());
        out[20..24].copy_from_slice(&h.to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(&out[12..29]);
        out[29..33].copy_from_slice(&crc.sum().to_be_bytes());
        out
    }

    #[test]
    fn too_many_pixels_are_refused_from_the_header() {
        for (w, h) in [(12_000, 12_000), (10_001, 10), (10, 10_001), (8_000, 6_000)] {
            let bomb = declared_png(w, h);
            assert!(bomb.len() < 200);
            assert_eq!(
                process(&bomb).err(),
                Some(MediaError::TooManyPixels),
                "{w}x{h}"
            );
            assert_eq!(
                process_with_variants(&bomb).err(),
                Some(MediaError::TooManyPixels)
            );
        }
        // Within the limits the header is believed and decoding fails on the missing data.
        assert_eq!(
            process(&declared_png(3_000, 3_000)).err(),
            Some(MediaError::Undecodable)
        );
        assert_eq!(
            MediaError::TooManyPixels.refusal(),
            (
                "console-error-image-dimensions",
                StatusCode::UNPROCESSABLE_ENTITY
            )
        );
    }
}
