//! Rendering the server's HTML pages (the console's and the portal's), and
//! the error page both show.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// What most pages take, at most (a page of 20 results: about 9 KB).
const PAGE_BYTES: usize = 16 * 1024;

pub fn render<T: Template>(page: &T) -> Response {
    // Room for a page of results at once: grown by doubling from askama's
    // estimate, a page was copied three or four times while written.
    let mut html = String::with_capacity(T::SIZE_HINT.max(PAGE_BYTES));
    match page.render_into(&mut html) {
        Ok(()) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub message: String,
}

/// The same error on the public portal, in the portal's dress.
#[derive(Template)]
#[template(path = "portal_error.html")]
pub struct PortalErrorPage {
    pub status: u16,
    pub message: String,
}

/// A page shown again with a refused write's message, under the refusal's
/// status: a program (or a test) sees the write failed.
pub fn with_status(mut page: Response, status: StatusCode) -> Response {
    *page.status_mut() = status;
    page
}
