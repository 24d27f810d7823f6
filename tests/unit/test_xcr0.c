/* XSETBV's validity rules (hv/vm/xcr0.c): every #GP case of the SDM, and the values that pass. */
#include "tests/unit/unit.h"
#include "hv/vm/xcr0.h"

/* A CPU with everything up to AMX (Sapphire Rapids' XCR0 mask). */
#define ALL (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_MPX | XCR0_AVX512 | XCR0_PKRU | XCR0_AMX)

static void test_valid(void **state)
{
	static const u64 ok[] = {
		XCR0_X87, XCR0_X87 | XCR0_SSE, XCR0_X87 | XCR0_SSE | XCR0_AVX,
		XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512, XCR0_X87 | XCR0_MPX,
		XCR0_X87 | XCR0_PKRU, XCR0_X87 | XCR0_SSE | XCR0_AMX, ALL,
	};
	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_null(xcr0_invalid(0, ok[i], ALL));
}

static void test_invalid(void **state)
{
	static const struct { u32 index; u64 value; u64 supported; } bad[] = {
		{ 1, XCR0_X87, ALL },                                   /* XCR1 is read-only */
		{ 0xffffffffu, XCR0_X87, ALL },
		{ 0, 0, ALL },                                          /* x87 clear */
		{ 0, XCR0_SSE, ALL },
		{ 0, XCR0_X87 | XCR0_AVX, ALL },                        /* AVX without SSE */
		{ 0, XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_OPMASK, ALL },        /* part of AVX-512 */
		{ 0, XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_OPMASK | XCR0_ZMM_HI256, ALL },
		{ 0, XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_HI16_ZMM, ALL },
		{ 0, XCR0_X87 | XCR0_SSE | XCR0_AVX512, ALL },          /* AVX-512 without AVX */
		{ 0, XCR0_X87 | XCR0_AVX512, ALL },
		{ 0, XCR0_X87 | XCR0_BNDREGS, ALL },                    /* MPX halves */
		{ 0, XCR0_X87 | XCR0_BNDCSR, ALL },
		{ 0, XCR0_X87 | XCR0_SSE | XCR0_XTILECFG, ALL },        /* AMX halves */
		{ 0, XCR0_X87 | XCR0_SSE | XCR0_XTILEDATA, ALL },
		{ 0, XCR0_X87 | (1ull << 8), ALL },                     /* reserved / unsupported */
		{ 0, XCR0_X87 | (1ull << 63), ALL },
		{ 0, XCR0_X87 | XCR0_SSE | XCR0_AVX, XCR0_X87 | XCR0_SSE }, /* not on this CPU */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = xcr0_invalid(bad[i].index, bad[i].value, bad[i].supported);
		if (!why)
			fail_msg("index %u value 0x%llx accepted", bad[i].index, (unsigned long long)bad[i].value);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
