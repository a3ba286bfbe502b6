// Embedded migrations (`sqlx::migrate!`) must be rebuilt when a migration file is added, and
// the embedded Fluent messages (`static_loader!`) when a .ftl file is added to locales/.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=locales");
}
