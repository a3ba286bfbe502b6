//! Uploaded images: checked by their first bytes (JPEG, PNG or WebP only), at most
//! [`MAX_UPLOAD_BYTES`], decoded with limits, turned upright, scaled to at most
//! [`MAX_WIDTH`] pixels wide and re-encoded (which drops EXIF, GPS and every other
//! metadata block). The result is stored in the `media` table, so every app node serves it,
//! at `/media/<id>.<ext>` with a year-long immutable cache (the id never gets new bytes).

use std::io::Cursor;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::db::{DbResult, Tx};
use crate::http::{AppError, AppState};
use crate::{on_db, on_tx};

/// Largest upload accepted (413 above).
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// Wider images are scaled down to this width.
pub const MAX_WIDTH: u32 = 1600;
/// Larger source dimensions are refused before decoding (decompression bombs).
const MAX_SOURCE_SIDE: u32 = 12_000;

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
    #[error("the file is larger than 5 MB")]
    TooLarge,
    #[error("the file is not a JPEG, PNG or WebP image")]
    NotAnImage,
    #[error("the image could not be read")]
    Undecodable,
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
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(MediaError::TooLarge);
    }
    let kind = sniff(bytes).ok_or(MediaError::NotAnImage)?;
    let format = match kind {
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Png => ImageFormat::Png,
        Kind::Webp => ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_SIDE);
    limits.max_image_height = Some(MAX_SOURCE_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| MediaError::Undecodable)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| MediaError::Undecodable)?;
    img.apply_orientation(orientation);
    if img.width() > MAX_WIDTH {
        let h = (u64::from(img.height()) * u64::from(MAX_WIDTH) / u64::from(img.width())).max(1);
        img = img.resize_exact(
            MAX_WIDTH,
            u32::try_from(h).unwrap_or(1),
            image::imageops::FilterType::Triangle,
        );
    }
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

/// [`process`] on the blocking thread pool.
pub async fn process_blocking(bytes: Vec<u8>) -> Result<Processed, MediaError> {
    tokio::task::spawn_blocking(move || process(&bytes))
        .await
        .unwrap_or(Err(MediaError::Undecodable))
}

/// Stores a processed image inside `tx`; returns its public path (`/media/<id>.<ext>`).
pub async fn insert_in(tx: &mut Tx, p: &Processed, created_by: Option<&str>) -> DbResult<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO media (id, content_type, bytes, width, height, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(&id)
    .bind(p.content_type)
    .bind(&p.bytes)
    .bind(i64::from(p.width))
    .bind(i64::from(p.height))
    .bind(created_by)
    .bind(Utc::now())
    .execute(&mut *c)
    .await?
    .rows_affected());
    Ok(format!("/media/{id}.{}", p.ext))
}

/// `GET /media/{id}.{ext}`: public, immutable.
pub async fn serve(
    State(s): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (id, ext) = file.split_once('.').ok_or(AppError::NotFound)?;
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound);
    }
    let row: Option<(String, Vec<u8>)> = on_db!(&s.db, |p| sqlx::query_as(
        "SELECT content_type, bytes FROM media WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(p)
    .await
    .map_err(crate::db::DbError::from)?);
    let (content_type, bytes) = row.ok_or(AppError::NotFound)?;
    let want = match ext {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        _ => return Err(AppError::NotFound),
    };
    if content_type != want {
        return Err(AppError::NotFound);
    }
    let etag = format!("\"{id}\"");
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
        let mut broken = png(4, 4);
        broken.truncate(20);
        assert!(matches!(process(&broken), Err(MediaError::Undecodable)));
    }
}
