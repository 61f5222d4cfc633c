//! Excel import and export of tables of string fields.
//!
//! A table is a header row of Chinese column labels and data rows. Reading
//! finds columns by their label (order does not matter, unknown columns are an
//! error so that a mistyped heading is not silently dropped) and reports every
//! problem with the row number a person sees in Excel.

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_xlsxwriter::{Format, Workbook};
use std::collections::BTreeMap;
use std::io::Cursor;
use thiserror::Error;
use zhifa_domain::registry::{Field, Form, Values};

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
    /// Past one of the limits below: nothing was read on.
    #[error("文件超出导入上限：{0}")]
    TooLarge(String),
}

/// What one workbook may unpack to, all its parts together. A list of ten
/// thousand rows is a few MiB.
pub const MAX_UNPACKED: u64 = 16 << 20;
/// Parts of the workbook's zip.
pub const MAX_PARTS: usize = 500;
/// Rows of the sheet read, the header included.
pub const MAX_ROWS: u32 = 20_000;
/// Columns of the sheet read.
pub const MAX_COLUMNS: u32 = 100;
/// Cells with a value.
pub const MAX_CELLS: usize = 400_000;

/// Write one sheet: a bold header row, then the rows.
pub fn write_table(sheet: &str, headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, ExcelError> {
    write_sheets(&[(sheet, headers, rows)])
}

/// A sheet to write: its name, header row and rows.
pub type Sheet<'a> = (&'a str, &'a [&'a str], &'a [Vec<String>]);

/// Write a workbook of several such sheets, in order, every cell as text
/// (lists that are read back: a code such as 330106001 stays a code).
pub fn write_sheets(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, ExcelError> {
    write(sheets, false)
}

/// Write a workbook of report tables: counts, amounts (`1,234.56`) and
/// rates (`95.0%`) as numbers with their formats, so that Excel adds them
/// up; everything else as text.
pub fn write_report(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, ExcelError> {
    write(sheets, true)
}

fn write(sheets: &[Sheet<'_>], numbers: bool) -> Result<Vec<u8>, ExcelError> {
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
                match number(value).filter(|_| numbers) {
                    Some((n, format)) => ws.write_number_with_format(r, col, n, &Format::new().set_num_format(format)),
                    None => ws.write_string(r, col, value),
                }
                .map_err(w)?;
            }
        }
    }
    book.save_to_buffer().map_err(w)
}

/// A report's number as written: digits with thousands separators and
/// decimals, or a percentage; with the Excel format that shows it so. A
/// number with a leading zero is a code, not a number.
fn number(text: &str) -> Option<(f64, &'static str)> {
    let (digits, percent) = match text.strip_suffix('%') {
        Some(d) => (d, true),
        None => (text, false),
    };
    let unsigned = digits.strip_prefix('-').unwrap_or(digits);
    let (whole, decimals) = match unsigned.split_once('.') {
        Some((w, d)) if !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) => (w, d.len()),
        Some(_) => return None,
        None => (unsigned, 0),
    };
    let groups: Vec<&str> = whole.split(',').collect();
    let grouped = groups.len() > 1;
    let well_formed = groups.iter().enumerate().all(|(i, g)| {
        g.bytes().all(|b| b.is_ascii_digit())
            && if i == 0 { (1..=3).contains(&g.len()) || !grouped } else { g.len() == 3 }
    });
    if whole.is_empty() || !well_formed || (whole.len() > 1 && whole.starts_with('0')) {
        return None;
    }
    let value: f64 = digits.replace(',', "").parse().ok()?;
    let format = match (percent, decimals, grouped) {
        (true, 0, _) => "0%",
        (true, _, _) => "0.0%",
        (false, 0, false) => "0",
        (false, 0, true) => "#,##0",
        (false, _, _) => "#,##0.00",
    };
    Some((if percent { value / 100.0 } else { value }, format))
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
    read_table_checked(bytes, |_| Ok(()))
}

/// Read the first sheet within the limits above, calling `check_header` on
/// the header row before reading on (a wrong file stops at its first row).
pub fn read_table_checked(
    bytes: &[u8],
    check_header: impl Fn(&Table) -> Result<(), ExcelError>,
) -> Result<Table, ExcelError> {
    crate::bounded::within(bytes, MAX_UNPACKED, MAX_PARTS).map_err(|e| match e {
        crate::bounded::Bound::Unreadable(m) => ExcelError::Unreadable(m),
        other => ExcelError::TooLarge(other.to_string()),
    })?;
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| ExcelError::Unreadable(e.to_string()))?;
    let sheet = book.sheet_names().into_iter().next().ok_or(ExcelError::NoSheet)?;
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(|e| ExcelError::Unreadable(e.to_string()))?;
    // Cells come row by row; each row is kept sparse until the first column is known.
    let mut header: Option<(u32, BTreeMap<u32, String>)> = None;
    let mut rows: Vec<(u32, BTreeMap<u32, String>)> = Vec::new();
    let mut count = 0;
    let mut checked = false;
    while let Some(cell) = cells.next_cell().map_err(|e| ExcelError::Unreadable(e.to_string()))? {
        let (r, c) = cell.get_position();
        if r >= MAX_ROWS {
            return Err(ExcelError::TooLarge(format!("超过 {MAX_ROWS} 行")));
        }
        if c >= MAX_COLUMNS {
            return Err(ExcelError::TooLarge(format!("超过 {MAX_COLUMNS} 列")));
        }
        let value = cell_text(&Data::from(cell.get_value().clone()), r as usize + 1, c as usize + 1)?;
        if value.is_empty() {
            continue;
        }
        count += 1;
        if count > MAX_CELLS {
            return Err(ExcelError::TooLarge(format!("超过 {MAX_CELLS} 个单元格")));
        }
        match &mut header {
            None => header = Some((r, BTreeMap::from([(c, value)]))),
            Some((hr, h)) if *hr == r => {
                h.insert(c, value);
            }
            Some((_, h)) => {
                if !checked {
                    let first = h.keys().next().copied().unwrap_or(0);
                    check_header(&dense(h, first, Vec::new()))?;
                    checked = true;
                }
                match rows.last_mut() {
                    Some((lr, l)) if *lr == r => {
                        l.insert(c, value);
                    }
                    _ => rows.push((r, BTreeMap::from([(c, value)]))),
                }
            }
        }
    }
    let Some((_, h)) = header else { return Ok(Table { headers: Vec::new(), rows: Vec::new() }) };
    // Columns are counted from the leftmost one used, as a range starts.
    let first = h.keys().chain(rows.iter().flat_map(|(_, r)| r.keys())).min().copied().unwrap_or(0);
    let table = dense(&h, first, rows);
    if !checked {
        check_header(&table)?;
    }
    Ok(table)
}

/// A table of rows as wide as their last used column, from column `first`.
fn dense(header: &BTreeMap<u32, String>, first: u32, rows: Vec<(u32, BTreeMap<u32, String>)>) -> Table {
    let width = header.keys().chain(rows.iter().flat_map(|(_, r)| r.keys())).max().map_or(0, |m| m + 1 - first);
    let line = |cells: &BTreeMap<u32, String>| {
        let mut out = vec![String::new(); width as usize];
        for (c, v) in cells {
            out[(c - first) as usize] = v.clone();
        }
        out
    };
    Table { headers: line(header), rows: rows.iter().map(|(r, cells)| (*r as usize + 1, line(cells))).collect() }
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
    columns(table, F::FIELDS, other_labels)
}

/// Check that every required field has a column and, unless it is one of
/// `other_labels`, that every column is one of `fields`.
pub fn columns(table: &Table, fields: &[Field], other_labels: &[&str]) -> Result<(), ExcelError> {
    for h in table.headers.iter().filter(|h| !h.is_empty()) {
        if !fields.iter().any(|f| f.label == h) && !other_labels.contains(&h.as_str()) {
            return Err(ExcelError::UnknownColumn(h.clone()));
        }
    }
    for f in fields.iter().filter(|f| f.required) {
        if !table.headers.iter().any(|h| h == f.label) {
            return Err(ExcelError::MissingColumn(f.label.to_owned()));
        }
    }
    Ok(())
}

/// The form of one row (fields without a column stay empty).
pub fn fill<F: Form>(table: &Table, values: &[String]) -> F {
    let mut form = F::default();
    for (name, value) in row_values(table, F::FIELDS, values) {
        form.set(&name, value);
    }
    form
}

/// The values of one row by field name (fields without a column are absent).
pub fn row_values(table: &Table, fields: &[Field], values: &[String]) -> Values {
    let mut out = Values::new();
    for (c, h) in table.headers.iter().enumerate() {
        if let Some(field) = fields.iter().find(|f| f.label == h) {
            out.insert(field.name.to_owned(), values.get(c).cloned().unwrap_or_default());
        }
    }
    out
}

/// Header labels of `F`.
pub fn labels<F: Form>() -> Vec<&'static str> {
    F::FIELDS.iter().map(|f| f.label).collect()
}

/// The cells of `F` as a person reads them: choices by their Chinese label,
/// flags as 是/否.
pub fn cells<F: Form>(form: &F) -> Vec<String> {
    cells_of(F::FIELDS, |name| form.get(name))
}

/// The cells of `fields`, each value as `get` gives it by field name, as a
/// person reads them.
pub fn cells_of<'a>(fields: &[Field], get: impl Fn(&str) -> &'a str) -> Vec<String> {
    fields.iter().map(|f| f.shown(get(f.name))).collect()
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

    /// Issue 24, item 8: a report's counts, amounts and rates are numbers
    /// in Excel (a total adds them up); names, codes and dashes stay text.
    #[test]
    fn a_reports_numbers_are_numbers() {
        let row: Vec<String> =
            ["某局", "12", "1,234.56", "95.0%", "—", "007", "12345", "1,23", "3.5.1"].map(String::from).to_vec();
        let headers = ["执法机关", "件数", "罚款（元）", "按时率", "空", "编码", "大数", "坏", "版本"];
        let bytes = write_report(&[("年报", &headers, std::slice::from_ref(&row))]).unwrap();
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("年报").unwrap();
        let cells: Vec<Data> = (0..9).map(|c| range.get_value((1, c)).unwrap().clone()).collect();
        assert_eq!(
            cells,
            [
                Data::String("某局".into()),
                Data::Float(12.0),
                Data::Float(1234.56),
                Data::Float(0.95),
                Data::String("—".into()),
                Data::String("007".into()),
                Data::Float(12345.0),
                Data::String("1,23".into()),
                Data::String("3.5.1".into()),
            ]
        );
        // Lists stay text, to be read back as they were.
        let list = write_sheets(&[("清单", &headers, std::slice::from_ref(&row))]).unwrap();
        assert_eq!(read_table(&list).unwrap().rows[0].1, row);
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

    /// A workbook whose only sheet has `text` at each `(row, column)`.
    fn sheet_with(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        for (r, c, text) in cells {
            ws.write_string(*r, *c, *text).unwrap();
        }
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn a_sheet_past_the_row_or_column_limit_is_refused_without_reading_on() {
        // Tiny files whose used range is all of a sheet: a dense reader would
        // allocate seventeen billion cells.
        let far = sheet_with(&[(0, 0, "事项名称"), (1_048_575, 16_383, "x")]);
        assert!(far.len() < 10_000);
        let started = std::time::Instant::now();
        assert!(matches!(read_table(&far), Err(ExcelError::TooLarge(m)) if m.contains("20000 行")));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let wide = sheet_with(&[(0, 0, "事项名称"), (0, 200, "x")]);
        assert!(matches!(read_table(&wide), Err(ExcelError::TooLarge(m)) if m.contains("100 列")));
        assert!(
            read_table(&sheet_with(&[(0, 0, "a"), (19_999, 99, "b")])).is_ok(),
            "the limits themselves are allowed"
        );
    }

    #[test]
    fn the_header_is_checked_before_the_rows_are_read() {
        let rows: Vec<Vec<String>> = (0..50).map(|i| vec![format!("第{i}项")]).collect();
        let bytes = write_table("x", &["奇怪的列"], &rows).unwrap();
        let seen = std::cell::Cell::new(None);
        let r = read_table_checked(&bytes, |t| {
            seen.set(Some(t.rows.len()));
            columns_of::<ItemForm>(t, &[])
        });
        assert_eq!(r.unwrap_err(), ExcelError::UnknownColumn("奇怪的列".into()));
        assert_eq!(seen.get(), Some(0), "the check saw the header alone");
        let bytes = write_table("x", &["甲"], &rows).unwrap();
        assert_eq!(read_table_checked(&bytes, |_| Ok(())).unwrap().rows.len(), 50);
    }

    #[test]
    fn a_workbook_that_unpacks_past_the_limit_is_refused() {
        let bomb = crate::bounded::tests::zeros(1, (MAX_UNPACKED + 1) as usize);
        assert!(matches!(read_table(&bomb), Err(ExcelError::TooLarge(m)) if m.contains("16 MiB")));
    }
}
