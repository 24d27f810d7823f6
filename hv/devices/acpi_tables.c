/* The VM's ACPI tables (hv/devices/acpi_tables.h), laid out one after the other. */
#include "hv/devices/acpi_tables.h"
#include "hv/devices/acpi_pm.h"
#include "kstring.h"

#define HEADER_SIZE 36
#define OEM_ID "HVMINI"
#define OEM_TABLE_ID "HVMINIVM"
#define FADT_SIZE 244 /* revision 3 (ACPI 2.0 and later) */
#define FACS_SIZE 64
#define GAS_SYSTEM_IO 1

/* A builder: tables appended at `at`, addresses as the guest sees them. */
struct acpi_buf {
	u8 *buf;
	u32 at;
};

static void put(u8 *p, u64 v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u32 gpa_of(const struct acpi_buf *b, u32 offset)
{
	return (u32)ACPI_TABLES_BASE + offset;
}

/* Reserves `len` bytes aligned to `align`; returns their offset. */
static u32 reserve(struct acpi_buf *b, u32 len, u32 align)
{
	u32 off = ALIGN_UP(b->at, align);
	b->at = off + len;
	return off;
}

static u8 checksum(const u8 *p, u32 len)
{
	u8 sum = 0;
	for (u32 i = 0; i < len; i++)
		sum += p[i];
	return (u8)-sum;
}

/* The common header; the checksum is set by finish(). */
static void header(u8 *t, const char *sig, u32 len, u8 revision)
{
	memcpy(t, sig, 4);
	put(t + 4, len, 4);
	t[8] = revision;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	put(t + 24, 1, 4);         /* OEM revision */
	memcpy(t + 28, "HVMI", 4); /* creator */
	put(t + 32, 1, 4);
}

static void finish(u8 *t, u32 len)
{
	t[9] = 0;
	t[9] = checksum(t, len);
}

/* A Generic Address Structure for an I/O port block. */
static void gas_io(u8 *g, u16 port, u8 bits, u8 access)
{
	g[0] = GAS_SYSTEM_IO;
	g[1] = bits;
	g[2] = 0;
	g[3] = access; /* 1 byte, 2 word, 3 dword */
	put(g + 4, port, 8);
}

/* AML: Name (\_S5, Package (4) { S5, S5, 0, 0 }). */
static const u8 dsdt_aml[] = {
	0x08, '\\', '_', 'S', '5', '_',      /* NameOp, root-relative name */
	0x12, 0x08, 0x04,                    /* PackageOp, PkgLength 8, 4 elements */
	0x0a, ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP, 0x00, 0x00, /* BytePrefix n (x2), Zero (x2) */
};

static u32 build_dsdt(struct acpi_buf *b)
{
	u32 len = HEADER_SIZE + sizeof(dsdt_aml), off = reserve(b, len, 16);
	u8 *t = b->buf + off;
	header(t, "DSDT", len, 2);
	memcpy(t + HEADER_SIZE, dsdt_aml, sizeof(dsdt_aml));
	finish(t, len);
	return off;
}

static u32 build_facs(struct acpi_buf *b)
{
	u32 off = reserve(b, FACS_SIZE, 64); /* the FACS must be 64-byte aligned */
	u8 *t = b->buf + off;
	memcpy(t, "FACS", 4);
	put(t + 4, FACS_SIZE, 4);
	t[32] = 1; /* version; no checksum in a FACS */
	return off;
}

static u32 build_fadt(struct acpi_buf *b, u32 facs, u32 dsdt)
{
	u32 off = reserve(b, FADT_SIZE, 16);
	u8 *t = b->buf + off;
	header(t, "FACP", FADT_SIZE, 3);
	put(t + 36, gpa_of(b, facs), 4);
	put(t + 40, gpa_of(b, dsdt), 4);
	put(t + 46, ACPI_SCI_IRQ, 2);
	put(t + 56, ACPI_PM1A_EVT, 4);
	put(t + 64, ACPI_PM1A_CNT, 4);
	put(t + 76, ACPI_PM_TMR, 4);
	t[88] = 4;                /* PM1_EVT_LEN */
	t[89] = 2;                /* PM1_CNT_LEN */
	t[91] = 4;                /* PM_TMR_LEN */
	put(t + 96, 101, 2);      /* P_LVL2_LAT > 100: no C2 */
	put(t + 98, 1001, 2);     /* P_LVL3_LAT > 1000: no C3 */
	t[108] = 0x32;            /* CENTURY: the CMOS byte QEMU uses */
	put(t + 109, 1, 2);       /* IAPC_BOOT_ARCH: legacy devices; no 8042 */
	/* WBINVD, PROC_C1, no fixed power/sleep buttons, RESET_REG_SUP (24-bit PM timer) */
	put(t + 112, (1u << 0) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 10), 4);
	gas_io(t + 116, ACPI_RESET_PORT, 8, 1);
	t[128] = ACPI_RESET_VALUE;
	put(t + 132, gpa_of(b, facs), 8);
	put(t + 140, gpa_of(b, dsdt), 8);
	gas_io(t + 148, ACPI_PM1A_EVT, 32, 2);
	gas_io(t + 172, ACPI_PM1A_CNT, 16, 2);
	gas_io(t + 208, ACPI_PM_TMR, 32, 3);
	finish(t, FADT_SIZE);
	return off;
}

static u32 build_madt(struct acpi_buf *b, u32 nvcpus)
{
	u32 len = HEADER_SIZE + 8 + 8 * nvcpus + 12 + 2 * 10 + 6, off = reserve(b, len, 16);
	u8 *t = b->buf + off, *e = t + HEADER_SIZE + 8;
	header(t, "APIC", len, 3);
	put(t + 36, ACPI_LAPIC_BASE, 4);
	put(t + 40, 1, 4); /* PCAT_COMPAT: 8259 PICs present */
	for (u32 i = 0; i < nvcpus; i++, e += 8) {
		e[0] = 0, e[1] = 8, e[2] = (u8)i, e[3] = (u8)i; /* processor UID and APIC ID: the vCPU index */
		put(e + 4, 1, 4);                               /* enabled */
	}
	e[0] = 1, e[1] = 12, e[2] = 0, e[3] = 0; /* IOAPIC, ID 0 */
	put(e + 4, ACPI_IOAPIC_BASE, 4);
	put(e + 8, 0, 4);                        /* GSI base */
	e += 12;
	e[0] = 2, e[1] = 10, e[2] = 0, e[3] = 0; /* ISA IRQ 0 -> GSI 2, bus defaults */
	put(e + 4, 2, 4);
	put(e + 8, 0, 2);
	e += 10;
	e[0] = 2, e[1] = 10, e[2] = 0, e[3] = ACPI_SCI_IRQ; /* the SCI: active high, level */
	put(e + 4, ACPI_SCI_IRQ, 4);
	put(e + 8, 0x000d, 2);
	e += 10;
	e[0] = 4, e[1] = 6, e[2] = 0xff;         /* local APIC NMI on every processor: LINT1 */
	put(e + 3, 0, 2);
	e[5] = 1;
	finish(t, len);
	return off;
}

/* RSDT (32-bit entries) or XSDT (64-bit) listing the tables at offsets[]. */
static u32 build_sdt(struct acpi_buf *b, bool xsdt, const u32 *offsets, u32 n)
{
	u32 width = xsdt ? 8 : 4, len = HEADER_SIZE + width * n, off = reserve(b, len, 16);
	u8 *t = b->buf + off;
	header(t, xsdt ? "XSDT" : "RSDT", len, 1);
	for (u32 i = 0; i < n; i++)
		put(t + HEADER_SIZE + width * i, gpa_of(b, offsets[i]), (int)width);
	finish(t, len);
	return off;
}

u32 acpi_tables_build(u32 nvcpus, u8 *buf)
{
	struct acpi_buf b = { .buf = buf, .at = 36 }; /* the RSDP (ACPI 2.0, 36 bytes) comes first */
	memset(buf, 0, ACPI_TABLES_SIZE);
	u32 dsdt = build_dsdt(&b), facs = build_facs(&b);
	u32 tables[] = { build_fadt(&b, facs, dsdt), build_madt(&b, nvcpus) };
	u32 rsdt = build_sdt(&b, false, tables, ARRAY_SIZE(tables));
	u32 xsdt = build_sdt(&b, true, tables, ARRAY_SIZE(tables));

	memcpy(buf, "RSD PTR ", 8);
	memcpy(buf + 9, OEM_ID, 6);
	buf[15] = 2; /* revision: ACPI 2.0+, with the XSDT */
	put(buf + 16, gpa_of(&b, rsdt), 4);
	put(buf + 20, 36, 4);
	put(buf + 24, gpa_of(&b, xsdt), 8);
	buf[8] = checksum(buf, 20);
	buf[32] = checksum(buf, 36);
	return b.at;
}
