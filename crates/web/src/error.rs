//! The one application error: a stable snake_case code, an HTTP status and a
//! Chinese message. Internals are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use zhifa_service::ServiceError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
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
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), refusals: Vec::new() }
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "请先登录")
    }

    pub fn csrf() -> Self {
        tracing::warn!("form or header token refused (CSRF)");
        Self::new(StatusCode::FORBIDDEN, "csrf_failed", "表单已失效或来源不明，请刷新页面后重试")
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "未找到，或您无权查看")
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        use StatusCode as S;
        match e {
            ServiceError::NotFound => Self::not_found(),
            ServiceError::Forbidden => {
                // ASVS 16.3: every refused authorization, in the request's span (its id).
                tracing::warn!("authorization refused");
                Self::new(S::FORBIDDEN, "forbidden", "您没有权限进行此操作")
            }
            ServiceError::Unauthenticated => Self::unauthenticated(),
            ServiceError::BadCredentials => Self::new(S::UNAUTHORIZED, "bad_credentials", "用户名或密码错误"),
            ServiceError::Throttled(wait) => {
                Self::new(S::TOO_MANY_REQUESTS, "throttled", format!("登录失败次数过多，请 {wait} 秒后再试"))
            }
            ServiceError::Invalid(i) => Self::bad_request(i.to_string()),
            ServiceError::Import(m) => Self::new(S::BAD_REQUEST, "import_failed", format!("未导入任何数据。{m}")),
            ServiceError::Duplicate(what) => Self::new(S::CONFLICT, "duplicate", format!("{what}已存在")),
            ServiceError::Conflict => Self::new(S::CONFLICT, "conflict", "数据已被他人修改，请刷新后重新编辑"),
            ServiceError::Calendar(e) => e.into(),
            ServiceError::UploadOffset(at) => {
                Self::new(S::CONFLICT, "upload_offset_mismatch", format!("上传偏移不符：应从第 {at} 字节继续"))
            }
            ServiceError::TooLarge(limit) => {
                Self::new(S::PAYLOAD_TOO_LARGE, "too_large", format!("文件超过允许的大小（{limit} 字节）"))
            }
            ServiceError::Busy => Self::new(S::LOCKED, "busy", "该上传正在进行中，请稍后再试"),
            ServiceError::Gone => Self::new(S::GONE, "gone", "该上传已被放弃"),
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
                let mut e = Self::new(S::UNPROCESSABLE_ENTITY, "refused", format!("不能进行此步：{message}"));
                e.refusals = refusals.iter().map(RefusalOut::from).collect();
                e
            }
            ServiceError::RetrievalRequired => {
                tracing::warn!("authorization refused: retrieval required");
                Self::new(
                    S::FORBIDDEN,
                    "retrieval_required",
                    format!(
                        "该内容属于其他执法主体：请先说明调阅理由（调阅人、时间与理由记入账本，{} 小时内可查阅）",
                        zhifa_service::RETRIEVAL_HOURS
                    ),
                )
            }
            ServiceError::Unavailable(what) => {
                tracing::warn!(%what, "unavailable");
                Self::new(S::SERVICE_UNAVAILABLE, "unavailable", what)
            }
            ServiceError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                Self::new(S::INTERNAL_SERVER_ERROR, "internal", "服务器内部错误，请稍后再试或联系管理员")
            }
        }
    }
}

impl From<zhifa_calendar::CalendarError> for AppError {
    fn from(e: zhifa_calendar::CalendarError) -> Self {
        use zhifa_calendar::CalendarError as C;
        let code = match e {
            C::MissingYear { .. } => "calendar_year_missing",
            C::Range { .. } | C::Length => "invalid_input",
            C::Syntax { .. } | C::File { .. } => "calendar_data_invalid",
        };
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, e.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody { code: self.code.to_owned(), message: self.message, refusals: self.refusals };
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
        if matches!(e.code, "not_found" | "forbidden" | "internal") { Err(PageError(e)) } else { Ok(e) }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let AppError { status, message, .. } = self.0;
        if status == StatusCode::UNAUTHORIZED {
            return axum::response::Redirect::to("/console/login").into_response();
        }
        let page = crate::page::ErrorPage { status: status.as_u16(), message };
        (status, crate::page::render(&page)).into_response()
    }
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
    match status {
        S::METHOD_NOT_ALLOWED => AppError::new(status, "method_not_allowed", "此地址不支持该请求方法"),
        S::PAYLOAD_TOO_LARGE => AppError::new(status, "too_large", "请求体过大（上限 2 MB）"),
        S::UNSUPPORTED_MEDIA_TYPE => AppError::new(
            status,
            "unsupported_media_type",
            "请求体的类型不受支持（JSON 接口须以 Content-Type: application/json 发送）",
        ),
        S::UNPROCESSABLE_ENTITY => {
            let message = match (field("missing field "), field("unknown field "), field("unknown variant ")) {
                (Some(f), _, _) => format!("请求体缺少字段 {f}"),
                (_, Some(f), _) => format!("请求体有无法识别的字段 {f}"),
                (_, _, Some(v)) => format!("请求体中的取值 {v} 无法识别"),
                _ => "请求体的字段类型或取值不符（例如数字处填了文字）".to_owned(),
            };
            AppError::new(status, "invalid_input", message)
        }
        S::NOT_FOUND => AppError::not_found(),
        s if s.is_server_error() => AppError::new(s, "internal", "服务器内部错误，请稍后再试或联系管理员"),
        s => AppError::new(s, "bad_request", "请求无法读取（请检查请求体与参数的格式）"),
    }
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
    fn axums_words_become_ours() {
        let e = rejection(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Failed to deserialize the JSON body into the target type: missing field `reason` at line 1 column 2",
        );
        assert_eq!((e.code, e.message.as_str()), ("invalid_input", "请求体缺少字段 reason"));
        let e = rejection(StatusCode::UNPROCESSABLE_ENTITY, "invalid type: string \"x\", expected i64");
        assert!(e.message.contains("类型"), "{}", e.message);
        assert_eq!(rejection(StatusCode::METHOD_NOT_ALLOWED, "").code, "method_not_allowed");
        assert_eq!(rejection(StatusCode::BAD_REQUEST, "Failed to parse the request body as JSON").code, "bad_request");
    }
}
