//! The site's records: where they live, who may read them, and opening their databases.
//!
//! A site's records (user store, audit trail, alarm journal, trip state, site key) live in one folder that
//! the project decides (`[records] dir` in site.toml, else beside the project's history database), never a
//! command-line flag: a flag that moved them would let anyone start a console on an empty user store.
//! The folder is created 0700 and every record file 0600, so other accounts on the machine can neither
//! read nor edit them; looser modes found at start are reported (`loose_permissions`).
//!
//! Opening a record database: parent folder created, WAL so readers never block the writer,
//! `synchronous = FULL` so a committed record survives a power cut, a busy timeout for the moments two
//! connections meet, and the schema. The historian opens its own file (it tunes checkpoints for its write
//! rate) but creates it through `create_private` too.

pub mod key;

pub use key::{KeyError, SiteKey};

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Mode of a record folder: the owner only.
pub const DIR_MODE: u32 = 0o700;
/// Mode of a record file: the owner reads and writes.
pub const FILE_MODE: u32 = 0o600;

/// Free and total bytes of the file system holding `path` (`None` where it cannot be asked).
pub fn disk_space(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c` is a NUL-terminated path that outlives the call, and `st` points to writable memory the
    // size of a statvfs, which the call fills on success (its result is read only then).
    let rc = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it wrote the whole struct.
    let st = unsafe { st.assume_init() };
    // The fields are c_ulong / fsblkcnt_t: u64 here, narrower on 32-bit targets.
    #[allow(clippy::unnecessary_cast)]
    let (unit, avail, blocks) = (st.f_frsize as u64, st.f_bavail as u64, st.f_blocks as u64);
    Some((avail.saturating_mul(unit), blocks.saturating_mul(unit)))
}

/// Whether a disk with `free` of `total` bytes is nearly full: under 5 % or 1 GiB, whichever is less.
pub fn disk_low(free: u64, total: u64) -> bool {
    free < (total / 20).min(1 << 30)
}

/// Creates `dir` (and its parents) if missing; a folder this creates is 0700.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, DIR_MODE);
    b.create(dir)
}

/// Creates `path` empty and 0600 if it does not exist yet (its folder 0700), so that SQLite, which keeps
/// the mode of an existing file and gives its -wal and -shm files the same, never makes it world-readable.
pub fn create_private(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    o.open(path).map(drop)
}

/// Replaces `path` whole with `bytes`: a private temporary file (its own name, so two processes may do
/// this at once), synced, renamed over the old one. A reader sees the old file or the new, never half.
pub fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!("{name}.{}.{n}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    create_private(&tmp)?;
    let mut f = std::fs::OpenOptions::new().write(true).truncate(true).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Why a console may not write an export (a PDF) at `path`, or None when it may: a `.pdf` file, not in the
/// records' folder (the folder of `records_db`), so a typed path never reaches the job, user or audit
/// databases.
pub fn export_refusal(path: &Path, records_db: &Path) -> Option<&'static str> {
    if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")) {
        return Some("the file name must end in .pdf");
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let records = records_db.parent().unwrap_or(Path::new("."));
    let inside = match (dir.canonicalize(), records.canonicalize()) {
        (Ok(a), Ok(b)) => a.starts_with(b),
        _ => false,
    };
    inside.then_some("the records' folder holds only the site's records")
}

/// Writes `bytes` to a file that must not exist yet (0600): an export never replaces a file.
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    let mut f = o.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Opens (creating 0600 if needed) a record database with its schema.
pub fn open(path: &Path, schema: &str) -> rusqlite::Result<Connection> {
    // A failure shows up as the open's own error just below, with the path.
    let _ = create_private(path);
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(schema)?;
    Ok(conn)
}

/// Files and folders under `dir` (one level, plus `dir` itself) that others may read, write or enter,
/// with their modes: what a start warns about.
pub fn loose_permissions(dir: &Path) -> Vec<(PathBuf, u32)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).ok().map(|m| m.permissions().mode() & 0o777);
        let mut out = Vec::new();
        if let Some(m) = mode(dir).filter(|m| m & 0o077 != 0) {
            out.push((dir.to_path_buf(), m));
        }
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
            files.sort();
            for f in files {
                if let Some(m) = mode(&f).filter(|m| m & 0o077 != 0) {
                    out.push((f, m));
                }
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Vec::new()
    }
}

/// Logs one warning per record file or folder that is looser than the owner only.
pub fn warn_loose_permissions(dir: &Path) {
    for (path, mode) in loose_permissions(dir) {
        let fix = if path.is_dir() { "chmod 700" } else { "chmod 600" };
        tracing::warn!(
            path = %path.display(),
            mode = format!("{mode:03o}"),
            "record file or folder is readable or writable by other accounts: {fix} it"
        );
    }
}

/// The id of the key a record database says sealed it, from its `table` (`k = 'key_id'`): `None` when
/// there is no such database or it is from before keys. A database that exists and cannot be read is an
/// error, never "no key": that would let a new key be made over sealed records.
pub fn sealed_key_id(path: &Path, table: &str) -> rusqlite::Result<Option<String>> {
    if !path.exists() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let has_table = conn
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?
        .exists([table])?;
    if !has_table {
        return Ok(None);
    }
    use rusqlite::OptionalExtension;
    conn.query_row(&format!("SELECT v FROM {table} WHERE k = 'key_id'"), [], |r| r.get(0))
        .optional()
}

#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error("records folder {path}: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("record {path} cannot be read to learn which key sealed it: {source}")]
    Unreadable { path: PathBuf, source: rusqlite::Error },
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// A site's records folder and the key that seals them.
#[derive(Debug, Clone)]
pub struct Records {
    pub dir: PathBuf,
    pub key: Arc<SiteKey>,
}

impl Records {
    /// Opens the records folder `dir` (created 0700) with the site key at `key_path`, made at the first
    /// start and refused if missing or different while records sealed with key id `sealed` exist. Warns
    /// about loose modes. True with it when the key was made just now.
    pub fn open(dir: &Path, key_path: &Path, sealed: Option<&str>) -> Result<(Self, bool), RecordsError> {
        create_private_dir(dir).map_err(|source| RecordsError::Folder {
            path: dir.to_path_buf(),
            source,
        })?;
        let made = !key_path.exists();
        let key = SiteKey::load_or_create(key_path, sealed)?;
        warn_loose_permissions(dir);
        if let Some(kdir) = key_path.parent().filter(|k| *k != dir) {
            warn_loose_permissions(kdir);
        }
        Ok((
            Self {
                dir: dir.to_path_buf(),
                key: Arc::new(key),
            },
            made,
        ))
    }

    pub fn users(&self) -> PathBuf {
        self.dir.join("users.db")
    }

    pub fn audit(&self) -> PathBuf {
        self.dir.join("audit.db")
    }

    pub fn alarm_journal(&self) -> PathBuf {
        self.dir.join("alarms.db")
    }

    /// CT strings: fatigue per cell, running feet, cuts and the fatigue cycles log.
    pub fn ct_strings(&self) -> PathBuf {
        self.dir.join("ctstring.db")
    }

    /// CT jobs: jobs, operations logs, fluids, BHA, NPT and the tickets' signatures.
    pub fn jobs(&self) -> PathBuf {
        self.dir.join("jobs.db")
    }

    /// Well tests on the test separator, their approvals and rejections.
    pub fn production(&self) -> PathBuf {
        self.dir.join("production.db")
    }

    /// Tokens the read-only HTTP API accepts (hashes and roles, sealed).
    pub fn api_tokens(&self) -> PathBuf {
        self.dir.join("api-tokens.db")
    }

    pub fn screen_layout(&self) -> PathBuf {
        self.dir.join("screen-layout.json")
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn free_space_is_read_and_a_nearly_full_disk_is_told_apart() {
        let (free, total) = disk_space(Path::new("/")).unwrap();
        assert!(total > 0 && free <= total);
        assert!(disk_space(Path::new("/no/such/place")).is_none());
        let gib = 1u64 << 30;
        assert!(disk_low(gib / 2, 100 * gib), "under 1 GiB on a large disk");
        assert!(!disk_low(2 * gib, 100 * gib));
        assert!(disk_low(400 << 20, 10 * gib), "under 5 % on a small one");
        assert!(!disk_low(600 << 20, 10 * gib));
    }

    #[test]
    fn records_are_created_for_the_owner_only_and_loose_ones_are_found() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("site").join("records");
        let db = dir.join("journal.db");
        drop(open(&db, "CREATE TABLE IF NOT EXISTS t(x)").unwrap());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&db), 0o600);
        for f in std::fs::read_dir(&dir).unwrap().flatten() {
            assert_eq!(mode(&f.path()), 0o600, "{}", f.path().display());
        }
        assert!(loose_permissions(&dir).is_empty());
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let loose = loose_permissions(&dir);
        assert_eq!(loose, vec![(dir.clone(), 0o755), (db.clone(), 0o644)]);
    }
}
