/*
 * ACPI, only as far as SMP bring-up needs it: find the MADT from the RSDP
 * (through the XSDT, or the RSDT on ACPI 1.0) and list the CPUs it names.
 * Portable: tables are read through `virt_offset` (virtual = physical +
 * offset), 0 in the identity-mapped hypervisor, a host buffer in unit tests.
 * Every check that fails (signature, length, checksum) says which table and why.
 */
#ifndef HV_ACPI_H
#define HV_ACPI_H

#include "types.h"

#define ACPI_MAX_CPUS 64 /* = GDT_MAX_CPUS: one GDT/TSS per CPU */

struct madt_cpu {
	u32 apic_id;        /* xAPIC id (0-254) or x2APIC id */
	u32 acpi_uid;       /* ACPI processor id / UID */
	bool enabled;       /* usable now */
	bool online_capable;/* disabled, but could be brought online (hot-add) */
	bool x2apic;        /* came from an x2APIC entry (type 9) */
};

struct madt_info {
	u64 lapic_base;     /* physical base of the xAPIC registers */
	u32 ncpus;          /* enabled CPUs in cpus[] */
	struct madt_cpu cpus[ACPI_MAX_CPUS];
	u32 disabled;       /* entries neither enabled nor started: not listed */
	u32 beyond_max;     /* enabled CPUs left out because cpus[] was full */
};

/* True when the len bytes at p sum to 0 (mod 256), as every ACPI table must. */
bool acpi_checksum_ok(const void *p, size_t len);

/*
 * Parses one MADT ("APIC" table) of len bytes at madt: signature, length and
 * checksum first, then every entry (types 0 xAPIC, 9 x2APIC, 5 address
 * override; others skipped). Returns 0, or -1 with a message in err.
 */
int acpi_parse_madt(const void *madt, size_t len, struct madt_info *out, char *err, size_t errlen);

/*
 * Finds the table with signature sig (4 characters) from the RSDP at
 * rsdp_pa. On success stores its physical address and length and returns 0;
 * returns -1 with a message in err when the RSDP, the RSDT/XSDT or the table
 * itself is bad, or no such table exists.
 */
int acpi_find_table(u64 rsdp_pa, const char *sig, u64 virt_offset, u64 *table_pa, u32 *table_len,
		    char *err, size_t errlen);

#endif
