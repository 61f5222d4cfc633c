//! Reports as PDF, typeset in-process with typst (PUB-6). Chinese needs a
//! CJK font from the system (Debian's `fonts-noto-cjk` or
//! `fonts-wqy-microhei`) or from a directory the operator names; without
//! one, the export says what to install rather than printing empty boxes.

use std::path::{Path, PathBuf};
use thiserror::Error;
use typst::foundations::Bytes;
use typst::text::Font;
use typst_as_lib::TypstEngine;
use typst_layout::PagedDocument;

#[derive(Debug, Error)]
pub enum PdfError {
    #[error(
        "未找到中文字体，无法生成 PDF。请安装 Debian 软件包 fonts-noto-cjk（apt-get install fonts-noto-cjk），\
         或用 --font-dir 指定存放中文字体（.ttf、.otf、.ttc）的目录。已查找：{searched}"
    )]
    NoCjkFont { searched: String },
    #[error("PDF 排版失败：{0}")]
    Typeset(String),
}

/// Where fonts are looked for when no directory is given.
pub const SYSTEM_FONT_DIRS: &[&str] = &["/usr/share/fonts", "/usr/local/share/fonts"];

/// Font files read at most while looking for one that covers Chinese.
const MAX_PROBED: usize = 200;

/// The faces of one font family that covers Chinese.
#[derive(Clone)]
pub struct CjkFonts {
    family: String,
    fonts: Vec<Font>,
}

impl std::fmt::Debug for CjkFonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CjkFonts").field("family", &self.family).field("faces", &self.fonts.len()).finish()
    }
}

/// Whether a face has the characters a report needs.
fn covers_chinese(font: &Font) -> bool {
    "中华人民共和国行政执法年报".chars().all(|c| font.info().coverage.contains(u32::from(c)))
}

/// Lower is tried first: Noto Sans CJK, then WenQuanYi, then anything CJK.
fn preference(path: &Path) -> u8 {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    if name.contains("notosanscjk") && name.contains("regular") {
        0
    } else if name.contains("notosanscjk") || name.contains("notoserifcjk") {
        1
    } else if name.contains("wqy") || name.contains("wenquanyi") {
        2
    } else if name.contains("cjk") || name.contains("han") || name.contains("sc") {
        3
    } else {
        4
    }
}

fn font_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            font_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| ["ttf", "otf", "ttc", "otc"].contains(&e.to_string_lossy().to_lowercase().as_str()))
        {
            out.push(path);
        }
    }
}

impl CjkFonts {
    /// The first font file under `dirs` with a face covering Chinese (the
    /// likeliest files first), with its bold sibling if there is one.
    pub fn discover(dirs: &[PathBuf]) -> Result<Self, PdfError> {
        let mut files = Vec::new();
        for dir in dirs {
            font_files(dir, &mut files);
        }
        files.sort_by_key(|p| (preference(p), p.clone()));
        for path in files.iter().take(MAX_PROBED) {
            let Ok(data) = std::fs::read(path) else { continue };
            let faces: Vec<Font> = Font::iter(Bytes::new(data)).filter(covers_chinese).collect();
            // A collection covers several regions; simplified Chinese first.
            let Some(first) = faces.iter().find(|f| f.info().family.contains(" SC")).or(faces.first()) else {
                continue;
            };
            let family = first.info().family.clone();
            let mut fonts: Vec<Font> = faces.iter().filter(|f| f.info().family == family).cloned().collect();
            let bold = path.to_string_lossy().replace("Regular", "Bold");
            if bold != path.to_string_lossy()
                && let Ok(data) = std::fs::read(&bold)
            {
                fonts.extend(Font::iter(Bytes::new(data)).filter(|f| f.info().family == family));
            }
            return Ok(Self { family, fonts });
        }
        let searched = dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join("、");
        Err(PdfError::NoCjkFont { searched: if searched.is_empty() { "（无）".into() } else { searched } })
    }

    /// The family typeset with (`Noto Sans CJK SC`, …).
    pub fn family(&self) -> &str {
        &self.family
    }
}

/// A report to typeset: a title, a line under it, tables, notes.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub title: String,
    pub subtitle: String,
    pub tables: Vec<Table>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// `s` as a typst string literal: the text cannot break out of it.
fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The typst source of `report` in `family`.
fn source(report: &Report, family: &str) -> String {
    let mut s = format!(
        "#set document(title: {title})\n\
         #set page(paper: \"a4\", margin: (x: 2cm, y: 2.2cm), \
           footer: context align(center, text(size: 9pt, counter(page).display(\"1 / 1\", both: true))))\n\
         #set text(font: {family}, size: 10.5pt, lang: \"zh\", region: \"cn\")\n\
         #align(center, text(size: 18pt, weight: \"bold\", {title}))\n\
         #align(center, text(size: 10pt, fill: luma(90), {subtitle}))\n\
         #v(0.8em)\n",
        title = literal(&report.title),
        family = literal(family),
        subtitle = literal(&report.subtitle),
    );
    for t in &report.tables {
        let columns = t.headers.len().max(1);
        let aligns: Vec<&str> = (0..columns).map(|i| if i == 0 { "left" } else { "right" }).collect();
        s.push_str(&format!(
            "#v(0.6em)\n#text(size: 12pt, weight: \"bold\", {})\n#table(columns: ({}), stroke: 0.5pt + luma(160), \
             inset: 5pt, align: ({},),\n  table.header({}),\n",
            literal(&t.caption),
            (0..columns).map(|i| if i == 0 { "2fr" } else { "1fr" }).collect::<Vec<_>>().join(", "),
            aligns.join(", "),
            t.headers.iter().map(|h| format!("text(weight: \"bold\", {})", literal(h))).collect::<Vec<_>>().join(", "),
        ));
        for row in &t.rows {
            let cells: Vec<String> = (0..columns).map(|i| literal(row.get(i).map_or("", String::as_str))).collect();
            s.push_str(&format!("  {},\n", cells.join(", ")));
        }
        s.push_str(")\n");
    }
    for n in &report.notes {
        s.push_str(&format!("#v(0.4em)\n#text(size: 9pt, fill: luma(70), {})\n", literal(n)));
    }
    s
}

/// Typeset `report` as PDF with `fonts`.
pub fn render(report: &Report, fonts: &CjkFonts) -> Result<Vec<u8>, PdfError> {
    let engine = TypstEngine::builder().main_file(source(report, &fonts.family)).fonts(fonts.fonts.clone()).build();
    let doc: PagedDocument = engine.compile().output.map_err(|e| PdfError::Typeset(e.to_string()))?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default())
        .map_err(|e| PdfError::Typeset(e.iter().map(|d| d.message.to_string()).collect::<Vec<_>>().join("；")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_break_out() {
        assert_eq!(literal("a\"b\\c\nd"), "\"a\\\"b\\\\c\\u{a}d\"");
        assert_eq!(literal("罚款 3,000.00 元 #set"), "\"罚款 3,000.00 元 #set\"");
    }

    /// The system's CJK font; CI installs fonts-noto-cjk, so there it must be found.
    fn system_fonts() -> Option<CjkFonts> {
        let dirs: Vec<PathBuf> = SYSTEM_FONT_DIRS.iter().map(PathBuf::from).collect();
        match CjkFonts::discover(&dirs) {
            Ok(fonts) => Some(fonts),
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("skipped: {e}");
                None
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn pub_6_report_typeset_with_a_system_cjk_font() {
        let Some(fonts) = system_fonts() else { return };
        assert!(fonts.family().contains("CJK") || fonts.family().contains("WenQuanYi"), "{fonts:?}");
        let report = Report {
            title: "测试区 2025 年度行政执法统计年报".into(),
            subtitle: "统计期间：2025 年".into(),
            tables: vec![Table {
                caption: "主要指标".into(),
                headers: vec!["指标".into(), "数值".into()],
                rows: vec![vec!["罚款金额".into(), "250.00 元".into()], vec!["\"#引号\\".into()]],
            }],
            notes: vec!["说明".into()],
        };
        let pdf = render(&report, &fonts).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        let embedded = fonts.family().replace(' ', "");
        assert!(
            text.contains("/FontFile") || text.contains("/FontFile2") || text.contains("/FontFile3"),
            "a font is embedded"
        );
        assert!(text.contains(&embedded[..8]), "the CJK font {embedded} is embedded");
    }

    #[test]
    fn no_font_says_what_to_install() {
        let empty = std::env::temp_dir().join(format!("zhifa-no-fonts-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let e = CjkFonts::discover(std::slice::from_ref(&empty)).unwrap_err();
        let message = e.to_string();
        assert!(message.contains("fonts-noto-cjk") && message.contains("--font-dir"), "{message}");
        assert!(message.contains(&empty.display().to_string()));
        std::fs::remove_dir_all(&empty).ok();
    }
}
