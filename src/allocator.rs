//! How glibc's allocator treats the long buffers (a few MiB each: a WAV
//! file's bytes and samples, the FFT buffers), set per kind of run.
//!
//! By default glibc serves a block of 128 KiB or more by mapping it on its
//! own, but freeing one such block raises that threshold to its size, so
//! the later blocks come from the heap, which keeps their pages after they
//! are freed: several MiB of peak memory that nothing uses.
//!
//! - One analysis ([`lean`], set first thing in `main`): every block of
//!   256 KiB or more is mapped and returned when freed (the long FFT
//!   buffers are reused by the analysis, not freed and allocated again),
//!   which keeps the peak memory of `tipfit analyze` under 30 MiB.
//! - Sessions and the demo ([`sessions`]: [`batch`], every block from the
//!   heap): each fit allocates its recordings and buffers again, on
//!   several cores at once; unmapping a
//!   freed block makes the kernel stop the other cores to flush their
//!   address caches, and the fresh pages fault again: the demo ran 1.42 s,
//!   0.99 s with freed blocks kept (peak memory 49 MiB -> 64 MiB).
//! - `tipfit analyze` ([`batch`], one recording or many): each recording
//!   allocates its file's bytes and samples and the analysis windows again;
//!   mapping them afresh costs the kernel a page fault and a clearing for
//!   every 4 KiB (about 15 % of a batch's time), so from then on freed
//!   blocks up to 64 MiB stay in the heap and are reused (a few MiB more
//!   peak memory, per worker thread). Since the deconvolution became
//!   circular (about half the buffers) one recording has room for this too:
//!   4,760 page faults instead of 6,440 on the 10 s benchmark recording,
//!   about 26 MiB peak instead of 24.
//!
//! Blocks of 1.75 MiB or more ([`Tipfit`], the binary's global allocator:
//! a recording's or reference's samples, the FFT buffers) are mapped on
//! their own at a 2 MiB boundary with transparent huge pages advised
//! (`MADV_HUGEPAGE`), so that the kernel faults each 2 MiB in at once
//! instead of 512 pages one by one: one 10 s analysis went from 4,800 page
//! faults to 2,300, about 3.5 ms less of a 30 ms run (the first touch of
//! fresh memory was its largest single cost). A mapping is as long as its
//! block to the page, or to the huge page when that wastes at most an
//! eighth of it, so little is counted that a block does not hold. Freed
//! big blocks are unmapped, or after [`batch`] kept (up to 128 MiB) and
//! handed out again to a block of the same to 1.5 times smaller size.
//! Sessions and the demo ([`sessions`]) take every block from the heap.
//! Growing a big block copies it (a mapping moved by `mremap` can take
//! whole huge pages more than it holds). Written here because no
//! allocator crate both advises huge pages on exact-length mappings and
//! keeps blocks for reuse; where the kernel has huge pages off, the advice
//! is ignored and the blocks are plain mappings. The tests' processes use
//! it through the `tipfit` binary, and its own unit tests below.
//!
//! Elsewhere (another C library or system) [`lean`] and [`batch`] do
//! nothing and [`Tipfit`] is the system allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// The binary's global allocator (see the module notes): the system
/// allocator, with blocks of [`BIG`] bytes or more mapped on their own.
pub struct Tipfit;

/// The size from which a block is mapped on its own (from 1.75 MiB a
/// block fills most of a huge page, which its mapping then rounds up to).
pub const BIG: usize = 7 << 18;

const PAGE: usize = 4096;
const HUGE: usize = 2 << 20;

/// Freed big blocks are kept for reuse ([`batch`]).
static KEEP: AtomicBool = AtomicBool::new(false);

/// Big blocks: those in use and those kept, each as (address, mapped
/// length); a block is big exactly when its address is in `live` (one
/// that cannot be recorded there comes from the system allocator).
struct Blocks {
    live: [(usize, usize); 256],
    live_count: usize,
    kept: [(usize, usize); 64],
    kept_count: usize,
    kept_bytes: usize,
}

/// Most bytes kept.
const KEEP_BYTES: usize = 128 << 20;

static BLOCKS: Mutex<Blocks> = Mutex::new(Blocks {
    live: [(0, 0); 256],
    live_count: 0,
    kept: [(0, 0); 64],
    kept_count: 0,
    kept_bytes: 0,
});

fn blocks() -> std::sync::MutexGuard<'static, Blocks> {
    BLOCKS.lock().unwrap_or_else(|e| e.into_inner())
}

impl Blocks {
    /// The mapped length of the live block at `p` (`None`: not big).
    fn live_len(&self, p: usize) -> Option<usize> {
        self.live[..self.live_count]
            .iter()
            .find(|b| b.0 == p)
            .map(|b| b.1)
    }

    fn remove_live(&mut self, p: usize) {
        if let Some(i) = self.live[..self.live_count].iter().position(|b| b.0 == p) {
            self.live[i] = self.live[self.live_count - 1];
            self.live_count -= 1;
        }
    }

    /// The smallest kept block of `len` to `len * 3 / 2` bytes, taken.
    fn take_kept(&mut self, len: usize) -> Option<(usize, usize)> {
        let i = self.kept[..self.kept_count]
            .iter()
            .enumerate()
            .filter(|(_, b)| b.1 >= len && b.1 - len <= len / 2)
            .min_by_key(|(_, b)| b.1)?
            .0;
        let b = self.kept[i];
        self.kept[i] = self.kept[self.kept_count - 1];
        self.kept_count -= 1;
        self.kept_bytes -= b.1;
        Some(b)
    }
}

/// New blocks of [`BIG`] bytes or more are mapped on their own (off in
/// [`sessions`]; blocks mapped before stay big until freed).
static MAP_BIG: AtomicBool = AtomicBool::new(true);

fn is_big(size: usize, align: usize) -> bool {
    cfg!(all(target_os = "linux", target_env = "gnu"))
        && size >= BIG
        && align <= PAGE
        && MAP_BIG.load(Ordering::Relaxed)
}

/// The length mapped for a big block of `size` bytes: whole huge pages
/// when they waste at most an eighth of it (a 10 s recording's 2.0 MB
/// samples take one 2 MiB huge page), else whole pages (a 2.3 MB FFT
/// buffer: one huge page and 4 KiB pages for the rest).
fn mapped_len(size: usize) -> usize {
    let huge = size.div_ceil(HUGE) * HUGE;
    if huge - size <= size / 8 {
        huge
    } else {
        size.div_ceil(PAGE) * PAGE
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod map {
    use super::{HUGE, PAGE};

    /// A fresh zeroed mapping of `len` bytes (a multiple of the page) at
    /// a 2 MiB boundary, huge pages advised; null when none can be made.
    pub(super) unsafe fn new(len: usize) -> *mut u8 {
        let Some(span) = len.checked_add(HUGE - PAGE) else {
            return std::ptr::null_mut();
        };
        // SAFETY: an anonymous private mapping touches no existing memory.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                span,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return std::ptr::null_mut();
        }
        let start = p as usize;
        let aligned = (start + HUGE - 1) & !(HUGE - 1);
        let (head, tail) = (aligned - start, span - (aligned - start) - len);
        // SAFETY: the ranges trimmed are parts of the mapping just made,
        // never touched; the advice only concerns the block's own range.
        unsafe {
            if head > 0 {
                libc::munmap(p, head);
            }
            if tail > 0 {
                libc::munmap((aligned + len) as *mut libc::c_void, tail);
            }
            libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
        aligned as *mut u8
    }

    /// Unmap `len` bytes at `p`.
    pub(super) unsafe fn free(p: *mut u8, len: usize) {
        // SAFETY: the caller gives a range it mapped and no longer uses.
        unsafe {
            libc::munmap(p.cast(), len);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod map {
    // never called: `is_big` is false here
    pub(super) unsafe fn new(_: usize) -> *mut u8 {
        std::ptr::null_mut()
    }
    pub(super) unsafe fn free(_: *mut u8, _: usize) {}
}

/// A big block of at least `size` bytes: a kept one of about its
/// length, or a fresh (zeroed) mapping; null when none can be had or
/// recorded (the caller then asks the system allocator).
unsafe fn big_alloc(size: usize, zeroed: bool) -> *mut u8 {
    let len = mapped_len(size);
    let mut b = blocks();
    if b.live_count == b.live.len() {
        return std::ptr::null_mut();
    }
    let (p, len) = match b.take_kept(len) {
        Some(k) => {
            if zeroed {
                // SAFETY: the kept block is at least `size` bytes of ours.
                unsafe { std::ptr::write_bytes(k.0 as *mut u8, 0, size) };
            }
            k
        }
        None => {
            // SAFETY: see `map::new`.
            let p = unsafe { map::new(len) };
            if p.is_null() {
                return p;
            }
            (p as usize, len)
        }
    };
    let i = b.live_count;
    b.live[i] = (p, len);
    b.live_count += 1;
    p as *mut u8
}

/// Give back the big block at `p` of `len` mapped bytes (no longer live):
/// kept, or unmapped.
unsafe fn big_free(b: &mut Blocks, p: usize, len: usize) {
    if KEEP.load(Ordering::Relaxed)
        && b.kept_count < b.kept.len()
        && b.kept_bytes + len <= KEEP_BYTES
    {
        let i = b.kept_count;
        b.kept[i] = (p, len);
        b.kept_count += 1;
        b.kept_bytes += len;
        return;
    }
    // SAFETY: the block is ours and freed.
    unsafe { map::free(p as *mut u8, len) }
}

/// A block for `layout`: big when it is big enough and one can be had.
unsafe fn any_alloc(layout: Layout, zeroed: bool) -> *mut u8 {
    if is_big(layout.size(), layout.align()) {
        // SAFETY: as the impl.
        let p = unsafe { big_alloc(layout.size(), zeroed) };
        if !p.is_null() {
            return p;
        }
    }
    // SAFETY: the caller's contract is System's.
    unsafe {
        if zeroed {
            System.alloc_zeroed(layout)
        } else {
            System.alloc(layout)
        }
    }
}

// SAFETY: big blocks are page-aligned mappings of at least their size (the
// layouts routed to them ask for at most page alignment), recorded while
// live, so that each block is freed by the allocator it came from.
unsafe impl GlobalAlloc for Tipfit {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the impl.
        unsafe { any_alloc(layout, false) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as the impl.
        unsafe { any_alloc(layout, true) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= BIG {
            let mut b = blocks();
            if let Some(len) = b.live_len(ptr as usize) {
                b.remove_live(ptr as usize);
                // SAFETY: the block is ours and freed.
                unsafe { big_free(&mut b, ptr as usize, len) };
                return;
            }
        }
        // SAFETY: the caller's contract is System's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        let live = if layout.size() >= BIG {
            blocks().live_len(ptr as usize)
        } else {
            None
        };
        // SAFETY (all): `ptr` holds `layout.size()` bytes from the
        // allocator `live` says; the block returned holds `new_size`.
        unsafe {
            let Some(len) = live else {
                if !is_big(new_size, align) {
                    return System.realloc(ptr, layout, new_size);
                }
                let q = any_alloc(Layout::from_size_align_unchecked(new_size, align), false);
                if !q.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, q, layout.size());
                    System.dealloc(ptr, layout);
                }
                return q;
            };
            if new_size < BIG {
                // a block that shrinks below big goes to the system
                // allocator (which frees all blocks under `BIG`)
                let q = System.alloc(Layout::from_size_align_unchecked(new_size, align));
                if !q.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, q, new_size);
                    let mut b = blocks();
                    b.remove_live(ptr as usize);
                    big_free(&mut b, ptr as usize, len);
                }
                return q;
            }
            if new_size <= len {
                // a big block that shrinks keeps its mapping
                return ptr;
            }
            // (not mremap: a moved mapping can take whole huge pages more
            // than it holds)
            let q = any_alloc(Layout::from_size_align_unchecked(new_size, align), false);
            if !q.is_null() {
                std::ptr::copy_nonoverlapping(ptr, q, layout.size());
                let mut b = blocks();
                b.remove_live(ptr as usize);
                big_free(&mut b, ptr as usize, len);
            }
            q
        }
    }
}

/// Map every block of 256 KiB or more and return it when freed.
pub fn lean() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator (glibc takes
    // its own lock to do so).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
    KEEP.store(false, Ordering::Relaxed);
}

/// Sessions and the demo: [`batch`], with every block from the heap (many
/// recordings of many lengths on several threads at once: freed big blocks
/// of one length, kept for reuse, are seldom asked for again at about
/// that length, and the heap splits and joins its free blocks; the demo
/// held 74 MiB at its peak with big blocks mapped, 63 MiB without, in the
/// same time).
pub fn sessions() {
    batch();
    MAP_BIG.store(false, Ordering::Relaxed);
}

/// Keep freed blocks of up to 64 MiB in the heap for the next recording.
pub fn batch() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: as in `lean`; glibc's mallopt is safe to call while other
    // threads allocate.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
    KEEP.store(true, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    /// Fill `len` bytes at `p` with a pattern of `seed`.
    unsafe fn fill(p: *mut u8, len: usize, seed: u8) {
        for i in (0..len).step_by(4093) {
            unsafe { *p.add(i) = seed.wrapping_add((i / 4093) as u8) };
        }
        unsafe { *p.add(len - 1) = seed ^ 0x5a };
    }

    unsafe fn holds(p: *const u8, len: usize, seed: u8) -> bool {
        (0..len)
            .step_by(4093)
            .all(|i| unsafe { *p.add(i) } == seed.wrapping_add((i / 4093) as u8))
            && unsafe { *p.add(len - 1) } == seed ^ 0x5a
    }

    /// The pattern of `fill(p, _, seed)` over the first `len` bytes (the
    /// last byte of the filled length not included).
    unsafe fn prefix_holds(p: *const u8, len: usize, seed: u8) -> bool {
        (0..len)
            .step_by(4093)
            .all(|i| unsafe { *p.add(i) } == seed.wrapping_add((i / 4093) as u8))
    }

    fn is_live(p: *mut u8) -> bool {
        blocks().live_len(p as usize).is_some()
    }

    #[test]
    fn big_blocks_are_mapped_aligned_zeroed_and_keep_their_bytes() {
        let a = Tipfit;
        unsafe {
            let size = 2_304_008;
            let p = a.alloc_zeroed(layout(size));
            assert!(!p.is_null());
            if cfg!(all(target_os = "linux", target_env = "gnu")) {
                assert!(is_live(p), "a block of {size} bytes is big");
                assert_eq!(p as usize % HUGE, 0, "at a 2 MiB boundary");
            }
            assert!((0..size).step_by(997).all(|i| *p.add(i) == 0));
            fill(p, size, 7);
            // growing copies it
            let q = a.realloc(p, layout(size), 5 << 20);
            assert!(holds(q, size, 7));
            // shrinking keeps it, then below big it moves to the system
            let r = a.realloc(q, layout(5 << 20), BIG + 10);
            assert_eq!(r, q, "a big block that shrinks stays where it is");
            assert!(prefix_holds(r, BIG + 10, 7));
            fill(r, BIG + 10, 9);
            let t = a.realloc(r, layout(BIG + 10), 1000);
            assert!(!is_live(t), "a block under BIG is the system's");
            assert!(prefix_holds(t, 1000, 9));
            a.dealloc(t, layout(1000));
            // a small block that grows big becomes big, with its bytes
            let s = a.alloc(layout(5000));
            fill(s, 5000, 3);
            let u = a.realloc(s, layout(5000), 3 << 20);
            assert!(prefix_holds(u, 5000, 3) && *u.add(4999) == 3 ^ 0x5a);
            if cfg!(all(target_os = "linux", target_env = "gnu")) {
                assert!(is_live(u));
            }
            a.dealloc(u, layout(3 << 20));
            assert!(!is_live(u));
        }
    }

    #[test]
    fn mapped_lengths_round_to_huge_pages_only_when_little_is_wasted() {
        assert_eq!(mapped_len(2_016_060), HUGE);
        assert_eq!(mapped_len(1_920_060), HUGE);
        assert_eq!(mapped_len(2_304_008), 2_306_048);
        assert_eq!(mapped_len(4_000_000), 2 * HUGE);
        assert_eq!(mapped_len(3 * HUGE + 1), 3 * HUGE + PAGE);
    }

    #[test]
    fn kept_blocks_are_reused_for_the_same_or_a_little_smaller_size_and_zeroed_when_asked() {
        let a = Tipfit;
        if !cfg!(all(target_os = "linux", target_env = "gnu")) {
            return;
        }
        // (other tests in this process may allocate meanwhile: only this
        // test's own blocks are looked at)
        KEEP.store(true, Ordering::Relaxed);
        unsafe {
            let size = 9 << 20;
            let p = a.alloc(layout(size));
            fill(p, size, 11);
            a.dealloc(p, layout(size));
            assert!(!is_live(p));
            // a block of 1.3 times less takes it, zeroed when asked
            let q = a.alloc_zeroed(layout(size * 10 / 13));
            assert_eq!(q, p, "the kept block is reused");
            assert!((0..size * 10 / 13).step_by(1013).all(|i| *q.add(i) == 0));
            a.dealloc(q, layout(size * 10 / 13));
            // one of half its size does not (the rest would be wasted)
            let r = a.alloc(layout(size / 2));
            assert_ne!(r, p);
            a.dealloc(r, layout(size / 2));
        }
        KEEP.store(false, Ordering::Relaxed);
    }
}
