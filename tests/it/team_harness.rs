//! The team's set-ups, shared by the console, sign-in, two-factor and security tests: a
//! member with roles (and a password, a session), signing in through the form, a form's
//! CSRF token, and a form posted with it, so each test says only what it checks.
//!
//! Signed-in requests send the `sr_session` cookie by hand (there is no cookie store): a
//! [`Who`] carries its token, and `harness::{get_as, page_as, post_as, bound_csrf, submit}`
//! take one.

#![allow(dead_code)]

use shelfraiser::campaigns::repo as campaigns;
use shelfraiser::db::Db;
use shelfraiser::email::Email;
use shelfraiser::team::{Member, MemberStatus, Role, audit, repo as team_repo, session};

use crate::harness::*;

/// The password [`NewTestMember::with_password`] gives.
pub const PASSWORD: &str = "correct horse battery";

/// A member to create: `team_member("ana")` is `ana@example.org`, named "ana tester",
/// active, in UTC, reading English, with no roles and no password until given.
pub struct NewTestMember {
    email: String,
    display_name: String,
    time_zone: String,
    languages: String,
    status: MemberStatus,
    /// (role, the slug of the campaign it is limited to).
    grants: Vec<(Role, Option<String>)>,
    password: Option<String>,
}

pub fn team_member(name: &str) -> NewTestMember {
    NewTestMember {
        email: format!("{name}@example.org"),
        display_name: format!("{name} tester"),
        time_zone: "UTC".into(),
        languages: "en".into(),
        status: MemberStatus::Active,
        grants: Vec::new(),
        password: None,
    }
}

impl NewTestMember {
    pub fn email(mut self, email: &str) -> Self {
        self.email = email.into();
        self
    }
    pub fn named(mut self, display_name: &str) -> Self {
        self.display_name = display_name.into();
        self
    }
    pub fn zone(mut self, zone: &str) -> Self {
        self.time_zone = zone.into();
        self
    }
    pub fn languages(mut self, languages: &str) -> Self {
        self.languages = languages.into();
        self
    }
    pub fn invited(mut self) -> Self {
        self.status = MemberStatus::Invited;
        self
    }
    /// A site-wide role.
    pub fn role(mut self, role: Role) -> Self {
        self.grants.push((role, None));
        self
    }
    /// A role on one campaign (by slug; the campaign must exist when the member is made).
    pub fn role_on(mut self, role: Role, campaign_slug: &str) -> Self {
        self.grants.push((role, Some(campaign_slug.into())));
        self
    }
    /// Site-wide roles, or campaign-scoped ones (`Some(slug)`).
    pub fn grants(mut self, grants: &[(Role, Option<&str>)]) -> Self {
        for (role, scope) in grants {
            self.grants.push((*role, scope.map(str::to_string)));
        }
        self
    }
    /// [`PASSWORD`] as the member's password.
    pub fn with_password(mut self) -> Self {
        self.password = Some(PASSWORD.into());
        self
    }

    /// Stores the member, their roles and password; returns them as the site reads them.
    pub async fn create(self, db: &Db) -> Member {
        let m = team_repo::create(
            db,
            &team_repo::NewMember {
                email: Email::parse(&self.email).expect("email"),
                display_name: self.display_name,
                time_zone: self.time_zone,
                languages: self.languages,
                status: self.status,
            },
        )
        .await
        .expect("member");
        for (role, scope) in &self.grants {
            let campaign_id = match scope {
                Some(slug) => Some(
                    campaigns::by_slug(db, slug)
                        .await
                        .expect("db")
                        .expect("campaign")
                        .id,
                ),
                None => None,
            };
            team_repo::add_grant(db, &m.id, *role, campaign_id.as_deref())
                .await
                .expect("grant");
        }
        if let Some(pw) = &self.password {
            let hash = shelfraiser::passwords::hash(pw).expect("hash");
            team_repo::set_password_hash(db, &m.id, &hash)
                .await
                .expect("password");
        }
        team_repo::by_id(db, &m.id)
            .await
            .expect("load")
            .expect("member")
    }

    /// [`create`](Self::create), then a complete session made directly (no form, no known
    /// address or browser).
    pub async fn signed_in(self, db: &Db) -> Who {
        let member = self.create(db).await;
        let token = session::create(db, &member.id, false, None, None)
            .await
            .expect("session");
        Who { member, token }
    }
}

/// A member and the token of their session cookie.
pub struct Who {
    pub member: Member,
    pub token: String,
}

impl Who {
    pub async fn get(&self, app: &TestApp, path: &str) -> reqwest::Response {
        get_as(app, path, &self.token).await
    }
    /// The body of `path`, which must answer 200.
    pub async fn page(&self, app: &TestApp, path: &str) -> String {
        let res = self.get(app, path).await;
        assert_eq!(res.status().as_u16(), 200, "GET {path}");
        res.text().await.expect("body")
    }
    pub async fn post(
        &self,
        app: &TestApp,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        post_as(app, path, &self.token, form).await
    }
    /// The session-bound CSRF token of the forms on `path` (which must answer 200).
    pub async fn csrf(&self, app: &TestApp, path: &str) -> String {
        hidden_value(&self.page(app, path).await, "csrf").expect("csrf field")
    }
}

/// A complete session for the member, made directly as from a browser `test` at 127.0.0.1;
/// returns the cookie's token.
pub async fn session_for(db: &Db, member_id: &str) -> String {
    session::create(db, member_id, false, Some("test"), Some("127.0.0.1"))
        .await
        .expect("session")
}

/// A session waiting for the second factor, made directly.
pub async fn pending_session_for(db: &Db, member_id: &str) -> String {
    session::create(db, member_id, true, Some("test"), Some("127.0.0.1"))
        .await
        .expect("pending session")
}

/// Whether the session behind a cookie token still exists.
pub async fn live(db: &Db, token: &str) -> bool {
    session::lookup(db, token).await.expect("lookup").is_some()
}

/// How many audit entries of `action` there are.
pub async fn audit_count(db: &Db, action: &str) -> usize {
    audit::list(db, Some(action), None, 1000, 0)
        .await
        .expect("audit")
        .len()
}

/// The public (not session-bound) CSRF token of the form on `path`.
pub async fn public_csrf(app: &TestApp, path: &str) -> String {
    let html = app.text(path).await;
    hidden_value(&html, "csrf").unwrap_or_else(|| panic!("csrf on {path}: {html}"))
}

impl TestApp {
    /// GET with the session cookie `token` when there is one.
    pub async fn get_with(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.header("cookie", format!("{}={t}", session::COOKIE));
        }
        req.send().await.expect("GET")
    }

    /// POST a form with the session cookie `token` when there is one.
    pub async fn post_with(
        &self,
        path: &str,
        form: &[(&str, &str)],
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).form(form);
        if let Some(t) = token {
            req = req.header("cookie", format!("{}={t}", session::COOKIE));
        }
        req.send().await.expect("POST")
    }

    /// A fresh token of the sign-in form.
    pub async fn signin_csrf(&self) -> String {
        public_csrf(self, "/signin").await
    }

    /// Signs in through the form (its token read first), sending `token`'s cookie if given.
    pub async fn sign_in(&self, email: &str, pw: &str, token: Option<&str>) -> reqwest::Response {
        let csrf = self.signin_csrf().await;
        self.post_with(
            "/signin",
            &[("email", email), ("password", pw), ("csrf", &csrf)],
            token,
        )
        .await
    }

    /// Signs in through the form, which must succeed; returns the new session's token.
    pub async fn signed_in(&self, email: &str, pw: &str) -> String {
        let res = self.sign_in(email, pw, None).await;
        assert_eq!(res.status().as_u16(), 303, "sign-in should succeed");
        session_cookie(&res).expect("session cookie")
    }

    /// The sign-out forms' token (bound to the session) from the signed-in sign-in page.
    pub async fn signout_csrf(&self, token: &str) -> String {
        let html = page_as(self, "/signin", token).await;
        assert!(html.contains("You are signed in as"), "{html}");
        hidden_value(&html, "csrf").expect("csrf on the sign-out form")
    }
}

/// An active member with [`PASSWORD`] and one site-wide role, named "Test <role>", in
/// Copenhagen: the two-factor, account and token tests' member.
pub async fn password_member(db: &Db, email: &str, role: Role) -> Member {
    team_member(role.as_str())
        .email(email)
        .named(&format!("Test {}", role.as_str()))
        .zone("Europe/Copenhagen")
        .role(role)
        .with_password()
        .create(db)
        .await
}
