// Embedded migrations (`sqlx::migrate!`) must be rebuilt when a migration file is added, and
// the Fluent bundles (`static_loader!`) when a locale file is added or changed.
//
// The commit the binary is built from (`--version`, `/healthz`, `/metrics`) comes from git
// when there is one; a source tarball without `.git` builds with "unknown": this script never
// fails the build.
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=locales");
    println!("cargo:rerun-if-changed=build.rs");
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    // The commit's own date, so two builds of one commit say the same.
    let date = git(&["log", "-1", "--format=%cd", "--date=short"]).unwrap_or_default();
    println!("cargo:rustc-env=SHELFRAISER_COMMIT={commit}");
    let build = if date.is_empty() {
        commit.clone()
    } else {
        format!("{commit} {date}")
    };
    println!("cargo:rustc-env=SHELFRAISER_BUILD={build}");
    // A new commit moves the branch's ref (or packed-refs), a checkout moves HEAD. Only files
    // that exist are named: a missing one would rerun this script on every build. In a
    // worktree `.git` is a file, so git itself says where they are.
    let mut watch = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.push(git(&["rev-parse", "--git-path", &r]));
    }
    watch.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    for p in watch.into_iter().flatten() {
        if std::path::Path::new(&p).exists() {
            println!("cargo:rerun-if-changed={p}");
        }
    }
}
