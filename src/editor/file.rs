//! Opening a screen file for the editor and saving it back: checked by the same loader as `wellconsole
//! check` (nothing invalid is written), never over a change made on disk since it was opened (by a text
//! editor or another console: the engineer chooses), written atomically (a temporary file renamed over
//! it) with the previous version kept beside it as `NAME.toml.bak`.
//!
//! Says what it wrote (the new text's SHA-256) for the caller's audit entry; other consoles see the new
//! file through their hot reload.

use crate::project::ProjectFiles;
use crate::project::diag::Diagnostic;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A screen file as the editor opened it (or last saved it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedScreen {
    /// The project directory.
    pub root: PathBuf,
    /// `screens/NAME.toml`.
    pub rel: String,
    pub text: String,
    /// SHA-256 of `text`, hex.
    pub hash: String,
}

/// What a save wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub hash: String,
    pub bytes: usize,
    /// The previous version, kept (none when the file is new).
    pub backup: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("'{0}' is not a screen file: the editor writes screens/NAME.toml")]
    NotAScreen(String),
    #[error("{0} is a link: the editor writes the screen file itself, not what a link points to")]
    Link(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{rel} changed on disk since it was opened{}: reload it, or save over the change",
        match .disk_hash { Some(h) => format!(" (now {})", &h[..12.min(h.len())]), None => " (it was deleted)".to_owned() }
    )]
    Conflict { rel: String, disk_hash: Option<String> },
    #[error("{0} exists already: a new screen needs a name of its own")]
    Exists(String),
    #[error("not saved: {} problem(s), the first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<Diagnostic>),
}

pub fn hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `screens/NAME.toml` with NAME a plain file name: the editor writes nothing else.
fn screen_rel(rel: &str) -> Result<&str, SaveError> {
    let name = rel
        .strip_prefix("screens/")
        .filter(|n| n.ends_with(".toml") && n.len() > ".toml".len())
        .filter(|n| !n.contains(['/', '\\']) && !n.starts_with('.'))
        .ok_or_else(|| SaveError::NotAScreen(rel.to_owned()))?;
    Ok(name)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SaveError + '_ {
    move |source| SaveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Refuses a link where the screen file (or the screens directory) should be: saving renames a new file
/// over the path, which would replace the link and leave what it points to as it was.
fn not_a_link(root: &Path, path: &Path) -> Result<(), SaveError> {
    for p in [root.join("screens"), path.to_path_buf()] {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => return Err(SaveError::Link(p)),
            _ => {}
        }
    }
    Ok(())
}

/// Reads `rel` of the project at `root` for editing.
pub fn open(root: &Path, rel: &str) -> Result<OpenedScreen, SaveError> {
    screen_rel(rel)?;
    let path = root.join(rel);
    not_a_link(root, &path)?;
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    Ok(OpenedScreen {
        root: root.to_path_buf(),
        rel: rel.to_owned(),
        hash: hash(&text),
        text,
    })
}

/// Writes a new screen file `rel` with `text`, checked against `files` (the project as it is on disk);
/// refused when the file exists already (a new screen never replaces one). Returns it as opened.
pub fn create(root: &Path, rel: &str, files: &ProjectFiles, text: &str) -> Result<(OpenedScreen, Saved), SaveError> {
    screen_rel(rel)?;
    let path = root.join(rel);
    not_a_link(root, &path)?;
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(SaveError::Exists(rel.to_owned()));
    }
    let problems = check(files, rel, text);
    if !problems.is_empty() {
        return Err(SaveError::Invalid(problems));
    }
    let dir = path.parent().unwrap_or(root).to_path_buf();
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    write_atomically(&dir, &path, text, None, false)?;
    let opened = OpenedScreen {
        root: root.to_path_buf(),
        rel: rel.to_owned(),
        text: text.to_owned(),
        hash: hash(text),
    };
    let saved = Saved {
        hash: opened.hash.clone(),
        bytes: text.len(),
        backup: None,
    };
    Ok((opened, saved))
}

/// Every problem the project would have with `text` as `rel` (empty: it may be saved).
pub fn check(files: &ProjectFiles, rel: &str, text: &str) -> Vec<Diagnostic> {
    crate::project::check(&files.with_file(rel, text))
}

/// Saves `text` over the opened file: checked against `files` (the project as loaded), refused when the
/// file on disk is no longer the one opened unless `over_disk_change`, the old version kept as `.bak`, the
/// new one written to a temporary file and renamed over it. `opened` then describes the saved file.
pub fn save(
    opened: &mut OpenedScreen,
    files: &ProjectFiles,
    text: &str,
    over_disk_change: bool,
) -> Result<Saved, SaveError> {
    let name = screen_rel(&opened.rel)?.to_owned();
    let path = opened.root.join(&opened.rel);
    not_a_link(&opened.root, &path)?;
    let problems = check(files, &opened.rel, text);
    if !problems.is_empty() {
        return Err(SaveError::Invalid(problems));
    }
    let on_disk = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&path)(e)),
    };
    let disk_hash = on_disk.as_deref().map(hash);
    if disk_hash.as_deref() != Some(opened.hash.as_str()) && !over_disk_change {
        return Err(SaveError::Conflict {
            rel: opened.rel.clone(),
            disk_hash,
        });
    }
    let dir = path.parent().unwrap_or(&opened.root).to_path_buf();
    // Nothing changed: nothing is written, and the backup keeps the version before the last real change.
    if on_disk.as_deref() == Some(text) {
        // The disk already holds it (saved over an identical change): this is now the file opened.
        opened.text = text.to_owned();
        opened.hash = hash(text);
        return Ok(Saved {
            hash: opened.hash.clone(),
            bytes: text.len(),
            backup: None,
        });
    }
    // The backup and the new file get the screen file's permissions (or a plain file's).
    let mode = std::fs::metadata(&path).ok().map(|m| m.permissions());
    let backup = match &on_disk {
        Some(old) => {
            let b = dir.join(format!("{name}.bak"));
            write_atomically(&dir, &b, old, mode.clone(), true)?;
            Some(b)
        }
        None => None,
    };
    write_atomically(&dir, &path, text, mode, true)?;
    opened.text = text.to_owned();
    opened.hash = hash(text);
    Ok(Saved {
        hash: opened.hash.clone(),
        bytes: text.len(),
        backup,
    })
}

/// `text` into a temporary file in `dir`, flushed to disk, then renamed over `path`: a reader (or a crash)
/// sees the old file or the new one, never half of one.
fn write_atomically(
    dir: &Path,
    path: &Path,
    text: &str,
    mode: Option<std::fs::Permissions>,
    clobber: bool,
) -> Result<(), SaveError> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".wellconsole-edit-")
        .tempfile_in(dir)
        .map_err(io(dir))?;
    tmp.write_all(text.as_bytes()).map_err(io(tmp.path()))?;
    tmp.as_file().sync_all().map_err(io(path))?;
    // A screen file is read by every console of the site: not the temporary file's owner-only mode.
    let mode = mode.unwrap_or_else(|| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::Permissions::from_mode(0o644)
        }
        #[cfg(not(unix))]
        {
            tmp.as_file()
                .metadata()
                .map(|m| m.permissions())
                .unwrap_or_else(|_| unreachable!())
        }
    });
    std::fs::set_permissions(tmp.path(), mode).map_err(io(path))?;
    if clobber {
        tmp.persist(path).map_err(|e| io(path)(e.error))?;
    } else {
        // A new file: never over one that appeared since it was looked for (another console, an editor).
        tmp.persist_noclobber(path).map_err(|e| match e.error.kind() {
            std::io::ErrorKind::AlreadyExists => SaveError::Exists(path.display().to_string()),
            _ => io(path)(e.error),
        })?;
    }
    // The rename itself is durable once the directory is.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo project written to a directory.
    fn demo_dir() -> (tempfile::TempDir, ProjectFiles) {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in ProjectFiles::embedded_demo().iter() {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let files = ProjectFiles::from_dir(dir.path()).unwrap();
        (dir, files)
    }

    #[test]
    fn a_valid_edit_is_saved_atomically_with_a_backup_and_a_hash() {
        let (dir, files) = demo_dir();
        let mut opened = open(dir.path(), "screens/sep01.toml").unwrap();
        let before = opened.text.clone();
        let edited = before.replace("at = [920, 400]", "at = [920, 410]");
        assert_ne!(edited, before);
        let saved = save(&mut opened, &files, &edited, false).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("screens/sep01.toml")).unwrap(),
            edited
        );
        assert_eq!(std::fs::read_to_string(saved.backup.as_ref().unwrap()).unwrap(), before);
        assert_eq!(saved.hash, hash(&edited));
        assert_eq!(opened.hash, saved.hash);
        // No temporary file is left behind.
        let left: Vec<String> = std::fs::read_dir(dir.path().join("screens"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn nothing_invalid_is_written_and_a_change_on_disk_is_never_overwritten_silently() {
        let (dir, files) = demo_dir();
        let path = dir.path().join("screens/sep01.toml");
        let mut opened = open(dir.path(), "screens/sep01.toml").unwrap();
        let original = opened.text.clone();
        let broken = original.replace("use = \"separator_3phase\"", "use = \"separator_4phase\"");
        match save(&mut opened, &files, &broken, false) {
            Err(SaveError::Invalid(p)) => assert!(p[0].message.contains("unknown symbol 'separator_4phase'"), "{p:?}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), original, "nothing written");
        // Someone else saves meanwhile: the editor's save is refused until the engineer chooses.
        let theirs = original.replace("at = [1200, 60]", "at = [1210, 60]");
        std::fs::write(&path, &theirs).unwrap();
        let mine = original.replace("at = [920, 400]", "at = [920, 410]");
        let err = save(&mut opened, &files, &mine, false).unwrap_err();
        assert!(
            matches!(&err, SaveError::Conflict { disk_hash: Some(h), .. } if *h == hash(&theirs)),
            "{err}"
        );
        assert!(err.to_string().contains("changed on disk since it was opened"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), theirs);
        // Saving over it is a choice, and their version is the backup.
        let saved = save(&mut opened, &files, &mine, true).unwrap();
        assert_eq!(std::fs::read_to_string(saved.backup.unwrap()).unwrap(), theirs);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), mine);
    }

    #[test]
    fn the_editor_writes_screen_files_only_and_never_through_a_link() {
        let (dir, files) = demo_dir();
        for rel in [
            "site.toml",
            "screens/../site.toml",
            "screens/a/b.toml",
            "screens/.toml",
            "screens/x.txt",
        ] {
            assert!(matches!(open(dir.path(), rel), Err(SaveError::NotAScreen(_))), "{rel}");
            let mut forged = open(dir.path(), "screens/sep01.toml").unwrap();
            forged.rel = rel.to_owned();
            let text = forged.text.clone();
            assert!(
                matches!(save(&mut forged, &files, &text, true), Err(SaveError::NotAScreen(_))),
                "{rel}"
            );
        }
        #[cfg(unix)]
        {
            let outside = dir.path().join("outside.toml");
            std::fs::write(&outside, "x").unwrap();
            std::os::unix::fs::symlink(&outside, dir.path().join("screens/linked.toml")).unwrap();
            assert!(matches!(
                open(dir.path(), "screens/linked.toml"),
                Err(SaveError::Link(_))
            ));
            let mut opened = open(dir.path(), "screens/sep01.toml").unwrap();
            opened.rel = "screens/linked.toml".into();
            let text = opened.text.clone();
            assert!(matches!(
                save(&mut opened, &files, &text, true),
                Err(SaveError::Link(_))
            ));
            assert_eq!(std::fs::read_to_string(&outside).unwrap(), "x");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_saved_screen_keeps_its_readable_mode_and_an_unchanged_save_writes_nothing() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, files) = demo_dir();
        let path = dir.path().join("screens/sep01.toml");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mut opened = open(dir.path(), "screens/sep01.toml").unwrap();
        let text = opened.text.clone();
        let same = save(&mut opened, &files, &text, false).unwrap();
        assert_eq!(same.backup, None, "nothing changed, nothing written");
        let edited = text.replace("at = [920, 400]", "at = [920, 410]");
        let saved = save(&mut opened, &files, &edited, false).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&path), mode(saved.backup.as_ref().unwrap())), (0o640, 0o640));
    }
}
