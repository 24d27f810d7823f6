/* The VM's ACPI tables (hv/devices/acpi_tables.c), read back with the hypervisor's own parser (hv/cpu/acpi.c). */
#include "tests/unit/unit.h"
#include <string.h>

#include "hv/devices/acpi_tables.h"
#include "hv/devices/acpi_pm.h"
#include "hv/cpu/acpi.h"

static u8 mem[ACPI_TABLES_SIZE];
/* Guest-physical ACPI_TABLES_BASE is mem[0]. */
#define OFFSET ((u64)(uintptr_t)mem - ACPI_TABLES_BASE)

static const u8 *table(const char *sig, u32 *len)
{
	u64 pa;
	char err[128];
	assert_int_equal(acpi_find_table(ACPI_TABLES_BASE, sig, OFFSET, &pa, len, err, sizeof(err)), 0);
	return (const u8 *)(uintptr_t)(pa + OFFSET);
}

static u32 get32(const u8 *p) { return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24; }

static void test_madt_per_vcpu(void **state)
{
	for (u32 n = 1; n <= 8; n++) {
		struct madt_info info;
		char err[128];
		u32 len;
		acpi_tables_build(n, mem);
		const u8 *madt = table("APIC", &len);
		assert_int_equal(acpi_parse_madt(madt, len, &info, err, sizeof(err)), 0);
		assert_int_equal(info.ncpus, n);
		assert_int_equal(info.lapic_base, ACPI_LAPIC_BASE);
		for (u32 i = 0; i < n; i++)
			assert_int_equal(info.cpus[i].apic_id, i);
	}
}

static void test_fadt_and_dsdt(void **state)
{
	u32 len, dlen;
	acpi_tables_build(2, mem);
	const u8 *fadt = table("FACP", &len);
	assert_int_equal(len, 244);
	assert_int_equal(fadt[46], ACPI_SCI_IRQ);
	assert_int_equal(get32(fadt + 56), ACPI_PM1A_EVT);
	assert_int_equal(get32(fadt + 64), ACPI_PM1A_CNT);
	assert_int_equal(get32(fadt + 76), ACPI_PM_TMR);
	assert_int_equal(get32(fadt + 116 + 4), ACPI_RESET_PORT);
	assert_int_equal(fadt[128], ACPI_RESET_VALUE);
	const u8 *facs = mem + (get32(fadt + 36) - ACPI_TABLES_BASE);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal((get32(fadt + 36)) % 64, 0);
	const u8 *dsdt = mem + (get32(fadt + 40) - ACPI_TABLES_BASE);
	dlen = get32(dsdt + 4);
	assert_memory_equal(dsdt, "DSDT", 4);
	assert_true(acpi_checksum_ok(dsdt, dlen));
	assert_memory_equal(dsdt + 36, "\x08\\_S5_\x12", 7);
}

static void test_pm_timer_rate(void **state)
{
	assert_int_equal(acpi_pm_timer_at(0), 0);
	assert_int_equal(acpi_pm_timer_at(1000000000ull), 3579545 & 0xffffff);
	assert_int_equal(acpi_pm_timer_at(2000000000ull), (2 * 3579545) & 0xffffff); /* wraps at 24 bits */
	assert_int_equal(acpi_pm_timer_at(10000000000000ull), (u32)(35795450000ull & 0xffffff)); /* 10000 s */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_madt_per_vcpu),
		cmocka_unit_test(test_fadt_and_dsdt),
		cmocka_unit_test(test_pm_timer_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
