// dequantize.c for AVX-512 (see avx512.h).
#include "avx512.h"
#include "../dequantize.c"
#pragma clang attribute pop
