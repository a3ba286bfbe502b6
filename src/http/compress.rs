// SPDX-License-Identifier: AGPL-3.0-or-later
//! Compression of pages that change (the campaign page, the blog's pages and feeds): fast
//! levels, run off the async workers.
//!
//! Measured (CPU time per page, release build of flate2 1.1 and brotli 7, on the shared
//! 2-core development machine while other builds ran, so on the slow side) for the demo
//! campaign page cut to 15,000 bytes of HTML, and for the whole 19,728-byte page:
//!
//! | encoder | 15 KB page | 19.7 KB page |
//! | --- | --- | --- |
//! | gzip 6 (used here) | 0.23 ms, 4,561 B | 0.32 ms, 5,690 B |
//! | brotli 4 | 0.84 ms, 4,489 B | 0.96 ms, 5,657 B |
//! | brotli 5 (used here) | 1.18 ms, 4,140 B | 1.23 ms, 5,237 B |
//! | brotli 11 (assets only) | 23 ms, 3,719 B | 30 ms, 4,691 B |
//!
//! Brotli 5 rather than 4: 4 is hardly smaller than gzip, and with single flight
//! (`http::flight`) a page is compressed once per render (per page, language and variant,
//! at most once per [`crate::http::page_cache::MAX_AGE`] or version), never per request.
//! Quality 11 costs twenty times as much, which is why it is kept for the fingerprinted
//! assets made once at start-up (`http::assets`). The work runs on tokio's blocking pool
//! through a [`Lane`] of one slot per core, so a burst of renders never occupies the
//! threads that answer cached pages.

use std::io::Write;
use std::sync::LazyLock;

use axum::body::Bytes;

use crate::blocking::Lane;

/// gzip level for pages that change.
pub const GZIP_LEVEL: u32 = 6;
/// Brotli quality for pages that change.
pub const BROTLI_QUALITY: i32 = 5;

static COMPRESS: LazyLock<Lane> = LazyLock::new(Lane::per_core);

/// `data` gzipped at `level` (0-9). The one gzip encoder: pages here, assets at the best level.
pub fn gzip_at(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    // Writing to a Vec cannot fail.
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

/// `data` in brotli at `quality` (0-11). The one brotli encoder: pages here, assets at 11.
pub fn brotli_at(data: &[u8], quality: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        ..Default::default()
    };
    let _ = brotli::BrotliCompress(&mut &data[..], &mut out, &params);
    out
}

pub fn gzip(data: &[u8]) -> Bytes {
    Bytes::from(gzip_at(data, GZIP_LEVEL))
}

pub fn brotli(data: &[u8]) -> Bytes {
    Bytes::from(brotli_at(data, BROTLI_QUALITY))
}

/// Which encoding to make.
#[derive(Debug, Clone, Copy)]
pub enum Codec {
    Gzip,
    Brotli,
}

/// `data` compressed with `codec` on the blocking pool. Should the lane fail (a panic in
/// the encoder), the compression runs here instead, so a page is never lost to it.
pub async fn off_thread(data: Bytes, codec: Codec) -> Bytes {
    let encode = move |data: &[u8]| match codec {
        Codec::Gzip => gzip(data),
        Codec::Brotli => brotli(data),
    };
    let d = data.clone();
    match COMPRESS.run(move || encode(&d)).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "compression off the async workers failed");
            encode(&data)
        }
    }
}

/// Both encodings of `data` on the blocking pool, in one task: (gzip, brotli).
pub async fn both(data: Bytes) -> (Bytes, Bytes) {
    let d = data.clone();
    match COMPRESS.run(move || (gzip(&d), brotli(&d))).await {
        Ok(pair) => pair,
        Err(e) => {
            tracing::warn!(error = %e, "compression off the async workers failed");
            (gzip(&data), brotli(&data))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[tokio::test]
    async fn both_encodings_decode_to_the_page() {
        let page = "<p>The library's roof, the shelves and the books.</p>\n".repeat(200);
        let (gz, br) = both(Bytes::from(page.clone())).await;
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut out)
            .expect("gunzip");
        assert_eq!(out, page);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut out).expect("unbrotli");
        assert_eq!(out, page.as_bytes());
        assert!(br.len() < page.len() / 4 && gz.len() < page.len() / 4);
        let g2 = off_thread(Bytes::from(page), Codec::Gzip).await;
        assert_eq!(g2, gz);
    }
}
