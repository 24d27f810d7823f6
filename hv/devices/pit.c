/* The 8254 PIT and port 0x61 (hv/devices/pit.h). Counts are derived from the clock, never ticked. */
#include "hv/devices/pit.h"
#include "hv/devices/isa_irq.h"
#include "hv/vm/vm.h"
#include "hv/cpu/time.h"

#define CMD_CHANNEL(v) ((v) >> 6)
#define CMD_RW(v) (((v) >> 4) & 3)
#define CMD_MODE(v) (((v) >> 1) & 7)
#define READ_BACK 3
#define PORT_B_GATE2 (1u << 0)
#define PORT_B_SPEAKER (1u << 1)
#define PORT_B_REFRESH (1u << 4)
#define PORT_B_OUT2 (1u << 5)
#define REFRESH_NS 15085 /* the DRAM refresh request toggles about every 15 us */

static u64 ticks_between(u64 from_ns, u64 to_ns)
{
	u64 ns = to_ns > from_ns ? to_ns - from_ns : 0;
	return ns / NSEC_PER_SEC * PIT_HZ + ns % NSEC_PER_SEC * PIT_HZ / NSEC_PER_SEC;
}

/* Ticks counted since the load: mode 0 pauses while the gate is low, 2 and 3 restart at its rise. */
static u64 elapsed(const struct pit_channel *c, u64 now_ns)
{
	if (!c->counting)
		return 0;
	if (!c->gate)
		return c->mode == 0 ? c->frozen_ticks : 0;
	return c->frozen_ticks + ticks_between(c->start_ns, now_ns);
}

u16 pit_count_at(const struct pit_channel *c, u64 now_ns)
{
	u64 t = elapsed(c, now_ns);
	switch (c->mode) {
	case 0: /* counts down past 0 and wraps */
		return (u16)(c->reload - t);
	case 2: /* reload .. 1, then reload again */
		return (u16)(c->reload - t % c->reload);
	default: { /* 3: twice as fast, each half period from reload down */
		u64 half = (c->reload + 1) / 2;
		return (u16)(c->reload - 2 * (t % half));
	}
	}
}

bool pit_output_at(const struct pit_channel *c, u64 now_ns)
{
	u64 t = elapsed(c, now_ns);
	if (!c->counting)
		return c->mode != 0;
	switch (c->mode) {
	case 0: return t >= c->reload;                 /* low until terminal count */
	case 2: return t % c->reload != c->reload - 1; /* low for the one tick at count 1 */
	default: return t % c->reload < (c->reload + 1) / 2; /* high for the first half */
	}
}

void pit_reset(struct vm *vm)
{
	vm->pit = (struct pit){ 0 };
	for (int i = 0; i < 3; i++)
		vm->pit.ch[i] = (struct pit_channel){ .mode = 0, .rw = 3, .reload = 65536, .gate = i != 2 };
}

static bool periodic(const struct pit_channel *c)
{
	return c->counting && c->mode != 0;
}

/* Channel 0's output is IRQ 0: mode 0 as a level, modes 2 and 3 as one edge per period. */
static void update_irq0(struct vm *vm, u64 now)
{
	struct pit_channel *c = &vm->pit.ch[0];
	if (!periodic(c)) {
		bool out = pit_output_at(c, now);
		vm->pit.irq0_periods = c->counting && out; /* mode 0: terminal count reached */
		isa_irq_set(vm, 0, out);
		return;
	}
	u64 periods = elapsed(c, now) / c->reload;
	if (periods != vm->pit.irq0_periods) {
		vm->pit.irq0_periods = periods;
		isa_irq_set(vm, 0, true);
		isa_irq_set(vm, 0, false);
	}
}

void pit_poll(struct vm *vm, u64 now_ns)
{
	update_irq0(vm, now_ns);
}

/* ns after start_ns at which `ticks` PIT ticks have passed (rounded up). */
static u64 ns_after(u64 ticks)
{
	return ticks / PIT_HZ * NSEC_PER_SEC + ((ticks % PIT_HZ) * NSEC_PER_SEC + PIT_HZ - 1) / PIT_HZ;
}

u64 pit_next_ns(const struct vm *vm)
{
	const struct pit_channel *c = &vm->pit.ch[0];
	if (!c->counting || !c->gate)
		return 0;
	if (c->mode == 0) /* the output rises once, at terminal count */
		return vm->pit.irq0_periods ? 0 : c->start_ns + ns_after(c->reload - c->frozen_ticks);
	return c->start_ns + ns_after((vm->pit.irq0_periods + 1) * (u64)c->reload - c->frozen_ticks);
}

static void load(struct pit_channel *c, u32 value, u64 now)
{
	c->reload = value ? value : 65536;
	c->start_ns = now;
	c->frozen_ticks = 0;
	c->counting = true;
	c->null_count = false;
}

/* A load restarts channel 0's periods. */
static void load_channel(struct vm *vm, struct pit_channel *c, u32 value, u64 now)
{
	load(c, value, now);
	if (c == &vm->pit.ch[0])
		vm->pit.irq0_periods = 0;
}

static u8 status_byte(const struct pit_channel *c, u64 now)
{
	return (u8)((pit_output_at(c, now) ? 0x80 : 0) | (c->null_count ? 0x40 : 0) | (c->rw << 4) | (c->mode << 1));
}

static void latch_count(struct pit_channel *c, u64 now)
{
	if (c->count_latched)
		return; /* the first latch holds until it is read */
	c->latched_count = pit_count_at(c, now);
	c->count_latched = true;
	c->latch_read_high = false;
}

static void read_back(struct vm *vm, u8 v, u64 now)
{
	for (int i = 0; i < 3; i++) {
		struct pit_channel *c = &vm->pit.ch[i];
		if (!(v & (2 << i)))
			continue;
		if (!(v & 0x10) && !c->status_latched) {
			c->latched_status = status_byte(c, now);
			c->status_latched = true;
		}
		if (!(v & 0x20))
			latch_count(c, now);
	}
}

static void command(struct vm *vm, u8 v, u64 now)
{
	if (CMD_CHANNEL(v) == READ_BACK) {
		read_back(vm, v, now);
		return;
	}
	struct pit_channel *c = &vm->pit.ch[CMD_CHANNEL(v)];
	if (CMD_RW(v) == 0) {
		latch_count(c, now);
		return;
	}
	u8 mode = CMD_MODE(v) >= 6 ? CMD_MODE(v) - 4 : CMD_MODE(v);
	if (mode != 0 && mode != 2 && mode != 3) {
		vm_fail_device(vm, "PIT channel %u: mode %u is not provided (0, 2 and 3 are)", CMD_CHANNEL(v), mode);
		return;
	}
	if (v & 1) {
		vm_fail_device(vm, "PIT channel %u: BCD counting is not provided", CMD_CHANNEL(v));
		return;
	}
	c->mode = mode;
	c->rw = CMD_RW(v);
	c->counting = false; /* a new mode waits for its count; the output takes the mode's initial level */
	c->null_count = true;
	c->write_high = c->read_high = false;
	c->count_latched = c->status_latched = false;
}

static void write_count(struct vm *vm, struct pit_channel *c, u8 v, u64 now)
{
	if (c->rw == 1) {
		load_channel(vm, c, v, now);
	} else if (c->rw == 2) {
		load_channel(vm, c, (u32)v << 8, now);
	} else if (!c->write_high) {
		c->write_low = v;
		c->write_high = true;
		c->null_count = true;
	} else {
		c->write_high = false;
		load_channel(vm, c, c->write_low | (u32)v << 8, now);
	}
}

static u8 read_count(struct pit_channel *c, u64 now)
{
	if (c->status_latched) {
		c->status_latched = false;
		return c->latched_status;
	}
	bool latched = c->count_latched;
	u16 count = latched ? c->latched_count : pit_count_at(c, now);
	bool *high = latched ? &c->latch_read_high : &c->read_high;
	bool msb = c->rw == 2 || (c->rw == 3 && *high);
	if (c->rw == 3)
		*high = !*high;
	if (latched && (c->rw != 3 || !*high))
		c->count_latched = false; /* all of the latched count has been read */
	return msb ? (u8)(count >> 8) : (u8)count;
}

u32 pit_read(struct vm *vm, u16 port, u8 size)
{
	u64 now = time_now_ns();
	if (port == PIT_PORT_COMMAND)
		return 0xff; /* write-only */
	u8 v = read_count(&vm->pit.ch[port - PIT_PORT_FIRST], now);
	update_irq0(vm, now);
	return v;
}

void pit_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	u64 now = time_now_ns();
	if (port == PIT_PORT_COMMAND)
		command(vm, (u8)value, now);
	else
		write_count(vm, &vm->pit.ch[port - PIT_PORT_FIRST], (u8)value, now);
	update_irq0(vm, now);
}

u32 pit_port_b_read(struct vm *vm, u16 port, u8 size)
{
	u64 now = time_now_ns();
	u32 v = vm->pit.port_b & (PORT_B_GATE2 | PORT_B_SPEAKER);
	if ((now / REFRESH_NS) & 1)
		v |= PORT_B_REFRESH;
	if (pit_output_at(&vm->pit.ch[2], now))
		v |= PORT_B_OUT2;
	return v;
}

/* Channel 2's gate: mode 0 pauses while it is low; modes 2 and 3 restart on its rise. */
void pit_port_b_write(struct vm *vm, u16 port, u8 size, u32 value)
{
	struct pit_channel *c = &vm->pit.ch[2];
	u64 now = time_now_ns();
	bool gate = value & PORT_B_GATE2;

	if (gate && !c->gate) {
		c->start_ns = now;
		if (c->mode != 0)
			c->frozen_ticks = 0;
	} else if (!gate && c->gate) {
		c->frozen_ticks = elapsed(c, now);
	}
	c->gate = gate;
	vm->pit.port_b = value & (PORT_B_GATE2 | PORT_B_SPEAKER);
}
