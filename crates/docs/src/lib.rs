//! Documents out of data: enforcement documents (HTML), flowcharts (SVG),
//! archive packages (zip), and Excel workbooks of the agencies' lists.

pub mod archive;
pub mod chart;
pub mod documents;
pub mod excel;
pub mod flowchart;
