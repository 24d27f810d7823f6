/*
 * The public guest <-> hypervisor ABI: hypercalls, the hypervisor CPUID leaf
 * and the MMIO test device. Included by the hypervisor (hv/) and by the test
 * guests (guests/); this file is the single place these numbers are defined.
 *
 * Numbers are never reused: a new call, error or field is appended.
 */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include "types.h"

/*
 * ---------------------------------------------------------------- hypercalls
 *
 * Instruction: VMCALL (0F 01 C1, Intel) or VMMCALL (0F 01 D9, AMD). The
 * hypervisor accepts both on both vendors; on the "wrong" vendor the CPU
 * raises #UD and the hypervisor treats it as the hypercall. Guests pick the
 * native one from the CPUID leaf 0 vendor string.
 *
 *   in:  RAX = call number (HC_*), RBX, RCX, RDX, RSI = arguments 1..4
 *   out: RAX = HC_OK (0) or a negative HC_E* error code; RBX as the call
 *        says; every other register is preserved.
 *
 * Outside 64-bit mode only the low 32 bits of each register are used (and
 * RAX's result is sign-extended from 32 bits, so -1 reads as 0xFFFFFFFF).
 * Arguments a call does not use are ignored. Addresses are guest-physical.
 * A call from CPL > 0 returns HC_EPERM and does nothing.
 *
 * A guest buffer [gpa, gpa + len) is valid when it lies entirely in guest
 * RAM (memslots, not MMIO and not the device hole) and gpa + len does not
 * wrap; otherwise the call returns HC_EFAULT and does nothing. Alignment is
 * never required. A call that fails changes nothing.
 */

/* Version: out RBX = HC_ABI_VERSION. Always succeeds. */
#define HC_VERSION 0
/*
 * Console write: RBX = buffer, RCX = length in bytes (0..HC_CONSOLE_MAX).
 * The bytes go to the VM's console exactly as if written to the COM1 THR
 * (same "[name] " line prefixing). Length 0 writes nothing and returns 0.
 */
#define HC_CONSOLE_WRITE 1
/*
 * Exit: RBX = status (low 32 bits). Ends the VM as a write of that value to
 * the debug-exit port 0xF4 would. Does not return.
 */
#define HC_EXIT 2
/*
 * Read statistics: RBX = buffer, RCX = buffer size in bytes. The hypervisor
 * writes min(RCX, sizeof(struct hc_stats)) bytes of this VM's counters;
 * hc_stats.size tells the guest how many bytes the hypervisor knows (fields
 * beyond it were not written). RCX < HC_STATS_MIN_SIZE returns HC_ELENGTH.
 */
#define HC_READ_STATS 3

#define HC_ABI_VERSION 0x00010000u /* major << 16 | minor: 1.0 */
#define HC_CONSOLE_MAX 4096u

/* Error codes returned in RAX. */
#define HC_OK 0
#define HC_ENOSYS (-1)  /* unknown call number */
#define HC_EFAULT (-2)  /* a buffer is not entirely in guest RAM, or wraps */
#define HC_ELENGTH (-3) /* a length/size outside the range the call allows */
#define HC_EINVAL (-4)  /* any other argument out of range */
#define HC_EPERM (-5)   /* called from CPL > 0 */

/* Per-VM counters since the VM was created (all vCPUs together). */
struct hc_stats {
	u32 size;                /* bytes of this structure the hypervisor fills */
	u32 vcpus;               /* vCPUs of this VM */
	u64 exits;               /* every exit from guest mode, any reason */
	u64 exits_cpuid;
	u64 exits_io;            /* port I/O instructions */
	u64 exits_msr;           /* RDMSR/WRMSR, allowed or not */
	u64 exits_hlt;
	u64 exits_hypercall;     /* including this one */
	u64 exits_tdp_fault;     /* second-level (NPT/EPT) faults, MMIO included */
	u64 mmio_accesses;       /* emulated MMIO reads + writes */
	u64 unknown_port_reads;  /* reads of ports no device claims (all-ones) */
	u64 unknown_port_writes; /* writes to ports no device claims (ignored) */
	u64 msr_denied;          /* #GP injected for an MSR not on the allow-list */
};
#define HC_STATS_MIN_SIZE 8u /* size + vcpus */

/*
 * --------------------------------------------------------- hypervisor CPUID
 *
 * CPUID.1:ECX[31] (hypervisor present) is set. Leaf 0x40000000 returns
 * EAX = HV_CPUID_MAX_LEAF and the 12-byte signature in EBX, ECX, EDX.
 * Leaves above HV_CPUID_MAX_LEAF up to 0x4FFFFFFF read as zeros.
 * Hidden from the guest (the `cpuid` guest checks these stay clear):
 * VMX (1:ECX[5]), SVM (0x80000001:ECX[2]), x2APIC (1:ECX[21]).
 */
#define HV_CPUID_LEAF 0x40000000u
#define HV_CPUID_MAX_LEAF 0x40000000u
#define HV_CPUID_SIGNATURE "HVminimal\0\0\0" /* 12 bytes: EBX, ECX, EDX */
#define HV_CPUID_SIG_EBX 0x696d5648u /* "HVmi" */
#define HV_CPUID_SIG_ECX 0x616d696eu /* "nima" */
#define HV_CPUID_SIG_EDX 0x0000006cu /* "l\0\0\0" */

/*
 * ------------------------------------------------------- MMIO test device
 *
 * One 4 KiB page of guest-physical space, emulated by the hypervisor, so the
 * `mmio` guest can check the MMIO instruction decoder. Registers are
 * little-endian; an access of 1, 2, 4 or 8 bytes lying entirely inside one
 * register reads/writes those bytes of it. Any other access inside the page
 * (between registers, straddling two, wider than the register) reads
 * all-ones and its write is ignored.
 */
#define TESTDEV_BASE 0xFEB00000ull
#define TESTDEV_SIZE 0x1000u
#define TESTDEV_SCRATCH 0x00 /* 64-bit read/write, reset value 0 */
#define TESTDEV_ID 0x08      /* 64-bit read-only (writes ignored) */
#define TESTDEV_BYTE 0x10    /* 8-bit read/write, reset value 0 */
#define TESTDEV_ID_VALUE 0x5445535444455631ull /* "TESTDEV1" read as a number */

#endif
