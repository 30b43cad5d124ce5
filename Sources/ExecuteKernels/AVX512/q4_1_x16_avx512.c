// q4_1_x16.c for AVX-512 (see avx512.h).
#include "avx512.h"
#include "../q4_1_x16.c"
#pragma clang attribute pop
