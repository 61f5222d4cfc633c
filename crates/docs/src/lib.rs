//! Documents out of data: enforcement documents (HTML), flowcharts (SVG),
//! archive packages (zip), Excel workbooks of the agencies' lists, and
//! reports as PDF.

pub mod archive;
pub mod bounded;
pub mod chart;
pub mod documents;
pub mod excel;
pub mod flowchart;
pub mod pdf;
