/* ACPI table walking and MADT parsing (layouts: ACPI 6.x, sections 5.2.5-5.2.12). */
#include "hv/cpu/acpi.h"
#include "kstring.h"
#include "hv/console/printf.h"

#define RSDP_V1_LEN 20      /* bytes covered by the first checksum */
#define RSDP_V2_LEN 36
#define SDT_HEADER_LEN 36
#define MADT_ENTRIES_OFFSET 44
#define MADT_MAX_LEN (1u << 20) /* far more than any real machine needs: rejects garbage lengths */

enum madt_entry_type {
	MADT_LOCAL_APIC = 0,
	MADT_LAPIC_ADDRESS_OVERRIDE = 5,
	MADT_LOCAL_X2APIC = 9,
};

#define MADT_CPU_ENABLED (1u << 0)
#define MADT_CPU_ONLINE_CAPABLE (1u << 1)
#define XAPIC_ID_NONE 0xFF /* an xAPIC entry with this id stands for an x2APIC-only CPU */

/* ACPI fields are packed and unaligned: read them byte-wise. */
static u32 get32(const u8 *p)
{
	u32 v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static u64 get64(const u8 *p)
{
	u64 v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static int fail(char *err, size_t errlen, const char *what, const char *why)
{
	ksnprintf(err, errlen, "%s: %s", what, why);
	return -1;
}

bool acpi_checksum_ok(const void *p, size_t len)
{
	u8 sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (u8)(sum + ((const u8 *)p)[i]);
	return sum == 0;
}

/* Checks a table header: signature, a length that holds at least min bytes, checksum. */
static int check_sdt(const u8 *t, const char *sig, u32 min, char *err, size_t errlen)
{
	char what[32];
	ksnprintf(what, sizeof(what), "ACPI table %.4s", sig);
	if (memcmp(t, sig, 4) != 0)
		return fail(err, errlen, what, "wrong signature");
	u32 len = get32(t + 4);
	if (len < min || len > MADT_MAX_LEN)
		return fail(err, errlen, what, "implausible length");
	if (!acpi_checksum_ok(t, len))
		return fail(err, errlen, what, "bad checksum");
	return 0;
}

static void add_cpu(struct madt_info *out, u32 apic_id, u32 uid, u32 flags, bool x2apic)
{
	if (!(flags & MADT_CPU_ENABLED)) {
		out->disabled++; /* online-capable ones too: we do not hot-add CPUs */
		return;
	}
	for (u32 i = 0; i < out->ncpus; i++)
		if (out->cpus[i].apic_id == apic_id)
			return; /* some firmware lists a CPU in both entry types */
	if (out->ncpus == ACPI_MAX_CPUS) {
		out->beyond_max++;
		return;
	}
	out->cpus[out->ncpus++] = (struct madt_cpu){
		.apic_id = apic_id, .acpi_uid = uid, .enabled = true,
		.online_capable = (flags & MADT_CPU_ONLINE_CAPABLE) != 0, .x2apic = x2apic,
	};
}

int acpi_parse_madt(const void *madt, size_t len, struct madt_info *out, char *err, size_t errlen)
{
	const u8 *t = madt;
	memset(out, 0, sizeof(*out));
	if (len < MADT_ENTRIES_OFFSET)
		return fail(err, errlen, "ACPI table APIC", "shorter than its fixed fields");
	if (check_sdt(t, "APIC", MADT_ENTRIES_OFFSET, err, errlen))
		return -1;
	u32 table_len = get32(t + 4);
	if (table_len > len)
		return fail(err, errlen, "ACPI table APIC", "length runs past the mapped table");
	out->lapic_base = get32(t + 36);
	for (u32 off = MADT_ENTRIES_OFFSET; off < table_len;) {
		const u8 *e = t + off;
		if (off + 2 > table_len || e[1] < 2 || off + e[1] > table_len)
			return fail(err, errlen, "ACPI table APIC", "entry length runs past the table");
		switch (e[0]) {
		case MADT_LOCAL_APIC:
			if (e[1] < 8)
				return fail(err, errlen, "ACPI table APIC", "local APIC entry shorter than 8 bytes");
			if (e[3] != XAPIC_ID_NONE)
				add_cpu(out, e[3], e[2], get32(e + 4), false);
			break;
		case MADT_LOCAL_X2APIC:
			if (e[1] < 16)
				return fail(err, errlen, "ACPI table APIC", "local x2APIC entry shorter than 16 bytes");
			add_cpu(out, get32(e + 4), get32(e + 12), get32(e + 8), true);
			break;
		case MADT_LAPIC_ADDRESS_OVERRIDE:
			if (e[1] < 12)
				return fail(err, errlen, "ACPI table APIC", "APIC address override shorter than 12 bytes");
			out->lapic_base = get64(e + 4);
			break;
		}
		off += e[1];
	}
	if (out->ncpus == 0)
		return fail(err, errlen, "ACPI table APIC", "lists no enabled CPU");
	return 0;
}

/* Looks through the RSDT (4-byte entries) or XSDT (8-byte entries) for sig. */
static int search_sdt(u64 sdt_pa, bool xsdt, const char *sig, u64 virt_offset, u64 *table_pa,
		      u32 *table_len, char *err, size_t errlen)
{
	const u8 *sdt = (const u8 *)(uintptr_t)(sdt_pa + virt_offset);
	if (check_sdt(sdt, xsdt ? "XSDT" : "RSDT", SDT_HEADER_LEN, err, errlen))
		return -1;
	u32 entry_size = xsdt ? 8 : 4;
	u32 n = (get32(sdt + 4) - SDT_HEADER_LEN) / entry_size;
	for (u32 i = 0; i < n; i++) {
		const u8 *slot = sdt + SDT_HEADER_LEN + i * entry_size;
		u64 pa = xsdt ? get64(slot) : get32(slot);
		if (!pa)
			continue;
		const u8 *t = (const u8 *)(uintptr_t)(pa + virt_offset);
		if (memcmp(t, sig, 4) != 0)
			continue;
		if (check_sdt(t, sig, SDT_HEADER_LEN, err, errlen))
			return -1;
		*table_pa = pa;
		*table_len = get32(t + 4);
		return 0;
	}
	char what[32];
	ksnprintf(what, sizeof(what), "ACPI table %.4s", sig);
	return fail(err, errlen, what, xsdt ? "not listed in the XSDT" : "not listed in the RSDT");
}

int acpi_find_table(u64 rsdp_pa, const char *sig, u64 virt_offset, u64 *table_pa, u32 *table_len,
		    char *err, size_t errlen)
{
	if (!rsdp_pa)
		return fail(err, errlen, "ACPI", "the boot loader found no RSDP");
	const u8 *rsdp = (const u8 *)(uintptr_t)(rsdp_pa + virt_offset);
	if (memcmp(rsdp, "RSD PTR ", 8) != 0)
		return fail(err, errlen, "ACPI RSDP", "wrong signature");
	if (!acpi_checksum_ok(rsdp, RSDP_V1_LEN))
		return fail(err, errlen, "ACPI RSDP", "bad checksum (first 20 bytes)");
	u8 revision = rsdp[15];
	if (revision >= 2) {
		u32 len = get32(rsdp + 20);
		if (len < RSDP_V2_LEN || !acpi_checksum_ok(rsdp, RSDP_V2_LEN))
			return fail(err, errlen, "ACPI RSDP", "bad extended checksum or length");
		u64 xsdt = get64(rsdp + 24);
		if (xsdt)
			return search_sdt(xsdt, true, sig, virt_offset, table_pa, table_len, err, errlen);
	}
	u32 rsdt = get32(rsdp + 16);
	if (!rsdt)
		return fail(err, errlen, "ACPI RSDP", "names neither an XSDT nor an RSDT");
	return search_sdt(rsdt, false, sig, virt_offset, table_pa, table_len, err, errlen);
}
