// What the processor can run, read with cpuid and xgetbv. Compiled for plain x86-64 (no AVX),
// so it runs on any processor, including one that lacks what the kernels need.
#pragma once

/// The processor's identity and the instruction sets the kernels care about; a feature counts
/// only when the operating system also saves its registers (xgetbv).
typedef struct {
    char vendor[13];
    unsigned family;
    unsigned model;
    int avx2;
    int fma;
    int f16c;
    int avx512f;
    int avx512bw;
    int avx512vl;
    int avx512vnni;
    int avx512bf16;
    int avx512fp16;
} ls_cpu_info;

/// Fills `info` for the processor this runs on (all zero on a non-x86 machine).
void ls_cpu_detect(ls_cpu_info *info);
