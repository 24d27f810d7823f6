/* The string functions the freestanding set provides (hv/string.c); hosted builds use libc's. */
#ifndef HV_KSTRING_H
#define HV_KSTRING_H

#include "types.h"

#ifdef HV_HOSTED
#include <string.h>
#else
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
#endif

#endif
