//! Documents out of data: for now, Excel workbooks of the agencies' lists.

pub mod excel;
