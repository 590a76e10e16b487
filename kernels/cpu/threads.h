/* threads.h — internal to kernels/cpu: a small pool of worker threads that sleep on a condition
 * variable between jobs (no spinning). A job is n tasks taken one at a time from a shared counter
 * by the calling thread and whichever workers are awake, so a thread that shares its core with
 * another process simply takes fewer tasks, and the caller never waits for a worker that has not
 * started. libgomp's default waiting spins, which under such contention made tree training slower
 * on two threads than on one (docs/gbdt.md); the tree ops use this pool instead. */
#ifndef TICKETML_CPU_THREADS_H
#define TICKETML_CPU_THREADS_H

/* Runs fn(ctx, t) for t = 0..n_tasks-1, each exactly once, on the calling thread and the pool's
 * workers (omp_get_max_threads() - 1 of them, started on first use); returns when all are done.
 * Tasks must not depend on which thread runs them. Nested calls run serially. */
void tml_cpu_threads_run(int n_tasks, void (*fn)(void *ctx, int task), void *ctx);
/* The same with at most max_threads threads, the caller included (0: all of them; 1: the caller alone). */
void tml_cpu_threads_run_max(int max_threads, int n_tasks, void (*fn)(void *ctx, int task), void *ctx);
/* Threads a job can use (workers + the caller). */
int tml_cpu_threads_count(void);

#endif
