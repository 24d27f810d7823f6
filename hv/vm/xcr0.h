/*
 * XCR0, the extended-state enable mask a guest sets with XSETBV: which
 * values the CPU accepts. Portable (host unit test: tests/unit/test_xcr0.c).
 */
#ifndef HV_XCR0_H
#define HV_XCR0_H

#include "types.h"

/* XCR0 bits (SDM vol. 1, 13.1 "XSAVE-supported features and state-component bitmaps"). */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define XCR0_BNDREGS (1ull << 3)
#define XCR0_BNDCSR (1ull << 4)
#define XCR0_OPMASK (1ull << 5)
#define XCR0_ZMM_HI256 (1ull << 6)
#define XCR0_HI16_ZMM (1ull << 7)
#define XCR0_PKRU (1ull << 9)
#define XCR0_XTILECFG (1ull << 17)
#define XCR0_XTILEDATA (1ull << 18)
#define XCR0_AVX512 (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
#define XCR0_MPX (XCR0_BNDREGS | XCR0_BNDCSR)
#define XCR0_AMX (XCR0_XTILECFG | XCR0_XTILEDATA)

/*
 * NULL when XSETBV with ECX = index and EDX:EAX = value succeeds on a CPU
 * whose XCR0 may hold `supported` (CPUID.(EAX=0DH,ECX=0):EDX:EAX, narrowed
 * to what the hypervisor switches); else the rule the value breaks: the
 * guest then gets #GP(0). Every rule of SDM vol. 2 XSETBV and vol. 1 13.3.
 * (CPL > 0 and CR4.OSXSAVE clear fault before the instruction exits.)
 */
const char *xcr0_invalid(u32 index, u64 value, u64 supported);

#endif
