/* The guest's I/O APIC (hv/devices/vioapic.h). */
#include "hv/devices/vioapic.h"
#include "kstring.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOEOI 0x40

#define REG_ID 0x00
#define REG_VERSION 0x01
#define REG_ARB 0x02
#define REG_RTE_FIRST 0x10 /* pin n: low word at 0x10 + 2n, high word at 0x11 + 2n */
#define REG_RTE_LAST (REG_RTE_FIRST + 2 * VIOAPIC_PINS - 1)

#define RTE_READ_ONLY (VIOAPIC_RTE_DELIVERY_STATUS | VIOAPIC_RTE_REMOTE_IRR)
/* Bits a guest can set: vector, delivery mode, destination mode, polarity, trigger, mask, destination. */
#define RTE_WRITABLE (0xff00000000000000ull | 0x1afffull)

static u8 rte_vector(u64 rte)
{
	return rte & 0xff;
}

/* Sends pin's interrupt when its state asks for one: asserted, unmasked and,
 * for a level pin, not still waiting for the EOI of the last one. */
static void service(struct vioapic *io, u32 pin)
{
	u64 *rte = &io->rte[pin];
	bool level = *rte & VIOAPIC_RTE_LEVEL;

	if (!(io->irr & (1u << pin)) || (*rte & VIOAPIC_RTE_MASKED))
		return;
	if (level) {
		if (*rte & VIOAPIC_RTE_REMOTE_IRR)
			return;
		*rte |= VIOAPIC_RTE_REMOTE_IRR;
	} else {
		io->irr &= ~(1u << pin); /* an edge is one message */
	}
	io->send(io->send_ctx, (u32)(*rte >> VIOAPIC_RTE_DEST_SHIFT), *rte & VIOAPIC_RTE_DEST_LOGICAL,
		 (u32)(*rte >> VIOAPIC_RTE_DELIVERY_SHIFT) & 7, rte_vector(*rte), level);
}

void vioapic_reset(struct vioapic *io, vioapic_send_fn *send, void *send_ctx)
{
	memset(io, 0, sizeof(*io));
	for (u32 pin = 0; pin < VIOAPIC_PINS; pin++)
		io->rte[pin] = VIOAPIC_RTE_MASKED;
	io->send = send;
	io->send_ctx = send_ctx;
}

void vioapic_set_pin(struct vioapic *io, u32 pin, bool asserted)
{
	if (pin >= VIOAPIC_PINS)
		return;
	u32 bit = 1u << pin;
	bool rising = asserted && !(io->line & bit);

	io->line = asserted ? io->line | bit : io->line & ~bit;
	if (io->rte[pin] & VIOAPIC_RTE_LEVEL)
		io->irr = asserted ? io->irr | bit : io->irr & ~bit;
	else if (rising && !(io->rte[pin] & VIOAPIC_RTE_MASKED))
		io->irr |= bit; /* a masked edge is lost (82093AA; QEMU) */
	service(io, pin);
}

void vioapic_eoi(struct vioapic *io, u8 vector)
{
	for (u32 pin = 0; pin < VIOAPIC_PINS; pin++) {
		u64 *rte = &io->rte[pin];
		if (rte_vector(*rte) != vector || !(*rte & VIOAPIC_RTE_REMOTE_IRR))
			continue;
		*rte &= ~VIOAPIC_RTE_REMOTE_IRR;
		service(io, pin); /* still asserted: the next message */
	}
}

static u32 read_register(const struct vioapic *io, u32 reg)
{
	switch (reg) {
	case REG_ID:
		return io->id << 24;
	case REG_VERSION:
		return VIOAPIC_VERSION | (VIOAPIC_PINS - 1) << 16;
	case REG_ARB:
		return 0; /* as QEMU: arbitration is a bus detail guests never use */
	default:
		if (reg >= REG_RTE_FIRST && reg <= REG_RTE_LAST) {
			u64 rte = io->rte[(reg - REG_RTE_FIRST) / 2];
			return (reg & 1) ? (u32)(rte >> 32) : (u32)rte;
		}
		return 0;
	}
}

static void write_rte(struct vioapic *io, u32 reg, u32 value)
{
	u32 pin = (reg - REG_RTE_FIRST) / 2;
	u64 *rte = &io->rte[pin];
	u64 v = (reg & 1) ? ((u64)value << 32) | (u32)*rte : (*rte & 0xffffffff00000000ull) | value;

	*rte = (v & RTE_WRITABLE) | (*rte & RTE_READ_ONLY);
	if (*rte & VIOAPIC_RTE_LEVEL) {
		io->irr = (io->irr & ~(1u << pin)) | (io->line & (1u << pin)); /* a level request is the line */
	} else {
		*rte &= ~VIOAPIC_RTE_REMOTE_IRR; /* an edge pin waits for no EOI (QEMU) */
	}
	service(io, pin); /* unmasking an asserted level pin delivers it */
}

u32 vioapic_read(struct vioapic *io, u64 offset)
{
	switch (offset) {
	case IOREGSEL:
		return io->regsel;
	case IOWIN:
		return read_register(io, io->regsel);
	default:
		return 0;
	}
}

void vioapic_write(struct vioapic *io, u64 offset, u32 value)
{
	switch (offset) {
	case IOREGSEL:
		io->regsel = value & 0xff;
		break;
	case IOWIN:
		if (io->regsel == REG_ID)
			io->id = (value >> 24) & 0xf;
		else if (io->regsel >= REG_RTE_FIRST && io->regsel <= REG_RTE_LAST)
			write_rte(io, io->regsel, value);
		break; /* version and arbitration are read-only */
	case IOEOI:
		vioapic_eoi(io, value & 0xff);
		break;
	default:
		break;
	}
}
