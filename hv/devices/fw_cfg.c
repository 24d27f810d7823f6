/* fw_cfg for guests (hv/devices/fw_cfg.h). */
#include "hv/devices/fw_cfg.h"
#include "hv/vm/vm.h"

/* The selected item's value as up to 8 little-endian bytes; *len = 0 for unknown keys. */
static u64 item(const struct vm *vm, u16 key, u32 *len)
{
	switch (key) {
	case FW_CFG_SIGNATURE: *len = 4; return 0x554d4551; /* "QEMU" */
	case FW_CFG_ID: *len = 4; return 1;
	case FW_CFG_RAM_SIZE: *len = 8; return vm->ram_bytes;
	case FW_CFG_NB_CPUS:
	case FW_CFG_MAX_CPUS: *len = 2; return vm->nvcpus;
	default: *len = 0; return 0;
	}
}

u32 fw_cfg_read(struct vm *vm, u16 port, u8 size)
{
	struct fw_cfg *f = &vm->fw_cfg;
	u32 len;
	u64 value = item(vm, f->key, &len);

	if (port != FW_CFG_PORT_DATA || size != 1)
		return 0xffffffffu;
	if (f->offset >= len)
		return 0;
	return (u8)(value >> (8 * f->offset++));
}

void fw_cfg_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	if (port == FW_CFG_PORT_SEL && size == 2) {
		vm->fw_cfg.key = (u16)value;
		vm->fw_cfg.offset = 0;
	}
}
