//! Whether a SQLite database in WAL mode has had a commit since a value was
//! read from it, told by its WAL-index header (the first bytes of
//! `zhifa.db-shm`) without a read transaction: one `pread` and one `fstat`
//! instead of the locks a transaction takes.
//!
//! SQLite itself trusts the same bytes to tell whether its page cache is
//! still good: a writer rewrites the header with every commit (the frame
//! count, the checksum of the last frame, and on a restart of the log new
//! salts), writing the second of its two copies first; a reader that sees
//! the copies differ is looking at a commit in progress. So a header equal
//! to the one read before a value means no commit since, and anything else
//! (a commit, a commit in progress, no `-shm` file, a database not in WAL
//! mode) sends the caller back to SQL.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Bytes of one copy of the header (`WalIndexHdr`).
const HEADER: usize = 48;

/// The header's version field as SQLite writes it (`WALINDEX_MAX_VERSION`).
const VERSION: u32 = 3_007_000;

/// One header as read from the shared-memory file.
pub(crate) type Header = [u8; HEADER];

/// A value kept with the header it was read under.
#[derive(Debug, Default)]
pub(crate) struct WalMark(Mutex<Kept>);

#[derive(Debug, Default)]
struct Kept {
    /// The open `-shm` file (reopened when it was removed: then a new one
    /// may stand at its path).
    shm: Option<File>,
    value: Option<(Header, i64)>,
}

impl WalMark {
    /// The header of database `db` now, if it is settled (both copies
    /// equal, initialised, of the known version); read before the value it
    /// will be kept with, so that a commit in between is seen next time.
    pub(crate) fn header(&self, db: &Path) -> Option<Header> {
        let mut kept = self.0.lock().ok()?;
        let fresh = kept.shm.as_ref().and_then(|f| f.metadata().ok()).is_some_and(|m| linked(&m));
        if !fresh {
            kept.shm = File::open(shm_path(db)).ok();
        }
        let mut both = [0u8; 2 * HEADER];
        read_at(kept.shm.as_ref()?, &mut both)?;
        settled(&both)
    }

    /// The value kept with `header`, if it is that header's.
    pub(crate) fn get(&self, header: &Header) -> Option<i64> {
        let kept = self.0.lock().ok()?;
        kept.value.filter(|(h, _)| h == header).map(|(_, v)| v)
    }

    /// Keep `value`, read after `header` was.
    pub(crate) fn put(&self, header: Header, value: i64) {
        if let Ok(mut kept) = self.0.lock() {
            kept.value = Some((header, value));
        }
    }
}

fn shm_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-shm");
    PathBuf::from(name)
}

#[cfg(unix)]
fn linked(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    m.nlink() > 0
}

#[cfg(not(unix))]
fn linked(_: &std::fs::Metadata) -> bool {
    false
}

#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8]) -> Option<()> {
    use std::os::unix::fs::FileExt;
    f.read_exact_at(buf, 0).ok()
}

#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8]) -> Option<()> {
    None
}

/// The header of the two copies `both`, if they agree and it is one SQLite
/// wrote (version, then `isInit` at byte 12, in the machine's byte order).
fn settled(both: &[u8; 2 * HEADER]) -> Option<Header> {
    let (first, second) = both.split_at(HEADER);
    let header: Header = first.try_into().ok()?;
    let version = u32::from_ne_bytes(header[0..4].try_into().ok()?);
    (first == second && version == VERSION && header[12] == 1).then_some(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(frames: u32) -> Header {
        let mut h = [0u8; HEADER];
        h[0..4].copy_from_slice(&VERSION.to_ne_bytes());
        h[12] = 1;
        h[16..20].copy_from_slice(&frames.to_ne_bytes());
        h
    }

    fn both(a: Header, b: Header) -> [u8; 2 * HEADER] {
        let mut out = [0u8; 2 * HEADER];
        out[..HEADER].copy_from_slice(&a);
        out[HEADER..].copy_from_slice(&b);
        out
    }

    #[test]
    fn a_header_counts_only_when_its_copies_agree() {
        assert_eq!(settled(&both(header(7), header(7))), Some(header(7)));
        // A writer writes the second copy first: caught in between.
        assert_eq!(settled(&both(header(7), header(8))), None);
        let mut uninitialised = header(7);
        uninitialised[12] = 0;
        assert_eq!(settled(&both(uninitialised, uninitialised)), None);
        assert_eq!(settled(&[0u8; 2 * HEADER]), None);
    }

    #[test]
    fn a_value_is_given_back_only_under_its_header() {
        let mark = WalMark::default();
        assert_eq!(mark.get(&header(1)), None);
        mark.put(header(1), 42);
        assert_eq!(mark.get(&header(1)), Some(42));
        assert_eq!(mark.get(&header(2)), None);
    }

    #[test]
    fn the_header_of_a_real_database_moves_with_each_commit_and_only_then() {
        let dir = std::env::temp_dir().join(format!("zhifa-walmark-real-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("t.db");
        let writer = rusqlite::Connection::open(&db).unwrap();
        writer.pragma_update(None, "journal_mode", "WAL").unwrap();
        writer.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY)").unwrap();
        let mark = WalMark::default();
        let mut seen = vec![mark.header(&db).expect("a settled header")];
        for i in 0..3 {
            assert_eq!(mark.header(&db).as_ref(), seen.last(), "no commit, the same header");
            writer.execute("INSERT INTO t (id) VALUES (?1)", [i]).unwrap();
            let now = mark.header(&db).expect("a settled header");
            assert!(!seen.contains(&now), "commit {i} left the header as it was");
            seen.push(now);
        }
        // A checkpoint that starts the log again: new salts.
        writer.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
        writer.execute("INSERT INTO t (id) VALUES (9)", []).unwrap();
        let now = mark.header(&db).expect("a settled header");
        assert!(!seen.contains(&now), "the restarted log's first commit looks like an earlier state");
        drop(writer);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn no_shm_file_no_header() {
        let dir = std::env::temp_dir().join(format!("zhifa-walmark-{}", std::process::id()));
        assert_eq!(WalMark::default().header(&dir.join("absent.db")), None);
    }
}
