/* Line-buffered, name-prefixed, filtered and rate-limited guest output (hv/vm/guest_console.h). */
#include "hv/vm/guest_console.h"
#include "hv/vm/vm.h"
#include "hv/console/console.h"
#include "hv/cpu/time.h"
#include "kstring.h"

#define NS_PER_S 1000000000ull

void guest_console_init(struct vm *vm, u32 rate)
{
	struct guest_console *c = &vm->console;

	c->rate = rate;
	c->tokens = 2ull * rate;
	c->refill_ns = time_now_ns();
}

/* Token bucket: rate lines per second, bursts of 2 * rate. */
static bool may_print(struct guest_console *c)
{
	if (!c->rate)
		return true;
	u64 now = time_now_ns(), elapsed = now - c->refill_ns;
	u64 add = elapsed >= 2 * NS_PER_S ? 2ull * c->rate : elapsed * c->rate / NS_PER_S;
	if (add) {
		c->tokens = MIN(c->tokens + add, 2ull * c->rate);
		c->refill_ns = now;
	}
	if (!c->tokens)
		return false;
	c->tokens--;
	return true;
}

/* One console write per line: VMs and the hypervisor print at once, lines stay whole. */
static void emit_line(struct vm *vm)
{
	struct guest_console *c = &vm->console;

	tap_line(&vm->tap, c->line, c->len);
	if (c->raw) {
		/* its bytes went out as they came */
	} else if (may_print(c)) {
		if (c->dropped)
			kprintf("[%s] hv: %lu console line(s) not printed (console_rate=%u lines/s)\n", vm->name,
				(unsigned long)c->dropped, c->rate);
		c->dropped = 0;
		kprintf("[%s] %.*s\n", vm->name, (int)c->len, c->line);
	} else {
		c->dropped++;
		vm->stats.console_dropped++;
	}
	c->len = 0;
}

/* What the operator's terminal may see: printable ASCII and tab. */
static char filtered(struct vm *vm, char ch)
{
	if (ch == '\t' || (ch >= 0x20 && ch < 0x7f))
		return ch;
	vm->stats.console_filtered++;
	return '?';
}

void guest_console_write(struct vm *vm, const char *buf, size_t len)
{
	struct guest_console *c = &vm->console;

	if (c->raw)
		console_write(buf, len);
	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];
		if (ch == '\n') {
			emit_line(vm);
		} else if (ch != '\r') {
			c->line[c->len++] = filtered(vm, ch);
			if (c->len == GUEST_LINE_MAX)
				emit_line(vm);
		}
	}
}

void guest_console_flush(struct vm *vm)
{
	struct guest_console *c = &vm->console;

	if (c->len)
		emit_line(vm);
	if (c->dropped)
		kprintf("[%s] hv: %lu console line(s) not printed (console_rate=%u lines/s)\n", vm->name,
			(unsigned long)c->dropped, c->rate);
	c->dropped = 0;
}
