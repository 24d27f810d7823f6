/* Port I/O dispatch (hv/devices/io.h): the port map, and the small devices that need no file. */
#include "hv/devices/io.h"
#include "hv/vm/vm.h"
#include "hv/devices/pc_testdev.h"
#include "hv/devices/acpi_pm.h"
#include "hv/devices/pit.h"
#include "hv/devices/rtc.h"

#define PORT_DEBUG_EXIT 0xf4
#define PORT_PCI_ADDR 0xcf8
#define PORT_PCI_DATA 0xcfc

static u32 all_ones(u8 size)
{
	return 0xffffffffu >> (32 - 8 * size);
}

/* isa-debug-exit: the value written ends the VM (QEMU would exit with (value << 1) | 1). */
static void debug_exit_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	vm_stop(vm, VM_EXITED, value);
}

/*
 * PCI configuration mechanism #1 with no devices: the address latch works,
 * data reads all-ones. A byte at 0xCF9 is the reset control register
 * instead (hv/devices/acpi_pm.h), as on the PC's chipsets.
 */
static u32 pci_addr_read(struct vm *vm, u16 port, u8 size)
{
	if (port == ACPI_RESET_PORT && size == 1)
		return acpi_reset_read(vm, port, size);
	return size == 4 ? vm->pci_addr : all_ones(size);
}

static void pci_addr_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	if (port == ACPI_RESET_PORT && size == 1)
		acpi_reset_write(vm, port, size, value);
	else if (size == 4)
		vm->pci_addr = value;
}

static const struct port_device devices[] = {
	{ UART_COM1, UART_COM1 + 7, "uart", uart_read, uart_write, NULL },
	{ PORT_DEBUG_EXIT, PORT_DEBUG_EXIT, "debug-exit", NULL, debug_exit_write, NULL },
	{ FW_CFG_PORT_SEL, FW_CFG_PORT_DATA, "fw_cfg", fw_cfg_read, fw_cfg_write, NULL },
	{ VPIC_MASTER_CMD, VPIC_MASTER_DATA, "pic-master", isa_pic_read, isa_pic_write, NULL },
	{ VPIC_SLAVE_CMD, VPIC_SLAVE_DATA, "pic-slave", isa_pic_read, isa_pic_write, NULL },
	{ VPIC_ELCR_MASTER, VPIC_ELCR_SLAVE, "elcr", isa_pic_read, isa_pic_write, NULL },
	{ PORT_PCI_ADDR, PORT_PCI_ADDR + 3, "pci-addr", pci_addr_read, pci_addr_write, NULL },
	{ PORT_PCI_DATA, PORT_PCI_DATA + 3, "pci-data", NULL, NULL, NULL },
	{ PIT_PORT_FIRST, PIT_PORT_COMMAND, "pit", pit_read, pit_write, NULL },
	{ PIT_PORT_B, PIT_PORT_B, "port-b", pit_port_b_read, pit_port_b_write, NULL },
	{ RTC_PORT_INDEX, RTC_PORT_DATA, "rtc", rtc_read, rtc_write, NULL },
	{ ACPI_PM1A_EVT, ACPI_PM_TMR + 3, "acpi-pm", acpi_pm_read, acpi_pm_write, NULL },
	{ PC_TESTDEV_LATCH, PC_TESTDEV_LATCH_BYTES + 3, "pc-testdev", pc_testdev_port_read,
	  pc_testdev_port_write, pc_testdev_present },
	{ PC_TESTDEV_IRQ, PC_TESTDEV_IRQ + ISA_IRQ_LINES - 1, "pc-testdev-irq", NULL, pc_testdev_irq_write,
	  pc_testdev_present },
};

static const struct port_device *find_device(const struct vm *vm, u16 port)
{
	for (u32 i = 0; i < ARRAY_SIZE(devices); i++) {
		const struct port_device *d = &devices[i];
		if (port >= d->first && port <= d->last && (!d->present || d->present(vm)))
			return d;
	}
	return NULL;
}

u32 io_read(struct vm *vm, u16 port, u8 size)
{
	const struct port_device *dev = find_device(vm, port);

	if (!dev)
		vm->stats.unknown_port_reads++;
	if (!dev || !dev->read)
		return all_ones(size);
	return dev->read(vm, port, size) & all_ones(size);
}

void io_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	const struct port_device *dev = find_device(vm, port);

	if (!dev)
		vm->stats.unknown_port_writes++;
	else if (dev->write)
		dev->write(vm, port, size, value & all_ones(size));
}

bool io_exit(struct vcpu *vcpu, const struct vm_exit *exit)
{
	struct vm *vm = vcpu->vm;

	vm->stats.exits_io++;
	if (!exit->io.in) {
		io_write(vm, exit->io.port, exit->io.size, exit->io.data);
		return true;
	}
	/* IN writes AL/AX/EAX; a 32-bit IN zero-extends into RAX like any 32-bit write. */
	u64 *rax = &vcpu->regs.gpr[GPR_RAX];
	u32 value = io_read(vm, exit->io.port, exit->io.size);
	if (exit->io.size == 4)
		*rax = value;
	else
		*rax = (*rax & ~(u64)all_ones(exit->io.size)) | value;
	return true;
}
