// The fork-join pool. Workers spin briefly between parallel sections (a decode step issues a few
// hundred of them, microseconds apart, and a futex wake costs tens of microseconds), then sleep
// on a condition variable so an idle server burns no CPU.
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

// About 200 µs of spinning before a worker sleeps.
#define LS_SPIN_ROUNDS 20000

struct ls_runtime {
    int threads;
    int kernels;
    pthread_t handles[LS_MAX_THREADS];

    _Atomic uint64_t generation;
    _Atomic int finished;
    _Atomic int sleepers;
    _Atomic int stopping;
    ls_task task;
    void *ctx;

    pthread_mutex_t mutex;
    pthread_cond_t wake;

    float *scratch[LS_MAX_THREADS];
    size_t scratch_bytes;
    void *shared;
    size_t shared_bytes;
    // Set when a kernel could not get its working memory; read by ls_runtime_take_failure.
    int failed;
};

typedef struct {
    ls_runtime *rt;
    int worker;
} ls_worker_arg;

static void *ls_worker_main(void *p) {
    ls_worker_arg arg = *(ls_worker_arg *)p;
    free(p);
    ls_runtime *rt = arg.rt;
    uint64_t seen = 0;
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&rt->generation, memory_order_acquire) == seen && spins < LS_SPIN_ROUNDS) {
            _mm_pause();
            spins++;
        }
        if (atomic_load_explicit(&rt->generation, memory_order_acquire) == seen) {
            pthread_mutex_lock(&rt->mutex);
            atomic_fetch_add(&rt->sleepers, 1);
            while (atomic_load(&rt->generation) == seen) pthread_cond_wait(&rt->wake, &rt->mutex);
            atomic_fetch_sub(&rt->sleepers, 1);
            pthread_mutex_unlock(&rt->mutex);
        }
        seen = atomic_load_explicit(&rt->generation, memory_order_acquire);
        if (atomic_load(&rt->stopping)) return NULL;
        rt->task(rt->ctx, arg.worker, rt->threads);
        atomic_fetch_add_explicit(&rt->finished, 1, memory_order_release);
    }
}

ls_runtime *ls_runtime_create(int threads, int kernels, int *error) {
    *error = 0;
    if (threads < 1) threads = 1;
    if (threads > LS_MAX_THREADS) threads = LS_MAX_THREADS;
    // Every runtime can call sgemm, so OpenBLAS must be loaded already, by whoever chose its core
    // type: loading it here with OpenBLAS's own choice is how a test process on a Xeon ran its
    // generic Prescott kernels (the first test to make a runtime loaded it).
    if (!ls_blas_loaded()) {
        *error = ELIBACC;
        return NULL;
    }
    ls_runtime *rt = calloc(1, sizeof(ls_runtime));
    if (!rt) {
        *error = ENOMEM;
        return NULL;
    }
    rt->kernels = kernels == LS_KERNELS_AVX512 ? LS_KERNELS_AVX512 : LS_KERNELS_AVX2;
    pthread_mutex_init(&rt->mutex, NULL);
    pthread_cond_init(&rt->wake, NULL);
    rt->threads = 1;
    for (int w = 1; w < threads; w++) {
        ls_worker_arg *arg = malloc(sizeof(ls_worker_arg));
        int status = arg ? 0 : ENOMEM;
        if (arg) {
            arg->rt = rt;
            arg->worker = w;
            status = pthread_create(&rt->handles[w], NULL, ls_worker_main, arg);
            if (status) free(arg);
        }
        if (status) {
            // Stop and join the workers started so far (rt->threads counts them).
            *error = status;
            ls_runtime_destroy(rt);
            return NULL;
        }
        rt->threads = w + 1;
    }
    return rt;
}

void ls_runtime_destroy(ls_runtime *rt) {
    if (!rt) return;
    atomic_store(&rt->stopping, 1);
    pthread_mutex_lock(&rt->mutex);
    atomic_fetch_add(&rt->generation, 1);
    pthread_cond_broadcast(&rt->wake);
    pthread_mutex_unlock(&rt->mutex);
    for (int w = 1; w < rt->threads; w++) pthread_join(rt->handles[w], NULL);
    for (int w = 0; w < rt->threads; w++) free(rt->scratch[w]);
    free(rt->shared);
    pthread_mutex_destroy(&rt->mutex);
    pthread_cond_destroy(&rt->wake);
    free(rt);
}

int ls_runtime_threads(const ls_runtime *rt) { return rt->threads; }

int ls_runtime_kernels(const ls_runtime *rt) { return rt->kernels; }

int ls_runtime_take_failure(ls_runtime *rt) {
    int failed = rt->failed;
    rt->failed = 0;
    return failed;
}

void ls_parallel(ls_runtime *rt, ls_task task, void *ctx) {
    if (rt->threads == 1) {
        task(ctx, 0, 1);
        return;
    }
    rt->task = task;
    rt->ctx = ctx;
    atomic_store_explicit(&rt->finished, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&rt->generation, 1, memory_order_release);
    if (atomic_load(&rt->sleepers) > 0) {
        pthread_mutex_lock(&rt->mutex);
        pthread_cond_broadcast(&rt->wake);
        pthread_mutex_unlock(&rt->mutex);
    }
    task(ctx, 0, rt->threads);
    while (atomic_load_explicit(&rt->finished, memory_order_acquire) < rt->threads - 1) _mm_pause();
}

static void rows_worker(void *ctx, int worker, int workers) {
    const ls_rows_job *job = ctx;
    int r0 = job->rows * worker / workers, r1 = job->rows * (worker + 1) / workers;
    if (r1 > r0) job->run(job, r0, r1);
}

/// Rows below which splitting costs more than it saves.
#define LS_PARALLEL_ROWS 32

void ls_parallel_rows(ls_runtime *rt, const ls_rows_job *job) {
    if (job->rows < LS_PARALLEL_ROWS)
        job->run(job, 0, job->rows);
    else
        ls_parallel(rt, rows_worker, (void *)job);
}

int ls_reserve_scratch(ls_runtime *rt, size_t bytes) {
    if (bytes <= rt->scratch_bytes) return 0;
    bytes = (bytes + LS_ALIGN - 1) / LS_ALIGN * LS_ALIGN;
    for (int w = 0; w < rt->threads; w++) {
        free(rt->scratch[w]);
        rt->scratch[w] = aligned_alloc(LS_ALIGN, bytes);
        if (!rt->scratch[w]) {
            for (int o = 0; o < rt->threads; o++) {
                free(rt->scratch[o]);
                rt->scratch[o] = NULL;
            }
            rt->scratch_bytes = 0;
            rt->failed = 1;
            return -1;
        }
    }
    rt->scratch_bytes = bytes;
    return 0;
}

float *ls_scratch(ls_runtime *rt, int worker) { return rt->scratch[worker]; }

void *ls_shared(ls_runtime *rt, size_t bytes) {
    if (bytes > rt->shared_bytes) {
        bytes = (bytes + LS_ALIGN - 1) / LS_ALIGN * LS_ALIGN;
        free(rt->shared);
        rt->shared = aligned_alloc(LS_ALIGN, bytes);
        rt->shared_bytes = rt->shared ? bytes : 0;
        if (!rt->shared) rt->failed = 1;
    }
    return rt->shared;
}
