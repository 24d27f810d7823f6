/* Which XCR0 values XSETBV accepts (hv/vm/xcr0.h). */
#include "hv/vm/xcr0.h"

/* Components that must be enabled together: all or none. */
static bool split(u64 value, u64 group)
{
	return (value & group) && (value & group) != group;
}

const char *xcr0_invalid(u32 index, u64 value, u64 supported)
{
	if (index != 0)
		return "XSETBV to an XCR other than XCR0";
	if (value & ~supported)
		return "XCR0 sets a bit this CPU does not support";
	if (!(value & XCR0_X87))
		return "XCR0 clears bit 0 (x87)";
	if ((value & XCR0_AVX) && !(value & XCR0_SSE))
		return "XCR0 enables AVX without SSE";
	if (split(value, XCR0_AVX512))
		return "XCR0 enables part of AVX-512 (bits 7:5 must be all set or all clear)";
	if ((value & XCR0_AVX512) && !(value & XCR0_AVX))
		return "XCR0 enables AVX-512 without AVX";
	if (split(value, XCR0_MPX))
		return "XCR0 enables one of BNDREGS and BNDCSR (MPX needs both)";
	if (split(value, XCR0_AMX))
		return "XCR0 enables one of XTILECFG and XTILEDATA (AMX needs both)";
	return NULL;
}
