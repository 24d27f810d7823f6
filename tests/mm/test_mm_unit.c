/* Unit tests of the MMU core: locks, epochs, memslots (against a reference model), the TDP MMU. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/unit/unit.h"
#include "tests/mm/host.h"

static const struct nx_params nx_off = { .enabled = false, .ratio = 1, .period_ms = 100 };
static const struct nx_params nx_on = { .enabled = true, .ratio = 1, .period_ms = 100 };

/* ---------- helpers ---------- */

static int commit1(struct vm_mmu *vm, struct memslot_change c)
{
	return memslots_commit(vm, &c, 1, NULL);
}

static int create_slot(struct vm_mmu *vm, u64 gfn, u64 npages, u64 pfn, u32 flags)
{
	return commit1(vm, (struct memslot_change){ .op = MEMSLOT_CREATE, .gfn = gfn, .npages = npages,
						    .host_pfn = pfn, .flags = flags });
}

/* Fault at gfn on vCPU v (loading a root first) and return the result. */
static int fault(struct sim_vm *s, struct sim_vcpu *v, u64 gfn, unsigned access)
{
	for (;;) {
		if (tdp_reload_needed(v->mmu))
			assert_int_equal(tdp_load_root(v->mmu, &v->root_pa), 0);
		int r = tdp_fault(s->vm, v->mmu, gfn << PAGE_SHIFT, access);
		if (r != TDP_RETRY)
			return r;
	}
}

/* The leaf mapping gfn right now: its level, or 0 when none. */
static int mapped_level(struct sim_vm *s, struct sim_vcpu *v, u64 gfn, u64 *pfn, unsigned *perm)
{
	u64 p, *leaf;
	unsigned pm;
	int level;
	if (tdp_reload_needed(v->mmu) || sim_walk(s, v->root_pa, gfn, &p, &pm, &leaf, &level) != 1)
		return 0;
	if (pfn)
		*pfn = p;
	if (perm)
		*perm = pm;
	return level;
}

static u64 count_leaves(struct vm_mmu *vm, struct tdp_root *root, u64 start, u64 end)
{
	struct tdp_iter it;
	u64 n = 0;
	for (tdp_iter_start(&it, vm->fmt, root->table, SPTE_ROOT_LEVEL, 0, start, end, SPTE_LEVEL_4K);
	     it.valid; tdp_iter_next(&it))
		if (spte_present(vm->fmt, it.old) && spte_leaf(vm->fmt, it.old, it.level))
			n++;
	return n;
}

static struct tdp_stats stats(struct vm_mmu *vm)
{
	struct tdp_stats st;
	tdp_get_stats(vm, &st);
	return st;
}

/* ---------- entry formats ---------- */

static u64 broken_table(u64 pa)
{
	return pa; /* not present */
}

static void test_format_check(void **state)
{
	assert_null(spte_format_check(&test_ept));
	assert_null(spte_format_check(&test_npt));
	struct spte_format bad = test_ept;
	bad.make_table = broken_table;
	assert_non_null(spte_format_check(&bad));
	bad = test_ept;
	bad.max_leaf_level = 4;
	assert_non_null(spte_format_check(&bad));
	bad = test_ept;
	bad.mmio_gen_bits = 40;
	assert_non_null(spte_format_check(&bad));
	struct mmu_config cfg = { .format = &bad, .max_vcpus = 1 };
	struct vm_mmu *vm;
	assert_int_equal(mmu_create(&cfg, &vm), TDP_E_INVALID);
}

/* ---------- rwlock ---------- */

static struct rwlock test_lock;
static u32 flag;

static void *write_locker(void *arg)
{
	write_lock(&test_lock);
	__atomic_store_n(&flag, 1, __ATOMIC_SEQ_CST);
	write_unlock(&test_lock);
	return NULL;
}

static void test_rwlock_needbreak(void **state)
{
	rwlock_init(&test_lock);
	read_lock(&test_lock);
	read_lock(&test_lock); /* two readers at once */
	assert_false(rwlock_needbreak(&test_lock));
	flag = 0;
	pthread_t t;
	pthread_create(&t, NULL, write_locker, NULL);
	while (!rwlock_needbreak(&test_lock))
		usleep(100);
	usleep(2000);
	assert_int_equal(__atomic_load_n(&flag, __ATOMIC_SEQ_CST), 0); /* excluded by readers */
	read_unlock(&test_lock);
	read_unlock(&test_lock);
	pthread_join(t, NULL);
	assert_int_equal(flag, 1);
	assert_false(rwlock_needbreak(&test_lock));
	assert_true(write_trylock(&test_lock));
	assert_false(write_trylock(&test_lock));
	write_unlock(&test_lock);
}

/* Readers with a slot of their own (vCPUs) exclude writers the same way. */
static struct rwlock_reader test_slots[3];

static void test_rwlock_reader_slots(void **state)
{
	rwlock_init_slots(&test_lock, test_slots, 3);
	read_lock_slot(&test_lock, 0);
	read_lock_slot(&test_lock, 2);
	assert_false(write_trylock(&test_lock));
	flag = 0;
	pthread_t t;
	pthread_create(&t, NULL, write_locker, NULL);
	while (!rwlock_needbreak(&test_lock) && !__atomic_load_n(&flag, __ATOMIC_SEQ_CST))
		usleep(100);
	usleep(2000);
	assert_int_equal(__atomic_load_n(&flag, __ATOMIC_SEQ_CST), 0); /* excluded by slot readers */
	read_unlock_slot(&test_lock, 0);
	usleep(2000);
	assert_int_equal(__atomic_load_n(&flag, __ATOMIC_SEQ_CST), 0); /* slot 2 is still inside */
	read_unlock_slot(&test_lock, 2);
	pthread_join(t, NULL);
	assert_int_equal(flag, 1);
	assert_true(write_trylock(&test_lock));
	write_unlock(&test_lock);
	read_lock(&test_lock); /* a reader without a slot still excludes writers */
	assert_false(write_trylock(&test_lock));
	read_unlock(&test_lock);
	assert_true(write_trylock(&test_lock));
	write_unlock(&test_lock);
}

/* ---------- epoch ---------- */

static struct epoch test_epoch;
static struct epoch_reader test_readers[2];
static u32 synced;

static void *synchronizer(void *arg)
{
	epoch_synchronize(&test_epoch);
	__atomic_store_n(&synced, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_epoch_grace_period(void **state)
{
	epoch_init(&test_epoch, test_readers, 2);
	epoch_synchronize(&test_epoch); /* nobody inside: returns at once */
	epoch_enter(&test_epoch, &test_readers[1]);
	epoch_enter(&test_epoch, &test_readers[1]); /* nested */
	synced = 0;
	pthread_t t;
	pthread_create(&t, NULL, synchronizer, NULL);
	usleep(5000);
	assert_int_equal(__atomic_load_n(&synced, __ATOMIC_SEQ_CST), 0);
	epoch_leave(&test_readers[1]);
	usleep(5000);
	assert_int_equal(__atomic_load_n(&synced, __ATOMIC_SEQ_CST), 0); /* still nested */
	epoch_leave(&test_readers[1]);
	pthread_join(t, NULL);
	assert_int_equal(synced, 1);
	/* a reader that enters after synchronize started does not hold it up */
	epoch_enter(&test_epoch, &test_readers[0]);
	u64 entered = test_readers[0].entered;
	epoch_leave(&test_readers[0]);
	assert_true(entered >= 2);
}

/* A vCPU inside its read section holds the old snapshot: the update waits for it. */
struct reader_arg {
	struct vm_mmu *vm;
	struct vcpu_mmu *v;
	u32 inside, left;
	u64 base_seen;
};

static void *snapshot_reader(void *p)
{
	struct reader_arg *a = p;
	epoch_enter(&a->vm->epoch, &a->vm->readers[a->v->index]);
	const struct memslots *snap = __atomic_load_n(&a->vm->slots, __ATOMIC_SEQ_CST);
	__atomic_store_n(&a->inside, 1, __ATOMIC_SEQ_CST);
	usleep(50000);
	a->base_seen = snap->slots[0].base_gfn; /* poisoned if it was freed */
	__atomic_store_n(&a->left, 1, __ATOMIC_SEQ_CST);
	epoch_leave(&a->vm->readers[a->v->index]);
	return NULL;
}

static void test_update_waits_for_readers(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, (struct nx_params){ .ratio = 1 });
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct memslot_change c = { .op = MEMSLOT_CREATE, .gfn = 0x100, .npages = 1, .host_pfn = 0x1000 };
	assert_int_equal(memslots_commit(s.vm, &c, 1, NULL), MEMSLOT_OK);
	struct reader_arg a = { .vm = s.vm, .v = v->mmu };
	pthread_t t;
	pthread_create(&t, NULL, snapshot_reader, &a);
	while (!__atomic_load_n(&a.inside, __ATOMIC_SEQ_CST))
		usleep(100);
	c = (struct memslot_change){ .op = MEMSLOT_DELETE, .gfn = 0x100 };
	assert_int_equal(memslots_commit(s.vm, &c, 1, NULL), MEMSLOT_OK);
	assert_int_equal(__atomic_load_n(&a.left, __ATOMIC_SEQ_CST), 1); /* returned after the reader left */
	pthread_join(t, NULL);
	assert_int_equal(a.base_seen, 0x100);
	sim_vm_destroy(&s);
}

/* ---------- memslots against a reference model ---------- */

#define MODEL_GFNS 512
#define MODEL_MAX 64

struct model_slot { u64 base, n, pfn; u32 flags; };
struct model { struct model_slot s[MODEL_MAX * 2]; u32 count; };

static int model_find(struct model *m, u64 base)
{
	for (u32 i = 0; i < m->count; i++)
		if (m->s[i].base == base)
			return i;
	return -1;
}

static int model_range(u64 gfn, u64 n, u64 pfn)
{
	if (n == 0)
		return MEMSLOT_E_EMPTY;
	if (gfn + n > MEMSLOT_GFN_LIMIT || gfn >= MEMSLOT_GFN_LIMIT || pfn + n > (1ull << 52))
		return MEMSLOT_E_RANGE;
	return 0;
}

/* The same rules, written the plain way (linear search, painting gfns). */
static int model_step(struct model *m, const struct memslot_change *c, u32 limit)
{
	int i = c->op == MEMSLOT_CREATE ? -1 : model_find(m, c->gfn);
	int err;
	switch (c->op) {
	case MEMSLOT_CREATE:
		if ((err = model_range(c->gfn, c->npages, c->host_pfn)))
			return err;
		if (c->flags & ~MEMSLOT_FLAGS_ALL)
			return MEMSLOT_E_BAD_FLAGS;
		if (model_find(m, c->gfn) >= 0)
			return MEMSLOT_E_EXISTS;
		if (m->count == limit)
			return MEMSLOT_E_TOO_MANY;
		m->s[m->count++] = (struct model_slot){ c->gfn, c->npages, c->host_pfn, c->flags };
		return 0;
	case MEMSLOT_DELETE:
		if (i < 0)
			return MEMSLOT_E_NOT_FOUND;
		m->s[i] = m->s[--m->count];
		return 0;
	case MEMSLOT_SET_FLAGS:
		if (i < 0)
			return MEMSLOT_E_NOT_FOUND;
		if (c->flags & ~MEMSLOT_FLAGS_ALL)
			return MEMSLOT_E_BAD_FLAGS;
		m->s[i].flags = c->flags;
		return 0;
	default:
		break;
	}
	if (i < 0)
		return MEMSLOT_E_NOT_FOUND;
	if (m->s[i].flags & MEMSLOT_DIRTY_LOG)
		return MEMSLOT_E_DIRTY_LOG;
	if (c->op == MEMSLOT_MOVE) {
		if ((err = model_range(c->to_gfn, m->s[i].n, m->s[i].pfn)))
			return err;
		if (c->to_gfn != m->s[i].base && model_find(m, c->to_gfn) >= 0)
			return MEMSLOT_E_EXISTS;
		m->s[i].base = c->to_gfn;
		return 0;
	}
	if (c->op == MEMSLOT_RESIZE) {
		if ((err = model_range(m->s[i].base, c->npages, m->s[i].pfn)))
			return err;
		m->s[i].n = c->npages;
		return 0;
	}
	if (c->to_gfn <= m->s[i].base || c->to_gfn >= m->s[i].base + m->s[i].n)
		return MEMSLOT_E_BAD_SPLIT;
	if (m->count == limit)
		return MEMSLOT_E_TOO_MANY;
	struct model_slot tail = m->s[i];
	tail.base = c->to_gfn;
	tail.n = m->s[i].base + m->s[i].n - c->to_gfn;
	tail.pfn = m->s[i].pfn + (c->to_gfn - m->s[i].base);
	m->s[i].n = c->to_gfn - m->s[i].base;
	m->s[m->count++] = tail;
	return 0;
}

/* -1 where no slot, else the index of the slot painted there; -2 = overlap. */
static int model_paint(struct model *m, int *owner)
{
	for (u32 g = 0; g < MODEL_GFNS; g++)
		owner[g] = -1;
	for (u32 i = 0; i < m->count; i++)
		for (u64 g = m->s[i].base; g < m->s[i].base + m->s[i].n; g++) {
			if (g >= MODEL_GFNS)
				break;
			if (owner[g] >= 0)
				return -2;
			owner[g] = i;
		}
	/* overlaps beyond the painted window */
	for (u32 i = 0; i < m->count; i++)
		for (u32 j = i + 1; j < m->count; j++)
			if (m->s[i].base < m->s[j].base + m->s[j].n && m->s[j].base < m->s[i].base + m->s[i].n)
				return -2;
	return 0;
}

static struct memslot_change random_change(struct model *m, unsigned *seed)
{
	struct memslot_change c = { .op = rand_r(seed) % 6 };
	bool existing = m->count && rand_r(seed) % 8;
	const struct model_slot *s = existing ? &m->s[rand_r(seed) % m->count] : NULL;
	c.gfn = s ? s->base : (u64)(rand_r(seed) % MODEL_GFNS);
	c.npages = rand_r(seed) % 6 == 0 ? 0 : 1 + rand_r(seed) % 40;
	c.to_gfn = s && rand_r(seed) % 2 ? s->base + rand_r(seed) % (s->n + 1) : (u64)(rand_r(seed) % MODEL_GFNS);
	c.host_pfn = 0x1000 + rand_r(seed) % 4096;
	c.flags = rand_r(seed) % 16 == 0 ? 8 : rand_r(seed) % 4;
	if (rand_r(seed) % 50 == 0)
		c.gfn = MEMSLOT_GFN_LIMIT - rand_r(seed) % 8;
	if (c.op == MEMSLOT_CREATE && rand_r(seed) % 3)
		c.flags &= ~MEMSLOT_DIRTY_LOG;
	return c;
}

static void check_against_model(struct vm_mmu *vm, struct model *m)
{
	int owner[MODEL_GFNS];
	assert_int_equal(model_paint(m, owner), 0);
	for (u32 g = 0; g < MODEL_GFNS; g++) {
		u64 pfn;
		u32 flags;
		bool found = memslots_gfn_to_pfn(vm, g, &pfn, &flags);
		assert_int_equal(found, owner[g] >= 0);
		if (found) {
			const struct model_slot *s = &m->s[owner[g]];
			assert_int_equal(pfn, s->pfn + (g - s->base));
			assert_int_equal(flags, s->flags);
		}
	}
	assert_int_equal(vm->slots->count, m->count);
}

static void reference_model_run(unsigned first_seed)
{
	unsigned seed = first_seed;
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_off);
	struct model m = { .count = 0 };
	u32 ok = 0, rejected = 0;
	for (u32 round = 0; round < 3000; round++) {
		struct memslot_change steps[6];
		u32 n = 1 + rand_r(&seed) % 6;
		struct model next = m;
		int want = 0;
		u32 want_step = 0;
		for (u32 i = 0; i < n; i++) {
			steps[i] = random_change(&next, &seed);
			if (!want && (want = model_step(&next, &steps[i], MEMSLOTS_MAX)))
				want_step = i;
		}
		int owner[MODEL_GFNS];
		if (!want && model_paint(&next, owner) == -2) {
			want = MEMSLOT_E_OVERLAP;
			want_step = n;
		}
		u32 bad = 99;
		int got = memslots_commit(s.vm, steps, n, &bad);
		if (got != want)
			fail_msg("round %u: got %d (%s), model says %d (%s)", round, got, memslot_strerror(got),
				 want, memslot_strerror(want));
		if (got) {
			if (bad != want_step) {
				for (u32 i = 0; i < n; i++)
					print_message("step %u: op %d gfn %#llx n %llu to %#llx flags %u\n", i, steps[i].op,
						      (unsigned long long)steps[i].gfn, (unsigned long long)steps[i].npages,
						      (unsigned long long)steps[i].to_gfn, steps[i].flags);
				fail_msg("round %u: error %d at step %u, model says step %u", round, got, bad, want_step);
			}
			rejected++;
		} else {
			m = next;
			ok++;
		}
		if (round % 100 == 0 || !got)
			check_against_model(s.vm, &m);
	}
	print_message("# seed %u: %u transactions committed, %u rejected\n", first_seed, ok, rejected);
	assert_true(ok > 200 && rejected > 200);
	sim_vm_destroy(&s);
}

/* Random transactions (a fuzzer's diet) on the real thing and on a plain model, seed after seed. */
static void test_memslot_reference_model(void **state)
{
	for (unsigned seed = 1; seed <= 8; seed++)
		reference_model_run(seed * 7919);
}

static void test_memslot_errors(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_off);
	struct vm_mmu *vm = s.vm;
	assert_int_equal(create_slot(vm, 100, 50, 0x1000, 0), MEMSLOT_OK);
	assert_int_equal(create_slot(vm, 120, 10, 0x1000, 0), MEMSLOT_E_OVERLAP);
	assert_int_equal(create_slot(vm, 200, 0, 0x1000, 0), MEMSLOT_E_EMPTY);
	assert_int_equal(create_slot(vm, MEMSLOT_GFN_LIMIT - 1, 2, 0x1000, 0), MEMSLOT_E_RANGE);
	assert_int_equal(create_slot(vm, 300, 1, 0x1000, 0x80), MEMSLOT_E_BAD_FLAGS);
	assert_int_equal(create_slot(vm, 100, 1, 0x1000, 0), MEMSLOT_E_EXISTS);
	assert_int_equal(commit1(vm, (struct memslot_change){ .op = MEMSLOT_DELETE, .gfn = 101 }),
			 MEMSLOT_E_NOT_FOUND);
	assert_int_equal(commit1(vm, (struct memslot_change){ .op = MEMSLOT_SPLIT, .gfn = 100, .to_gfn = 100 }),
			 MEMSLOT_E_BAD_SPLIT);
	assert_int_equal(commit1(vm, (struct memslot_change){ .op = 77, .gfn = 100 }), MEMSLOT_E_BAD_OP);
	assert_int_equal(memslots_commit(vm, NULL, 0, NULL), MEMSLOT_E_BAD_OP);
	assert_int_equal(commit1(vm, (struct memslot_change){ .op = MEMSLOT_SET_FLAGS, .gfn = 100,
							      .flags = MEMSLOT_DIRTY_LOG }), MEMSLOT_OK);
	assert_int_equal(commit1(vm, (struct memslot_change){ .op = MEMSLOT_RESIZE, .gfn = 100, .npages = 5 }),
			 MEMSLOT_E_DIRTY_LOG);
	/* a rejected transaction changes nothing, even after steps that succeeded */
	struct memslot_change two[2] = {
		{ .op = MEMSLOT_CREATE, .gfn = 1000, .npages = 10, .host_pfn = 0x5000 },
		{ .op = MEMSLOT_DELETE, .gfn = 999 },
	};
	u32 bad;
	u64 gen = memslots_generation(vm);
	assert_int_equal(memslots_commit(vm, two, 2, &bad), MEMSLOT_E_NOT_FOUND);
	assert_int_equal(bad, 1);
	u64 pfn;
	assert_false(memslots_gfn_to_pfn(vm, 1000, &pfn, NULL));
	assert_int_equal(memslots_generation(vm), gen);
	/* overlaps are judged on the result: a swap in one transaction is fine */
	assert_int_equal(create_slot(vm, 2000, 10, 0x9000, 0), MEMSLOT_OK);
	assert_int_equal(create_slot(vm, 2010, 10, 0xa000, 0), MEMSLOT_OK);
	struct memslot_change swap[3] = {
		{ .op = MEMSLOT_MOVE, .gfn = 2000, .to_gfn = 3000 },
		{ .op = MEMSLOT_MOVE, .gfn = 2010, .to_gfn = 2000 },
		{ .op = MEMSLOT_MOVE, .gfn = 3000, .to_gfn = 2010 },
	};
	assert_int_equal(memslots_commit(vm, swap, 3, NULL), MEMSLOT_OK);
	assert_true(memslots_gfn_to_pfn(vm, 2000, &pfn, NULL));
	assert_int_equal(pfn, 0xa000);
	assert_int_equal(memslots_generation(vm), gen + 3);
	for (int e = 0; e >= MEMSLOT_E_REFUSED; e--)
		assert_string_not_equal(memslot_strerror(e), "unknown memslot error");
	sim_vm_destroy(&s);
}

/* The caller's check sees the result: here, "no slot ends beyond gfn 1000". */
static bool ends_below_1000(void *ctx, const struct memslot *m)
{
	(*(u32 *)ctx)++;
	return m->base_gfn + m->npages <= 1000;
}

static void test_memslot_checked(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_off);
	struct vm_mmu *vm = s.vm;
	u32 calls = 0, bad;
	struct memslot refused;
	struct memslot_change c = { .op = MEMSLOT_CREATE, .gfn = 100, .npages = 50, .host_pfn = 0x1000 };
	assert_int_equal(memslots_commit_checked(vm, &c, 1, &bad, ends_below_1000, &calls, &refused),
			 MEMSLOT_OK);
	assert_int_equal(calls, 1);
	/* growing past the rule is refused as a whole, and the slot stays as it was */
	struct memslot_change grow[2] = {
		{ .op = MEMSLOT_CREATE, .gfn = 500, .npages = 10, .host_pfn = 0x2000 },
		{ .op = MEMSLOT_RESIZE, .gfn = 100, .npages = 901 },
	};
	u64 gen = memslots_generation(vm);
	assert_int_equal(memslots_commit_checked(vm, grow, 2, &bad, ends_below_1000, &calls, &refused),
			 MEMSLOT_E_OVERLAP); /* overlap is judged before the caller's rule */
	grow[1].npages = 400;
	assert_int_equal(memslots_commit_checked(vm, grow, 2, &bad, ends_below_1000, &calls, &refused),
			 MEMSLOT_OK);
	grow[0] = (struct memslot_change){ .op = MEMSLOT_MOVE, .gfn = 500, .to_gfn = 995 };
	grow[1] = (struct memslot_change){ .op = MEMSLOT_DELETE, .gfn = 100 };
	assert_int_equal(memslots_commit_checked(vm, grow, 2, &bad, ends_below_1000, &calls, &refused),
			 MEMSLOT_E_REFUSED);
	assert_int_equal(bad, 2);
	assert_int_equal(refused.base_gfn, 995);
	assert_int_equal(refused.npages, 10);
	u64 pfn;
	assert_true(memslots_gfn_to_pfn(vm, 100, &pfn, NULL));
	assert_true(memslots_gfn_to_pfn(vm, 500, &pfn, NULL));
	assert_int_equal(memslots_generation(vm), gen + 1);
	sim_vm_destroy(&s);
}

static void test_memslot_32k_slots(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_off);
	u32 n = MEMSLOTS_MAX;
	struct memslot_change *c = calloc(n + 1, sizeof(*c));
	for (u32 i = 0; i < n + 1; i++)
		c[i] = (struct memslot_change){ .op = MEMSLOT_CREATE, .gfn = 4ull * (n - i), .npages = 2,
						.host_pfn = 0x100000 + 2 * i };
	u32 bad;
	assert_int_equal(memslots_commit(s.vm, c, n + 1, &bad), MEMSLOT_E_TOO_MANY);
	assert_int_equal(bad, n);
	assert_int_equal(memslots_commit(s.vm, c, n, NULL), MEMSLOT_OK);
	assert_int_equal(s.vm->slots->count, n);
	u32 cache = 0;
	for (u32 i = 0; i < n; i++) {
		u64 gfn = 4ull * (n - i);
		const struct memslot *m = memslots_find(s.vm->slots, gfn + 1, &cache);
		assert_non_null(m);
		assert_int_equal(m->host_pfn, 0x100000 + 2 * i);
		assert_null(memslots_find(s.vm->slots, gfn + 2, &cache));
	}
	free(c);
	sim_vm_destroy(&s);
}

/* ---------- TDP MMU ---------- */

static void test_fault_levels(void **state)
{
	const struct spte_format *fmts[] = { &test_ept, &test_npt };
	for (u32 fi = 0; fi < 2; fi++) {
		struct sim_vm s;
		u64 base_pages = host_pages_live();
		sim_vm_init(&s, fmts[fi], nx_off);
		struct sim_vcpu *v = sim_vcpu_add(&s);
		struct vm_mmu *vm = s.vm;
		/* 2 GiB at 1 GiB, backing 1G-aligned: 1G leaves; a 4K-misaligned slot: 4K only */
		assert_int_equal(create_slot(vm, 0x40000, 0x80000, 0x40000000, 0), MEMSLOT_OK);
		assert_int_equal(create_slot(vm, 0x10000, 0x400, 0x2000001, 0), MEMSLOT_OK);
		assert_int_equal(create_slot(vm, 0x20000, 0x400, 0x3000000, 0), MEMSLOT_OK);
		assert_int_equal(create_slot(vm, 0x30000, 0x10, 0x4000000, MEMSLOT_READONLY), MEMSLOT_OK);
		u64 pfn;
		unsigned perm;
		assert_int_equal(fault(&s, v, 0x40000 + 0x1234, MM_WRITE), TDP_MAPPED);
		assert_int_equal(mapped_level(&s, v, 0x40000 + 0x1234, &pfn, &perm), SPTE_LEVEL_1G);
		assert_int_equal(pfn, 0x40000000 + 0x1234);
		assert_int_equal(perm, MM_READ | MM_WRITE | MM_EXEC);
		assert_int_equal(fault(&s, v, 0x10005, MM_READ), TDP_MAPPED);
		assert_int_equal(mapped_level(&s, v, 0x10005, &pfn, NULL), SPTE_LEVEL_4K);
		assert_int_equal(pfn, 0x2000006);
		assert_int_equal(fault(&s, v, 0x20201, MM_READ), TDP_MAPPED);
		assert_int_equal(mapped_level(&s, v, 0x20201, &pfn, NULL), SPTE_LEVEL_2M);
		assert_int_equal(pfn, 0x3000201);
		/* again: spurious */
		assert_int_equal(fault(&s, v, 0x20202, MM_READ), TDP_MAPPED);
		assert_int_equal(stats(vm).faults_spurious, 1);
		/* read-only slot: reads map read-only, writes are MMIO */
		assert_int_equal(fault(&s, v, 0x30001, MM_WRITE), TDP_MMIO);
		assert_int_equal(fault(&s, v, 0x30001, MM_READ), TDP_MAPPED);
		assert_int_equal(mapped_level(&s, v, 0x30001, NULL, &perm), SPTE_LEVEL_4K);
		assert_int_equal(perm & MM_WRITE, 0);
		assert_int_equal(tdp_fault(vm, v->mmu, 1ull << 60, MM_READ), TDP_E_GPA);
		assert_int_equal(tdp_fault(vm, v->mmu, 0, 0), TDP_E_INVALID);
		struct tdp_stats st = stats(vm);
		assert_int_equal(st.mapped_1g, 1);
		assert_int_equal(st.mapped_2m, 1);
		assert_int_equal(st.mapped_4k, 2);
		assert_int_equal(st.pages_mapped, 0x40000 + 0x200 + 2);
		sim_vm_destroy(&s);
		assert_int_equal(host_pages_live(), base_pages);
	}
}

static void test_mmio_markers(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_off);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct vm_mmu *vm = s.vm;
	assert_int_equal(create_slot(vm, 0, 16, 0x1000, 0), MEMSLOT_OK);
	assert_int_equal(fault(&s, v, 0x100, MM_READ), TDP_MMIO);
	assert_int_equal(stats(vm).mmio_markers_installed, 1);
	u64 pfn, *leaf;
	unsigned perm;
	int level;
	assert_int_equal(sim_walk(&s, v->root_pa, 0x100, &pfn, &perm, &leaf, &level), -1);
	assert_int_equal(fault(&s, v, 0x100, MM_WRITE), TDP_MMIO);
	assert_int_equal(stats(vm).mmio_marker_hits, 1);
	/* a slot appears there: the marker's generation is old, the slow path maps it */
	assert_int_equal(create_slot(vm, 0x100, 1, 0x2000, 0), MEMSLOT_OK);
	assert_int_equal(fault(&s, v, 0x100, MM_READ), TDP_MAPPED);
	assert_int_equal(stats(vm).mmio_marker_misses, 1);
	assert_int_equal(mapped_level(&s, v, 0x100, &pfn, NULL), SPTE_LEVEL_4K);
	assert_int_equal(pfn, 0x2000);
	sim_vm_destroy(&s);
}

/* While an update is in progress nothing is cached, and no marker is trusted (MMU.md §2). */
static void test_no_marker_while_update_in_progress(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_off);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct vm_mmu *vm = s.vm;
	u64 gen = memslots_generation(vm);
	__atomic_store_n(&vm->slots_gen, gen | MEMSLOT_GEN_IN_PROGRESS, __ATOMIC_SEQ_CST);
	assert_int_equal(fault(&s, v, 0x100, MM_READ), TDP_MMIO);
	assert_int_equal(stats(vm).mmio_markers_installed, 0);
	__atomic_store_n(&vm->slots_gen, gen, __ATOMIC_SEQ_CST);
	assert_int_equal(fault(&s, v, 0x100, MM_READ), TDP_MMIO); /* now cached */
	assert_int_equal(stats(vm).mmio_markers_installed, 1);
	__atomic_store_n(&vm->slots_gen, gen | MEMSLOT_GEN_IN_PROGRESS, __ATOMIC_SEQ_CST);
	assert_int_equal(fault(&s, v, 0x100, MM_READ), TDP_MMIO);
	assert_int_equal(stats(vm).mmio_marker_hits, 0); /* not trusted meanwhile */
	__atomic_store_n(&vm->slots_gen, gen, __ATOMIC_SEQ_CST);
	assert_int_equal(fault(&s, v, 0x100, MM_READ), TDP_MMIO);
	assert_int_equal(stats(vm).mmio_marker_hits, 1);
	sim_vm_destroy(&s);
}

/*
 * MMU.md §2 with a real vCPU thread: it looks up the old layout (no slot at
 * gfn X: "MMIO") and is held before it tags a marker, while another thread
 * commits a slot at X. Whatever generation it then reads must not give a
 * marker that is still current after the update returned: X is RAM now.
 * (Without the in-progress bit and the bump after the grace period, e.g. a
 * single bump at publish, the marker carries the new generation.)
 */
#define GEN_X 0x700ull

struct gen_race {
	struct sim_vm *s;
	struct sim_vcpu *v;
	int fault_result;
	int commit_result;
};

static void *gen_race_vcpu(void *p)
{
	struct gen_race *g = p;
	g->fault_result = tdp_fault(g->s->vm, g->v->mmu, GEN_X << PAGE_SHIFT, MM_READ);
	return NULL;
}

static void *gen_race_updater(void *p)
{
	struct gen_race *g = p;
	g->commit_result = create_slot(g->s->vm, GEN_X, 1, 0x3000, 0);
	return NULL;
}

static void test_generation_marker_race(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_off);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct vm_mmu *vm = s.vm;
	assert_int_equal(create_slot(vm, 0, 16, 0x1000, 0), MEMSLOT_OK);
	assert_int_equal(fault(&s, v, 1, MM_READ), TDP_MAPPED); /* a root */
	struct gen_race g = { .s = &s, .v = v };
	const struct memslots *old = __atomic_load_n(&vm->slots, __ATOMIC_SEQ_CST);
	/* hold mmu_lock: the vCPU takes the old snapshot, then waits for the lock */
	write_lock(&vm->mmu_lock);
	pthread_t vt, ut;
	pthread_create(&vt, NULL, gen_race_vcpu, &g);
	while (!__atomic_load_n(&vm->mmu_lock.readers_waiting, __ATOMIC_SEQ_CST))
		usleep(100);
	pthread_create(&ut, NULL, gen_race_updater, &g);
	while (__atomic_load_n(&vm->slots, __ATOMIC_SEQ_CST) == old)
		usleep(100);
	usleep(2000); /* the update goes as far as it can without the vCPU */
	write_unlock(&vm->mmu_lock);
	pthread_join(vt, NULL);
	pthread_join(ut, NULL);
	assert_int_equal(g.commit_result, MEMSLOT_OK);
	assert_int_equal(g.fault_result, TDP_MMIO); /* decided from the old layout: fine then */
	u64 pfn = 0;
	int r = fault(&s, v, GEN_X, MM_READ);
	if (r != TDP_MAPPED)
		fail_msg("gfn %#llx is RAM after the update returned, but the fault says %s "
			 "(a marker tagged during the update is still current: %llu installed, %llu hits)",
			 (unsigned long long)GEN_X, tdp_strerror(r),
			 (unsigned long long)stats(vm).mmio_markers_installed,
			 (unsigned long long)stats(vm).mmio_marker_hits);
	assert_int_equal(mapped_level(&s, v, GEN_X, &pfn, NULL), SPTE_LEVEL_4K);
	assert_int_equal(pfn, 0x3000);
	sim_vm_destroy(&s);
}

/* With 2 generation bits, the 4th update wraps them: every marker is zapped first. */
static void test_mmio_marker_wrap(void **state)
{
	struct sim_vm s;
	int saved = test_mmio_gen_bits;
	struct spte_format narrow = test_ept;
	narrow.mmio_gen_bits = test_mmio_gen_bits = 2;
	sim_vm_init(&s, &narrow, nx_off);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct vm_mmu *vm = s.vm;
	assert_int_equal(fault(&s, v, 0x500, MM_READ), TDP_MMIO); /* marker, generation 0 */
	u64 pfn, *leaf;
	unsigned perm;
	int level;
	for (u32 i = 0; i < 3; i++) {
		assert_int_equal(create_slot(vm, 0x1000 + i, 1, 0x1000, 0), MEMSLOT_OK);
		assert_int_equal(sim_walk(&s, v->root_pa, 0x500, &pfn, &perm, &leaf, &level), -1);
	}
	assert_int_equal(stats(vm).mmio_marker_wraps, 0);
	for (u64 g = 0x501; g < 0x540; g++) /* more markers: a walk long enough to break */
		assert_int_equal(fault(&s, v, g, MM_READ), TDP_MMIO);
	u64 breaks = stats(vm).lock_breaks;
	host_yield_every = 1;
	assert_int_equal(create_slot(vm, 0x2000, 1, 0x1000, 0), MEMSLOT_OK); /* generation 4: bits 0 */
	host_yield_every = 0;
	assert_int_equal(stats(vm).mmio_marker_wraps, 1);
	assert_true(stats(vm).lock_breaks > breaks); /* the walk over every root yields */
	for (u64 g = 0x500; g < 0x540; g++)
		assert_int_equal(sim_walk(&s, v->root_pa, g, &pfn, &perm, &leaf, &level), 0);
	sim_vm_destroy(&s);
	test_mmio_gen_bits = saved;
}

static void test_zap_range(void **state)
{
	u64 base_pages = host_pages_live();
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_off);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct vm_mmu *vm = s.vm;
	assert_int_equal(create_slot(vm, 0, 4096, 0x100001, 0), MEMSLOT_OK); /* 4K only */
	for (u64 g = 0; g < 4096; g++)
		assert_int_equal(fault(&s, v, g, MM_READ), TDP_MAPPED);
	assert_int_equal(count_leaves(vm, v->mmu->root, 0, TDP_GFN_END), 4096);
	u64 flushes = host_flushes();
	tdp_zap_range(vm, 1000, 1100);
	assert_true(host_flushes() > flushes);
	assert_int_equal(count_leaves(vm, v->mmu->root, 0, TDP_GFN_END), 4096 - 1100);
	assert_int_equal(count_leaves(vm, v->mmu->root, 1000, 2100), 0);
	assert_int_equal(mapped_level(&s, v, 999, NULL, NULL), SPTE_LEVEL_4K);
	assert_int_equal(mapped_level(&s, v, 2100, NULL, NULL), SPTE_LEVEL_4K);
	/* the tables under fully covered entries (1024..2047: 2 tables) are freed */
	struct tdp_stats st = stats(vm);
	assert_int_equal(st.pages_mapped, 4096 - 1100);
	assert_int_equal(st.sptes_zapped, 1100 - 1024 + 2);
	tdp_free_deferred(vm);
	assert_int_equal(stats(vm).tables_freed, 2);
	/* deleting the slot zaps the rest (small: zap-slot, not fast invalidate) */
	assert_int_equal(commit1(vm, (struct memslot_change){ .op = MEMSLOT_DELETE, .gfn = 0 }), MEMSLOT_OK);
	assert_int_equal(count_leaves(vm, v->mmu->root, 0, TDP_GFN_END), 0);
	assert_int_equal(stats(vm).roots_invalidated, 0);
	assert_int_equal(stats(vm).pages_mapped, 0);
	sim_vm_destroy(&s);
	assert_int_equal(host_pages_live(), base_pages);
}

static void test_fast_invalidate(void **state)
{
	u64 base_pages = host_pages_live();
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_off);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct vm_mmu *vm = s.vm;
	assert_int_equal(create_slot(vm, 0, 8192, 0x100001, 0), MEMSLOT_OK);
	assert_int_equal(create_slot(vm, 8192, 16, 0x300001, 0), MEMSLOT_OK);
	for (u64 g = 0; g < 8192 + 16; g++)
		assert_int_equal(fault(&s, v, g, MM_READ), TDP_MAPPED);
	struct tdp_root *old = v->mmu->root;
	u64 tables = stats(vm).tables_allocated;
	/* the big slot: fast invalidate, returns before any table is freed */
	assert_int_equal(commit1(vm, (struct memslot_change){ .op = MEMSLOT_DELETE, .gfn = 0 }), MEMSLOT_OK);
	assert_int_equal(stats(vm).roots_invalidated, 1);
	assert_true(tdp_reload_needed(v->mmu));
	assert_int_equal(stats(vm).tables_freed, 0);
	assert_int_equal(fault(&s, v, 5, MM_READ), TDP_MMIO);
	assert_int_equal(fault(&s, v, 8195, MM_READ), TDP_MAPPED);
	assert_true(v->mmu->root != old);
	/* the worker: zaps the obsolete root (Z2: not the new one), frees its tables */
	u64 freed = tdp_reclaim(vm);
	assert_int_equal(freed, tables - 1); /* every table but the old root page itself */
	assert_int_equal(stats(vm).roots_freed, 1);
	assert_int_equal(mapped_level(&s, v, 8195, NULL, NULL), SPTE_LEVEL_4K);
	assert_int_equal(tdp_reclaim(vm), 0); /* nothing left: Z3, zapped roots are not revisited */
	sim_vm_destroy(&s);
	assert_int_equal(host_pages_live(), base_pages);
}

/* Z3: an obsolete root a vCPU still holds is zapped once, then skipped until it is freed. */
static void test_zapped_held_root_is_skipped(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_off);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct vm_mmu *vm = s.vm;
	assert_int_equal(create_slot(vm, 0, 64, 0x100001, 0), MEMSLOT_OK);
	for (u64 g = 0; g < 64; g++)
		assert_int_equal(fault(&s, v, g, MM_READ), TDP_MAPPED);
	tdp_invalidate_all(vm); /* v still holds its root: it has not entered since */
	tdp_reclaim(vm);
	assert_int_equal(stats(vm).roots_zapped, 1);
	assert_int_equal(stats(vm).roots_freed, 0);
	tdp_reclaim(vm);
	tdp_reclaim(vm);
	assert_int_equal(stats(vm).roots_zapped, 1); /* not revisited */
	assert_int_equal(fault(&s, v, 3, MM_READ), TDP_MAPPED); /* v reloads: the old root goes */
	assert_int_equal(stats(vm).roots_freed, 1);
	sim_vm_destroy(&s);
}

/* A fast invalidate takes the NX bookkeeping of the obsolete roots with it (a vCPU may hold one long). */
static void test_fast_invalidate_drops_nx_splits(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_on);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct vm_mmu *vm = s.vm;
	assert_int_equal(create_slot(vm, 0x200, 0x400, 0x7000200, 0), MEMSLOT_OK);
	assert_int_equal(fault(&s, v, 0x210, MM_READ), TDP_MAPPED);
	assert_int_equal(fault(&s, v, 0x211, MM_EXEC), TDP_MAPPED);
	assert_int_equal(fault(&s, v, 0x405, MM_EXEC), TDP_MAPPED);
	assert_int_equal(stats(vm).nx_current, 2);
	tdp_invalidate_all(vm); /* v still holds the old root: it has not entered since */
	assert_int_equal(stats(vm).nx_current, 0);
	assert_int_equal(nx_recover(vm, 100), 0); /* no budget spent on dead entries */
	assert_int_equal(fault(&s, v, 0x211, MM_EXEC), TDP_MAPPED); /* new root: split again, counted */
	assert_int_equal(stats(vm).nx_current, 1);
	sim_vm_destroy(&s);
}

/*
 * Deleting a large slot the guest barely touched zaps that slot, not every
 * mapping of the VM; and an update's regions share one zap (one flush).
 */
static void test_sparse_delete_zaps_the_slot(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_off);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct vm_mmu *vm = s.vm;
	assert_int_equal(create_slot(vm, 0, 8192, 0x100001, 0), MEMSLOT_OK);           /* dense */
	assert_int_equal(create_slot(vm, 0x100000, 0x100000, 0x800001, 0), MEMSLOT_OK); /* 4 GiB, sparse */
	assert_int_equal(create_slot(vm, 0x300000, 16, 0x400001, 0), MEMSLOT_OK);
	for (u64 g = 0; g < 8192; g++)
		assert_int_equal(fault(&s, v, g, MM_READ), TDP_MAPPED);
	for (u64 g = 0x100000; g < 0x200000; g += 0x10000) /* one page per 256 MiB */
		assert_int_equal(fault(&s, v, g, MM_READ), TDP_MAPPED);
	assert_int_equal(fault(&s, v, 0x300000, MM_READ), TDP_MAPPED);
	u64 flushes = host_flushes();
	struct memslot_change c[2] = {
		{ .op = MEMSLOT_DELETE, .gfn = 0x100000 },
		{ .op = MEMSLOT_DELETE, .gfn = 0x300000 },
	};
	assert_int_equal(memslots_commit(vm, c, 2, NULL), MEMSLOT_OK);
	assert_int_equal(stats(vm).roots_invalidated, 0);
	assert_int_equal(mapped_level(&s, v, 100, NULL, NULL), SPTE_LEVEL_4K); /* kept */
	assert_int_equal(mapped_level(&s, v, 0x110000, NULL, NULL), 0);
	assert_int_equal(mapped_level(&s, v, 0x300000, NULL, NULL), 0);
	assert_int_equal(host_flushes() - flushes, 1); /* both regions, one zap, one flush */
	/* deleting most of what is mapped still takes the fast way */
	assert_int_equal(commit1(vm, (struct memslot_change){ .op = MEMSLOT_DELETE, .gfn = 0 }), MEMSLOT_OK);
	assert_int_equal(stats(vm).roots_invalidated, 1);
	sim_vm_destroy(&s);
}

static void test_move_and_split(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_npt, nx_off);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct vm_mmu *vm = s.vm;
	assert_int_equal(create_slot(vm, 0x200, 0x400, 0x7000200, 0), MEMSLOT_OK);
	assert_int_equal(fault(&s, v, 0x210, MM_READ), TDP_MAPPED);
	assert_int_equal(mapped_level(&s, v, 0x210, NULL, NULL), SPTE_LEVEL_2M);
	/* split keeps the same translation: nothing zapped */
	u64 zapped = stats(vm).sptes_zapped;
	assert_int_equal(commit1(vm, (struct memslot_change){ .op = MEMSLOT_SPLIT, .gfn = 0x200, .to_gfn = 0x300 }),
			 MEMSLOT_OK);
	assert_int_equal(stats(vm).sptes_zapped, zapped);
	assert_int_equal(mapped_level(&s, v, 0x210, NULL, NULL), SPTE_LEVEL_2M);
	/* moving the first half zaps its old place; the new place maps the same frames */
	assert_int_equal(commit1(vm, (struct memslot_change){ .op = MEMSLOT_MOVE, .gfn = 0x200, .to_gfn = 0x1000 }),
			 MEMSLOT_OK);
	assert_int_equal(mapped_level(&s, v, 0x210, NULL, NULL), 0);
	assert_int_equal(fault(&s, v, 0x210, MM_READ), TDP_MMIO);
	u64 pfn;
	assert_int_equal(fault(&s, v, 0x1010, MM_READ), TDP_MAPPED);
	assert_int_equal(mapped_level(&s, v, 0x1010, &pfn, NULL), SPTE_LEVEL_4K);
	assert_int_equal(pfn, 0x7000210);
	sim_vm_destroy(&s);
}

/*
 * A transaction [DELETE G (read-only, backing P1); CREATE G (writable,
 * backing P2)] zaps G with lock breaks. Inside a break (mmp_yield), a vCPU
 * writes a page of G that is not zapped yet and fetches an instruction from
 * a huge page of G that is not zapped yet. Neither fault may build a new
 * entry from the old entry's frame (P1): the write would land in the "ROM"
 * and be lost when the zap reaches it; the split would execute from P1.
 */
#define STALE_G 0x10ull          /* not 2M-aligned: region 0 is 4K leaves, many visits */
#define STALE_PAGES 0x600ull     /* regions 1-2 huge, region 3 4K */
#define STALE_P1 0x100010ull
#define STALE_P2 0x200010ull

static struct {
	struct sim_vm *s;
	struct sim_vcpu *v;
	u32 armed, fired;
	int write_result, exec_result;
	u64 write_pfn, exec_pfn;
	unsigned write_perm;
	int exec_level;
} stale;

static void stale_in_lock_break(void)
{
	struct vm_mmu *vm = stale.s->vm;
	if (!__atomic_load_n(&stale.armed, __ATOMIC_SEQ_CST) || rwlock_write_held(&vm->mmu_lock) ||
	    __atomic_load_n(&vm->mmu_lock.writers_waiting, __ATOMIC_SEQ_CST))
		return; /* only in the zap's lock break, once */
	stale.armed = 0;
	stale.fired++;
	u64 pfn, *leaf;
	unsigned perm;
	int level;
	stale.write_result = tdp_fault(vm, stale.v->mmu, 0x600ull << PAGE_SHIFT, MM_WRITE);
	if (sim_walk(stale.s, stale.v->root_pa, 0x600, &pfn, &perm, &leaf, &level) == 1) {
		stale.write_pfn = pfn;
		stale.write_perm = perm;
	}
	stale.exec_result = tdp_fault(vm, stale.v->mmu, 0x301ull << PAGE_SHIFT, MM_EXEC);
	if (sim_walk(stale.s, stale.v->root_pa, 0x301, &pfn, &perm, &leaf, &level) == 1) {
		stale.exec_pfn = pfn;
		stale.exec_level = level;
	}
}

static void test_no_fault_from_stale_entry_during_commit(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_on);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct vm_mmu *vm = s.vm;
	assert_int_equal(create_slot(vm, STALE_G, STALE_PAGES, STALE_P1, MEMSLOT_READONLY), MEMSLOT_OK);
	for (u64 g = STALE_G; g < 0x200; g++)
		assert_int_equal(fault(&s, v, g, MM_READ), TDP_MAPPED);
	assert_int_equal(fault(&s, v, 0x300, MM_READ), TDP_MAPPED);
	assert_int_equal(fault(&s, v, 0x400, MM_READ), TDP_MAPPED);
	assert_int_equal(fault(&s, v, 0x600, MM_READ), TDP_MAPPED);
	assert_int_equal(mapped_level(&s, v, 0x301, NULL, NULL), SPTE_LEVEL_2M);
	assert_int_equal(mapped_level(&s, v, 0x600, NULL, NULL), SPTE_LEVEL_4K);
	memset(&stale, 0, sizeof(stale));
	stale.s = &s;
	stale.v = v;
	stale.exec_level = -1;
	stale.armed = 1;
	__atomic_store_n(&host_yield_hook, stale_in_lock_break, __ATOMIC_RELEASE);
	host_yield_every = 1; /* the zap breaks the lock at its first check */
	struct memslot_change c[2] = {
		{ .op = MEMSLOT_DELETE, .gfn = STALE_G },
		{ .op = MEMSLOT_CREATE, .gfn = STALE_G, .npages = STALE_PAGES, .host_pfn = STALE_P2 },
	};
	int err = memslots_commit(vm, c, 2, NULL);
	host_yield_every = 0;
	__atomic_store_n(&host_yield_hook, NULL, __ATOMIC_RELEASE);
	assert_int_equal(err, MEMSLOT_OK);
	assert_int_equal(stale.fired, 1); /* the faults ran inside a lock break of the zap */
	print_message("# in the lock break: write %s (pfn %#llx perm %u), fetch %s (pfn %#llx level %d)\n",
		      tdp_strerror(stale.write_result), (unsigned long long)stale.write_pfn,
		      stale.write_perm, tdp_strerror(stale.exec_result),
		      (unsigned long long)stale.exec_pfn, stale.exec_level);
	if ((stale.write_perm & MM_WRITE) && stale.write_pfn == STALE_P1 + (0x600 - STALE_G))
		fail_msg("a write fault inside the zap's lock break made the old read-only page (P1) "
			 "writable: the write lands in the ROM and is lost");
	if (stale.exec_level == SPTE_LEVEL_4K && stale.exec_pfn == STALE_P1 + (0x301 - STALE_G))
		fail_msg("an instruction fetch inside the zap's lock break split the stale huge entry "
			 "with the old backing (P1)");
	/* after the commit: the new backing, writable */
	u64 pfn = 0;
	unsigned perm = 0;
	assert_int_equal(fault(&s, v, 0x600, MM_WRITE), TDP_MAPPED);
	assert_int_equal(mapped_level(&s, v, 0x600, &pfn, &perm), SPTE_LEVEL_4K);
	assert_int_equal(pfn, STALE_P2 + (0x600 - STALE_G));
	assert_true(perm & MM_WRITE);
	assert_int_equal(fault(&s, v, 0x301, MM_EXEC), TDP_MAPPED);
	assert_int_equal(mapped_level(&s, v, 0x301, &pfn, NULL), SPTE_LEVEL_4K);
	assert_int_equal(pfn, STALE_P2 + (0x301 - STALE_G));
	sim_vm_destroy(&s);
}

static void test_dirty_log(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_off);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct vm_mmu *vm = s.vm;
	assert_int_equal(create_slot(vm, 0x200, 0x200, 0x7000200, 0), MEMSLOT_OK);
	assert_int_equal(fault(&s, v, 0x210, MM_WRITE), TDP_MAPPED);
	assert_int_equal(mapped_level(&s, v, 0x210, NULL, NULL), SPTE_LEVEL_2M);
	/* turning dirty logging on drops the huge mapping */
	assert_int_equal(commit1(vm, (struct memslot_change){ .op = MEMSLOT_SET_FLAGS, .gfn = 0x200,
							      .flags = MEMSLOT_DIRTY_LOG }), MEMSLOT_OK);
	assert_int_equal(mapped_level(&s, v, 0x210, NULL, NULL), 0);
	unsigned perm = 0;
	assert_int_equal(fault(&s, v, 0x210, MM_READ), TDP_MAPPED);
	assert_int_equal(mapped_level(&s, v, 0x210, NULL, &perm), SPTE_LEVEL_4K);
	assert_int_equal(perm & MM_WRITE, 0);
	assert_int_equal(fault(&s, v, 0x210, MM_WRITE), TDP_MAPPED);
	assert_int_equal(fault(&s, v, 0x3ff, MM_WRITE), TDP_MAPPED);
	assert_int_equal(mapped_level(&s, v, 0x210, NULL, &perm), SPTE_LEVEL_4K);
	assert_int_equal(perm & MM_WRITE, MM_WRITE);
	u64 bits[8] = { 0 };
	assert_int_equal(memslots_dirty_get_and_clear(vm, 0x200, bits, 1), MEMSLOT_E_RANGE);
	assert_int_equal(memslots_dirty_get_and_clear(vm, 0x201, bits, 8), MEMSLOT_E_NOT_FOUND);
	assert_int_equal(memslots_dirty_get_and_clear(vm, 0x200, bits, 8), MEMSLOT_OK);
	assert_int_equal(bits[0], 1ull << 0x10);
	assert_int_equal(bits[7], 1ull << 63);
	assert_int_equal(mapped_level(&s, v, 0x210, NULL, &perm), SPTE_LEVEL_4K);
	assert_int_equal(perm & MM_WRITE, 0); /* write-protected again */
	assert_int_equal(memslots_dirty_get_and_clear(vm, 0x200, bits, 8), MEMSLOT_OK);
	assert_int_equal(bits[0] | bits[7], 0);
	assert_int_equal(fault(&s, v, 0x210, MM_WRITE), TDP_MAPPED);
	assert_int_equal(memslots_dirty_get_and_clear(vm, 0x200, bits, 8), MEMSLOT_OK);
	assert_int_equal(bits[0], 1ull << 0x10);
	/* the hypervisor's own writes are logged too; outside a logged slot, nothing happens */
	memslots_mark_dirty(vm, 0x241);
	memslots_mark_dirty(vm, 0x100);
	assert_int_equal(memslots_dirty_get_and_clear(vm, 0x200, bits, 8), MEMSLOT_OK);
	assert_int_equal(bits[0], 0);
	assert_int_equal(bits[1], 1ull << 1);
	sim_vm_destroy(&s);
}

static void test_nx_split_and_recover(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, nx_on);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	struct vm_mmu *vm = s.vm;
	unsigned perm = 0;
	assert_int_equal(create_slot(vm, 0x200, 0x400, 0x7000200, 0), MEMSLOT_OK);
	/* data access: huge, not executable */
	assert_int_equal(fault(&s, v, 0x210, MM_READ), TDP_MAPPED);
	assert_int_equal(mapped_level(&s, v, 0x210, NULL, &perm), SPTE_LEVEL_2M);
	assert_int_equal(perm & MM_EXEC, 0);
	/* instruction fetch inside it: split to 4K, executable */
	assert_int_equal(fault(&s, v, 0x211, MM_EXEC), TDP_MAPPED);
	assert_int_equal(mapped_level(&s, v, 0x211, NULL, &perm), SPTE_LEVEL_4K);
	assert_true(perm & MM_EXEC);
	assert_int_equal(mapped_level(&s, v, 0x3f0, NULL, NULL), SPTE_LEVEL_4K);
	/* instruction fetch where nothing is mapped: 4K, table recorded too */
	assert_int_equal(fault(&s, v, 0x405, MM_EXEC), TDP_MAPPED);
	assert_int_equal(mapped_level(&s, v, 0x405, NULL, NULL), SPTE_LEVEL_4K);
	struct tdp_stats st = stats(vm);
	assert_int_equal(st.nx_splits, 1);
	assert_int_equal(st.nx_current, 2);
	/* a data access in a split region stays 4K until recovery */
	assert_int_equal(fault(&s, v, 0x480, MM_READ), TDP_MAPPED);
	assert_int_equal(mapped_level(&s, v, 0x480, NULL, NULL), SPTE_LEVEL_4K);
	/* ratio 1: one pass recovers everything */
	assert_int_equal(nx_recover(vm, 100), 2);
	st = stats(vm);
	assert_int_equal(st.nx_recovered, 2);
	assert_int_equal(st.nx_current, 0);
	assert_int_equal(mapped_level(&s, v, 0x211, NULL, NULL), 0);
	assert_int_equal(fault(&s, v, 0x211, MM_READ), TDP_MAPPED);
	assert_int_equal(mapped_level(&s, v, 0x211, NULL, NULL), SPTE_LEVEL_2M); /* huge again */
	assert_int_equal(fault(&s, v, 0x211, MM_EXEC), TDP_MAPPED);
	assert_int_equal(stats(vm).nx_splits, 2); /* and split again */
	/* ratio 4 with 1 table: ceil(1/4) = 1 */
	vm->cfg.nx.ratio = 4;
	assert_int_equal(nx_recover(vm, 100), 1);
	sim_vm_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_check),
		cmocka_unit_test(test_rwlock_needbreak),
		cmocka_unit_test(test_rwlock_reader_slots),
		cmocka_unit_test(test_epoch_grace_period),
		cmocka_unit_test(test_update_waits_for_readers),
		cmocka_unit_test(test_memslot_reference_model),
		cmocka_unit_test(test_memslot_errors),
		cmocka_unit_test(test_memslot_checked),
		cmocka_unit_test(test_memslot_32k_slots),
		cmocka_unit_test(test_fault_levels),
		cmocka_unit_test(test_mmio_markers),
		cmocka_unit_test(test_no_marker_while_update_in_progress),
		cmocka_unit_test(test_generation_marker_race),
		cmocka_unit_test(test_mmio_marker_wrap),
		cmocka_unit_test(test_zap_range),
		cmocka_unit_test(test_fast_invalidate),
		cmocka_unit_test(test_zapped_held_root_is_skipped),
		cmocka_unit_test(test_fast_invalidate_drops_nx_splits),
		cmocka_unit_test(test_sparse_delete_zaps_the_slot),
		cmocka_unit_test(test_move_and_split),
		cmocka_unit_test(test_no_fault_from_stale_entry_during_commit),
		cmocka_unit_test(test_dirty_log),
		cmocka_unit_test(test_nx_split_and_recover),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
