// iq4.c for AVX-512 (see avx512.h).
#include "avx512.h"
#include "../iq4.c"
#pragma clang attribute pop
