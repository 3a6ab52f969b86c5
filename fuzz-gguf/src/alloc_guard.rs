//! The global allocator of the fuzz binaries and of the hostile-file tests: it aborts on any
//! single allocation above [`ALLOC_CAP`], which AFL++ then records as a crash, and it remembers
//! the largest allocation made on each thread, so a test can show a reader allocated nothing
//! large.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Fuzz inputs are at most 1 MiB; a reader that asks for 64 MiB believed a size it read.
pub const ALLOC_CAP: usize = 64 << 20;

pub struct AllocGuard;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    if size > ALLOC_CAP {
        // No formatting here: it would allocate.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"alloc_guard: an allocation above ALLOC_CAP\n",
        );
        std::process::abort();
    }
    // `try_with`: allocations during thread teardown find no slot, and need none.
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for AllocGuard {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Runs `f` and returns the largest single allocation it made on this thread (under
/// [`AllocGuard`] as the global allocator; 0 otherwise).
pub fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|largest| largest.set(0));
    let out = f();
    (out, LARGEST.with(Cell::get))
}
