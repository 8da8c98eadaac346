//! Why a training step page-faults, and the two malloc settings that stop it.
//!
//! ```text
//! step k:  activations allocated (MBs) ... backward ... all freed
//!          glibc: blocks ≥ M_MMAP_THRESHOLD came from mmap → munmap'ed on free
//!                 the heap's free top > M_TRIM_THRESHOLD → given back (sbrk down)
//! step k+1: the same sizes allocated again → fresh pages from the kernel:
//!          one page fault and one 4 KiB clear per page touched
//! ```
//! glibc starts the mmap threshold at 128 KiB and raises it as large blocks are freed,
//! but still trims the heap's top; a small GPT's training step (nanoGPT's CPU recipe)
//! spent 7 % of its time in page faults and 11 % in all, between faulting and zeroing.
//! [`keep_freed_memory`] sets both thresholds to 1 GiB, so freed blocks stay in the
//! process and the next step reuses them, as PyTorch's caching allocators keep freed
//! blocks for reuse. The cost: the process keeps the memory of its largest step (its
//! resident size does not fall between steps). Blocks over 1 GiB still use mmap.
//!
//! Every tensor is built through [`crate::tensor::Tensor::from_storage`], which calls
//! this once per process. Other C libraries than glibc are left alone.
//! Read next: [`crate::parallel`], the other process-wide setting (threads).

use std::sync::Once;

/// The size above which glibc would use mmap, and the free heap top it keeps (1 GiB).
const KEEP_BYTES: i32 = 1 << 30;

/// Keep freed memory in the process instead of returning it to the kernel (glibc only;
/// a no-op elsewhere). Runs once per process, however often it is called.
pub fn keep_freed_memory() {
    static ONCE: Once = Once::new();
    ONCE.call_once(set_thresholds);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_thresholds() {
    // glibc's <malloc.h>: int mallopt(int param, int value); returns 1 on success.
    const M_TRIM_THRESHOLD: i32 = -1;
    const M_MMAP_THRESHOLD: i32 = -3;
    unsafe extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
    }
    // SAFETY: mallopt only changes two of the allocator's thresholds. A glibc that
    // rejects a value returns 0 and keeps its default, which is harmless.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, KEEP_BYTES);
        mallopt(M_TRIM_THRESHOLD, KEEP_BYTES);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_thresholds() {}
