// gemm.c for AVX-512 (see avx512.h).
#include "avx512.h"
#include "../gemm.c"
#pragma clang attribute pop
