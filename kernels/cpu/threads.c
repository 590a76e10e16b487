/* threads.c — see threads.h. The task counter packs (job generation, next task) into one 64-bit atomic,
 * so a worker that wakes late for an old job can never take a task of the next one; the caller
 * waits only for workers that registered for its job. */
#include "kernels/cpu/threads.h"

#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

static struct {
    pthread_once_t once;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    int n_workers;
    uint32_t gen;            /* current job, under mu */
    void (*fn)(void *, int); /* current job, under mu */
    void *ctx;
    int n_tasks;
    int busy;                /* workers registered for the current job, under mu */
    int max_busy;            /* workers the current job may use, under mu */
    _Atomic uint64_t next;   /* (gen << 32) | next task */
} P = {.once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
       .done = PTHREAD_COND_INITIALIZER};

static _Thread_local int t_in_job; /* nested calls from a task run serially */

/* Takes the next task of job `gen`; -1 when the job has none left (or is no longer current). */
static int take(uint32_t gen, int n) {
    uint64_t v = atomic_load(&P.next);
    for (;;) {
        if ((uint32_t)(v >> 32) != gen || (int)(uint32_t)v >= n) return -1;
        if (atomic_compare_exchange_weak(&P.next, &v, v + 1)) return (int)(uint32_t)v;
    }
}

static void *worker(void *arg) {
    (void)arg;
    uint32_t seen = 0;
    t_in_job = 1;
    pthread_mutex_lock(&P.mu);
    for (;;) {
        while (P.gen == seen) pthread_cond_wait(&P.wake, &P.mu);
        seen = P.gen;
        if (P.busy >= P.max_busy) continue; /* the job has the threads it asked for */
        void (*fn)(void *, int) = P.fn;
        void *ctx = P.ctx;
        int n = P.n_tasks;
        P.busy++;
        pthread_mutex_unlock(&P.mu);
        for (int t; (t = take(seen, n)) >= 0;) fn(ctx, t);
        pthread_mutex_lock(&P.mu);
        if (P.gen == seen && --P.busy == 0) pthread_cond_signal(&P.done);
    }
    return NULL;
}

static void start(void) {
    int want = omp_get_max_threads() - 1;
    for (int i = 0; i < want; i++) {
        pthread_t th;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&th, &a, worker, NULL) == 0) P.n_workers++;
        pthread_attr_destroy(&a);
    }
}

int tml_cpu_threads_count(void) {
    pthread_once(&P.once, start);
    return P.n_workers + 1;
}

void tml_cpu_threads_run(int n_tasks, void (*fn)(void *ctx, int task), void *ctx) {
    tml_cpu_threads_run_max(0, n_tasks, fn, ctx);
}

void tml_cpu_threads_run_max(int max_threads, int n_tasks, void (*fn)(void *ctx, int task), void *ctx) {
    if (n_tasks <= 0) return;
    if (n_tasks == 1 || t_in_job || max_threads == 1 || tml_cpu_threads_count() == 1) {
        for (int t = 0; t < n_tasks; t++) fn(ctx, t);
        return;
    }
    pthread_mutex_lock(&P.mu);
    uint32_t gen = ++P.gen;
    if (gen == 0) gen = ++P.gen; /* 0 is every worker's "seen nothing yet" */
    P.fn = fn;
    P.ctx = ctx;
    P.n_tasks = n_tasks;
    P.busy = 0;
    P.max_busy = max_threads > 1 && max_threads - 1 < P.n_workers ? max_threads - 1 : P.n_workers;
    atomic_store(&P.next, (uint64_t)gen << 32);
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.mu);
    t_in_job = 1;
    for (int t; (t = take(gen, n_tasks)) >= 0;) fn(ctx, t);
    t_in_job = 0;
    pthread_mutex_lock(&P.mu);
    while (P.busy > 0) pthread_cond_wait(&P.done, &P.mu);
    pthread_mutex_unlock(&P.mu);
}
