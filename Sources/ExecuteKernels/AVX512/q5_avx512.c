// q5.c for AVX-512 (see avx512.h).
#include "avx512.h"
#include "../q5.c"
#pragma clang attribute pop
