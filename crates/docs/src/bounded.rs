//! How much a zip may unpack to. A workbook or a package is a zip, and a
//! small zip can unpack to gigabytes (a "zip bomb"); every zip we read is
//! measured first, by unpacking it into nothing, never trusting the sizes its
//! directory declares.

use std::io::{Cursor, Read};
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum Bound {
    #[error("无法打开压缩包：{0}")]
    Unreadable(String),
    #[error("压缩包中的文件过多（超过 {0} 个）")]
    TooManyEntries(usize),
    #[error("解压后超过 {} MiB 的上限", .0 >> 20)]
    TooLarge(u64),
}

/// Check that the zip `bytes` holds at most `max_entries` entries which
/// unpack to at most `max_unpacked` bytes together. Costs one pass of
/// inflating, stopped at the limit.
pub fn within(bytes: &[u8], max_unpacked: u64, max_entries: usize) -> Result<(), Bound> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| Bound::Unreadable(e.to_string()))?;
    if archive.len() > max_entries {
        return Err(Bound::TooManyEntries(max_entries));
    }
    let mut left = max_unpacked;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| Bound::Unreadable(e.to_string()))?;
        if entry.size() > left {
            return Err(Bound::TooLarge(max_unpacked));
        }
        // The declared size may lie: count what really comes out. (A plain
        // loop: zip's checksum reader takes a zero-length read for the end.)
        let mut entry = entry;
        let mut buf = vec![0u8; 64 << 10];
        // A damaged entry (its checksum is checked at its end) is left to the
        // reader that follows, which names it; what came out counts.
        while let Ok(n) = entry.read(&mut buf)
            && n > 0
        {
            left = left.checked_sub(n as u64).ok_or(Bound::TooLarge(max_unpacked))?;
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A zip of `entries` entries of `size` zero bytes each, deflated.
    pub fn zeros(entries: usize, size: usize) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        let block = vec![0u8; 1 << 20];
        for i in 0..entries {
            z.start_file(format!("f{i}"), options).unwrap_or_else(|e| panic!("{e}"));
            let mut left = size;
            while left > 0 {
                let n = left.min(block.len());
                z.write_all(&block[..n]).unwrap_or_else(|e| panic!("{e}"));
                left -= n;
            }
        }
        z.finish().unwrap_or_else(|e| panic!("{e}")).into_inner()
    }

    #[test]
    fn a_zip_is_measured_by_what_it_unpacks_to() {
        assert_eq!(within(&zeros(3, 1000), 3000, 3), Ok(()));
        assert_eq!(within(&zeros(3, 1000), 2999, 3), Err(Bound::TooLarge(2999)));
        assert_eq!(within(&zeros(4, 10), 1 << 20, 3), Err(Bound::TooManyEntries(3)));
        let bomb = zeros(1, 64 << 20);
        assert!(bomb.len() < 100_000, "{}", bomb.len());
        assert_eq!(within(&bomb, 16 << 20, 10), Err(Bound::TooLarge(16 << 20)));
        assert!(matches!(within(b"not a zip", 1, 1), Err(Bound::Unreadable(_))));
    }

    #[test]
    fn a_declared_size_that_lies_is_caught() {
        let mut honest = zeros(1, 100_000);
        // The local header's and the central directory's "uncompressed size"
        // fields set to 10: the entry still unpacks to 100,000 bytes.
        let find = |data: &[u8], sig: &[u8]| data.windows(4).position(|w| w == sig);
        let local = find(&honest, b"PK\x03\x04").unwrap_or_else(|| panic!("no local header"));
        honest[local + 22..local + 26].copy_from_slice(&10u32.to_le_bytes());
        let central = find(&honest, b"PK\x01\x02").unwrap_or_else(|| panic!("no central directory"));
        honest[central + 24..central + 28].copy_from_slice(&10u32.to_le_bytes());
        // Whatever a reader gets out of it, the measure saw.
        let mut out = Vec::new();
        let mut archive = zip::ZipArchive::new(Cursor::new(honest.as_slice())).unwrap_or_else(|e| panic!("{e}"));
        let _ = archive.by_index(0).unwrap_or_else(|e| panic!("{e}")).read_to_end(&mut out);
        let measured = within(&honest, 50_000, 10);
        assert!(measured.is_err() || out.len() <= 50_000, "{measured:?}, {} bytes out", out.len());
    }
}
