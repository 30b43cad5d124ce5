// OpenBLAS, opened at run time rather than linked. OpenBLAS picks its kernel set ("core type")
// once, while the library loads, from OPENBLAS_CORETYPE or else its own CPU table; 0.3.21's table
// does not know recent Xeons and falls back to its generic Prescott kernels (sgemm 21 GFLOP/s per
// thread there instead of 106 with Cooperlake's). Loading it ourselves lets the caller settle the
// core type first, in every process that runs kernels: the server, the benchmarks and the tests.
// Nothing here loads it on its own (a runtime refuses to start before it is loaded), so the one
// load in a process is the one its core type was chosen for.
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

// CBLAS's enumeration values (cblas.h), so that no OpenBLAS header or link is needed.
enum { cblas_row_major = 101, cblas_no_trans = 111, cblas_trans = 112 };

typedef void (*sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                         int lda, const float *b, int ldb, float beta, float *c, int ldc);
typedef void (*set_threads_fn)(int threads);
typedef char *(*string_fn)(void);

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static int load_status;  // 0 not tried, 1 loaded, -1 failed
static char load_error[256];
static sgemm_fn sgemm;
static string_fn corename;

int ls_blas_load(const char *core_type, char *error, int error_len) {
    pthread_mutex_lock(&load_lock);
    if (load_status == 0) {
        // Set only for the load and removed again, so that child processes see the user's
        // environment, not ours. The pool supplies the parallelism: OpenBLAS must not start
        // (and busy-spin) threads of its own.
        int set_core = core_type && core_type[0] && !getenv("OPENBLAS_CORETYPE");
        int set_threads_variable = !getenv("OPENBLAS_NUM_THREADS");
        if (set_core) setenv("OPENBLAS_CORETYPE", core_type, 1);
        if (set_threads_variable) setenv("OPENBLAS_NUM_THREADS", "1", 1);
        void *library = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!library) library = dlopen("libopenblas.so", RTLD_NOW | RTLD_LOCAL);
        if (set_core) unsetenv("OPENBLAS_CORETYPE");
        if (set_threads_variable) unsetenv("OPENBLAS_NUM_THREADS");
        set_threads_fn set_threads = library ? (set_threads_fn)dlsym(library, "openblas_set_num_threads") : NULL;
        sgemm = library ? (sgemm_fn)dlsym(library, "cblas_sgemm") : NULL;
        corename = library ? (string_fn)dlsym(library, "openblas_get_corename") : NULL;
        if (!library) {
            const char *reason = dlerror();
            snprintf(load_error, sizeof load_error, "libopenblas.so.0 could not be opened (%s)", reason ? reason : "not found");
            load_status = -1;
        } else if (!sgemm || !set_threads || !corename) {
            snprintf(load_error, sizeof load_error, "the OpenBLAS library found lacks cblas_sgemm or openblas_get_corename");
            load_status = -1;
        } else {
            set_threads(1);
            load_status = 1;
        }
    }
    int status = load_status;
    if (status < 0 && error && error_len > 0) snprintf(error, (size_t)error_len, "%s", load_error);
    pthread_mutex_unlock(&load_lock);
    return status > 0 ? 0 : -1;
}

int ls_blas_loaded(void) {
    pthread_mutex_lock(&load_lock);
    int loaded = load_status > 0;
    pthread_mutex_unlock(&load_lock);
    return loaded;
}

const char *ls_blas_core_name(void) {
    pthread_mutex_lock(&load_lock);
    string_fn name = load_status > 0 ? corename : NULL;
    pthread_mutex_unlock(&load_lock);
    return name ? name() : NULL;
}

void ls_blas_sgemm(int trans_b, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc) {
    sgemm(cblas_row_major, cblas_no_trans, trans_b ? cblas_trans : cblas_no_trans, m, n, k, alpha, a, lda, b, ldb, beta,
          c, ldc);
}
