//! Who is asking: a session cookie (console, and the API from the console's
//! scripts) or a bearer token (machine clients). Forms and cookie-authenticated
//! API writes must carry the session's CSRF token.

use crate::AppState;
use crate::error::AppError;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use zhifa_service::{Actor, Principal};

pub const SESSION_COOKIE: &str = "zhifa_session";
/// Double-submit token of the sign-in form, before there is a session.
pub const LOGIN_CSRF_COOKIE: &str = "zhifa_login_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// Compare without leaking where two tokens differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug, Clone)]
pub enum Via {
    /// With the session's CSRF token and the cookie value.
    Session {
        csrf: String,
        token: String,
    },
    Token,
}

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub principal: Principal,
    pub via: Via,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor::User(self.principal.clone())
    }

    /// The CSRF token forms must carry (empty for token clients).
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::Token => "",
        }
    }

    /// Check a submitted CSRF token. Token clients need none: a browser never
    /// sends a bearer token by itself.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), AppError> {
        match &self.via {
            Via::Token => Ok(()),
            Via::Session { csrf, .. } => match submitted {
                Some(s) if same_token(s, csrf) => Ok(()),
                _ => Err(AppError::csrf()),
            },
        }
    }
}

async fn resolve(parts: &Parts, state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).unwrap_or_default();
        return match state.service.token_principal(token.trim()).await? {
            Some(principal) => Ok(Some(CurrentUser { principal, via: Via::Token })),
            None => Err(AppError::of(crate::error::ErrorCode::InvalidToken)),
        };
    }
    if let Some(token) = cookie(&parts.headers, SESSION_COOKIE)
        && let Some((principal, csrf)) = state.service.session(token).await?
    {
        return Ok(Some(CurrentUser { principal, via: Via::Session { csrf, token: token.to_owned() } }));
    }
    Ok(None)
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        resolve(parts, state).await?.ok_or_else(AppError::unauthenticated)
    }
}

/// For the JSON API: a signed-in user, and for writes made with a session
/// cookie, the `X-CSRF-Token` header.
#[derive(Debug, Clone)]
pub struct ApiUser(pub CurrentUser);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if !parts.method.is_safe() {
            let header = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            user.check_csrf(header)?;
        }
        Ok(ApiUser(user))
    }
}

impl ApiUser {
    pub fn actor(&self) -> Actor {
        self.0.actor()
    }
}

/// For console pages: like [`CurrentUser`], but an unsigned visitor is sent to
/// the sign-in page instead of getting JSON.
#[derive(Debug, Clone)]
pub struct ConsoleUser(pub CurrentUser);

impl FromRequestParts<AppState> for ConsoleUser {
    type Rejection = crate::error::PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ConsoleUser(CurrentUser::from_request_parts(parts, state).await?))
    }
}

/// A console form (`application/x-www-form-urlencoded`) from a signed-in
/// user, its CSRF token — the form's `csrf_token` field, or the
/// `X-CSRF-Token` header — checked before anything reads the form. Every
/// console POST takes its form through this one door, or (with a file)
/// through [`ConsoleUpload`].
pub struct ConsoleForm<T> {
    pub user: CurrentUser,
    pub form: T,
}

impl<T: serde::de::DeserializeOwned + Send> axum::extract::FromRequest<AppState> for ConsoleForm<T> {
    type Rejection = crate::error::PageError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ConsoleUser(user) = ConsoleUser::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, 2 << 20)
            .await
            .map_err(|_| AppError::new(crate::error::ErrorCode::TooLarge, "表单过大（上限 2 MB）"))?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let field = pairs.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.as_str());
        let header = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        user.check_csrf(field.or(header))?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            tracing::debug!(error = %e, "console form refused");
            AppError::with_status(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                crate::error::ErrorCode::InvalidInput,
                "表单的内容无法读取（例如数字处填了文字），请刷新页面后重试",
            )
        })?;
        Ok(ConsoleForm { user, form })
    }
}

/// A console POST of a multipart form with a file (`file`): its other fields
/// and the file's bytes, once the form's CSRF token was checked.
pub struct ConsoleUpload {
    pub user: CurrentUser,
    pub fields: Vec<(String, String)>,
    pub file: Vec<u8>,
}

impl ConsoleUpload {
    /// A field's value, or empty.
    pub fn get(&self, name: &str) -> String {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }
}

impl axum::extract::FromRequest<AppState> for ConsoleUpload {
    type Rejection = crate::error::PageError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ConsoleUser(user) = ConsoleUser::from_request_parts(&mut parts, state).await?;
        let unreadable = |_| AppError::bad_request("表单无法读取");
        let mut multipart =
            axum::extract::Multipart::from_request(axum::extract::Request::from_parts(parts, body), state)
                .await
                .map_err(|_| AppError::bad_request("表单应为 multipart/form-data"))?;
        let (mut fields, mut file) = (Vec::new(), Vec::new());
        while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                file = field.bytes().await.map_err(|_| AppError::bad_request("文件无法读取"))?.to_vec();
            } else {
                fields.push((name, field.text().await.map_err(unreadable)?));
            }
        }
        let upload = ConsoleUpload { user, fields, file };
        upload.user.check_csrf(Some(&upload.get("csrf_token")))?;
        Ok(upload)
    }
}
