/*
 * Everything a test guest uses. A guest defines test_main(); the runtime
 * calls it after setting up serial output, exceptions and the boot
 * information, then ends the guest with tap_finish().
 */
#ifndef GUEST_H
#define GUEST_H

#include "cpu.h"
#include "fw_cfg.h"
#include "gstring.h"
#include "hcall.h"
#include "idt.h"
#include "multiboot.h"
#include "print.h"
#include "serial.h"
#include "tap.h"
#ifdef __x86_64__
#include "paging.h"
#include "smp.h"
#include "usermode.h"
#endif

void test_main(void);

/* Image bounds from the linker script (guests/lib/guest.ld). */
extern char __image_start[], __rodata_end[], __data_end[], __bss_end[];

/* A word the linker puts last in the loaded image: a flat loader that
 * loaded all of it leaves it intact. */
#define END_MARKER_VALUE 0x21444E45u /* "END!" */
#define DEFINE_END_MARKER \
	__attribute__((section(".end_marker"), used)) volatile u32 end_marker = END_MARKER_VALUE

#endif
