//! Saving and loading an HNSW index in the container of [`crate::io`].
//!
//! ```text
//! payload: metric u32 · dim, m, ef_construction, ef_search, N u64 ·
//!          entry u32 (u32::MAX: empty) · top level u32 ·
//!          vectors N·C f32 · levels N u8 ·
//!          layer-0 slots N·(2M+1) u32 · upper slots Σ levels·(M+1) u32
//! ```
//! A loaded graph is checked before use (counts within capacity, ids below N, the
//! entry point on the top level), so even a file with a valid checksum but wrong
//! contents is refused instead of making a search panic.
//! Read next: `tests/hnsw.rs` of this crate.

use std::path::Path;
use std::sync::atomic::Ordering;

use tensor::Error;

use super::{Hnsw, HnswConfig, MAX_LEVEL};
use crate::flat::{read_dim, read_metric};
use crate::io::{Kind, Reader, Writer};

impl Hnsw {
    /// Save the index to `path` (format: [`crate::io`] and this module's doc).
    ///
    /// # Errors
    /// An [`tensor::ErrorKind::Io`] error naming the file if it cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let mut w = Writer::new("Hnsw::save", Kind::Hnsw);
        w.u32(self.metric.code());
        for field in [self.dim, self.m, self.ef_construction, self.ef_search] {
            w.u64(field);
        }
        w.u64(self.len());
        let (entry, top) = self.entry().unwrap_or((u32::MAX, 0));
        w.u32(entry);
        w.u32(top as u32);
        w.f32s(&self.data);
        w.u8s(&self.levels);
        let load = |s: &std::sync::atomic::AtomicU32| s.load(Ordering::Relaxed);
        w.u32s(self.links0.iter().map(load));
        w.u32s(self.upper.iter().flat_map(|u| u.iter().map(load)));
        w.save(path.as_ref())
    }

    /// Load an index saved by [`Hnsw::save`].
    ///
    /// # Errors
    /// An [`tensor::ErrorKind::Io`] error naming the file if it cannot be read, is
    /// not a saved `Hnsw`, is truncated, fails its checksum or holds an inconsistent
    /// graph.
    pub fn load(path: impl AsRef<Path>) -> Result<Hnsw, Error> {
        let mut r = Reader::open("Hnsw::load", path.as_ref(), Kind::Hnsw)?;
        let metric = read_metric(&mut r)?;
        let dim = read_dim(&mut r)?;
        let config = HnswConfig {
            m: r.count("m")?,
            ef_construction: r.count("ef_construction")?,
            ef_search: r.count("ef_search")?,
        };
        if config.m < 2 || config.ef_construction == 0 {
            return Err(r.corrupt(format!("{config:?}")));
        }
        let n = r.count("the node count")?;
        let (entry, top) = (r.u32("the entry point")?, r.u32("the top level")? as usize);
        let data = r.f32s(n * dim, "the vectors")?;
        let levels = r.u8s(n, "the levels")?;
        let mut index = Hnsw::new(dim, metric, config);
        if let Some(&bad) = levels.iter().find(|&&l| usize::from(l) > MAX_LEVEL) {
            return Err(r.corrupt(format!("a node on level {bad}")));
        }
        let slots0 = r.u32s(n * (2 * config.m + 1), "the layer-0 links")?;
        let upper_len: usize = levels.iter().map(|&l| usize::from(l)).sum();
        let slots = r.u32s(upper_len * (config.m + 1), "the upper-layer links")?;
        index.grow(data, levels);
        let stored = index
            .links0
            .iter()
            .chain(index.upper.iter().flat_map(|u| u.iter()));
        for (slot, value) in stored.zip(slots0.into_iter().chain(slots)) {
            slot.store(value, Ordering::Relaxed);
        }
        match (n, entry) {
            (0, u32::MAX) => {}
            (_, e)
                if (e as usize) < n
                    && usize::from(index.levels[e as usize]) == top
                    && index.levels.iter().all(|&l| usize::from(l) <= top) =>
            {
                index.set_entry(e, top)
            }
            _ => return Err(r.corrupt(format!("entry point {entry} on level {top}"))),
        }
        index.check_lists().map_err(|problem| r.corrupt(problem))?;
        r.finish()?;
        Ok(index)
    }

    /// Whether every link list is within its capacity and names nodes of its layer.
    fn check_lists(&self) -> Result<(), String> {
        for id in 0..self.len() as u32 {
            for level in 0..=usize::from(self.levels[id as usize]) {
                let slots = self.slots(id, level);
                let count = slots[0].load(Ordering::Relaxed) as usize;
                if count >= slots.len() {
                    return Err(format!("node {id} has {count} links on level {level}"));
                }
                let on_layer = |e: u32| {
                    (e as usize) < self.len() && usize::from(self.levels[e as usize]) >= level
                };
                if let Some(bad) = self.neighbours(id, level).find(|&e| !on_layer(e)) {
                    return Err(format!("node {id} links to {bad} on level {level}"));
                }
            }
        }
        Ok(())
    }
}
