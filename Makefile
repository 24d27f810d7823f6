# A minimal type-1 hypervisor. The two commands: `make run`, `make check`.
# Each folder adds its own rules in a build.mk fragment included below.

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
SHELL := /bin/bash

BUILD  ?= build
ARGS   ?=
ACCEL  ?= tcg
BOOT   ?= mb2
QUICK  ?=

# Missing Debian packages are installed before any rule is read: rules name
# files those packages provide (gnu-efi's crt0), which make resolves up front.
# Only the top-level make asks, and not for targets that need no package.
NO_DEPS_GOALS := deps clean
ifeq ($(MAKELEVEL),0)
ifneq ($(filter-out $(NO_DEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell tools/deps.sh --check 2>/dev/null; echo $$?),0)
$(info deps: installing the missing Debian packages first (tools/deps.sh))
ifneq ($(shell tools/deps.sh >&2; echo $$?),0)
$(error tools/deps.sh could not install the packages this build needs (see above))
endif
endif
endif
endif

# --- the hypervisor kernel (freestanding, identity-mapped, position independent) ---
KCC := gcc
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -fno-stack-protector \
	-fno-stack-check -fpic -fshort-wchar -mno-red-zone -mgeneral-regs-only \
	-fno-strict-aliasing -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-Wall -Wextra -Wno-unused-parameter -Werror -Iinclude -I. -DHV_KERNEL
NASM := nasm

# Everything in these folders is kernel code; boot/ picks its own entry objects.
KERNEL_C   := $(sort $(wildcard hv/*.c hv/*/*.c mm/*.c svm/*.c vmx/*.c))
KERNEL_ASM := $(sort $(wildcard hv/*.asm hv/*/*.asm svm/*.asm vmx/*.asm))
KERNEL_OBJS := $(KERNEL_C:%.c=$(BUILD)/k/%.o) $(KERNEL_ASM:%.asm=$(BUILD)/k/%.asm.o)

$(BUILD)/k/%.o: %.c
	@mkdir -p $(dir $@)
	$(KCC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/k/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	@# a separate -M pass: NASM 2.16's -MD leaves %include files out of the list
	$(NASM) -f elf64 -I. -M -MT $@ -MP $< > $(@:.o=.d)
	$(NASM) -f elf64 -g -I. -o $@ $<

-include $(KERNEL_OBJS:.o=.d)

# --- host-side code (unit tests, stress tests, benchmarks) ---
HOST_CC := gcc
HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror \
	-Iinclude -I. -DHV_HOSTED -pthread

include $(sort $(wildcard boot/build.mk hv/build.mk mm/build.mk svm/build.mk \
	vmx/build.mk guests/build.mk tests/*.mk tools/build.mk))

.PHONY: all check bench deps clean
all:
check:
bench:

deps:
	tools/deps.sh

clean:
	rm -rf $(BUILD)
