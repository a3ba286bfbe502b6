//! Attachments: JPEG, PNG and WebP images found under `--media-dir` are copied into the
//! site's media (through [`crate::media`]) with a redirect from their old upload path;
//! anything else keeps its original URL. Either way the URL is recorded for rewriting
//! post bodies.

use anyhow::Context as _;

use super::content::path_key;
use super::plan::Attachment;
use super::store;
use super::write::Writing;

impl Writing<'_> {
    /// Copies (or links to) every attachment, recording its URL and its parent post.
    pub async fn attachments(&mut self, attachments: Vec<Attachment>) -> anyhow::Result<()> {
        for a in &attachments {
            let new_url = self.attachment(a).await?;
            if new_url != a.url
                && let Some(k) = path_key(&a.url, &self.links.hosts)
            {
                self.links.paths.insert(k, new_url.clone());
            }
            self.links.attachments.insert(a.id, new_url);
            if a.parent != 0 {
                self.links.children.entry(a.parent).or_default().push(a.id);
            }
        }
        Ok(())
    }

    /// Copies one attachment when it can; returns the URL posts should use for it.
    async fn attachment(&mut self, a: &Attachment) -> anyhow::Result<String> {
        let report = &mut self.report;
        let w = &mut self.w;
        let what = format!("attachment {} {:?}", a.id, a.title);
        let Some(dir) = self.media_dir else {
            report.add("attachment URLs kept", true);
            return Ok(a.url.clone());
        };
        let old_path = path_key(&a.url, &self.links.hosts).unwrap_or_else(|| {
            a.url
                .split_once("://")
                .and_then(|(_, r)| r.find('/').map(|i| r[i..].to_string()))
                .unwrap_or_default()
        });
        if !old_path.is_empty()
            && let Some(t) = store::redirect_target(w, &old_path).await?
            && t.starts_with("/media/")
        {
            report.add("media copied", false);
            return Ok(t);
        }
        let rel = match old_path.find("/wp-content/uploads/") {
            Some(i) => old_path[i + "/wp-content/uploads/".len()..].to_string(),
            None => old_path.trim_start_matches('/').to_string(),
        };
        let rel = percent_encoding::percent_decode_str(&rel)
            .decode_utf8_lossy()
            .into_owned();
        let base = rel.rsplit('/').next().unwrap_or("").to_string();
        let mut candidates = Vec::new();
        if !rel.split('/').any(|p| p == ".." || p.is_empty()) {
            candidates.push(dir.join(&rel));
            candidates.push(dir.join("wp-content/uploads").join(&rel));
        }
        if !base.is_empty() && base != ".." {
            candidates.push(dir.join(&base));
        }
        let Some(path) = candidates.into_iter().find(|p| p.is_file()) else {
            report.add("attachment URLs kept", true);
            report.skip(
                what,
                format!("not found in {}: the original URL is kept", dir.display()),
            );
            return Ok(a.url.clone());
        };
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if size > crate::media::MAX_UPLOAD_BYTES as u64 {
            report.add("attachment URLs kept", true);
            report.skip(what, "larger than 5 MB: the original URL is kept");
            return Ok(a.url.clone());
        }
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if crate::media::sniff(&bytes).is_none() {
            report.add("attachment URLs kept", true);
            report.skip(
                what,
                "not a JPEG, PNG or WebP image (only images are stored): the original URL is kept",
            );
            return Ok(a.url.clone());
        }
        match crate::media::process_blocking(bytes).await {
            Ok(p) => {
                let new = crate::media::insert_in(w.tx(), &p, None).await?;
                w.wrote(1).await?;
                if !old_path.is_empty() && store::add_redirect(w, &old_path, &new).await? {
                    report.add("redirects", true);
                }
                report.add("media copied", true);
                Ok(new)
            }
            Err(e) => {
                report.add("attachment URLs kept", true);
                report.skip(what, format!("{e}: the original URL is kept"));
                Ok(a.url.clone())
            }
        }
    }
}
