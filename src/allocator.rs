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
//! - Sessions and the demo ([`batch`]): each fit allocates its
//!   recordings and buffers again, on several cores at once; unmapping a
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
//! Elsewhere (another C library) these do nothing.

/// Map every block of 256 KiB or more and return it when freed.
pub fn lean() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator (glibc takes
    // its own lock to do so).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
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
}
