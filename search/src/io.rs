//! The file format of a saved index: a small binary container with a magic number,
//! a version, the payload's length and a checksum, so a wrong, truncated or damaged
//! file is refused with an error that names it, before any of it is believed.
//!
//! ```text
//! offset  bytes  field
//! 0       8      magic  "FGSEARCH"
//! 8       4      version (1), u32 little-endian
//! 12      4      kind: 0 Flat, 1 Ivf, 2 Hnsw
//! 16      8      payload length P, u64
//! 24      P      payload: the index's fields in order, integers and f32 little-endian;
//!                every array is preceded by its length (or by counts written before it)
//! 24 + P  8      checksum of the payload: FNV-1a over 64-bit words (the last word
//!                zero-padded), h ← (h ⊕ word) · 0x100000001b3
//! ```
//! Each step of the checksum is a bijection of `h`, so changing any one word of the
//! payload always changes the sum. Cost: one multiply per 8 bytes (~0.3 s per GB).
//! Files are written under a temporary name and renamed, so a crash never leaves half
//! an index behind. Every failure is a [`ferrograd::tensor::Error`] of kind [`ErrorKind::Io`].
//! Read next: the `save`/`load` of [`crate::Flat`], [`crate::Ivf`], [`crate::Hnsw`].

use std::path::{Path, PathBuf};

use tensor::{Error, ErrorKind};

const MAGIC: &[u8; 8] = b"FGSEARCH";
const VERSION: u32 = 1;
const HEADER: usize = 24;

/// Which index a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Flat = 0,
    Ivf = 1,
    Hnsw = 2,
}

impl Kind {
    fn name(code: u32) -> &'static str {
        match code {
            0 => "a Flat index",
            1 => "an IVF index",
            2 => "an HNSW index",
            _ => "an unknown kind of index",
        }
    }
}

/// The checksum of the module doc.
fn checksum(bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for w in &mut words {
        let word = u64::from_le_bytes(w.try_into().expect("chunks of 8 bytes"));
        h = (h ^ word).wrapping_mul(0x0100_0000_01b3);
    }
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    (h ^ u64::from_le_bytes(last)).wrapping_mul(0x0100_0000_01b3)
}

/// A payload being written, then saved with its header and checksum.
pub(crate) struct Writer {
    op: &'static str,
    kind: Kind,
    bytes: Vec<u8>,
}

impl Writer {
    pub(crate) fn new(op: &'static str, kind: Kind) -> Writer {
        Writer {
            op,
            kind,
            bytes: Vec::new(),
        }
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn u64(&mut self, v: usize) {
        self.bytes.extend_from_slice(&(v as u64).to_le_bytes());
    }

    pub(crate) fn f32s(&mut self, values: &[f32]) {
        self.bytes
            .extend(values.iter().flat_map(|v| v.to_le_bytes()));
    }

    pub(crate) fn u32s(&mut self, values: impl IntoIterator<Item = u32>) {
        self.bytes
            .extend(values.into_iter().flat_map(|v| v.to_le_bytes()));
    }

    pub(crate) fn u8s(&mut self, values: &[u8]) {
        self.bytes.extend_from_slice(values);
    }

    /// Write header, payload and checksum to a temporary file beside `path`, then
    /// rename it to `path`.
    pub(crate) fn save(self, path: &Path) -> Result<(), Error> {
        let mut file = Vec::with_capacity(HEADER + self.bytes.len() + 8);
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&VERSION.to_le_bytes());
        file.extend_from_slice(&(self.kind as u32).to_le_bytes());
        file.extend_from_slice(&(self.bytes.len() as u64).to_le_bytes());
        file.extend_from_slice(&self.bytes);
        file.extend_from_slice(&checksum(&self.bytes).to_le_bytes());
        let tmp = temporary(path);
        std::fs::write(&tmp, &file)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                Error::new(
                    self.op,
                    ErrorKind::Io,
                    format!("{}: cannot write: {e}", path.display()),
                )
            })
    }
}

/// `dir/.name.<pid>.tmp` beside `path` (same file system, so `rename` is atomic).
fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or("index".into(), |n| n.to_string_lossy());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// A payload read back, checked against its header and checksum first.
pub(crate) struct Reader {
    op: &'static str,
    path: PathBuf,
    bytes: Vec<u8>,
    pos: usize,
}

impl Reader {
    /// Read `path` and check magic, version, kind, length and checksum.
    pub(crate) fn open(op: &'static str, path: &Path, kind: Kind) -> Result<Reader, Error> {
        let fail = |problem: String| {
            Err(Error::new(
                op,
                ErrorKind::Io,
                format!("{}: {problem}", path.display()),
            ))
        };
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => return fail(format!("cannot read: {e}")),
        };
        if bytes.len() < HEADER || &bytes[..8] != MAGIC {
            let what = if bytes.starts_with(&MAGIC[..bytes.len().min(8)]) {
                format!(
                    "truncated: {} bytes, the header alone is {HEADER}",
                    bytes.len()
                )
            } else {
                "not a ferrograd search index (no \"FGSEARCH\" magic)".into()
            };
            return fail(what);
        }
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        let (version, found) = (word(8), word(12));
        if version != VERSION {
            return fail(format!(
                "format version {version}, this build reads version {VERSION}"
            ));
        }
        if found != kind as u32 {
            return fail(format!(
                "holds {}, not {}",
                Kind::name(found),
                Kind::name(kind as u32)
            ));
        }
        let announced = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
        let held = (bytes.len() - HEADER).saturating_sub(8) as u64;
        if announced != held || bytes.len() < HEADER + 8 {
            let problem = if announced > held {
                "truncated"
            } else {
                "corrupt"
            };
            return fail(format!(
                "{problem}: the header announces {announced} payload bytes, the file holds {held}"
            ));
        }
        let end = bytes.len() - 8;
        let stored = u64::from_le_bytes(bytes[end..].try_into().expect("8 bytes"));
        if stored != checksum(&bytes[HEADER..end]) {
            return fail("corrupt: checksum mismatch (the file was damaged)".into());
        }
        let mut bytes = bytes;
        bytes.truncate(end);
        Ok(Reader {
            op,
            path: path.to_path_buf(),
            bytes,
            pos: HEADER,
        })
    }

    /// An error naming the file: its contents are inconsistent.
    pub(crate) fn corrupt(&self, problem: impl std::fmt::Display) -> Error {
        Error::new(
            self.op,
            ErrorKind::Io,
            format!("{}: corrupt: {problem}", self.path.display()),
        )
    }

    /// The next `n` bytes of the payload, for the field `what`.
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], Error> {
        let left = self.bytes.len() - self.pos;
        if n > left {
            return Err(self.corrupt(format!("{what} needs {n} bytes, {left} are left")));
        }
        self.pos += n;
        Ok(&self.bytes[self.pos - n..self.pos])
    }

    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().expect("4 bytes"),
        ))
    }

    /// A length or count, at most the number of bytes still unread or 2²⁰ (so a
    /// damaged count never asks for a huge allocation).
    pub(crate) fn count(&mut self, what: &str) -> Result<usize, Error> {
        let v = u64::from_le_bytes(self.take(8, what)?.try_into().expect("8 bytes"));
        let left = (self.bytes.len() - self.pos) as u64;
        if v > left.max(1 << 20) {
            return Err(self.corrupt(format!("{what} is {v}, larger than the file")));
        }
        Ok(v as usize)
    }

    pub(crate) fn f32s(&mut self, n: usize, what: &str) -> Result<Vec<f32>, Error> {
        self.words(n, what, f32::from_le_bytes)
    }

    pub(crate) fn u32s(&mut self, n: usize, what: &str) -> Result<Vec<u32>, Error> {
        self.words(n, what, u32::from_le_bytes)
    }

    /// `n` little-endian 4-byte values.
    fn words<T>(&mut self, n: usize, what: &str, from: fn([u8; 4]) -> T) -> Result<Vec<T>, Error> {
        let bytes = self.take(n.saturating_mul(4), what)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| from(b.try_into().expect("4 bytes")))
            .collect())
    }

    pub(crate) fn u8s(&mut self, n: usize, what: &str) -> Result<Vec<u8>, Error> {
        Ok(self.take(n, what)?.to_vec())
    }

    /// Check that the whole payload was read.
    pub(crate) fn finish(self) -> Result<(), Error> {
        let left = self.bytes.len() - self.pos;
        if left > 0 {
            return Err(self.corrupt(format!("{left} bytes after the last field")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("ferrograd-io-{}-{name}", std::process::id()))
    }

    #[test]
    fn fields_round_trip() {
        let path = temp("round.idx");
        let mut w = Writer::new("t", Kind::Flat);
        w.u32(7);
        w.u64(3);
        w.f32s(&[1.5, -2.0, 3.25]);
        w.u32s([9, 8]);
        w.u8s(&[1, 2]);
        w.save(&path).unwrap();
        let mut r = Reader::open("t", &path, Kind::Flat).unwrap();
        assert_eq!(r.u32("a").unwrap(), 7);
        let n = r.count("n").unwrap();
        assert_eq!(r.f32s(n, "x").unwrap(), vec![1.5, -2.0, 3.25]);
        assert_eq!(r.u32s(2, "ids").unwrap(), vec![9, 8]);
        assert_eq!(r.u8s(2, "levels").unwrap(), vec![1, 2]);
        r.finish().unwrap();
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn checksum_sees_any_one_word() {
        let bytes: Vec<u8> = (0..67).map(|i| i as u8).collect();
        let sum = checksum(&bytes);
        for at in [0, 8, 63, 66] {
            let mut changed = bytes.clone();
            changed[at] ^= 0x10;
            assert_ne!(checksum(&changed), sum, "byte {at}");
        }
    }
}
