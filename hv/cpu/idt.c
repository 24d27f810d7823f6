/* The IDT: exceptions go to the stubs in trap.asm, which call trap_handler(). */
#include "hv/cpu/idt.h"
#include "hv/cpu/gdt.h"

struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} __attribute__((packed));

struct idt_pointer {
	u16 limit;
	u64 base;
} __attribute__((packed));

#define GATE_INTERRUPT_PRESENT 0x8E /* present, DPL 0, 64-bit interrupt gate */
#define VECTOR_NMI 2
#define VECTOR_DOUBLE_FAULT 8
#define VECTOR_MACHINE_CHECK 18

/* Stub addresses for vectors 0-31, in trap.asm. */
extern void (*const trap_stubs[EXCEPTION_VECTORS])(void);

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));

void idt_set_gate(u8 vector, void (*handler)(void), u8 ist)
{
	u64 a = (u64)(uintptr_t)handler;
	idt[vector] = (struct idt_gate){
		.offset_low = (u16)a, .selector = GDT_KERNEL_CS, .ist = ist, .type_attr = GATE_INTERRUPT_PRESENT,
		.offset_mid = (u16)(a >> 16), .offset_high = (u32)(a >> 32),
	};
}

static u8 ist_for(u32 vector)
{
	switch (vector) {
	case VECTOR_DOUBLE_FAULT: return IST_DOUBLE_FAULT;
	case VECTOR_NMI: return IST_NMI;
	case VECTOR_MACHINE_CHECK: return IST_MACHINE_CHECK;
	default: return 0;
	}
}

void idt_load(void)
{
	struct idt_pointer p = { sizeof(idt) - 1, (u64)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

void idt_init(void)
{
	for (u32 v = 0; v < EXCEPTION_VECTORS; v++)
		idt_set_gate((u8)v, trap_stubs[v], ist_for(v));
	idt_load();
}
