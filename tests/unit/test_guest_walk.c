/* The guest page-table walker against hand-built tables in a fake guest RAM. */
#include "tests/unit/unit.h"
#include <string.h>

#include "hv/emulate/guest_walk.h"
#include "x86.h"

#define RAM_SIZE (8u << 20)
static u8 ram[RAM_SIZE];

static bool read_ram(void *ctx, u64 gpa, void *dst, u64 len)
{
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(dst, ram + gpa, len);
	return true;
}

static void put32(u64 gpa, u32 v) { memcpy(ram + gpa, &v, 4); }
static void put64(u64 gpa, u64 v) { memcpy(ram + gpa, &v, 8); }

#define P 1ull
#define RW 2ull
#define US 4ull
#define PS 0x80ull
#define NX (1ull << 63)
#define CR0_PROT_PAGING 0x80000001ull
#define EFER_LONG ((1ull << 8) | (1ull << 10))

static struct guest_walk w;

static int walk(const struct guest_paging *pg, u64 gla, u32 access)
{
	return guest_walk(pg, gla, access, read_ram, NULL, &w);
}

static int clear_ram(void **state)
{
	memset(ram, 0, sizeof(ram));
	return 0;
}

static void test_paging_off_is_identity(void **state)
{
	struct guest_paging pg = { .cr0 = 0x11 }; /* PE, no PG */
	assert_int_equal(walk(&pg, 0xFEE00030, GUEST_WRITE), GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0xFEE00030);
	pg.cr0 = 0; /* real mode */
	assert_int_equal(walk(&pg, 0x1234F, GUEST_FETCH), GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x1234F);
}

/* 32-bit: PD at 0x1000, PT at 0x2000; 0x00403123 -> page 0x5000. */
static struct guest_paging setup_32bit(void)
{
	put32(0x1000 + 1 * 4, 0x2000 | P | RW | US);
	put32(0x2000 + 3 * 4, 0x5000 | P | RW | US);
	return (struct guest_paging){ .cr0 = CR0_PROT_PAGING, .cr3 = 0x1000 };
}

static void test_32bit_4k_page(void **state)
{
	struct guest_paging pg = setup_32bit();
	assert_int_equal(walk(&pg, 0x00403123, GUEST_READ), GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x5123);
	assert_int_equal(w.page_size, 4096);
	assert_int_equal(walk(&pg, 0x00404123, GUEST_READ), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, 0); /* not present, supervisor read */
	assert_int_equal(walk(&pg, 0x00404123, GUEST_WRITE | GUEST_USER), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, PFEC_WRITE | PFEC_USER);
	assert_int_equal(walk(&pg, 0x00404123, GUEST_FETCH), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, 0); /* no I/D bit without NX paging or SMEP */
}

static void test_32bit_large_pages_need_pse(void **state)
{
	struct guest_paging pg = setup_32bit();
	put32(0x1000 + 2 * 4, 0x00C00000 | PS | P | RW);
	pg.cr4 = CR4_PSE;
	assert_int_equal(walk(&pg, 0x00812345, GUEST_READ), GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x00C12345);
	assert_int_equal(w.page_size, 4u << 20);
	/* PSE-36: bits 20:13 of the PDE are physical bits 39:32 */
	put32(0x1000 + 2 * 4, 0x00C00000 | (0x12 << 13) | PS | P | RW);
	assert_int_equal(walk(&pg, 0x00812345, GUEST_READ), GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x1200C12345ull);
	/* bit 21 is reserved in a 4 MiB PDE */
	put32(0x1000 + 2 * 4, 0x00C00000 | (1 << 21) | PS | P | RW);
	assert_int_equal(walk(&pg, 0x00812345, GUEST_READ), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, PFEC_PRESENT | PFEC_RSVD);
	/* without CR4.PSE the PS bit is ignored: the entry points to a table */
	put32(0x1000 + 2 * 4, 0x3000 | PS | P | RW);
	put32(0x3000 + 0x12 * 4, 0x7000 | P);
	pg.cr4 = 0;
	assert_int_equal(walk(&pg, 0x00812345, GUEST_READ), GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x7345);
}

static void test_32bit_write_protect_and_user(void **state)
{
	struct guest_paging pg = setup_32bit();
	put32(0x2000 + 3 * 4, 0x5000 | P); /* read-only, supervisor */
	assert_int_equal(walk(&pg, 0x00403000, GUEST_WRITE), GUEST_WALK_OK); /* WP clear */
	pg.cr0 |= CR0_WP;
	assert_int_equal(walk(&pg, 0x00403000, GUEST_WRITE), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, PFEC_PRESENT | PFEC_WRITE);
	assert_int_equal(walk(&pg, 0x00403000, GUEST_USER), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, PFEC_PRESENT | PFEC_USER);
	/* a user/writable leaf under a supervisor directory is still supervisor */
	put32(0x2000 + 3 * 4, 0x5000 | P | RW | US);
	put32(0x1000 + 1 * 4, 0x2000 | P | RW);
	assert_int_equal(walk(&pg, 0x00403000, GUEST_USER), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, PFEC_PRESENT | PFEC_USER);
}

/* PAE: PDPT at 0x1020 (32-byte aligned), PD at 0x2000, PT at 0x3000. */
static struct guest_paging setup_pae(void)
{
	put64(0x1020 + 1 * 8, 0x2000 | P);          /* 0x40000000.. */
	put64(0x2000 + 2 * 8, 0x3000 | P | RW | US);    /* 0x40400000.. */
	put64(0x3000 + 5 * 8, 0x9000 | P | RW | US);    /* 0x40405000 */
	put64(0x2000 + 3 * 8, 0x00600000 | PS | P | RW); /* 0x40600000: 2 MiB */
	return (struct guest_paging){ .cr0 = CR0_PROT_PAGING, .cr3 = 0x1020, .cr4 = CR4_PAE };
}

static void test_pae_4k_and_2m(void **state)
{
	struct guest_paging pg = setup_pae();
	assert_int_equal(walk(&pg, 0x40405ABC, GUEST_WRITE), GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x9ABC);
	assert_int_equal(walk(&pg, 0x406FFFFF, GUEST_READ), GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x006FFFFF);
	assert_int_equal(w.page_size, 2u << 20);
	/* bits 20:13 of a 2 MiB entry are reserved; bit 12 (PAT) is not */
	put64(0x2000 + 3 * 8, 0x00600000 | (1 << 12) | PS | P | RW);
	assert_int_equal(walk(&pg, 0x40600000, GUEST_READ), GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x00600000);
	put64(0x2000 + 3 * 8, 0x00600000 | (1 << 13) | PS | P | RW);
	assert_int_equal(walk(&pg, 0x40600000, GUEST_READ), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, PFEC_PRESENT | PFEC_RSVD);
}

static void test_pae_nx_and_reserved_pdpte(void **state)
{
	struct guest_paging pg = setup_pae();
	put64(0x3000 + 5 * 8, 0x9000 | P | RW | US | NX);
	assert_int_equal(walk(&pg, 0x40405000, GUEST_FETCH), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, PFEC_RSVD | PFEC_PRESENT); /* NX without EFER.NXE is reserved */
	pg.efer = EFER_NXE;
	assert_int_equal(walk(&pg, 0x40405000, GUEST_READ), GUEST_WALK_OK);
	assert_int_equal(walk(&pg, 0x40405000, GUEST_FETCH), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, PFEC_PRESENT | PFEC_FETCH);
	put64(0x1020 + 1 * 8, 0x2000 | P | RW); /* RW is reserved in a PDPTE */
	assert_int_equal(walk(&pg, 0x40405000, GUEST_READ), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, PFEC_PRESENT | PFEC_RSVD);
	put64(0x1020 + 1 * 8, 0);
	assert_int_equal(walk(&pg, 0x40405000, GUEST_FETCH), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, PFEC_FETCH); /* not present, instruction fetch */
}

/* 4-level: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. */
static struct guest_paging setup_long(void)
{
	const u64 t = P | RW | US;
	put64(0x1000 + 0x1FF * 8, 0x2000 | t);          /* 0xFFFFFF80_00000000 */
	put64(0x2000 + 0x1FE * 8, 0x3000 | t);          /* ..0xFFFFFFFF_80000000 */
	put64(0x3000 + 1 * 8, 0x4000 | t);              /* ..0xFFFFFFFF_80200000 */
	put64(0x4000 + 7 * 8, 0x6000 | t);              /* ..0xFFFFFFFF_80207000 */
	put64(0x3000 + 2 * 8, 0x00400000 | PS | t);     /* 2 MiB at ..80400000 */
	put64(0x2000 + 0x1FF * 8, 0x40000000 | PS | t); /* 1 GiB at ..C0000000 */
	return (struct guest_paging){ .cr0 = CR0_PROT_PAGING | CR0_WP, .cr3 = 0x1000 | 0x5 /* PCID */,
				      .cr4 = CR4_PAE, .efer = EFER_LONG | EFER_NXE };
}

static void test_long_mode_4k_2m_1g(void **state)
{
	struct guest_paging pg = setup_long();
	assert_int_equal(walk(&pg, 0xFFFFFFFF80207FF8ull, GUEST_FETCH), GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x6FF8);
	assert_int_equal(walk(&pg, 0xFFFFFFFF80412345ull, GUEST_WRITE), GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x00412345);
	assert_int_equal(w.page_size, 2u << 20);
	assert_int_equal(walk(&pg, 0xFFFFFFFFC1234567ull, GUEST_READ), GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x41234567);
	assert_int_equal(w.page_size, 1u << 30);
}

static void test_long_mode_faults(void **state)
{
	struct guest_paging pg = setup_long();
	assert_int_equal(walk(&pg, 0x0000800000000000ull, GUEST_READ), GUEST_WALK_NOT_CANONICAL);
	assert_int_equal(walk(&pg, 0x1000, GUEST_READ), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, 0);
	/* PS in a PML4 entry is reserved */
	put64(0x1000, 0x2000 | PS | P);
	assert_int_equal(walk(&pg, 0x1000, GUEST_READ), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, PFEC_PRESENT | PFEC_RSVD);
	/* address bits above MAXPHYADDR are reserved */
	put64(0x4000 + 7 * 8, (1ull << 40) | 0x6000 | P | RW | US);
	pg.maxphyaddr = 40;
	assert_int_equal(walk(&pg, 0xFFFFFFFF80207000ull, GUEST_READ), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, PFEC_PRESENT | PFEC_RSVD);
	pg.maxphyaddr = 0; /* 52: the same entry is fine */
	assert_int_equal(walk(&pg, 0xFFFFFFFF80207000ull, GUEST_READ), GUEST_WALK_OK);
	assert_int_equal(w.gpa, (1ull << 40) | 0x6000);
	/* a table outside guest RAM */
	put64(0x3000 + 1 * 8, 0x40000000ull | P | RW | US);
	assert_int_equal(walk(&pg, 0xFFFFFFFF80207000ull, GUEST_READ), GUEST_WALK_NO_MEMORY);
	assert_int_equal(w.bad_gpa, 0x40000000ull + 7 * 8);
}

static void test_smep_blocks_supervisor_fetch_from_user_page(void **state)
{
	struct guest_paging pg = setup_long();
	assert_int_equal(walk(&pg, 0xFFFFFFFF80207000ull, GUEST_FETCH), GUEST_WALK_OK);
	pg.cr4 |= CR4_SMEP;
	assert_int_equal(walk(&pg, 0xFFFFFFFF80207000ull, GUEST_FETCH), GUEST_WALK_PAGE_FAULT);
	assert_int_equal(w.pfec, PFEC_PRESENT | PFEC_FETCH);
	assert_int_equal(walk(&pg, 0xFFFFFFFF80207000ull, GUEST_FETCH | GUEST_USER), GUEST_WALK_OK);
	assert_int_equal(walk(&pg, 0xFFFFFFFF80207000ull, GUEST_READ), GUEST_WALK_OK);
}

static void test_five_level(void **state)
{
	const u64 t = P | RW;
	put64(0x1000 + 1 * 8, 0x2000 | t);  /* PML5 index 1: bit 48 */
	put64(0x2000 + 0 * 8, 0x3000 | t);
	put64(0x3000 + 0 * 8, 0x4000 | t);
	put64(0x4000 + 0 * 8, 0x5000 | t);
	put64(0x5000 + 1 * 8, 0x7000 | t);
	struct guest_paging pg = { .cr0 = CR0_PROT_PAGING, .cr3 = 0x1000, .cr4 = CR4_PAE | CR4_LA57,
				   .efer = EFER_LONG };
	assert_int_equal(walk(&pg, (1ull << 48) | 0x1234, GUEST_READ), GUEST_WALK_OK);
	assert_int_equal(w.gpa, 0x7234);
	assert_int_equal(walk(&pg, 1ull << 57, GUEST_READ), GUEST_WALK_NOT_CANONICAL);
	pg.cr4 &= ~CR4_LA57; /* the same address is not canonical with 4 levels */
	assert_int_equal(walk(&pg, (1ull << 48) | 0x1234, GUEST_READ), GUEST_WALK_NOT_CANONICAL);
}

static void test_read_linear_across_pages(void **state)
{
	struct guest_paging pg = setup_long();
	const u64 t = P | RW | US;
	put64(0x4000 + 8 * 8, 0x8000 | t); /* ..80208000 -> 0x8000, not contiguous with 0x6000 */
	memcpy(ram + 0x6FFD, "\x48\x8b\x03", 3);
	memcpy(ram + 0x8000, "\x01\x02", 2);
	u8 buf[5];
	int fault;
	struct guest_walk gw;
	u32 n = guest_read_linear(&pg, 0xFFFFFFFF80207FFDull, GUEST_FETCH, buf, 5, read_ram, NULL,
				  &fault, &gw);
	assert_int_equal(n, 5);
	assert_int_equal(fault, GUEST_WALK_OK);
	assert_memory_equal(buf, "\x48\x8b\x03\x01\x02", 5);
	put64(0x4000 + 8 * 8, 0); /* second page gone: only the first part arrives */
	n = guest_read_linear(&pg, 0xFFFFFFFF80207FFDull, GUEST_FETCH, buf, 5, read_ram, NULL, &fault, &gw);
	assert_int_equal(n, 3);
	assert_int_equal(fault, GUEST_WALK_PAGE_FAULT);
	assert_int_equal(gw.pfec, PFEC_FETCH);
}

static bool write_ram(void *ctx, u64 gpa, const void *src, u64 len)
{
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return false;
	memcpy(ram + gpa, src, len);
	return true;
}

/* The writer's path: split at the page end, a read-only page is a write fault, the bytes before it arrive. */
static void test_write_linear_across_pages(void **state)
{
	struct guest_paging pg = setup_long();
	const u64 t = P | RW | US;
	put64(0x4000 + 8 * 8, 0x8000 | t);
	int fault;
	struct guest_walk gw;
	u32 n = guest_write_linear(&pg, 0xFFFFFFFF80207FFEull, 0, "WXYZ", 4, read_ram, write_ram, NULL,
				   &fault, &gw);
	assert_int_equal(n, 4);
	assert_int_equal(fault, GUEST_WALK_OK);
	assert_memory_equal(ram + 0x6FFE, "WX", 2);
	assert_memory_equal(ram + 0x8000, "YZ", 2);
	put64(0x4000 + 8 * 8, 0x8000 | P | US); /* second page read-only (CR0.WP is set) */
	n = guest_write_linear(&pg, 0xFFFFFFFF80207FFEull, 0, "abcd", 4, read_ram, write_ram, NULL, &fault, &gw);
	assert_int_equal(n, 2);
	assert_int_equal(fault, GUEST_WALK_PAGE_FAULT);
	assert_int_equal(gw.pfec, PFEC_PRESENT | PFEC_WRITE);
	assert_memory_equal(ram + 0x6FFE, "ab", 2);
	assert_memory_equal(ram + 0x8000, "YZ", 2);
}

#define T(f) cmocka_unit_test_setup(f, clear_ram)
int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_paging_off_is_identity), T(test_32bit_4k_page), T(test_32bit_large_pages_need_pse),
		T(test_32bit_write_protect_and_user), T(test_pae_4k_and_2m), T(test_pae_nx_and_reserved_pdpte),
		T(test_long_mode_4k_2m_1g), T(test_long_mode_faults),
		T(test_smep_blocks_supervisor_fetch_from_user_page), T(test_five_level),
		T(test_read_linear_across_pages), T(test_write_linear_across_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
