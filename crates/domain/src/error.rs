use thiserror::Error;

/// A value a person typed or imported was not acceptable. The message is shown as is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}：{message}")]
pub struct Invalid {
    /// The field (in Chinese, as on the form), e.g. `统一社会信用代码`.
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

/// Trim a required text field and check its length (in characters).
pub fn required_text(field: &'static str, value: &str, max_chars: usize) -> Result<String, Invalid> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Invalid::new(field, "不能为空"));
    }
    optional_text(field, v, max_chars)
}

/// Trim an optional text field and check its length (in characters).
pub fn optional_text(field: &'static str, value: &str, max_chars: usize) -> Result<String, Invalid> {
    let v = value.trim();
    if v.chars().count() > max_chars {
        return Err(Invalid::new(field, format!("不能超过 {max_chars} 个字")));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(Invalid::new(field, "含有不可见的控制字符"));
    }
    Ok(v.to_owned())
}
