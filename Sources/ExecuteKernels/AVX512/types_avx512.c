// Every tensor type's kernels (types/types.h) for AVX-512 (see avx512.h).
#include "avx512.h"
#include "../types/types.h"
#pragma clang attribute pop
