//! The backups page (`GET /admin/backups`, owners: `SettingsManage` site-wide): the schedule
//! (every N hours, keep N; set here, it overrides the configuration file's `[backup]`), the
//! last backup's outcome, the archives in the backup folder with their sizes, each to
//! download (`GET /admin/backups/{name}`), and "Back up now" (`POST /admin/backups/now`,
//! written on the blocking pool as the scheduled one is). Restoring stays a command
//! (`shelfraiser restore`): it needs the server stopped and an empty target. Every change and
//! every download is audited (`backup.schedule`, `backup.now`, `backup.download`).

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use http::{StatusCode, header};
use serde::Deserialize;

use super::{Console, Shell};
use crate::backup;
use crate::http::AppError;
use crate::team::Permission;
use crate::team::audit;

pub struct ArchiveRow {
    pub name: String,
    pub size: String,
    pub date: String,
    pub before_upgrade: bool,
}

#[derive(Template)]
#[template(path = "console/backups.html")]
pub struct BackupsPage {
    pub shell: Shell,
    pub notice: String,
    pub notice_ok: bool,
    pub every_hours: String,
    pub keep: String,
    pub every_error: String,
    pub keep_error: String,
    pub from_console: bool,
    pub dir: String,
    pub last: String,
    pub last_ok: bool,
    pub archives: Vec<ArchiveRow>,
}

fn allowed(cx: &Console) -> Result<(), AppError> {
    if cx.me.member.can(Permission::SettingsManage, None) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A size in words: kB below a megabyte, else MB with one decimal.
fn size(tr: &crate::i18n::I18n, bytes: u64) -> String {
    if bytes < 1_000_000 {
        tr.ta(
            "console-backups-kb",
            [("n", tr.int(bytes.div_ceil(1000) as i64))],
        )
    } else {
        let tenths = (bytes + 50_000) / 100_000;
        tr.ta(
            "console-backups-mb",
            [("n", tr.rate(rust_decimal::Decimal::new(tenths as i64, 1)))],
        )
    }
}

/// What the form shows again after a refused change.
#[derive(Default)]
struct Typed {
    every_hours: String,
    keep: String,
    every_error: String,
    keep_error: String,
}

async fn render(
    cx: &Console,
    notice: String,
    code: StatusCode,
    typed: Option<Typed>,
) -> Result<Response, AppError> {
    let tr = &cx.r.tr;
    let s = &cx.s.settings;
    let schedule = backup::schedule(&cx.s.db, s).await?;
    let dir = s.backup.effective_dir(&s.data_dir);
    let archives = backup::archives(&dir)
        .unwrap_or_default()
        .into_iter()
        .map(|a| ArchiveRow {
            size: size(tr, a.bytes),
            date: a
                .modified
                .map(|t| tr.date_time_in(t, "UTC"))
                .unwrap_or_default(),
            before_upgrade: a.before_upgrade,
            name: a.name,
        })
        .collect();
    let last = cx.s.db.last_backup().await?;
    let (last, last_ok) = match last.at {
        None => (String::new(), true),
        Some(at) if last.ok => (
            tr.ta(
                "console-backups-last-ok",
                [
                    ("when", tr.date_time_in(at, "UTC")),
                    ("size", size(tr, last.bytes.unwrap_or(0))),
                ],
            ),
            true,
        ),
        Some(at) => (
            tr.ta(
                "console-backups-last-failed",
                [("when", tr.date_time_in(at, "UTC")), ("why", last.detail)],
            ),
            false,
        ),
    };
    let typed = typed.unwrap_or_else(|| Typed {
        every_hours: schedule.every_hours.to_string(),
        keep: schedule.keep.to_string(),
        ..Default::default()
    });
    let page = BackupsPage {
        shell: cx.shell("/admin/backups"),
        notice_ok: code.is_success(),
        notice,
        every_hours: typed.every_hours,
        keep: typed.keep,
        every_error: typed.every_error,
        keep_error: typed.keep_error,
        from_console: schedule.from_console,
        dir: dir.display().to_string(),
        last,
        last_ok,
        archives,
    };
    Ok((code, Html(page.render()?)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    pub done: Option<String>,
}

/// `GET /admin/backups`.
pub async fn show(cx: Console, Query(q): Query<ShowQuery>) -> Result<Response, AppError> {
    allowed(&cx)?;
    let notice = match q.done.as_deref() {
        Some(d @ ("schedule" | "now")) => cx.r.tr.t(&format!("console-backups-done-{d}")),
        _ => String::new(),
    };
    render(&cx, notice, StatusCode::OK, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ScheduleForm {
    pub csrf: String,
    pub every_hours: String,
    pub keep: String,
}

/// `POST /admin/backups/schedule`.
pub async fn set_schedule(
    cx: Console,
    axum::Form(f): axum::Form<ScheduleForm>,
) -> Result<Response, AppError> {
    allowed(&cx)?;
    let tr = &cx.r.tr;
    if !cx.csrf_ok(Some(&f.csrf)) {
        return render(
            &cx,
            tr.t("error-csrf"),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        )
        .await;
    }
    let every = f
        .every_hours
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|h| *h <= 24 * 366);
    let keep = f
        .keep
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|k| (1..=1000).contains(k));
    let (Some(every), Some(keep)) = (every, keep) else {
        let typed = Typed {
            every_error: if every.is_none() {
                tr.t("console-backups-every-invalid")
            } else {
                String::new()
            },
            keep_error: if keep.is_none() {
                tr.t("console-backups-keep-invalid")
            } else {
                String::new()
            },
            every_hours: f.every_hours,
            keep: f.keep,
        };
        let notice = tr.t("console-backups-fix");
        return render(&cx, notice, StatusCode::UNPROCESSABLE_ENTITY, Some(typed)).await;
    };
    backup::set_schedule(&cx.s.db, every, keep).await?;
    audit::record(
        &cx.s.db,
        &cx.actor(),
        "backup.schedule",
        "",
        &format!("every {every} h, keep {keep}"),
    )
    .await?;
    Ok(Redirect::to("/admin/backups?done=schedule").into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NowForm {
    pub csrf: String,
}

/// `POST /admin/backups/now`.
pub async fn now(cx: Console, axum::Form(f): axum::Form<NowForm>) -> Result<Response, AppError> {
    allowed(&cx)?;
    let tr = &cx.r.tr;
    if !cx.csrf_ok(Some(&f.csrf)) {
        return render(
            &cx,
            tr.t("error-csrf"),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        )
        .await;
    }
    let (db, s) = (cx.s.db.clone(), cx.s.settings.clone());
    let written =
        crate::blocking::off_workers(async move { backup::now(&db, &s, Utc::now()).await })
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(AppError::Internal)?;
    match written.result {
        Ok(bytes) => {
            audit::record(
                &cx.s.db,
                &cx.actor(),
                "backup.now",
                "",
                &format!("{} ({bytes} bytes)", written.name()),
            )
            .await?;
            Ok(Redirect::to("/admin/backups?done=now").into_response())
        }
        Err(why) => {
            let notice = tr.ta("console-backups-now-failed", [("why", why)]);
            render(&cx, notice, StatusCode::INTERNAL_SERVER_ERROR, None).await
        }
    }
}

/// `GET /admin/backups/{name}`: the archive, as a download.
pub async fn download(cx: Console, Path(name): Path<String>) -> Result<Response, AppError> {
    allowed(&cx)?;
    let s = &cx.s.settings;
    let dir = s.backup.effective_dir(&s.data_dir);
    let path = backup::archive_path(&dir, &name).ok_or(AppError::NotFound)?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| AppError::NotFound)?;
    let len = file.metadata().await.map(|m| m.len()).ok();
    audit::record(&cx.s.db, &cx.actor(), "backup.download", "", &name).await?;
    // Read in 64 KiB pieces; an error ends the body (the client sees a cut-off download).
    let stream = futures_util::stream::unfold(Some(file), |file| async move {
        use tokio::io::AsyncReadExt;
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err::<bytes::Bytes, _>(e), None)),
        }
    });
    let stream = futures_util::StreamExt::fuse(stream);
    let mut res = Response::new(Body::from_stream(stream));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/gzip"),
    );
    if let Ok(v) = http::HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(len) = len {
        h.insert(header::CONTENT_LENGTH, len.into());
    }
    h.insert(
        header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}
