// quant_types.c for AVX-512 (see avx512.h).
#include "avx512.h"
#include "../quant_types.c"
#pragma clang attribute pop
