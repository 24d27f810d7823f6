/* ACPI: RSDP -> XSDT/RSDT -> MADT walking and MADT parsing, on tables built in a buffer. */
#include "tests/unit/unit.h"
#include <string.h>

#include "hv/cpu/acpi.h"

static u8 mem[8192]; /* "physical memory": address = offset into mem */
static char err[160];
#define RSDP_AT 0x100
#define XSDT_AT 0x200
#define RSDT_AT 0x280
#define FACP_AT 0x300
#define MADT_AT 0x400

static void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }
static void put64(u8 *p, u64 v) { memcpy(p, &v, 8); }

static void fix_checksum(u8 *p, size_t len, size_t at)
{
	p[at] = 0;
	u8 sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (u8)(sum + p[i]);
	p[at] = (u8)-sum;
}

static void header(u8 *t, const char *sig, u32 len)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = 1;
}

/* MADT builder: entries appended at *len, checksum fixed at the end. */
static u32 madt_len;
static void madt_begin(void)
{
	u8 *t = mem + MADT_AT;
	memset(t, 0, 1024);
	madt_len = 44;
	put32(t + 36, 0xFEE00000);
}
static void madt_lapic(u8 uid, u8 apic_id, u32 flags)
{
	u8 *e = mem + MADT_AT + madt_len;
	e[0] = 0; e[1] = 8; e[2] = uid; e[3] = apic_id;
	put32(e + 4, flags);
	madt_len += 8;
}
static void madt_x2apic(u32 apic_id, u32 flags, u32 uid)
{
	u8 *e = mem + MADT_AT + madt_len;
	memset(e, 0, 16);
	e[0] = 9; e[1] = 16;
	put32(e + 4, apic_id); put32(e + 8, flags); put32(e + 12, uid);
	madt_len += 16;
}
static void madt_raw(const u8 *bytes, u32 n)
{
	memcpy(mem + MADT_AT + madt_len, bytes, n);
	madt_len += n;
}
static void madt_end(void)
{
	header(mem + MADT_AT, "APIC", madt_len);
	fix_checksum(mem + MADT_AT, madt_len, 9);
}

static struct madt_info info;

static void test_madt_xapic_and_x2apic(void **state)
{
	madt_begin();
	madt_lapic(0, 0, 1);
	madt_lapic(1, 2, 1);
	madt_lapic(2, 4, 0);        /* disabled, not online-capable */
	madt_lapic(3, 6, 2);        /* online-capable only: left out */
	madt_lapic(4, 0xFF, 1);     /* placeholder for an x2APIC-only CPU */
	madt_x2apic(300, 1, 7);
	madt_x2apic(2, 1, 1);       /* the same CPU again: listed once */
	madt_end();
	assert_int_equal(acpi_parse_madt(mem + MADT_AT, madt_len, &info, err, sizeof(err)), 0);
	assert_int_equal(info.lapic_base, 0xFEE00000);
	assert_int_equal(info.ncpus, 3);
	assert_int_equal(info.cpus[0].apic_id, 0);
	assert_int_equal(info.cpus[1].apic_id, 2);
	assert_false(info.cpus[1].x2apic);
	assert_int_equal(info.cpus[2].apic_id, 300);
	assert_int_equal(info.cpus[2].acpi_uid, 7);
	assert_true(info.cpus[2].x2apic);
	assert_int_equal(info.disabled, 2);
}

static void test_madt_address_override_and_unknown_entries(void **state)
{
	madt_begin();
	madt_lapic(0, 0, 1);
	u8 ioapic[12] = { 1, 12, 0 };       /* I/O APIC entry: skipped */
	madt_raw(ioapic, sizeof(ioapic));
	u8 over[12] = { 5, 12, 0, 0 };
	put64(over + 4, 0x1234567000ull);
	madt_raw(over, sizeof(over));
	madt_end();
	assert_int_equal(acpi_parse_madt(mem + MADT_AT, madt_len, &info, err, sizeof(err)), 0);
	assert_int_equal(info.lapic_base, 0x1234567000ull);
	assert_int_equal(info.ncpus, 1);
}

static void test_madt_too_many_cpus(void **state)
{
	madt_begin();
	for (u32 i = 0; i < ACPI_MAX_CPUS + 3; i++)
		madt_x2apic(i, 1, i);
	madt_end();
	assert_int_equal(acpi_parse_madt(mem + MADT_AT, madt_len, &info, err, sizeof(err)), 0);
	assert_int_equal(info.ncpus, ACPI_MAX_CPUS);
	assert_int_equal(info.beyond_max, 3);
}

static void expect_madt_error(const char *message)
{
	assert_int_equal(acpi_parse_madt(mem + MADT_AT, madt_len, &info, err, sizeof(err)), -1);
	assert_string_equal(err, message);
}

static void test_madt_errors(void **state)
{
	madt_begin();
	madt_lapic(0, 0, 1);
	madt_end();
	mem[MADT_AT + 50] ^= 1; /* flip a bit after the checksum was computed */
	expect_madt_error("ACPI table APIC: bad checksum");

	madt_begin();
	madt_lapic(0, 0, 1);
	madt_end();
	memcpy(mem + MADT_AT, "APIX", 4);
	expect_madt_error("ACPI table APIC: wrong signature");

	madt_begin();
	madt_lapic(0, 0, 1);
	u8 bad[2] = { 0, 0 };               /* zero-length entry would loop forever */
	madt_raw(bad, sizeof(bad));
	madt_end();
	expect_madt_error("ACPI table APIC: entry length runs past the table");

	madt_begin();
	u8 shortl[6] = { 0, 6, 0, 0, 1, 0 };
	madt_raw(shortl, sizeof(shortl));
	madt_end();
	expect_madt_error("ACPI table APIC: local APIC entry shorter than 8 bytes");

	madt_begin();
	madt_lapic(0, 0, 0);
	madt_end();
	expect_madt_error("ACPI table APIC: lists no enabled CPU");

	madt_begin();
	madt_lapic(0, 0, 1);
	madt_end();
	assert_int_equal(acpi_parse_madt(mem + MADT_AT, madt_len - 1, &info, err, sizeof(err)), -1);
	assert_string_equal(err, "ACPI table APIC: length runs past the mapped table");
}

/* RSDP (revision 2 when xsdt) + XSDT/RSDT listing a FACP and the MADT. */
static void build_tables(bool xsdt)
{
	memset(mem, 0, MADT_AT);
	u8 *r = mem + RSDP_AT;
	memcpy(r, "RSD PTR ", 8);
	r[15] = xsdt ? 2 : 0;
	put32(r + 16, RSDT_AT);
	put32(r + 20, 36);
	put64(r + 24, xsdt ? XSDT_AT : 0);
	fix_checksum(r, 20, 8);
	fix_checksum(r, 36, 32);

	header(mem + FACP_AT, "FACP", 36);
	fix_checksum(mem + FACP_AT, 36, 9);
	u8 *x = mem + XSDT_AT;
	header(x, "XSDT", 36 + 16);
	put64(x + 36, FACP_AT);
	put64(x + 44, MADT_AT);
	fix_checksum(x, 52, 9);
	u8 *t = mem + RSDT_AT;
	header(t, "RSDT", 36 + 8);
	put32(t + 36, FACP_AT);
	put32(t + 40, MADT_AT);
	fix_checksum(t, 44, 9);

	madt_begin();
	madt_lapic(0, 0, 1);
	madt_lapic(1, 1, 1);
	madt_end();
}

static void test_find_madt(void **state)
{
	u64 pa;
	u32 len;
	u64 off = (u64)(uintptr_t)mem;
	for (int xsdt = 0; xsdt <= 1; xsdt++) {
		build_tables(xsdt);
		assert_int_equal(acpi_find_table(RSDP_AT, "APIC", off, &pa, &len, err, sizeof(err)), 0);
		assert_int_equal(pa, MADT_AT);
		assert_int_equal(len, madt_len);
		assert_int_equal(acpi_parse_madt(mem + pa, len, &info, err, sizeof(err)), 0);
		assert_int_equal(info.ncpus, 2);
	}
	/* The XSDT wins over the RSDT: break the RSDT and the walk still works. */
	build_tables(true);
	mem[RSDT_AT + 36] ^= 0xFF;
	assert_int_equal(acpi_find_table(RSDP_AT, "APIC", off, &pa, &len, err, sizeof(err)), 0);
}

static void test_find_errors(void **state)
{
	u64 pa;
	u32 len;
	u64 off = (u64)(uintptr_t)mem;
	assert_int_equal(acpi_find_table(0, "APIC", off, &pa, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "ACPI: the boot loader found no RSDP");

	build_tables(true);
	mem[RSDP_AT + 9] ^= 1;
	assert_int_equal(acpi_find_table(RSDP_AT, "APIC", off, &pa, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "ACPI RSDP: bad checksum (first 20 bytes)");

	build_tables(true);
	mem[RSDP_AT + 25] ^= 1; /* XSDT address: only the extended checksum covers it */
	assert_int_equal(acpi_find_table(RSDP_AT, "APIC", off, &pa, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "ACPI RSDP: bad extended checksum or length");

	build_tables(true);
	mem[XSDT_AT + 40] ^= 1;
	assert_int_equal(acpi_find_table(RSDP_AT, "APIC", off, &pa, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "ACPI table XSDT: bad checksum");

	build_tables(false);
	assert_int_equal(acpi_find_table(RSDP_AT, "HPET", off, &pa, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "ACPI table HPET: not listed in the RSDT");

	build_tables(true);
	mem[MADT_AT + 44] ^= 1;
	assert_int_equal(acpi_find_table(RSDP_AT, "APIC", off, &pa, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "ACPI table APIC: bad checksum");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_madt_xapic_and_x2apic),
		cmocka_unit_test(test_madt_address_override_and_unknown_entries),
		cmocka_unit_test(test_madt_too_many_cpus),
		cmocka_unit_test(test_madt_errors),
		cmocka_unit_test(test_find_madt),
		cmocka_unit_test(test_find_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
