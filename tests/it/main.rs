//! The integration suite: one test binary. Every storage test runs on SQLite and, when
//! `SHELFRAISER_TEST_PG_URL` names a PostgreSQL server (scripts/test.sh starts one), on
//! PostgreSQL too; each test gets its own database.

mod harness;
mod team_harness;

mod authz;
mod bad_input;
mod blog_cache;
mod blog_images;
mod blog_permalinks;
mod blog_read;
mod blog_review;
mod blog_write;
mod checkout_limits;
mod cli;
mod client_ip;
mod comment_replies;
mod comments;
mod console;
mod content_limits;
mod donations;
mod donor_path;
mod donor_wall;
mod durability;
mod editors;
mod fake_paypal;
mod fake_stripe;
mod flow;
mod fuzz_corpus;
mod homes;
mod jobs;
mod live;
mod matching;
mod money_typed;
mod monthly;
mod passkeys;
mod paypal;
mod pledges;
mod receipts;
mod security_account;
mod security_auth;
mod security_infra;
mod security_money;
mod sharing;
mod stripe;
mod stripe_interop;
mod team_2fa;
mod team_signin;
mod team_zones;
mod tokens;
mod treasurer;
mod voids;
mod wordpress;
mod writing_console;
mod writing_keep;
mod writing_uploads;
