//! Writing a file so that it is never seen half written, by a reader, by a crash, or
//! by another writer of the same file.
//!
//! ```text
//! 1. create  dir/.name.<pid>.<n>.<random>.tmp   beside the destination (same file system),
//!            a name no other writer uses: process id, a counter, a random number, and
//!            create_new, which refuses a name that already exists
//! 2. write the bytes, then fsync the file        the data is on disk before its name is
//! 3. rename it over dir/name                     atomic: readers see the old file or the new
//! 4. fsync dir                                   the rename itself is on disk
//! a failure in 1–3 (or a panic) removes the temporary file; the destination is untouched
//! ```
//! Without step 2 a crash soon after the rename can leave an empty file under the
//! final name: the file system may commit the rename before the data. Two writers of
//! one path both succeed, and the file is one of their two versions, whole.
//! Read next: [`crate::io::state_dict`].

use std::collections::hash_map::RandomState;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{ErrorKind as IoErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::file_error;
use crate::error::Error;

/// Temporary files made by this process so far (part of every temporary name).
static TEMPORARIES: AtomicU64 = AtomicU64::new(0);

/// Write `bytes` to `path` atomically (see the module doc); `op` names the caller in
/// errors.
///
/// # Errors
/// An [`crate::ErrorKind::Io`] error of `op` naming `path` and the step that failed
/// (the directory does not exist, the destination is a directory, the disk is
/// full, ...). No temporary file is left behind.
///
/// # Examples
/// ```
/// let path = std::env::temp_dir().join(format!("doc_atomic_{}.txt", std::process::id()));
/// ferrograd::tensor::io::write_atomic("example", &path, b"whole or nothing").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"whole or nothing");
/// std::fs::remove_file(path).unwrap();
/// ```
pub fn write_atomic(op: &'static str, path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let fail = |problem: String| file_error(op, path, problem);
    let Some(name) = path.file_name() else {
        return Err(fail("not a file name".to_string()));
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let (mut file, temporary) = create_temporary(dir, &name.to_string_lossy()).map_err(|e| {
        fail(format!(
            "cannot create a temporary file in {}: {e}",
            dir.display()
        ))
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| fail(format!("cannot write: {e}")))?;
    drop(file);
    std::fs::rename(&temporary.path, path)
        .map_err(|e| fail(format!("cannot rename the written file into place: {e}")))?;
    temporary.renamed();
    sync_directory(dir).map_err(|e| {
        fail(format!(
            "written, but the directory could not be synced: {e}"
        ))
    })
}

/// A temporary file, removed when dropped unless it was renamed.
struct Temporary {
    path: PathBuf,
}

impl Temporary {
    /// The file now has its final name: nothing to remove.
    fn renamed(self) {
        std::mem::forget(self);
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        // Best effort: the error being reported is the one that made us clean up.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A new file `dir/.name.<pid>.<n>.<random>.tmp`, opened for writing.
fn create_temporary(dir: &Path, name: &str) -> std::io::Result<(File, Temporary)> {
    loop {
        let n = TEMPORARIES.fetch_add(1, Ordering::Relaxed);
        // std's per-process random hash keys, seeded by the OS: drawing here leaves
        // the seeded generators of `crate::random` (and a run's reproducibility) alone
        let random = RandomState::new().build_hasher().finish() as u32;
        let path = dir.join(format!(
            ".{name}.{}.{n}.{random:08x}.tmp",
            std::process::id()
        ));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((file, Temporary { path })),
            Err(e) if e.kind() == IoErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// fsync a directory, so that a rename in it survives a crash (POSIX; elsewhere the
/// rename is as durable as the platform makes it).
fn sync_directory(dir: &Path) -> std::io::Result<()> {
    if cfg!(unix) {
        File::open(dir)?.sync_all()
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    /// A fresh empty directory for one test.
    fn empty_dir(test: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ferrograd_atomic_{}_{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn two_writers_of_one_path_both_succeed_and_one_whole_version_wins() {
        let dir = empty_dir("two_writers");
        let path = dir.join("shared.bin");
        let versions: [Vec<u8>; 2] = [vec![1; 1 << 16], vec![2; 3 << 15]];
        let start = Arc::new(Barrier::new(2));
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let (path, bytes, start) = (path.clone(), versions[w].clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    (0..20)
                        .map(|_| write_atomic("test", &path, &bytes))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for writer in writers {
            for result in writer.join().unwrap() {
                result.unwrap();
            }
        }
        let written = std::fs::read(&path).unwrap();
        assert!(
            written == versions[0] || written == versions[1],
            "a mix of {} bytes",
            written.len()
        );
        assert_eq!(
            entries(&dir),
            vec!["shared.bin"],
            "temporary files left behind"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_rename_leaves_no_temporary_file() {
        let dir = empty_dir("failed_rename");
        let path = dir.join("model.safetensors");
        std::fs::create_dir(&path).unwrap(); // the destination is a directory: rename fails
        let e = write_atomic("save_state_dict", &path, b"weights").unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Io);
        let message = e.to_string();
        assert!(
            message.starts_with(&format!(
                "save_state_dict: {}: cannot rename",
                path.display()
            )),
            "{message}"
        );
        assert_eq!(entries(&dir), vec!["model.safetensors"]);
        assert!(path.is_dir());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_file() {
        let dir = empty_dir("missing_dir");
        let path = dir.join("no_such_dir/model.safetensors");
        let message = write_atomic("save", &path, b"x").unwrap_err().to_string();
        assert!(
            message.contains("model.safetensors")
                && message.contains("cannot create a temporary file"),
            "{message}"
        );
        assert!(entries(&dir).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_existing_file_is_replaced_whole() {
        let dir = empty_dir("replace");
        let path = dir.join("f.txt");
        std::fs::write(&path, b"an old and longer content").unwrap();
        write_atomic("test", &path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(entries(&dir), vec!["f.txt"]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
