//! Confined, bounded file access: the only way the probes open a file or list a directory.
//!
//! ztpath reads input that an attacker may have written (a pull request), so every file it opens
//! goes through a [`ReadScope`]:
//! - **Confinement.** The roots are the paths the user gave (a file's root is the directory that
//!   holds it). A path is admitted only when it lies inside a root both as written (after `.` and
//!   `..` are folded) and once every symbolic link in it is resolved. A reference that leaves the
//!   tree as written (`include ../../etc/shadow`) is always refused; one that leaves it only
//!   through a symbolic link is refused unless the user asked for
//!   [`ReadOptions::follow_outside_symlinks`].
//! - **Regular files only.** The type is checked before opening and again on the open handle,
//!   which is opened non-blocking, so a FIFO, a device (`/dev/zero`) or a socket is never read
//!   and a swap between the check and the open cannot hang the scan.
//! - **Bounded reads.** Every read stops at the file limit whatever `stat` says (devices and
//!   `/proc` files report a size of 0), and the bytes and files of one scan are capped too
//!   ([`ReadLimits`]).
//!
//! Refusals are values ([`Refusal`]) that the callers turn into diagnostics; their wording names
//! the path and the reason, never anything read from a file.

use std::collections::HashSet;
use std::fmt;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Bounds on what one scan reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLimits {
    /// Bytes of one file; a larger file is skipped.
    pub max_file_bytes: u64,
    /// Bytes of all files of one scan; files past it (in path order) are skipped.
    pub max_total_bytes: u64,
    /// Files opened in one scan (roots, includes, sniffed candidates).
    pub max_files: usize,
    /// Directory entries looked at in one walk.
    pub max_dir_entries: usize,
    /// Directory nesting below a root.
    pub max_dir_depth: usize,
    /// Objects (Kubernetes objects, configuration documents, proxies) kept from one scan; files
    /// past it (in path order) are not added to the inventory.
    pub max_objects: usize,
}

impl Default for ReadLimits {
    fn default() -> ReadLimits {
        ReadLimits {
            max_file_bytes: 512 * 1024 * 1024,
            max_total_bytes: 4 * 1024 * 1024 * 1024,
            max_files: 200_000,
            max_dir_entries: 1_000_000,
            max_dir_depth: 64,
            max_objects: 5_000_000,
        }
    }
}

/// How the probes read a scan's input: what they may touch on the file system, within which
/// bounds, and the namespace of objects that carry none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Follow symbolic links whose target lies outside the roots (off by default). References
    /// that leave the roots as written are refused even then.
    pub follow_outside_symlinks: bool,
    /// Bounds on the scan's reads.
    pub limits: ReadLimits,
    /// The namespace of namespaced objects that carry no `metadata.namespace`, as
    /// `kubectl apply -n` gives it; `None` gives them `default`, as plain `kubectl apply` does.
    /// Objects that name a namespace keep theirs.
    pub default_namespace: Option<String>,
}

/// Why a path was not opened.
#[derive(Debug)]
pub enum Refusal {
    /// The path, as written, lies outside every root.
    LeavesTree,
    /// The path lies inside a root as written, but a symbolic link takes it outside.
    LinkLeavesTree,
    /// Nothing is there.
    Missing,
    /// Not a regular file; the kind of thing it is.
    NotRegular(&'static str),
    /// Larger than the per-file limit.
    TooLarge(u64),
    /// A scan-wide bound was reached.
    Budget(&'static str),
    /// The operating system refused.
    Io(std::io::Error),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::LeavesTree => f.write_str("leaves the scanned tree; not read"),
            Refusal::LinkLeavesTree => f.write_str(
                "is a symbolic link to a place outside the scanned tree; not read (--follow-outside-symlinks reads it)",
            ),
            Refusal::Missing => f.write_str("not found"),
            Refusal::NotRegular(kind) => write!(f, "is not a regular file ({kind}); not read"),
            Refusal::TooLarge(limit) => write!(f, "file is larger than {} MiB; skipped", limit >> 20),
            Refusal::Budget(what) => write!(f, "the scan's limit on {what} is reached; not read"),
            Refusal::Io(e) => write!(f, "cannot read: {}", io_reason(e)),
        }
    }
}

/// An I/O error as a reason, without the OS's error number.
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

/// One root: the directory as written (absolute, `.`/`..` folded) and as resolved.
#[derive(Debug)]
struct Root {
    lexical: PathBuf,
    canonical: Option<PathBuf>,
}

/// The roots of one scan and what it has read so far.
#[derive(Debug)]
pub struct ReadScope {
    roots: Vec<Root>,
    cwd: PathBuf,
    options: ReadOptions,
    /// Bytes still allowed; reserved by [`ReadScope::reserve`] in path order.
    bytes_left: AtomicU64,
    files_opened: AtomicUsize,
    /// Scan-wide limits already reported, so each is said once.
    reported: Mutex<HashSet<&'static str>>,
    /// Every file read whole, with the SHA-256 of its bytes: the input digest.
    read: Mutex<Vec<(String, [u8; 32])>>,
}

/// What kind of thing a non-regular file is, for messages.
fn kind_of(meta: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() { "a directory" } else { "not a file" }
}

/// `path` made absolute against `cwd` with `.` and `..` folded, without touching the file system.
fn lexical(cwd: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() { path.to_path_buf() } else { cwd.join(path) };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A device and inode pair, where the platform has them (used to see a directory or file twice).
pub(crate) fn identity(meta: &Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

impl ReadScope {
    /// The scope of a scan of `paths` (each a file or a directory).
    pub fn new(paths: &[PathBuf], options: ReadOptions) -> ReadScope {
        let cwd = std::env::current_dir().unwrap_or_default();
        let roots = paths
            .iter()
            .map(|p| {
                let given = lexical(&cwd, p);
                let dir = if std::fs::metadata(p).is_ok_and(|m| m.is_dir()) {
                    given
                } else {
                    given.parent().map(Path::to_path_buf).unwrap_or(given)
                };
                let canonical = std::fs::canonicalize(&dir).ok();
                Root { lexical: dir, canonical }
            })
            .collect();
        ReadScope {
            roots,
            cwd,
            bytes_left: AtomicU64::new(options.limits.max_total_bytes),
            files_opened: AtomicUsize::new(0),
            reported: Mutex::new(HashSet::new()),
            read: Mutex::new(Vec::new()),
            options,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &ReadLimits {
        &self.options.limits
    }

    fn inside(&self, path: &Path) -> bool {
        self.roots.iter().any(|r| {
            path.starts_with(&r.lexical) || r.canonical.as_ref().is_some_and(|c| path.starts_with(c))
        })
    }

    fn inside_canonical(&self, path: &Path) -> bool {
        self.roots.iter().any(|r| r.canonical.as_ref().is_some_and(|c| path.starts_with(c)))
    }

    /// Checks that `path` may be opened: inside a root as written and as resolved. Returns the
    /// resolved path.
    pub fn admit(&self, path: &Path) -> Result<PathBuf, Refusal> {
        if !self.inside(&lexical(&self.cwd, path)) {
            return Err(Refusal::LeavesTree);
        }
        let canonical = match std::fs::canonicalize(path) {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A dangling link is not "missing" when its target would be outside.
                return Err(Refusal::Missing);
            }
            Err(e) => return Err(Refusal::Io(e)),
        };
        if self.inside_canonical(&canonical) || self.options.follow_outside_symlinks {
            Ok(canonical)
        } else {
            Err(Refusal::LinkLeavesTree)
        }
    }

    /// Admits `path` and checks that it is a regular file; returns its resolved path and metadata.
    pub fn admit_file(&self, path: &Path) -> Result<(PathBuf, Metadata), Refusal> {
        let canonical = self.admit(path)?;
        let meta = std::fs::metadata(&canonical).map_err(Refusal::Io)?;
        if !meta.is_file() {
            return Err(Refusal::NotRegular(kind_of(&meta)));
        }
        Ok((canonical, meta))
    }

    /// Whether `path` is an admitted regular file (for include resolution: no diagnostic).
    pub fn is_file(&self, path: &Path) -> bool {
        self.admit_file(path).is_ok()
    }

    /// Whether `path` is an admitted directory.
    pub fn is_dir(&self, path: &Path) -> bool {
        self.admit(path).is_ok_and(|c| std::fs::metadata(c).is_ok_and(|m| m.is_dir()))
    }

    /// Takes `size` bytes from the scan's byte budget; false when it would be exceeded (the
    /// budget is then left as it was, so smaller files later may still fit: callers reserve in
    /// path order, which keeps the outcome the same on every run).
    pub fn reserve(&self, size: u64) -> bool {
        self.bytes_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(size))
            .is_ok()
    }

    /// Records that a scan-wide limit was hit; true the first time (to report it once).
    pub fn first_report(&self, what: &'static str) -> bool {
        self.reported.lock().map(|mut r| r.insert(what)).unwrap_or(false)
    }

    /// Opens an admitted regular file without blocking, and checks the handle's type again.
    fn open(&self, path: &Path) -> Result<(File, Metadata), Refusal> {
        let (canonical, _) = self.admit_file(path)?;
        if self.files_opened.fetch_add(1, Ordering::SeqCst) >= self.options.limits.max_files {
            return Err(Refusal::Budget("files opened"));
        }
        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
        }
        let file = options.open(&canonical).map_err(Refusal::Io)?;
        let meta = file.metadata().map_err(Refusal::Io)?;
        if !meta.is_file() {
            return Err(Refusal::NotRegular(kind_of(&meta)));
        }
        Ok((file, meta))
    }

    /// Reads a whole file, at most the per-file limit. The caller has reserved its size (walked
    /// files) or the read takes it from the budget now (includes).
    pub fn read(&self, path: &Path, reserved: bool) -> Result<Vec<u8>, Refusal> {
        let limit = self.options.limits.max_file_bytes;
        let (file, meta) = self.open(path)?;
        if meta.len() > limit {
            return Err(Refusal::TooLarge(limit));
        }
        if !reserved && !self.reserve(meta.len()) {
            return Err(Refusal::Budget("bytes read"));
        }
        let mut buf = Vec::with_capacity(usize::try_from(meta.len().min(limit)).unwrap_or(0));
        file.take(limit + 1).read_to_end(&mut buf).map_err(Refusal::Io)?;
        if buf.len() as u64 > limit {
            return Err(Refusal::TooLarge(limit));
        }
        self.record(&path.display().to_string(), &buf);
        Ok(buf)
    }

    /// Counts `bytes`, read from the input called `name`, into the input digest.
    pub fn record(&self, name: &str, bytes: &[u8]) {
        let sha = crate::inventory::InputDigest::sha256(bytes);
        self.read.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((name.to_owned(), sha));
    }

    /// The digest of every input read so far, if any was.
    pub fn input_digest(&self) -> Option<crate::inventory::InputDigest> {
        let read = self.read.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        (!read.is_empty()).then(|| crate::inventory::InputDigest::of_files(read))
    }

    /// The first `n` bytes of a file (to recognise its format).
    pub fn read_prefix(&self, path: &Path, n: usize) -> Result<Vec<u8>, Refusal> {
        let (file, _) = self.open(path)?;
        let mut buf = Vec::with_capacity(n);
        file.take(n as u64).read_to_end(&mut buf).map_err(Refusal::Io)?;
        Ok(buf)
    }

    /// The entry names of an admitted directory, sorted (so every walk is in the same order).
    pub fn list_dir(&self, dir: &Path) -> Result<Vec<std::ffi::OsString>, Refusal> {
        let canonical = self.admit(dir)?;
        let entries = std::fs::read_dir(canonical).map_err(Refusal::Io)?;
        let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
        names.sort();
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_folds_dots_without_the_file_system() {
        let cwd = Path::new("/work/repo");
        assert_eq!(lexical(cwd, Path::new("a/./b/../c")), Path::new("/work/repo/a/c"));
        assert_eq!(lexical(cwd, Path::new("../../../../etc/shadow")), Path::new("/etc/shadow"));
        assert_eq!(lexical(cwd, Path::new("/x/../y")), Path::new("/y"));
    }

    #[test]
    fn paths_outside_the_roots_are_refused_as_written_and_through_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("a.yaml"), "kind: A\n").unwrap();
        std::fs::write(dir.path().join("outside.yaml"), "kind: B\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("outside.yaml"), root.join("link.yaml")).unwrap();
        let scope = ReadScope::new(std::slice::from_ref(&root), ReadOptions::default());
        assert!(scope.admit(&root.join("a.yaml")).is_ok());
        assert!(matches!(scope.admit(&root.join("../outside.yaml")), Err(Refusal::LeavesTree)));
        assert!(matches!(scope.admit(&root.join("nothing.yaml")), Err(Refusal::Missing)));
        #[cfg(unix)]
        {
            assert!(matches!(scope.admit(&root.join("link.yaml")), Err(Refusal::LinkLeavesTree)));
            let follow = ReadScope::new(
                std::slice::from_ref(&root),
                ReadOptions { follow_outside_symlinks: true, ..ReadOptions::default() },
            );
            assert!(follow.admit(&root.join("link.yaml")).is_ok());
            assert!(
                matches!(follow.admit(&root.join("../outside.yaml")), Err(Refusal::LeavesTree)),
                "following links never admits a path that leaves the tree as written"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_fifos_are_never_opened_and_reads_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::os::unix::fs::symlink("/dev/zero", root.join("zero.yaml")).unwrap();
        let fifo = root.join("pipe.yaml");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        std::fs::write(root.join("big.yaml"), vec![b'a'; 2048]).unwrap();
        let options = ReadOptions {
            follow_outside_symlinks: true,
            limits: ReadLimits { max_file_bytes: 1024, ..ReadLimits::default() },
            ..ReadOptions::default()
        };
        let scope = ReadScope::new(std::slice::from_ref(&root), options);
        assert!(matches!(scope.read(&root.join("zero.yaml"), false), Err(Refusal::NotRegular("a device"))));
        assert!(matches!(scope.read(&fifo, false), Err(Refusal::NotRegular("a FIFO"))));
        assert!(matches!(scope.read(&root.join("big.yaml"), false), Err(Refusal::TooLarge(1024))));
        assert_eq!(scope.read_prefix(&root.join("big.yaml"), 10).unwrap().len(), 10);
    }

    #[test]
    fn the_byte_budget_is_taken_in_order_and_never_overdrawn() {
        let options = ReadOptions {
            limits: ReadLimits { max_total_bytes: 100, ..ReadLimits::default() },
            ..ReadOptions::default()
        };
        let scope = ReadScope::new(&[], options);
        assert!(scope.reserve(60));
        assert!(!scope.reserve(60));
        assert!(scope.reserve(40));
        assert!(!scope.reserve(1));
    }
}
