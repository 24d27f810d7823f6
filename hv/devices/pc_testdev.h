/*
 * QEMU's ISA test device (`-device pc-testdev`), which test kernels written
 * for QEMU use to test I/O and MMIO emulation. On unless the VM's config
 * says testdev=off; then none of its ports or memory exist.
 *   0xE0-0xE3   a 32-bit latch: an access of any size at any offset reads
 *               or writes those bytes of it
 *   0xE4-0xE7   page flush: a 32-bit write of an address; nothing to do
 *               here (the guest's translations are its own), accepted
 *   0xE8-0xEB   the same latch, reached byte by byte
 *   0x2000-0x2017  byte writes drive ISA interrupt line (port - 0x2000):
 *               nonzero raises it, zero lowers it (hv/devices/isa_irq.h)
 *   0xFF000000  64 KiB of scratch memory, every access emulated
 */
#ifndef HV_PC_TESTDEV_H
#define HV_PC_TESTDEV_H

#include "types.h"

struct vm;
struct vcpu;

#define PC_TESTDEV_LATCH 0xe0
#define PC_TESTDEV_FLUSH 0xe4
#define PC_TESTDEV_LATCH_BYTES 0xe8
#define PC_TESTDEV_IRQ 0x2000
#define PC_TESTDEV_IOMEM 0xff000000ull
#define PC_TESTDEV_IOMEM_SIZE 0x10000u

struct pc_testdev {
	bool enabled;
	u32 latch;
	u8 iomem[PC_TESTDEV_IOMEM_SIZE];
};

bool pc_testdev_present(const struct vm *vm);
u32 pc_testdev_port_read(struct vm *vm, u16 port, u8 size);
void pc_testdev_port_write(struct vm *vm, u16 port, u8 size, u32 value);
void pc_testdev_irq_write(struct vm *vm, u16 port, u8 size, u32 value);
u64 pc_testdev_iomem_read(struct vcpu *vcpu, u64 offset, u8 size);
void pc_testdev_iomem_write(struct vcpu *vcpu, u64 offset, u8 size, u64 value);

#endif
