/* Architectural x86 constants: control registers, EFER, RFLAGS, page-table
 * entries, MSR numbers and CPUID bits (Intel SDM vol. 3; AMD APM vol. 2).
 * One copy for the hypervisor, both backends, host tests and the guests'
 * runtime: constants only, no instructions (each side wraps those itself).
 * Vendor-specific MSRs of the virtualization extensions stay in vmx/ and svm/. */
#ifndef X86_H
#define X86_H

/* CR0 */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR0_POWER_ON (CR0_CD | CR0_NW | CR0_ET) /* after reset and INIT */

/* CR4 */
#define CR4_PSE (1ull << 4)
#define CR4_PCE (1ull << 8)
#define CR4_PAE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_LA57 (1ull << 12)
#define CR4_VMXE (1ull << 13)
#define CR4_PCIDE (1ull << 17)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP (1ull << 20)

/* EFER (MSR 0xC0000080) */
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define EFER_SVME (1ull << 12)

/* RFLAGS */
#define RFLAGS_FIXED1 (1ull << 1) /* always reads as 1 */
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_VM (1ull << 17)

/* Page-table entries (4-level and PAE formats; bit 63 only with EFER.NXE) */
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7) /* a 2 MiB / 1 GiB (or 4 MiB PSE) leaf */
#define PTE_NX (1ull << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull

/* MSRs every x86-64 CPU has */
#define MSR_TSC 0x10u
#define MSR_APIC_BASE 0x1Bu
#define MSR_FEATURE_CONTROL 0x3Au
#define MSR_TSC_ADJUST 0x3Bu
#define MSR_PRED_CMD 0x49u /* bit 0: IBPB */
#define MSR_FLUSH_CMD 0x10Bu /* bit 0: L1D flush */
#define MSR_SYSENTER_CS 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_PAT 0x277u
#define MSR_TSC_DEADLINE 0x6E0u
#define MSR_X2APIC_FIRST 0x800u /* x2APIC register = 0x800 + xAPIC offset / 16 */
#define MSR_EFER 0xC0000080u
#define MSR_STAR 0xC0000081u
#define MSR_LSTAR 0xC0000082u
#define MSR_CSTAR 0xC0000083u
#define MSR_SFMASK 0xC0000084u
#define MSR_FS_BASE 0xC0000100u
#define MSR_GS_BASE 0xC0000101u
#define MSR_KERNEL_GS_BASE 0xC0000102u
#define MSR_TSC_AUX 0xC0000103u

/* CPUID bits the code tests */
#define CPUID_EXT1_ECX_SVM (1u << 2)   /* 0x80000001 ECX */
#define CPUID_EXT1_EDX_NX (1u << 20)   /* 0x80000001 EDX */
#define CPUID_EXT1_EDX_RDTSCP (1u << 27)
#define CPUID_EXT1_EDX_LM (1u << 29)

#endif
