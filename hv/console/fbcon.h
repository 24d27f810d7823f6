/* A text console drawn on the linear framebuffer (UEFI GOP or a Multiboot2
 * RGB framebuffer). Many bare-metal machines have no serial port. */
#ifndef HV_FBCON_H
#define HV_FBCON_H

#include "boot_info.h"

/* Takes over fb (32 bits per pixel only) and clears it; false when unusable. */
bool fbcon_init(const struct boot_fb *fb);
bool fbcon_present(void);
void fbcon_write(const char *s, size_t n);

#endif
