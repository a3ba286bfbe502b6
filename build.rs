// Embedded migrations (`sqlx::migrate!`) must be rebuilt when a migration file is added, and
// the Fluent bundles (`fluent_templates::static_loader!`) when a `.ftl` file is added.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=locales");
}
