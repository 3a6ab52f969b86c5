//! Running a command on a worker of a rayon pool.
//!
//! The packed kernels and the CPU backends split their loops on rayon. Called from a thread
//! outside the pool, each of the hundreds of parallel loops of a decode step hands its work to
//! the pool and sleeps until it is done: a futex wake-up each way. Called from a worker, the
//! caller takes part instead, which docs/performance.md measures.

/// A new pool of `threads` workers (default: one per core).
pub fn pool(threads: Option<usize>) -> anyhow::Result<rayon::ThreadPool> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        pool = pool.num_threads(n);
    }
    Ok(pool.build()?)
}

/// Runs `f` on a worker of a new [`pool`]; `f`'s parallel loops run on that pool.
pub fn install<R: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> anyhow::Result<R> + Send,
) -> anyhow::Result<R> {
    pool(threads)?.install(f)
}
