//! Excel import and export of tables of string fields.
//!
//! A table is a header row of Chinese column labels and data rows. Reading
//! finds columns by their label (order does not matter, unknown columns are an
//! error so that a mistyped heading is not silently dropped) and reports every
//! problem with the row number a person sees in Excel.

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_xlsxwriter::{Format, Workbook};
use std::io::Cursor;
use thiserror::Error;
use zhifa_domain::registry::Form;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ExcelError {
    #[error("无法读取 Excel 文件（应为 .xlsx 格式）：{0}")]
    Unreadable(String),
    #[error("文件中没有工作表")]
    NoSheet,
    #[error("第 1 行应为表头，缺少列“{0}”")]
    MissingColumn(String),
    #[error("第 1 行有无法识别的列“{0}”")]
    UnknownColumn(String),
    #[error("第 {row} 行第 {column} 列：{message}")]
    Cell { row: usize, column: usize, message: String },
    #[error("无法生成 Excel 文件：{0}")]
    Write(String),
}

/// Write one sheet: a bold header row, then the rows.
pub fn write_table(sheet: &str, headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, ExcelError> {
    write_sheets(&[(sheet, headers, rows)])
}

/// A sheet to write: its name, header row and rows.
pub type Sheet<'a> = (&'a str, &'a [&'a str], &'a [Vec<String>]);

/// Write a workbook of several such sheets, in order.
pub fn write_sheets(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, ExcelError> {
    let w = |e: rust_xlsxwriter::XlsxError| ExcelError::Write(e.to_string());
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for (sheet, headers, rows) in sheets {
        let ws = book.add_worksheet();
        ws.set_name(*sheet).map_err(w)?;
        for (c, h) in headers.iter().enumerate() {
            let col = u16::try_from(c).map_err(|e| ExcelError::Write(e.to_string()))?;
            ws.write_string_with_format(0, col, *h, &bold).map_err(w)?;
            ws.set_column_width(col, 18).map_err(w)?;
        }
        for (r, row) in rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|e| ExcelError::Write(e.to_string()))?;
            for (c, value) in row.iter().enumerate() {
                let col = u16::try_from(c).map_err(|e| ExcelError::Write(e.to_string()))?;
                ws.write_string(r, col, value).map_err(w)?;
            }
        }
    }
    book.save_to_buffer().map_err(w)
}

/// The rows of a sheet with their Excel row numbers (the header is row 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

fn cell_text(cell: &Data, row: usize, column: usize) -> Result<String, ExcelError> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        Data::DateTime(dt) => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{d:02}")
        }
        Data::Error(e) => {
            return Err(ExcelError::Cell { row, column, message: format!("单元格有错误值 {e:?}") });
        }
    })
}

/// Read the first sheet. Rows that are entirely empty are skipped.
pub fn read_table(bytes: &[u8]) -> Result<Table, ExcelError> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| ExcelError::Unreadable(e.to_string()))?;
    let range =
        book.worksheet_range_at(0).ok_or(ExcelError::NoSheet)?.map_err(|e| ExcelError::Unreadable(e.to_string()))?;
    // Row numbers as Excel shows them, whatever the first used row is.
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows = range.rows().enumerate();
    let headers = match rows.next() {
        Some((_, cells)) => cells
            .iter()
            .enumerate()
            .map(|(c, cell)| cell_text(cell, first_row + 1, c + 1))
            .collect::<Result<Vec<_>, _>>()?,
        None => return Ok(Table { headers: Vec::new(), rows: Vec::new() }),
    };
    let mut out = Vec::new();
    for (i, cells) in rows {
        let row = first_row + i + 1;
        let values =
            cells.iter().enumerate().map(|(c, cell)| cell_text(cell, row, c + 1)).collect::<Result<Vec<_>, _>>()?;
        if values.iter().any(|v| !v.is_empty()) {
            out.push((row, values));
        }
    }
    Ok(Table { headers, rows: out })
}

/// Fill one form per row, by the forms' labels. Columns of the table that
/// belong to none of `F`'s fields are refused.
pub fn forms<F: Form>(table: &Table) -> Result<Vec<(usize, F)>, ExcelError> {
    columns_of::<F>(table, &[])?;
    Ok(table.rows.iter().map(|(row, values)| (*row, fill::<F>(table, values))).collect())
}

/// Check that every required field of `F` has a column and, unless it is one
/// of `other_labels`, that every column belongs to `F`.
pub fn columns_of<F: Form>(table: &Table, other_labels: &[&str]) -> Result<(), ExcelError> {
    for h in table.headers.iter().filter(|h| !h.is_empty()) {
        if !F::FIELDS.iter().any(|f| f.label == h) && !other_labels.contains(&h.as_str()) {
            return Err(ExcelError::UnknownColumn(h.clone()));
        }
    }
    for f in F::FIELDS.iter().filter(|f| f.required) {
        if !table.headers.iter().any(|h| h == f.label) {
            return Err(ExcelError::MissingColumn(f.label.to_owned()));
        }
    }
    Ok(())
}

/// The form of one row (fields without a column stay empty).
pub fn fill<F: Form>(table: &Table, values: &[String]) -> F {
    let mut form = F::default();
    for (c, h) in table.headers.iter().enumerate() {
        if let Some(field) = F::FIELDS.iter().find(|f| f.label == h) {
            form.set(field.name, values.get(c).cloned().unwrap_or_default());
        }
    }
    form
}

/// Header labels of `F`.
pub fn labels<F: Form>() -> Vec<&'static str> {
    F::FIELDS.iter().map(|f| f.label).collect()
}

/// The cells of `F` as a person reads them: choices by their Chinese label,
/// flags as 是/否.
pub fn cells<F: Form>(form: &F) -> Vec<String> {
    use zhifa_domain::registry::FieldKind;
    F::FIELDS
        .iter()
        .map(|f| {
            let v = form.get(f.name);
            match f.kind {
                FieldKind::Choice(choices) => {
                    choices.iter().find(|(code, _)| *code == v).map_or(v, |(_, label)| label).to_owned()
                }
                FieldKind::Flag => if zhifa_domain::people::parse_flag(v) { "是" } else { "否" }.to_owned(),
                _ => v.to_owned(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhifa_domain::registry::ItemForm;

    #[test]
    fn a_table_round_trips() {
        let rows = vec![vec!["a".to_owned(), "中文".to_owned()], vec![String::new(), "2".to_owned()]];
        let bytes = write_table("清单", &["甲", "乙"], &rows).unwrap();
        let t = read_table(&bytes).unwrap();
        assert_eq!(t.headers, ["甲", "乙"]);
        assert_eq!(t.rows, vec![(2, rows[0].clone()), (3, rows[1].clone())]);
    }

    #[test]
    fn unknown_and_missing_columns_are_named() {
        let bytes = write_table("x", &["事项名称", "奇怪的列"], &[]).unwrap();
        let t = read_table(&bytes).unwrap();
        assert_eq!(forms::<ItemForm>(&t).unwrap_err(), ExcelError::UnknownColumn("奇怪的列".into()));
        let bytes = write_table("x", &["事项名称"], &[]).unwrap();
        let t = read_table(&bytes).unwrap();
        assert!(matches!(forms::<ItemForm>(&t).unwrap_err(), ExcelError::MissingColumn(_)));
    }

    #[test]
    fn garbage_is_unreadable() {
        assert!(matches!(read_table(b"not a workbook"), Err(ExcelError::Unreadable(_))));
    }
}
