/*
 * The VMX instructions as C functions. Each reports VMfail through its return
 * value: false when RFLAGS.CF (VMfailInvalid) or ZF (VMfailValid) was set.
 */
#ifndef VMX_INSN_H
#define VMX_INSN_H

#include "types.h"

static inline bool vmxon(u64 region_pa)
{
	bool ok;
	asm volatile("vmxon %1; seta %0" : "=q"(ok) : "m"(region_pa) : "cc", "memory");
	return ok;
}

static inline bool vmclear(u64 vmcs_pa)
{
	bool ok;
	asm volatile("vmclear %1; seta %0" : "=q"(ok) : "m"(vmcs_pa) : "cc", "memory");
	return ok;
}

static inline bool vmptrld(u64 vmcs_pa)
{
	bool ok;
	asm volatile("vmptrld %1; seta %0" : "=q"(ok) : "m"(vmcs_pa) : "cc", "memory");
	return ok;
}

static inline bool vmread_checked(u64 field, u64 *value)
{
	bool ok;
	asm volatile("vmread %2, %1; seta %0" : "=q"(ok), "=rm"(*value) : "r"(field) : "cc");
	return ok;
}

static inline bool vmwrite_checked(u64 field, u64 value)
{
	bool ok;
	asm volatile("vmwrite %2, %1; seta %0" : "=q"(ok) : "r"(field), "rm"(value) : "cc");
	return ok;
}

/* INVEPT / INVVPID descriptor types. */
#define INVEPT_SINGLE 1
#define INVEPT_ALL 2
#define INVVPID_SINGLE 1
#define INVVPID_ALL 2

static inline bool invept(u64 type, u64 eptp)
{
	struct { u64 eptp, zero; } desc = { eptp, 0 };
	bool ok;
	asm volatile("invept %1, %2; seta %0" : "=q"(ok) : "m"(desc), "r"(type) : "cc", "memory");
	return ok;
}

static inline bool invvpid(u64 type, u16 vpid)
{
	struct { u64 vpid, linear; } desc = { vpid, 0 };
	bool ok;
	asm volatile("invvpid %1, %2; seta %0" : "=q"(ok) : "m"(desc), "r"(type) : "cc", "memory");
	return ok;
}

#endif
