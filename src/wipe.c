/* wipe.c - explicit_bzero where libc has it, a volatile loop otherwise. */
#include "config.h"

#include <string.h>
#include "wipe.h"

void
wipe_memory_call (void *p, size_t len)
{
#ifdef HAVE_EXPLICIT_BZERO
  explicit_bzero (p, len);
#else
  volatile unsigned char *v = p;
  while (len--)
    *v++ = 0;
#endif
}

#if defined(__x86_64__) && defined(__GNUC__)
#define XMM_LOW "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", \
  "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

void
wipe_vector_registers (void)
{
  if (__builtin_cpu_supports ("avx"))
    __asm__ __volatile__ ("vzeroall" : : : XMM_LOW);
  else
    __asm__ __volatile__ (
        "pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\t"
        "pxor %%xmm3, %%xmm3\n\tpxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
        "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\tpxor %%xmm8, %%xmm8\n\t"
        "pxor %%xmm9, %%xmm9\n\tpxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
        "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\tpxor %%xmm14, %%xmm14\n\t"
        "pxor %%xmm15, %%xmm15" : : : XMM_LOW);
  /* glibc's EVEX string functions (memchr, memmove) work in ymm16-31,
   * which vzeroall leaves alone; written as text, since this file is not
   * built for AVX-512 (a VEX/EVEX write of a register zeroes its upper
   * bits too) */
  if (__builtin_cpu_supports ("avx512f"))
    __asm__ __volatile__ (
        "vpxord %%zmm16, %%zmm16, %%zmm16\n\tvpxord %%zmm17, %%zmm17, %%zmm17\n\t"
        "vpxord %%zmm18, %%zmm18, %%zmm18\n\tvpxord %%zmm19, %%zmm19, %%zmm19\n\t"
        "vpxord %%zmm20, %%zmm20, %%zmm20\n\tvpxord %%zmm21, %%zmm21, %%zmm21\n\t"
        "vpxord %%zmm22, %%zmm22, %%zmm22\n\tvpxord %%zmm23, %%zmm23, %%zmm23\n\t"
        "vpxord %%zmm24, %%zmm24, %%zmm24\n\tvpxord %%zmm25, %%zmm25, %%zmm25\n\t"
        "vpxord %%zmm26, %%zmm26, %%zmm26\n\tvpxord %%zmm27, %%zmm27, %%zmm27\n\t"
        "vpxord %%zmm28, %%zmm28, %%zmm28\n\tvpxord %%zmm29, %%zmm29, %%zmm29\n\t"
        "vpxord %%zmm30, %%zmm30, %%zmm30\n\tvpxord %%zmm31, %%zmm31, %%zmm31"
        : : : "memory");
}
#else
void
wipe_vector_registers (void)
{
}
#endif
