/*
 * QEMU's firmware configuration interface, the few keys test kernels read:
 * write a 16-bit key to the selector port, then read its value byte by
 * byte (little-endian) from the data port. Unknown keys read zeros.
 */
#ifndef HV_FW_CFG_H
#define HV_FW_CFG_H

#include "types.h"

struct vm;

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511

#define FW_CFG_SIGNATURE 0x0000 /* "QEMU" */
#define FW_CFG_ID 0x0001        /* interface version 1 (no DMA) */
#define FW_CFG_RAM_SIZE 0x0003  /* u64 bytes */
#define FW_CFG_NB_CPUS 0x0005   /* u16 */
#define FW_CFG_MAX_CPUS 0x000f  /* u16 */

struct fw_cfg {
	u16 key;
	u32 offset; /* next byte of the selected item */
};

u32 fw_cfg_read(struct vm *vm, u16 port, u8 size);
void fw_cfg_write(struct vm *vm, u16 port, u8 size, u32 value);

#endif
