/* The built-in console font (hv/console/font.c): fixed 5x7 glyphs, printable ASCII. */
#ifndef HV_FONT_H
#define HV_FONT_H

#include "types.h"

#define FONT_FIRST_CHAR 0x20
#define FONT_GLYPH_COUNT 95 /* 0x20 .. 0x7E */
#define FONT_WIDTH 5
#define FONT_HEIGHT 7

extern const u8 font_glyphs[FONT_GLYPH_COUNT][FONT_HEIGHT];

#endif
