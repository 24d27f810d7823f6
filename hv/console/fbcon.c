/* Framebuffer text console. Glyphs from hv/console/font.c are scaled into cells.
 * At the bottom it wraps to the top instead of scrolling: scrolling moves the
 * whole framebuffer per line, far too slow under an emulator; the line after
 * the cursor is always blank, so the newest line is easy to find. */
#include "hv/console/fbcon.h"
#include "hv/console/font.h"

#define CELL_GAP_X 1 /* blank font pixels right of and below each glyph */
#define CELL_GAP_Y 2
#define TAB_WIDTH 8
/* Text colour: a pale green that firmware consoles do not use, so tests can
 * tell our text from text the firmware left on the screen. */
#define FG_RED 0xE0u
#define FG_GREEN 0xFFu
#define FG_BLUE 0xE0u

static struct {
	struct boot_fb fb;
	u32 scale, cell_w, cell_h, cols, rows;
	u32 col, row;
	u32 fg, bg;
	bool present;
} con;

static void fill_rect(u32 x, u32 y, u32 w, u32 h, u32 colour)
{
	for (u32 j = 0; j < h; j++) {
		volatile u32 *px = (volatile u32 *)(uintptr_t)(con.fb.base + (u64)(y + j) * con.fb.pitch_bytes) + x;
		for (u32 i = 0; i < w; i++)
			px[i] = colour;
	}
}

static void clear_row(u32 row)
{
	fill_rect(0, row * con.cell_h, con.cols * con.cell_w, con.cell_h, con.bg);
}

static void draw_glyph(u32 col, u32 row, char c)
{
	u8 ch = (u8)c;
	if (ch < FONT_FIRST_CHAR || ch >= FONT_FIRST_CHAR + FONT_GLYPH_COUNT)
		ch = '?';
	const u8 *glyph = font_glyphs[ch - FONT_FIRST_CHAR];
	u32 x0 = col * con.cell_w, y0 = row * con.cell_h;
	fill_rect(x0, y0, con.cell_w, con.cell_h, con.bg);
	for (u32 gy = 0; gy < FONT_HEIGHT; gy++)
		for (u32 gx = 0; gx < FONT_WIDTH; gx++)
			if (glyph[gy] & (1u << (FONT_WIDTH - 1 - gx)))
				fill_rect(x0 + gx * con.scale, y0 + gy * con.scale, con.scale, con.scale, con.fg);
}

static void newline(void)
{
	con.col = 0;
	con.row = (con.row + 1) % con.rows;
	clear_row((con.row + 1) % con.rows); /* keep a blank line after the newest one */
	clear_row(con.row);
}

bool fbcon_init(const struct boot_fb *fb)
{
	con.present = false;
	if (!fb->base || fb->bpp != 32 || fb->width < 160 || fb->height < 100)
		return false;
	con.fb = *fb;
	con.scale = fb->width >= 1024 ? 2 : 1;
	con.cell_w = (FONT_WIDTH + CELL_GAP_X) * con.scale;
	con.cell_h = (FONT_HEIGHT + CELL_GAP_Y) * con.scale;
	con.cols = fb->width / con.cell_w;
	con.rows = fb->height / con.cell_h;
	con.fg = (FG_RED << fb->red_shift) | (FG_GREEN << fb->green_shift) | (FG_BLUE << fb->blue_shift);
	con.bg = 0;
	con.col = con.row = 0;
	fill_rect(0, 0, fb->width, fb->height, con.bg);
	return con.present = true;
}

bool fbcon_present(void)
{
	return con.present;
}

void fbcon_write(const char *s, size_t n)
{
	if (!con.present)
		return;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\n') {
			newline();
		} else if (c == '\r') {
			con.col = 0;
		} else if (c == '\t') {
			do
				fbcon_write(" ", 1);
			while (con.col % TAB_WIDTH);
		} else {
			if (con.col >= con.cols)
				newline();
			draw_glyph(con.col++, con.row, c);
		}
	}
}
