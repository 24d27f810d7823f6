/* ACPI PM1a blocks, the PM timer and the reset port (hv/devices/acpi_pm.h). */
#include "hv/devices/acpi_pm.h"
#include "hv/devices/acpi_tables.h"
#include "hv/vm/vm.h"
#include "hv/cpu/time.h"

#define PM1_CNT_SCI_EN (1u << 0)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_EN (1u << 13)
#define PM1_CNT_WRITABLE 0x1c06u /* BM_RLD, SLP_TYP: GBL_RLS and SLP_EN are write-only */
#define RESET_RST_CPU (1u << 2)
#define RESET_KEPT 0x0au         /* SYS_RST, FULL_RST */

void acpi_pm_reset(struct vm *vm)
{
	vm->acpi_pm = (struct acpi_pm){ .pm1_cnt = PM1_CNT_SCI_EN };
}

/* The 16-bit register [base, base + 2) a byte or word access at `port` reaches. */
/* The PM1 register a port belongs to; NULL for 0x606-0x607, a gap in the block (all-ones, writes ignored). */
static u16 *pm1_reg(struct vm *vm, u16 port)
{
	switch ((port - ACPI_PM1A_EVT) & ~1) {
	case 0: return &vm->acpi_pm.pm1_sts;
	case 2: return &vm->acpi_pm.pm1_en;
	case 4: return &vm->acpi_pm.pm1_cnt;
	default: return NULL;
	}
}

u32 acpi_pm_read(struct vm *vm, u16 port, u8 size)
{
	if (port >= ACPI_PM_TMR)
		return acpi_pm_timer_at(time_now_ns()) >> (8 * (port - ACPI_PM_TMR));
	u32 v = 0;
	for (u8 i = 0; i < size && port + i < ACPI_PM_TMR; i++) {
		u16 *r = pm1_reg(vm, (u16)(port + i));
		u32 byte = r ? (*r >> (8 * ((port + i) & 1))) & 0xff : 0xff;
		v |= byte << (8 * i);
	}
	return v;
}

/* SLP_EN: \_S5 powers the VM off; other sleep states are not provided. */
static void sleep(struct vm *vm, u16 cnt)
{
	u32 typ = (cnt >> PM1_CNT_SLP_TYP_SHIFT) & 7;
	if (typ == ACPI_S5_SLP_TYP)
		vm_stop(vm, VM_EXITED, 0);
	else
		vm_fail_device(vm, "the guest entered sleep state SLP_TYP %u: only S5 (%u) is provided", typ,
			       ACPI_S5_SLP_TYP);
}

/* One byte of a PM1 register: status bits clear where it has ones, the others take it. */
static void pm1_write_byte(struct vm *vm, u16 port, u8 byte)
{
	struct acpi_pm *pm = &vm->acpi_pm;
	u16 *r = pm1_reg(vm, port), shift = 8 * (port & 1);
	if (!r)
		return;
	u16 v = (u16)((*r & ~(0xff << shift)) | (byte << shift));

	if (r == &pm->pm1_sts) {
		pm->pm1_sts &= (u16)~(byte << shift);
	} else if (r == &pm->pm1_en) {
		pm->pm1_en = v;
	} else {
		pm->pm1_cnt = PM1_CNT_SCI_EN | (v & PM1_CNT_WRITABLE);
		if (v & PM1_CNT_SLP_EN)
			sleep(vm, v);
	}
}

void acpi_pm_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	for (u8 i = 0; i < size && port + i < ACPI_PM_TMR; i++) /* the timer is read-only */
		pm1_write_byte(vm, (u16)(port + i), (u8)(value >> (8 * i)));
}

u32 acpi_reset_read(struct vm *vm, u16 port, u8 size)
{
	return vm->acpi_pm.reset_control;
}

void acpi_reset_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	vm->acpi_pm.reset_control = value & RESET_KEPT;
	if (value & RESET_RST_CPU)
		vm_stop(vm, VM_RESET, 0);
}
