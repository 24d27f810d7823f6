/*
 * The 8254 programmable interval timer (ports 0x40-0x43) and port 0x61
 * (channel 2's gate and output, the speaker bit, the refresh toggle), as
 * kernels use them to calibrate their TSC. Counters run at 1.193182 MHz of
 * the host's clock. Modes 0, 2 and 3 in binary; the counter latch and
 * read-back commands. A mode or BCD counting not provided stops the VM
 * naming it. Channel 0's output is ISA IRQ 0 (hv/devices/isa_irq.h): in
 * mode 0 its level, in modes 2 and 3 one edge per period, raised when a vCPU
 * of the VM polls (pit_poll) and at the deadline pit_next_ns() names.
 */
#ifndef HV_PIT_H
#define HV_PIT_H

#include "types.h"

struct vm;

#define PIT_HZ 1193182ull
#define PIT_PORT_FIRST 0x40
#define PIT_PORT_COMMAND 0x43
#define PIT_PORT_B 0x61

struct pit_channel {
	u8 mode;            /* 0, 2 or 3 */
	u8 rw;              /* 1 LSB, 2 MSB, 3 LSB then MSB */
	u32 reload;         /* 1 .. 65536 */
	u64 start_ns;       /* when counting began (the load, or the gate's rising edge) */
	u64 frozen_ticks;   /* mode 0 with the gate low: ticks counted so far */
	bool gate;
	bool counting;      /* a count was loaded */
	bool null_count;    /* written but not yet loaded (read-back status bit 6) */
	bool write_high;    /* rw 3: the next write is the MSB */
	bool read_high;     /* rw 3: the next read is the MSB */
	u8 write_low;
	bool count_latched, status_latched;
	u16 latched_count;
	u8 latched_status;
	bool latch_read_high;
};

struct pit {
	struct pit_channel ch[3];
	u8 port_b;          /* bits 0 (gate 2) and 1 (speaker) as written */
	u64 irq0_periods;   /* channel 0's periods already raised on IRQ 0 (mode 0: 1 once at terminal count) */
};

void pit_reset(struct vm *vm);
u32 pit_read(struct vm *vm, u16 port, u8 size);
void pit_write(struct vm *vm, u16 port, u8 size, u32 value);
u32 pit_port_b_read(struct vm *vm, u16 port, u8 size);
void pit_port_b_write(struct vm *vm, u16 port, u8 size, u32 value);

/* For tests: a channel's count and output at `now_ns`. */
/* Brings IRQ 0 up to now: periods that passed since the last poll are one edge (coalesced, as missed APIC ticks are). */
void pit_poll(struct vm *vm, u64 now_ns);
/* When IRQ 0 next changes (ns, time_now_ns clock); 0 when it never will. */
u64 pit_next_ns(const struct vm *vm);
u16 pit_count_at(const struct pit_channel *c, u64 now_ns);
bool pit_output_at(const struct pit_channel *c, u64 now_ns);

#endif
