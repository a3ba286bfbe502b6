// Embedded migrations (`sqlx::migrate!`) must be rebuilt when a migration file is added, and
// the Fluent bundles (`static_loader!`) when a locale file is added or changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=locales");
}
