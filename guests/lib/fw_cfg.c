#include "fw_cfg.h"
#include "cpu.h"

#define FW_CFG_PORT_SELECT 0x510
#define FW_CFG_PORT_DATA 0x511

void fw_cfg_read(u16 key, void *buf, size_t len)
{
	u8 *p = buf;
	outw(FW_CFG_PORT_SELECT, key);
	for (size_t i = 0; i < len; i++)
		p[i] = inb(FW_CFG_PORT_DATA);
}

u64 fw_cfg_read_int(u16 key, size_t size)
{
	u8 b[8] = { 0 };
	u64 v = 0;
	fw_cfg_read(key, b, size);
	for (size_t i = size; i--;)
		v = (v << 8) | b[i];
	return v;
}
