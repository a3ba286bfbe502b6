// Embedded migrations (`sqlx::migrate!`) must be rebuilt when a migration file is added, and
// the Fluent bundles (`static_loader!` includes each .ftl it finds) when a .ftl file is added.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=locales");
}
