/* QEMU's firmware configuration interface: select a key at 0x510, read bytes at 0x511. */
#ifndef GUEST_FW_CFG_H
#define GUEST_FW_CFG_H

#include "types.h"

#define FW_CFG_SIGNATURE 0x0000 /* "QEMU" */
#define FW_CFG_ID 0x0001
#define FW_CFG_RAM_SIZE 0x0003  /* u64 bytes */
#define FW_CFG_NB_CPUS 0x0005   /* u16 */
#define FW_CFG_MAX_CPUS 0x000F  /* u16 */

void fw_cfg_read(u16 key, void *buf, size_t len);
/* Reads a little-endian integer of size bytes (1..8). */
u64 fw_cfg_read_int(u16 key, size_t size);

#endif
