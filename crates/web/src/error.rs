//! The one application error: a stable snake_case code, an HTTP status and a
//! Chinese message. Internals are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use zhifa_service::ServiceError;

/// Every error the server answers with, by its stable code. Programs read the
/// code; people read the Chinese message, which is the code's own unless an
/// answer says more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    InvalidToken,
    BadCredentials,
    Throttled,
    CsrfFailed,
    Forbidden,
    RetrievalRequired,
    NotFound,
    InvalidInput,
    BadRequest,
    ImportFailed,
    Duplicate,
    Conflict,
    Refused,
    CalendarYearMissing,
    CalendarDataInvalid,
    MethodNotAllowed,
    UnsupportedMediaType,
    TooLarge,
    TusVersion,
    UploadOffsetMismatch,
    Busy,
    Gone,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 25] = [
        Self::Unauthenticated,
        Self::InvalidToken,
        Self::BadCredentials,
        Self::Throttled,
        Self::CsrfFailed,
        Self::Forbidden,
        Self::RetrievalRequired,
        Self::NotFound,
        Self::InvalidInput,
        Self::BadRequest,
        Self::ImportFailed,
        Self::Duplicate,
        Self::Conflict,
        Self::Refused,
        Self::CalendarYearMissing,
        Self::CalendarDataInvalid,
        Self::MethodNotAllowed,
        Self::UnsupportedMediaType,
        Self::TooLarge,
        Self::TusVersion,
        Self::UploadOffsetMismatch,
        Self::Busy,
        Self::Gone,
        Self::Unavailable,
        Self::Internal,
    ];

    /// `(code, status, message)`: the stable snake_case code, the HTTP status
    /// and the message when the answer says nothing more.
    const fn parts(self) -> (&'static str, StatusCode, &'static str) {
        use StatusCode as S;
        match self {
            Self::Unauthenticated => ("unauthenticated", S::UNAUTHORIZED, "请先登录"),
            Self::InvalidToken => ("invalid_token", S::UNAUTHORIZED, "访问令牌无效或已吊销"),
            Self::BadCredentials => ("bad_credentials", S::UNAUTHORIZED, "用户名或密码错误"),
            Self::Throttled => ("throttled", S::TOO_MANY_REQUESTS, "尝试次数过多，请稍后再试"),
            Self::CsrfFailed => ("csrf_failed", S::FORBIDDEN, "表单已失效或来源不明，请刷新页面后重试"),
            Self::Forbidden => ("forbidden", S::FORBIDDEN, "您没有权限进行此操作"),
            Self::RetrievalRequired => ("retrieval_required", S::FORBIDDEN, "该内容属于其他执法主体：请先说明调阅理由"),
            Self::NotFound => ("not_found", S::NOT_FOUND, "未找到，或您无权查看"),
            Self::InvalidInput => ("invalid_input", S::BAD_REQUEST, "输入的内容不符合要求"),
            Self::BadRequest => ("bad_request", S::BAD_REQUEST, "请求无法读取（请检查请求体与参数的格式）"),
            Self::ImportFailed => ("import_failed", S::BAD_REQUEST, "未导入任何数据"),
            Self::Duplicate => ("duplicate", S::CONFLICT, "已存在"),
            Self::Conflict => ("conflict", S::CONFLICT, "数据已被他人修改，请刷新后重新编辑"),
            Self::Refused => ("refused", S::UNPROCESSABLE_ENTITY, "不能进行此步"),
            Self::CalendarYearMissing => ("calendar_year_missing", S::UNPROCESSABLE_ENTITY, "日历缺少该年份的数据"),
            Self::CalendarDataInvalid => ("calendar_data_invalid", S::UNPROCESSABLE_ENTITY, "日历数据有误"),
            Self::MethodNotAllowed => ("method_not_allowed", S::METHOD_NOT_ALLOWED, "此地址不支持该请求方法"),
            Self::UnsupportedMediaType => (
                "unsupported_media_type",
                S::UNSUPPORTED_MEDIA_TYPE,
                "请求体的类型不受支持（JSON 接口须以 Content-Type: application/json 发送）",
            ),
            Self::TooLarge => ("too_large", S::PAYLOAD_TOO_LARGE, "请求体过大（上限 2 MB）"),
            Self::TusVersion => ("tus_version", S::PRECONDITION_FAILED, "仅支持 tus 1.0.0（Tus-Resumable: 1.0.0）"),
            Self::UploadOffsetMismatch => ("upload_offset_mismatch", S::CONFLICT, "上传偏移不符"),
            Self::Busy => ("busy", S::LOCKED, "该上传正在进行中，请稍后再试"),
            Self::Gone => ("gone", S::GONE, "该上传已被放弃"),
            Self::Unavailable => ("unavailable", S::SERVICE_UNAVAILABLE, "服务暂不可用，请稍后再试"),
            Self::Internal => ("internal", S::INTERNAL_SERVER_ERROR, "服务器内部错误，请稍后再试或联系管理员"),
        }
    }

    pub const fn code(self) -> &'static str {
        self.parts().0
    }

    pub const fn status(self) -> StatusCode {
        self.parts().1
    }

    pub const fn message(self) -> &'static str {
        self.parts().2
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// For `refused`: every reason the engine gave.
    pub refusals: Vec<RefusalOut>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, for programs: `not_found`, `forbidden`, `invalid_input`,
    /// `refused` (a step of a case the law does not allow), …
    pub code: String,
    /// For people, in Chinese.
    pub message: String,
    /// With `refused`: each rule that stands in the way.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<RefusalOut>,
}

/// One reason a step of a case was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RefusalOut {
    /// The rule's stable name, e.g. `two_certified_officers`.
    pub rule: String,
    /// Where the law says so, e.g. 《行政处罚法》第四十二条.
    pub article: String,
    pub message: String,
}

impl From<&zhifa_domain::case::rules::Refusal> for RefusalOut {
    fn from(r: &zhifa_domain::case::rules::Refusal) -> Self {
        RefusalOut { rule: r.rule.to_owned(), article: r.article.to_owned(), message: r.message.clone() }
    }
}

impl AppError {
    /// `code` with a message of its own.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::with_status(code.status(), code, message)
    }

    /// `code` with its own message.
    pub fn of(code: ErrorCode) -> Self {
        Self::new(code, code.message())
    }

    /// `code` answered with another status (what axum chose for a rejection).
    pub fn with_status(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), refusals: Vec::new() }
    }

    pub fn unauthenticated() -> Self {
        Self::of(ErrorCode::Unauthenticated)
    }

    pub fn csrf() -> Self {
        tracing::warn!("form or header token refused (CSRF)");
        Self::of(ErrorCode::CsrfFailed)
    }

    pub fn not_found() -> Self {
        Self::of(ErrorCode::NotFound)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        use ErrorCode as C;
        match e {
            ServiceError::NotFound => Self::not_found(),
            ServiceError::Forbidden => {
                // ASVS 16.3: every refused authorization, in the request's span (its id).
                tracing::warn!("authorization refused");
                Self::of(C::Forbidden)
            }
            ServiceError::Unauthenticated => Self::unauthenticated(),
            ServiceError::BadCredentials => Self::of(C::BadCredentials),
            ServiceError::Throttled(wait) => Self::new(C::Throttled, format!("登录失败次数过多，请 {wait} 秒后再试")),
            ServiceError::Invalid(i) => Self::bad_request(i.to_string()),
            ServiceError::Import(m) => Self::new(C::ImportFailed, format!("{}。{m}", C::ImportFailed.message())),
            ServiceError::Duplicate(what) => Self::new(C::Duplicate, format!("{what}已存在")),
            ServiceError::Conflict => Self::of(C::Conflict),
            ServiceError::Calendar(e) => e.into(),
            ServiceError::UploadOffset(at) => {
                Self::new(C::UploadOffsetMismatch, format!("上传偏移不符：应从第 {at} 字节继续"))
            }
            ServiceError::TooLarge(limit) => Self::new(C::TooLarge, format!("文件超过允许的大小（{limit} 字节）")),
            ServiceError::Busy => Self::of(C::Busy),
            ServiceError::Gone => Self::of(C::Gone),
            ServiceError::Refused(refusals) => {
                let message = refusals
                    .iter()
                    .map(|r| {
                        if r.article.is_empty() {
                            r.message.clone()
                        } else {
                            format!("{}（{}）", r.message, r.article)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("；");
                let mut e = Self::new(C::Refused, format!("{}：{message}", C::Refused.message()));
                e.refusals = refusals.iter().map(RefusalOut::from).collect();
                e
            }
            ServiceError::RetrievalRequired => {
                tracing::warn!("authorization refused: retrieval required");
                let hours = zhifa_service::RETRIEVAL_HOURS;
                let why = "（调阅人、时间与理由记入账本，{hours} 小时内可查阅）".replace("{hours}", &hours.to_string());
                Self::new(C::RetrievalRequired, format!("{}{why}", C::RetrievalRequired.message()))
            }
            ServiceError::Unavailable(what) => {
                tracing::warn!(%what, "unavailable");
                Self::new(C::Unavailable, what)
            }
            e @ ServiceError::Internal { .. } => {
                tracing::error!(error = %cause_chain(&e), "internal error");
                Self::of(C::Internal)
            }
        }
    }
}

/// An error and every cause under it, for the log: `a: b: c`.
pub fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl From<zhifa_calendar::CalendarError> for AppError {
    fn from(e: zhifa_calendar::CalendarError) -> Self {
        use zhifa_calendar::CalendarError as C;
        let code = match e {
            C::MissingYear { .. } => ErrorCode::CalendarYearMissing,
            C::Range { .. } | C::Length => ErrorCode::InvalidInput,
            C::Syntax { .. } | C::File { .. } => ErrorCode::CalendarDataInvalid,
        };
        Self::with_status(StatusCode::UNPROCESSABLE_ENTITY, code, e.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody { code: self.code.code().to_owned(), message: self.message, refusals: self.refusals };
        (self.status, Json(body)).into_response()
    }
}

/// The same error, answered as a page of the console.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl PageError {
    /// A failed form: errors the user can mend come back to show with the
    /// form again; the rest become an error page.
    pub fn or_mendable(e: impl Into<AppError>) -> Result<AppError, PageError> {
        let e = e.into();
        use ErrorCode as C;
        if matches!(e.code, C::NotFound | C::Forbidden | C::Internal) { Err(PageError(e)) } else { Ok(e) }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let AppError { status, message, .. } = self.0;
        if status == StatusCode::UNAUTHORIZED {
            return axum::response::Redirect::to("/console/login").into_response();
        }
        let shown = ShownError { status, message: message.clone() };
        let page = crate::page::ErrorPage { status: status.as_u16(), message };
        let mut response = (status, crate::page::render(&page)).into_response();
        response.extensions_mut().insert(shown);
        response
    }
}

/// An error page's status and message, kept with the response so that
/// [`portal_errors`] can show it in the portal's dress.
#[derive(Debug, Clone)]
struct ShownError {
    status: StatusCode,
    message: String,
}

/// Error pages of the public portal (every address outside `/console` and
/// `/api`) in the portal's own dress, leading back to its home page rather
/// than to the console's sign-in.
pub async fn portal_errors(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = request.uri().path();
    let portal = !(path.starts_with("/console") || path.starts_with("/api/"));
    let response = next.run(request).await;
    let Some(e) = response.extensions().get::<ShownError>().filter(|_| portal).cloned() else { return response };
    let page = crate::page::PortalErrorPage { status: e.status.as_u16(), message: e.message };
    let mut shown = (e.status, crate::page::render(&page)).into_response();
    // What else the answer said (an `Allow`, a `Retry-After`) stays.
    for (name, value) in response.headers() {
        if !shown.headers().contains_key(name) {
            shown.headers_mut().insert(name, value.clone());
        }
    }
    shown
}

/// What axum answers by itself — a body or form it cannot read, a method a
/// route lacks, a body over the limit — in English plain text or nothing,
/// as one of ours in Chinese. `detail` is axum's text.
fn rejection(status: StatusCode, detail: &str) -> AppError {
    use StatusCode as S;
    // serde's words for the field at fault, e.g. "missing field `reason`".
    let field = |after: &str| {
        detail
            .split(after)
            .nth(1)
            .and_then(|r| r.strip_prefix('`'))
            .and_then(|r| r.split('`').next())
            .map(str::to_owned)
    };
    let code = match status {
        S::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        S::PAYLOAD_TOO_LARGE => ErrorCode::TooLarge,
        S::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        S::UNPROCESSABLE_ENTITY => {
            let message = match (field("missing field "), field("unknown field "), field("unknown variant ")) {
                (Some(f), _, _) => format!("请求体缺少字段 {f}"),
                (_, Some(f), _) => format!("请求体有无法识别的字段 {f}"),
                (_, _, Some(v)) => format!("请求体中的取值 {v} 无法识别"),
                _ => "请求体的字段类型或取值不符（例如数字处填了文字）".to_owned(),
            };
            return AppError::with_status(status, ErrorCode::InvalidInput, message);
        }
        S::NOT_FOUND => ErrorCode::NotFound,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    };
    AppError::with_status(status, code, code.message())
}

/// An error answer that is not one of ours (not JSON, not a page): its status,
/// text and headers, if so.
async fn foreign_error(res: Response) -> Result<Response, (StatusCode, String, axum::http::HeaderMap)> {
    use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
    let status = res.status();
    let ours = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json") || t.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || ours {
        return Ok(res);
    }
    let (mut parts, body) = res.into_parts();
    let body = axum::body::to_bytes(body, 64 << 10).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&body).into_owned();
    tracing::debug!(%status, detail = %text, "axum's rejection answered in Chinese");
    parts.headers.remove(CONTENT_TYPE);
    parts.headers.remove(CONTENT_LENGTH);
    Err((status, text, parts.headers))
}

/// `res` with the headers it lacks taken from `kept` (what the inner layers set).
fn keeping(mut res: Response, kept: axum::http::HeaderMap) -> Response {
    for (name, value) in &kept {
        if !res.headers().contains_key(name) {
            res.headers_mut().insert(name.clone(), value.clone());
        }
    }
    res
}

/// For the API: axum's rejections as `{code, message}`.
pub async fn json_rejections(res: Response) -> Response {
    match foreign_error(res).await {
        Ok(res) => res,
        Err((status, text, kept)) => keeping(rejection(status, &text).into_response(), kept),
    }
}

/// For pages: axum's rejections as an error page.
pub async fn page_rejections(res: Response) -> Response {
    match foreign_error(res).await {
        Ok(res) => res,
        Err((status, text, kept)) => keeping(PageError(rejection(status, &text)).into_response(), kept),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_snake_case_unique_with_a_chinese_message() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(c.code().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{}", c.code());
            assert!(seen.insert(c.code()), "{} twice", c.code());
            assert!(c.message().chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch)), "{}", c.code());
            assert!(c.status().is_client_error() || c.status().is_server_error(), "{}", c.code());
        }
    }

    #[test]
    fn axums_words_become_ours() {
        let e = rejection(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Failed to deserialize the JSON body into the target type: missing field `reason` at line 1 column 2",
        );
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::InvalidInput, "请求体缺少字段 reason"));
        let e = rejection(StatusCode::UNPROCESSABLE_ENTITY, "invalid type: string \"x\", expected i64");
        assert!(e.message.contains("类型"), "{}", e.message);
        assert_eq!(rejection(StatusCode::METHOD_NOT_ALLOWED, "").code, ErrorCode::MethodNotAllowed);
        assert_eq!(
            rejection(StatusCode::BAD_REQUEST, "Failed to parse the request body as JSON").code,
            ErrorCode::BadRequest
        );
    }
}
