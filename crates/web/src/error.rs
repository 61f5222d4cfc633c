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
            ServiceError::Forbidden => Self::new(S::FORBIDDEN, "forbidden", "您没有权限进行此操作"),
            ServiceError::Unauthenticated => Self::unauthenticated(),
            ServiceError::BadCredentials => Self::new(S::UNAUTHORIZED, "bad_credentials", "用户名或密码错误"),
            ServiceError::Throttled => Self::new(S::TOO_MANY_REQUESTS, "throttled", "登录失败次数过多，请一分钟后再试"),
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
            ServiceError::RetrievalRequired => Self::new(
                S::FORBIDDEN,
                "retrieval_required",
                format!(
                    "该内容属于其他执法主体：请先说明调阅理由（调阅人、时间与理由记入账本，{} 小时内可查阅）",
                    zhifa_service::RETRIEVAL_HOURS
                ),
            ),
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
        let page = crate::console::ErrorPage { status: status.as_u16(), message };
        (status, crate::console::render(&page)).into_response()
    }
}
