// q8_0_x16.c for AVX-512 (see avx512.h).
#include "avx512.h"
#include "../q8_0_x16.c"
#pragma clang attribute pop
