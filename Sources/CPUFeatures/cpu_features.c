#include "CPUFeatures.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

void ls_cpu_detect(ls_cpu_info *info) {
    memset(info, 0, sizeof *info);
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return;
    unsigned max_leaf = eax;
    memcpy(info->vendor, &ebx, 4);
    memcpy(info->vendor + 4, &edx, 4);
    memcpy(info->vendor + 8, &ecx, 4);

    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    unsigned family = (eax >> 8) & 0xF, model = (eax >> 4) & 0xF;
    if (family == 0xF) family += (eax >> 20) & 0xFF;
    if (family == 0x6 || family >= 0xF) model += ((eax >> 16) & 0xF) << 4;
    info->family = family;
    info->model = model;

    int osxsave = (ecx >> 27) & 1;
    unsigned long long xcr0 = osxsave ? read_xcr0() : 0;
    int avx_state = (xcr0 & 0x6) == 0x6;            // SSE and AVX registers saved
    int avx512_state = avx_state && (xcr0 & 0xE0) == 0xE0;  // opmask and all of ZMM saved
    int avx = avx_state && ((ecx >> 28) & 1);
    info->fma = avx && ((ecx >> 12) & 1);
    info->f16c = avx && ((ecx >> 29) & 1);

    if (max_leaf < 7) return;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    unsigned sub_leaves = eax;
    info->avx2 = avx && ((ebx >> 5) & 1);
    info->avx512f = avx512_state && ((ebx >> 16) & 1);
    info->avx512bw = info->avx512f && ((ebx >> 30) & 1);
    info->avx512vl = info->avx512f && ((ebx >> 31) & 1);
    info->avx512vnni = info->avx512f && ((ecx >> 11) & 1);
    info->avx512fp16 = info->avx512f && ((edx >> 23) & 1);
    if (sub_leaves >= 1) {
        __cpuid_count(7, 1, eax, ebx, ecx, edx);
        info->avx512bf16 = info->avx512f && ((eax >> 5) & 1);
    }
}
#else
void ls_cpu_detect(ls_cpu_info *info) { memset(info, 0, sizeof *info); }
#endif
