/*
 * The VMCB (AMD APM vol. 2, appendix B): one 4 KiB page per vCPU, a control
 * area (what to intercept, how the last exit happened) and a save area (the
 * guest's state). Every field is naturally aligned, so no packing is needed;
 * the offsets are checked at compile time below.
 */
#ifndef SVM_VMCB_H
#define SVM_VMCB_H

#include "types.h"

struct vmcb_segment {
	u16 selector;
	u16 attrib;   /* descriptor bits 40-47 in 0-7, bits 52-55 in 8-11 */
	u32 limit;
	u64 base;
};

struct vmcb_control {
	u32 intercept_cr;        /* 0x000: bits 0-15 reads, 16-31 writes */
	u32 intercept_dr;        /* 0x004 */
	u32 intercept_exceptions;/* 0x008: bit n = vector n */
	u32 intercept_misc1;     /* 0x00c: INTERCEPT1_* */
	u32 intercept_misc2;     /* 0x010: INTERCEPT2_* */
	u32 intercept_misc3;     /* 0x014 */
	u8 reserved1[0x03c - 0x018];
	u16 pause_filter_threshold; /* 0x03c */
	u16 pause_filter_count;  /* 0x03e */
	u64 iopm_base_pa;        /* 0x040 */
	u64 msrpm_base_pa;       /* 0x048 */
	u64 tsc_offset;          /* 0x050 */
	u32 asid;                /* 0x058 */
	u8 tlb_control;          /* 0x05c: TLB_CONTROL_* */
	u8 reserved2[3];
	u64 int_ctl;             /* 0x060: V_TPR, V_IRQ, V_INTR_MASKING, ... */
	u64 int_state;           /* 0x068: bit 0 = interrupt shadow */
	u64 exit_code;           /* 0x070 */
	u64 exit_info1;          /* 0x078 */
	u64 exit_info2;          /* 0x080 */
	u64 exit_int_info;       /* 0x088: event being delivered when the exit happened */
	u64 np_control;          /* 0x090: bit 0 = nested paging enable */
	u64 reserved3[2];        /* 0x098: AVIC APIC bar, GHCB */
	u64 event_inj;           /* 0x0a8 */
	u64 n_cr3;               /* 0x0b0: nested page table root */
	u64 lbr_control;         /* 0x0b8 */
	u32 clean_bits;          /* 0x0c0 */
	u32 reserved4;
	u64 next_rip;            /* 0x0c8: only with the NRIP feature */
	u8 insn_len;             /* 0x0d0: only with decode assists */
	u8 insn_bytes[15];
	u8 reserved5[0x400 - 0x0e0];
};

struct vmcb_save {
	struct vmcb_segment es, cs, ss, ds, fs, gs; /* 0x000 */
	struct vmcb_segment gdtr, ldtr, idtr, tr;   /* 0x060 */
	u8 reserved1[0x0cb - 0x0a0];
	u8 cpl;                  /* 0x0cb */
	u32 reserved2;
	u64 efer;                /* 0x0d0 */
	u8 reserved3[0x148 - 0x0d8];
	u64 cr4;                 /* 0x148 */
	u64 cr3;
	u64 cr0;
	u64 dr7;
	u64 dr6;
	u64 rflags;
	u64 rip;                 /* 0x178 */
	u8 reserved4[0x1d8 - 0x180];
	u64 rsp;                 /* 0x1d8 */
	u8 reserved5[0x1f8 - 0x1e0];
	u64 rax;                 /* 0x1f8 */
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 cr2;                 /* 0x240 */
	u8 reserved6[0x268 - 0x248];
	u64 g_pat;               /* 0x268 */
	u64 dbgctl;
	u64 br_from, br_to, last_excp_from, last_excp_to;
};

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
	u8 reserved[4096 - 0x400 - 0x298];
};

_Static_assert(__builtin_offsetof(struct vmcb_control, iopm_base_pa) == 0x040, "vmcb layout");
_Static_assert(__builtin_offsetof(struct vmcb_control, asid) == 0x058, "vmcb layout");
_Static_assert(__builtin_offsetof(struct vmcb_control, exit_code) == 0x070, "vmcb layout");
_Static_assert(__builtin_offsetof(struct vmcb_control, event_inj) == 0x0a8, "vmcb layout");
_Static_assert(__builtin_offsetof(struct vmcb_control, next_rip) == 0x0c8, "vmcb layout");
_Static_assert(sizeof(struct vmcb_control) == 0x400, "vmcb layout");
_Static_assert(__builtin_offsetof(struct vmcb_save, tr) == 0x090, "vmcb layout");
_Static_assert(__builtin_offsetof(struct vmcb_save, efer) == 0x0d0, "vmcb layout");
_Static_assert(__builtin_offsetof(struct vmcb_save, cr4) == 0x148, "vmcb layout");
_Static_assert(__builtin_offsetof(struct vmcb_save, rip) == 0x178, "vmcb layout");
_Static_assert(__builtin_offsetof(struct vmcb_save, rsp) == 0x1d8, "vmcb layout");
_Static_assert(__builtin_offsetof(struct vmcb_save, rax) == 0x1f8, "vmcb layout");
_Static_assert(__builtin_offsetof(struct vmcb_save, cr2) == 0x240, "vmcb layout");
_Static_assert(__builtin_offsetof(struct vmcb_save, g_pat) == 0x268, "vmcb layout");
_Static_assert(sizeof(struct vmcb) == 4096, "vmcb is one page");

/* intercept_misc1 */
#define INTERCEPT1_INTR     (1u << 0)
#define INTERCEPT1_NMI      (1u << 1)
#define INTERCEPT1_VINTR    (1u << 4)
#define INTERCEPT1_IRET     (1u << 20)
#define INTERCEPT1_RDPMC    (1u << 15)
#define INTERCEPT1_CPUID    (1u << 18)
#define INTERCEPT1_INVD     (1u << 22)
#define INTERCEPT1_HLT      (1u << 24)
#define INTERCEPT1_INVLPGA  (1u << 26)
#define INTERCEPT1_IOIO     (1u << 27)
#define INTERCEPT1_MSR      (1u << 28)
#define INTERCEPT1_SHUTDOWN (1u << 31)
/* intercept_misc2 */
#define INTERCEPT2_VMRUN    (1u << 0)
#define INTERCEPT2_VMMCALL  (1u << 1)
#define INTERCEPT2_VMLOAD   (1u << 2)
#define INTERCEPT2_VMSAVE   (1u << 3)
#define INTERCEPT2_STGI     (1u << 4)
#define INTERCEPT2_CLGI     (1u << 5)
#define INTERCEPT2_SKINIT   (1u << 6)
#define INTERCEPT2_WBINVD   (1u << 9)
#define INTERCEPT2_XSETBV   (1u << 13)

#define TLB_CONTROL_NONE      0
#define TLB_CONTROL_FLUSH_ALL 1 /* every ASID: the fallback without flush-by-ASID */
#define TLB_CONTROL_FLUSH_ASID 3

#define INT_CTL_V_IRQ (1ull << 8)           /* a virtual interrupt is pending (our interrupt window) */
#define INT_CTL_V_INTR_PRIO (0xfull << 16)  /* its priority: the highest, so V_TPR never holds it */
#define INT_CTL_V_IGN_TPR (1ull << 20)
#define INT_CTL_V_INTR_MASKING (1ull << 24) /* guest RFLAGS.IF masks only virtual interrupts */
#define INT_STATE_SHADOW (1ull << 0)        /* int_state: STI or MOV SS interrupt shadow */
#define INTERCEPT_CR8_READ (1u << 8)        /* intercept_cr */
#define INTERCEPT_CR8_WRITE (1u << 24)
#define NP_ENABLE (1ull << 0)

/* event_inj and exit_int_info */
#define EVENT_VECTOR_MASK 0xffull
#define EVENT_TYPE_SHIFT 8
#define EVENT_TYPE_INTR 0
#define EVENT_TYPE_NMI 2
#define EVENT_TYPE_EXCEPTION 3
#define EVENT_TYPE_SOFT_INT 4
#define EVENT_HAS_ERROR (1ull << 11)
#define EVENT_VALID (1ull << 31)
#define EVENT_ERROR_SHIFT 32

/* Exit codes (exit_code). */
#define VMEXIT_CR8_READ  0x08
#define VMEXIT_CR8_WRITE 0x18
#define VMEXIT_EXCEPTION_BASE 0x40 /* + vector */
#define VMEXIT_INTR      0x60
#define VMEXIT_NMI       0x61
#define VMEXIT_SMI       0x62
#define VMEXIT_INIT      0x63
#define VMEXIT_VINTR     0x64
#define VMEXIT_RDPMC     0x6f
#define VMEXIT_CPUID     0x72
#define VMEXIT_IRET      0x74
#define VMEXIT_INVD      0x76
#define VMEXIT_HLT       0x78
#define VMEXIT_INVLPGA   0x7a
#define VMEXIT_IOIO      0x7b
#define VMEXIT_MSR       0x7c
#define VMEXIT_SHUTDOWN  0x7f
#define VMEXIT_VMRUN     0x80
#define VMEXIT_VMMCALL   0x81
#define VMEXIT_VMLOAD    0x82
#define VMEXIT_VMSAVE    0x83
#define VMEXIT_STGI      0x84
#define VMEXIT_CLGI      0x85
#define VMEXIT_SKINIT    0x86
#define VMEXIT_WBINVD    0x89
#define VMEXIT_XSETBV    0x8d
#define VMEXIT_NPF       0x400
#define VMEXIT_INVALID   0xffffffffu /* compare the low 32 bits (QEMU writes -1 zero-extended) */

/* IOIO exit_info1 */
#define IOIO_IN      (1u << 0)
#define IOIO_STRING  (1u << 2)
#define IOIO_REP     (1u << 3)
#define IOIO_SIZE8   (1u << 4)
#define IOIO_SIZE16  (1u << 5)
#define IOIO_SIZE32  (1u << 6)
#define IOIO_PORT_SHIFT 16

/* NPF exit_info1 */
#define NPF_PRESENT  (1ull << 0)
#define NPF_WRITE    (1ull << 1)
#define NPF_USER     (1ull << 2)
#define NPF_RESERVED (1ull << 3)
#define NPF_FETCH    (1ull << 4)
#define NPF_FINAL    (1ull << 32)
#define NPF_IN_WALK  (1ull << 33)

/* Segment attribute bits (struct vmcb_segment.attrib). */
#define SEG_ATTR_S   (1u << 4)
#define SEG_ATTR_P   (1u << 7)
#define SEG_ATTR_AVL (1u << 8)
#define SEG_ATTR_L   (1u << 9)
#define SEG_ATTR_DB  (1u << 10)
#define SEG_ATTR_G   (1u << 11)

#endif
