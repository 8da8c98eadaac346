//! Recycling the large buffers of dead tensors, so that a training step does not pay
//! the kernel to find and zero fresh memory for them every time.
//!
//! Why. Every op returns a new tensor, and a training step makes the same big ones
//! each time: the LSTM language model's logits and their gradient are 1120 × 10000
//! f32 (45 MB each), a dense embedding gradient is 50000 × 100 (20 MB). The C
//! allocator (glibc) serves a block that large with a fresh `mmap` and returns it to
//! the system when it is freed (above 32 MB always; smaller ones it may trim from a
//! thread's heap). Fresh memory costs one page fault per 4 KiB on first write, and
//! the kernel zeroes each page: 45 MB is 11 000 faults, ~35 ms of a 450 ms step.
//! Measured (`/usr/bin/time -v`, minor faults of 20 extra steps of
//! `benches/train_step.rs`, 1 thread), before and with this pool:
//!
//! ```text
//!                        faults per step
//!                        before   with the pool
//! LSTM LM                21 900    0      85 MB; step 463 → 338 cpu ms (median of 3)
//! word2vec, dense Adam   14 600   14 600  zeros: see below
//! word2vec, sparse Adam   5 700    5 700  its 2.4 MB temporaries are below MIN_BYTES
//! Transformer                 0    0      all its buffers are below MIN_BYTES
//! ```
//!
//! What. A free list of buffers of at least [`MIN_BYTES`] (32 MiB), at most
//! [`MAX_BYTES`] (128 MiB) in all, shared by all threads:
//!
//! ```text
//! drop(tensor)  ─ last owner of a large buffer ─→  free list  (oldest released when full)
//! op result     ←─ a free buffer of exactly the same length, else a fresh allocation
//! ```
//!
//! A tensor gives its buffer back when it is dropped and nothing else shares it
//! (no clone, no view: the `Arc` count is one), so no tensor anyone holds can
//! change. Ops that make large results ask here first: matmul and cross-entropy's
//! gradient. Only lengths they asked for lately are kept.
//!
//! `Tensor::zeros` does not ask: a fresh `calloc` block is zeroed lazily, page by
//! page as it is touched, and a sparse gradient touches few of them; filling a
//! recycled 20 MB buffer with zeros made the dense word2vec step slower (median
//! 27.2 → 29.9 ms) though it faulted 2 700 times a step instead of 14 600.
//!
//! A recycled buffer holds a dead tensor's numbers: [`uninit`] hands it out as
//! `MaybeUninit` (the op writes every element), [`filled`] overwrites it with one
//! value. Training steps repeat their shapes, so from the second step on the big
//! results find a buffer; values are bit for bit the same as with fresh memory.
//!
//! Why not tune the allocator (`mallopt`, or a `#[global_allocator]`)? Those change
//! the whole process of whoever uses this library; this pool only keeps ours.
//! Read next: [`crate::matmul`], the biggest user.

use std::any::{Any, TypeId};
use std::collections::VecDeque;
use std::mem::{ManuallyDrop, MaybeUninit, size_of};
use std::sync::{Mutex, PoisonError};

use ndarray::{ArcArray, Array, Dimension, IntoDimension, IxDyn};

use crate::dtype::{Element, Storage};
use crate::tensor::Tensor;

/// Buffers smaller than this (32 MiB, the ceiling of glibc's mmap threshold) are left
/// to the allocator: it keeps such blocks between steps by itself (the transformer's
/// 33 MB logits never faulted, and pooling them made its step ~4% slower), and a pool
/// holding smaller ones only made it fetch fresh memory for others (with 1 MiB here the
/// LSTM step faulted in `stack` instead, and the process grew by ~170 MB).
const MIN_BYTES: usize = 32 << 20;

/// The most the free list holds (128 MiB). When a buffer would push it past this, the
/// oldest free buffers are released first. Enough for the bench models' recurring
/// large results (the LSTM's two 45 MB ones).
const MAX_BYTES: usize = 128 << 20;

/// How many recently asked-for lengths the pool remembers (see [`Pool::give`]).
const ASKED: usize = 64;

/// One free buffer: a `Vec<f32>` or `Vec<f64>` behind `dyn Any`.
struct Free {
    len: usize,
    bytes: usize,
    vec: Box<dyn Any + Send>,
}

/// A free list, oldest first, holding at most `max_bytes`, and the element type and
/// length of the last [`ASKED`] distinct requests.
struct Pool {
    free: VecDeque<Free>,
    bytes: usize,
    max_bytes: usize,
    asked: VecDeque<(TypeId, usize)>,
}

impl Pool {
    const fn new(max_bytes: usize) -> Pool {
        Pool {
            free: VecDeque::new(),
            bytes: 0,
            max_bytes,
            asked: VecDeque::new(),
        }
    }

    /// A free buffer of exactly `len` elements of `T`, the most recently freed one.
    fn take<T: Element>(&mut self, len: usize) -> Option<Vec<T>> {
        let request = (TypeId::of::<T>(), len);
        if !self.asked.contains(&request) {
            if self.asked.len() == ASKED {
                self.asked.pop_front();
            }
            self.asked.push_back(request);
        }
        let at = self
            .free
            .iter()
            .rposition(|f| f.len == len && f.vec.is::<Vec<T>>())?;
        let free = self.free.remove(at)?;
        self.bytes -= free.bytes;
        free.vec.downcast::<Vec<T>>().ok().map(|vec| *vec)
    }

    /// Keep `vec` (of `bytes` bytes), releasing the oldest buffers until it fits, if
    /// some op asked for its length lately. Other buffers (a copy-on-write copy, say,
    /// which is not made here) go back to the allocator: kept, they would only crowd
    /// out the ones that will be taken.
    fn give<T: Element>(&mut self, vec: Vec<T>, bytes: usize) {
        if bytes > self.max_bytes || !self.asked.contains(&(TypeId::of::<T>(), vec.len())) {
            return;
        }
        while self.bytes + bytes > self.max_bytes {
            let oldest = self
                .free
                .pop_front()
                .expect("bytes > 0 means a free buffer");
            self.bytes -= oldest.bytes;
        }
        self.bytes += bytes;
        self.free.push_back(Free {
            len: vec.len(),
            bytes,
            vec: Box::new(vec),
        });
    }
}

static POOL: Mutex<Pool> = Mutex::new(Pool::new(MAX_BYTES));

/// A free buffer of exactly `len` elements of `T`, if `len` elements are large
/// enough to be pooled and one is free.
fn take<T: Element>(len: usize) -> Option<Vec<T>> {
    if len * size_of::<T>() < MIN_BYTES {
        return None;
    }
    // The list stays consistent even if a thread panicked while holding the lock.
    let mut pool = POOL.lock().unwrap_or_else(PoisonError::into_inner);
    pool.take(len)
}

/// Keep `vec` for a later [`take`] if it is large enough.
fn give<T: Element>(vec: Vec<T>) {
    let bytes = vec.capacity() * size_of::<T>();
    if bytes >= MIN_BYTES {
        let mut pool = POOL.lock().unwrap_or_else(PoisonError::into_inner);
        pool.give(vec, bytes);
    }
}

/// A row-major array of `shape` for an op to write every element of, then
/// `assume_init`: a free buffer when one has exactly this many elements, otherwise
/// `Array::uninit` (a fresh allocation, not zeroed).
pub(crate) fn uninit<T: Element, D: Dimension>(
    shape: impl IntoDimension<Dim = D>,
) -> Array<MaybeUninit<T>, D> {
    let shape = shape.into_dimension();
    let Some(vec) = take::<T>(shape.size()) else {
        return Array::uninit(shape);
    };
    let mut vec = ManuallyDrop::new(vec);
    // SAFETY: `MaybeUninit<T>` has `T`'s size and alignment, so the allocation is a
    // valid `Vec<MaybeUninit<T>>` of the same length and capacity, and every `T` is a
    // valid `MaybeUninit<T>`. `vec` is not used or dropped again (`ManuallyDrop`).
    let vec = unsafe { Vec::from_raw_parts(vec.as_mut_ptr().cast(), vec.len(), vec.capacity()) };
    Array::from_shape_vec(shape, vec)
        .expect("internal error: the buffer has the shape's length; this is a bug")
}

/// `len` copies of `value`: in a free buffer of exactly that length when there is
/// one, otherwise a fresh `vec![value; len]`.
pub(crate) fn filled<T: Element>(len: usize, value: T) -> Vec<T> {
    match take::<T>(len) {
        Some(mut vec) => {
            vec.fill(value);
            vec
        }
        None => vec![value; len],
    }
}

/// Hand the buffer of `array` to the free list if `array` is its last owner.
fn recycle<T: Element>(array: ArcArray<T, IxDyn>) {
    if let Ok(owned) = array.try_into_owned_nocopy() {
        give(owned.into_raw_vec_and_offset().0);
    }
}

/// A tensor that owns a large buffer alone gives it to the free list when dropped.
impl Drop for Tensor {
    fn drop(&mut self) {
        let large = self.numel() * self.dtype().size_in_bytes() >= MIN_BYTES;
        let unique = match &self.storage {
            Storage::F32(a) => a.is_unique(),
            Storage::F64(a) => a.is_unique(),
            Storage::I64(a) => a.is_unique(),
            Storage::Bool(a) => a.is_unique(),
        };
        if !(large && unique) {
            return;
        }
        // Swap in an empty array to move the storage out of `&mut self`.
        let empty = Storage::F32(ArcArray::from_vec(Vec::new()).into_dyn());
        match std::mem::replace(&mut self.storage, empty) {
            Storage::F32(a) => recycle(a),
            Storage::F64(a) => recycle(a),
            Storage::I64(a) => recycle(a),
            Storage::Bool(a) => recycle(a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An element count no other test uses, so parallel tests do not take our buffer.
    const LEN: usize = (MIN_BYTES / 8) + 4099;

    #[test]
    fn a_dropped_tensor_buffer_is_reused_for_the_same_length() {
        let t = Tensor::from_vec_f64(filled(LEN, 1.5), &[LEN]); // asks for LEN
        let address = t.array::<f64>().as_ptr();
        drop(t);
        let again = filled::<f64>(LEN, 0.0);
        assert_eq!(again.as_ptr(), address);
        assert!(again.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn a_shared_buffer_is_not_recycled() {
        let t = Tensor::from_vec_f64(filled(LEN + 1, 2.0), &[LEN + 1]);
        let view = t.narrow(0, 0, 10);
        drop(t); // `view` still reads the buffer
        assert!(take::<f64>(LEN + 1).is_none());
        assert_eq!(view.to_vec::<f64>(), vec![2.0; 10]);
    }

    #[test]
    fn small_buffers_are_left_to_the_allocator() {
        give(vec![0f32; 1000]);
        assert!(take::<f32>(1000).is_none());
    }

    #[test]
    fn takes_the_newest_buffer_of_the_exact_length_and_type() {
        let mut pool = Pool::new(1000);
        assert!(pool.take::<f32>(10).is_none() && pool.take::<f64>(10).is_none());
        pool.give(vec![1f32; 10], 40);
        pool.give(vec![2f32; 10], 40);
        pool.give(vec![3f64; 10], 80);
        assert!(pool.take::<f32>(11).is_none());
        assert_eq!(pool.take::<f32>(10), Some(vec![2f32; 10]));
        assert_eq!(pool.take::<f64>(10), Some(vec![3f64; 10]));
        assert_eq!((pool.free.len(), pool.bytes), (1, 40));
    }

    #[test]
    fn the_oldest_buffers_make_room_and_the_cap_holds() {
        let mut pool = Pool::new(100);
        assert!(pool.take::<f32>(10).is_none());
        for value in 0..3 {
            pool.give(vec![value as f32; 10], 40);
        }
        assert_eq!(pool.bytes, 80); // the first buffer made room for the third
        assert!(pool.free.iter().all(|f| f.vec.is::<Vec<f32>>()));
        assert_eq!(pool.take::<f32>(10), Some(vec![2f32; 10]));
        assert_eq!(pool.take::<f32>(10), Some(vec![1f32; 10]));
        pool.give(vec![0f32; 20], 80); // a length nobody asked for: not kept
        assert!(pool.take::<f32>(100).is_none());
        pool.give(vec![0f32; 100], 400); // larger than the whole cap: not kept
        assert_eq!(pool.bytes, 0);
    }
}
