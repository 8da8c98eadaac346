//! The one rayon policy of the tensor crate.
//!
//! Splitting work across threads costs a few microseconds of scheduling; below a few
//! tens of thousands of elements a serial loop finishes first. Every kernel that may
//! run in parallel asks [`worth_parallel`] with its element count, so the threshold is
//! defined here and nowhere else. Read next: [`crate::elementwise`].

/// Element count from which elementwise kernels and reductions use rayon.
///
/// Chosen by measurement on a 2-core machine: an `exp` over 32k f32 elements takes
/// about 40 µs serially, well above rayon's ~5 µs fork-join cost.
pub const THRESHOLD: usize = 32 * 1024;

/// Whether a kernel over `numel` elements should run on the rayon pool.
pub fn worth_parallel(numel: usize) -> bool {
    numel >= THRESHOLD && rayon::current_num_threads() > 1
}
