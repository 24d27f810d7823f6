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

/*
 * Memslots: RBX = guest-physical address of an array of RCX entries of
 * struct hc_memslot_op (1..HC_MEMSLOT_MAX_OPS). The list is one transaction:
 * either every operation takes effect at once (a vCPU of this VM sees the
 * old layout or the new one, never a step between) or none does.
 * out: RAX = HC_OK or an error; RBX = the index of the operation at fault,
 * or the count when the result as a whole is wrong (two slots overlap, too
 * many slots), or 0 on success.
 *
 * Slots are named by their first guest-physical byte. The RAM the VM was
 * configured with (its "boot slots") can neither be named nor overlapped:
 * HC_EPROTECTED / HC_EOVERLAP. New RAM comes from the VM's pool (config key
 * pool=SIZE, zeroed at VM creation): a CREATE gives the byte offset in the
 * pool, and every slot must stay within the pool (HC_ERANGE). Several slots
 * may show the same pool pages. Slots may not reach into the device hole
 * [HC_DEVICE_HOLE_START, HC_DEVICE_HOLE_END) nor beyond HC_GPA_LIMIT.
 * All addresses, sizes and offsets are multiples of 4 KiB (HC_EALIGN).
 *
 * An access where no slot is (after DELETE, or below a MOVE's old place) is
 * MMIO: outside the device hole it reads all-ones and its write is ignored
 * (counted in hc_stats.mmio_unbacked). A write to a read-only slot is also
 * MMIO: it is ignored and the contents stay as they were (hc_stats.rom_writes).
 *
 * HC_MEMSLOT_DIRTY_GET is not part of a transaction: it must be the only
 * entry of its list (else HC_EINVAL). It copies the slot's dirty bitmap
 * (bit i = page i of the slot was written since the last DIRTY_GET; 64-bit
 * little-endian words) to the buffer, clears it and write-protects those
 * pages again before it returns.
 */
#define HC_MEMSLOT 4
/*
 * Second-level mapping: RBX = guest-physical address. out RBX = the size in
 * KiB of the present second-level (EPT/NPT) leaf that maps it in the calling
 * vCPU's tables (4, 2048 or 1048576), 0 when none does. Always succeeds; for
 * tests that must tell which mapping an access made (NX huge pages).
 */
#define HC_TDP_LEVEL 5

#define HC_ABI_VERSION 0x00010002u /* major << 16 | minor: 1.2 (1.1: HC_MEMSLOT, 1.2: HC_TDP_LEVEL) */
#define HC_CONSOLE_MAX 4096u

/* Error codes returned in RAX. */
#define HC_OK 0
#define HC_ENOSYS (-1)  /* unknown call number */
#define HC_EFAULT (-2)  /* a buffer is not entirely in guest RAM, or wraps */
#define HC_ELENGTH (-3) /* a length/size outside the range the call allows */
#define HC_EINVAL (-4)  /* any other argument out of range */
#define HC_EPERM (-5)   /* called from CPL > 0 */
#define HC_EALIGN (-6)     /* an address, size or offset is not a multiple of 4 KiB */
#define HC_ENOENT (-7)     /* no slot starts at that address (at that point of the list) */
#define HC_EEXIST (-8)     /* a slot already starts at that address */
#define HC_EOVERLAP (-9)   /* the result would have two slots sharing a page */
#define HC_EPROTECTED (-10) /* the operation names one of the VM's boot slots */
#define HC_ERANGE (-11)    /* outside the pool, in the device hole, or beyond HC_GPA_LIMIT */
#define HC_EDIRTYLOG (-12) /* move/resize/split with dirty logging on, or DIRTY_GET with it off */
#define HC_ETOOMANY (-13)  /* the result would have more than HC_MEMSLOT_MAX_SLOTS slots */
#define HC_ENOMEM (-14)    /* the hypervisor is out of memory (nothing changed) */

/* One operation of HC_MEMSLOT (32 bytes). */
struct hc_memslot_op {
	u32 op;    /* HC_MEMSLOT_* */
	u32 flags; /* CREATE, SET_FLAGS: HC_MEMSLOT_F_* (the slot's new flags) */
	u64 gpa;   /* CREATE: where the new slot starts; others: the slot's start */
	u64 size;  /* CREATE, RESIZE: bytes (> 0); DIRTY_GET: bytes of the buffer */
	u64 arg;   /* CREATE: offset in the pool; MOVE: new start; SPLIT: start of
	            * the second part (strictly inside the slot); DIRTY_GET: buffer */
};
#define HC_MEMSLOT_CREATE 1
#define HC_MEMSLOT_DELETE 2
#define HC_MEMSLOT_MOVE 3      /* same pool pages, new place */
#define HC_MEMSLOT_RESIZE 4    /* pool pages continue from the slot's first one */
#define HC_MEMSLOT_SPLIT 5     /* [gpa, arg) and [arg, end): same pages, two slots */
#define HC_MEMSLOT_SET_FLAGS 6 /* flags replace the slot's flags */
#define HC_MEMSLOT_DIRTY_GET 7 /* get and clear the dirty bitmap (alone in its list) */

#define HC_MEMSLOT_F_READONLY (1u << 0)  /* writes are ignored MMIO (ROM) */
#define HC_MEMSLOT_F_DIRTY_LOG (1u << 1) /* writes are logged per page */

#define HC_MEMSLOT_MAX_OPS 64u
#define HC_MEMSLOT_MAX_SLOTS 256u /* slots per VM, boot slots included */
#define HC_GPA_LIMIT (1ull << 40)  /* slots end at or below this guest-physical address */
#define HC_DEVICE_HOLE_START 0xC0000000ull
#define HC_DEVICE_HOLE_END 0x100000000ull

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
	/* ABI 1.1: the second-level MMU (docs/MMU.md) and HC_MEMSLOT */
	u64 mapped_4k, mapped_2m, mapped_1g; /* leaves installed, per size */
	u64 pages_mapped;        /* 4 KiB frames mapped now (approximate) */
	u64 nx_splits;           /* huge mappings split by an instruction fetch */
	u64 nx_recovered;        /* split tables zapped by the recovery thread */
	u64 nx_current;          /* split tables now waiting for recovery */
	u64 mmio_marker_hits;    /* MMIO served from a cached marker entry */
	u64 mmio_marker_misses;  /* stale markers (older layout) dropped */
	u64 mmio_markers_installed;
	u64 lock_breaks;         /* mmu_lock dropped on purpose in long work */
	u64 tlb_flushes;         /* remote TLB flushes of this VM */
	u64 memslot_generation;  /* published memslot layouts */
	u64 memslot_calls;       /* HC_MEMSLOT calls that changed something */
	u64 mmio_unbacked;       /* accesses where no RAM and no device is */
	u64 rom_writes;          /* writes ignored because the slot is read-only */
	u32 nx_huge_pages;       /* 1 when huge mappings are never executable */
	u32 nx_ratio;            /* a recovery pass zaps ceil(split / ratio) tables */
	u32 nx_period_ms;        /* between recovery passes; 0: no recovery thread runs */
	u32 pool_pages;          /* 4 KiB pages in this VM's memslot pool */
	/* Appended after ABI 1.1 (size tells): what the hypervisor held back from a hostile guest */
	u64 console_dropped;     /* console lines not printed (over the console_rate budget) */
	u64 console_filtered;    /* console bytes printed as '?' (not printable ASCII or tab) */
	u64 tdp_tables;          /* second-level table pages now (capped by tdp_table_cap) */
};
#define HC_STATS_MIN_SIZE 8u /* size + vcpus */

/*
 * --------------------------------------------------------- hypervisor CPUID
 *
 * CPUID.1:ECX[31] (hypervisor present) is set. Leaf 0x40000000 returns
 * EAX = HV_CPUID_MAX_LEAF and the 12-byte signature in EBX, ECX, EDX.
 * Leaf 0x40000010 (HV_CPUID_TIMING_LEAF, the layout VMware and KVM use):
 * EAX = the guest's TSC rate in kHz, EBX = the local APIC timer's input
 * clock in kHz (HV_APIC_BUS_KHZ: 1 GHz as on KVM and QEMU, before the
 * divide configuration), so guests need not calibrate.
 * Other leaves up to 0x4FFFFFFF read as zeros.
 * Hidden from the guest (the `cpuid` guest checks these stay clear):
 * VMX (1:ECX[5]), SVM (0x80000001:ECX[2]). Shown whatever the host has:
 * x2APIC (1:ECX[21]) and TSC-deadline (1:ECX[24]), the virtual APIC's.
 */
#define HV_CPUID_LEAF 0x40000000u
#define HV_CPUID_MAX_LEAF 0x40000010u
#define HV_CPUID_TIMING_LEAF 0x40000010u
#define HV_APIC_BUS_KHZ 1000000u
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
