/*
 * Concurrency stress tests of the MMU core, with threads as vCPUs (they walk
 * the tables like hardware, keep TLBs and answer flushes: tests/mm/vcpu_sim.c).
 *
 * - layout changes under load: vCPUs read guest memory while another thread
 *   splits/merges, deletes/re-creates and moves slots, zaps ranges and
 *   invalidates everything. Every frame holds a tag (incarnation, page);
 *   the checks: no hole during an atomic split or merge, no read of a
 *   deleted or moved-away backing after the update returned, no walk
 *   through a freed (poisoned) table page, Z1 (see vcpu_sim.c);
 * - the zap-everything livelock: fast invalidate + reclaim finishes in
 *   bounded time with vCPUs faulting, a restart-from-the-start loop does not;
 * - NX recovery by a worker thread.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/unit/unit.h"
#include "tests/mm/host.h"

static bool tsan(void)
{
	const char *s = getenv("MM_TEST_SCALE");
	return s && !strcmp(s, "tsan");
}

static u64 now_ms(void)
{
	return mmp_now_ns() / 1000000;
}

/* ---------- guest memory with tags ---------- */

#define STABLE_BASE 0
#define STABLE_PAGES 1024
#define MOVING_PAGES 512
#define MOVING_A 4096      /* the moving slot lives here or at MOVING_B */
#define MOVING_B 8192
#define NO_BASE (~0ull)
#define MAX_INC 4096

struct incarnation {
	u64 base;     /* where its slot is (after the last update returned), NO_BASE: deleted */
	u64 pending;  /* where an update in progress is putting it */
};

static struct incarnation incs[MAX_INC];
static u32 ninc;
static u64 *buffers[8];         /* real memory for backings */

/* Backings start one page into a 2M-aligned buffer: 4K mappings only, many entries to zap. */
static u64 *frames(u32 b)
{
	return buffers[b] + 512;
}

static u64 tag(u32 id, u64 page)
{
	return (u64)id << 32 | page;
}

/* A backing for incarnation `id`: buffer `b`, every page tagged. */
static u64 backing(u32 id, u32 b, u64 pages)
{
	for (u64 i = 0; i < pages; i++)
		__atomic_store_n(&frames(b)[i * 512], tag(id, i), __ATOMIC_RELAXED);
	return mmp_virt_to_phys(frames(b)) >> PAGE_SHIFT;
}

struct stress {
	struct sim_vm s;
	u32 stop;
	u64 reads, mmio;
	u64 updates;
};

/* Which incarnation may legally be seen at gfn: checks one tag. */
static void check_tag(struct stress *st, u64 gfn, u64 word)
{
	u32 id = word >> 32;
	u64 page = word & 0xffffffff;
	if (id >= MAX_INC) {
		sim_violation(&st->s, "gfn %#llx: garbage tag %#llx", (unsigned long long)gfn,
			      (unsigned long long)word);
		return;
	}
	u64 pending = __atomic_load_n(&incs[id].pending, __ATOMIC_SEQ_CST);
	u64 base = __atomic_load_n(&incs[id].base, __ATOMIC_SEQ_CST);
	if (base != NO_BASE && base + page == gfn)
		return;
	if (pending != NO_BASE && pending + page == gfn)
		return;
	sim_violation(&st->s, "gfn %#llx read page %llu of incarnation %u, which is at %#llx now "
			      "(deleted or moved, and the update returned)",
		      (unsigned long long)gfn, (unsigned long long)page, id, (unsigned long long)base);
}

struct vcpu_thread {
	struct stress *st;
	struct sim_vcpu *v;
	unsigned seed;
};

static void *vcpu_main(void *arg)
{
	struct vcpu_thread *t = arg;
	struct stress *st = t->st;
	while (!__atomic_load_n(&st->stop, __ATOMIC_RELAXED)) {
		u32 r = rand_r(&t->seed);
		u64 gfn;
		if (r % 2)
			gfn = STABLE_BASE + r / 2 % STABLE_PAGES;
		else
			gfn = (r & 4 ? MOVING_A : MOVING_B) + r / 8 % MOVING_PAGES;
		unsigned access = r & 8 ? MM_WRITE : MM_READ;
		void *host;
		enum sim_result res = sim_access(&st->s, t->v, gfn, access, &host);
		if (res == SIM_OK) {
			check_tag(st, gfn, __atomic_load_n((u64 *)host, __ATOMIC_RELAXED));
			__atomic_fetch_add(&st->reads, 1, __ATOMIC_RELAXED);
		} else if (res == SIM_MMIO) {
			if (gfn < STABLE_BASE + STABLE_PAGES)
				sim_violation(&st->s, "hole: gfn %#llx of the always-covered region was MMIO",
					      (unsigned long long)gfn);
			__atomic_fetch_add(&st->mmio, 1, __ATOMIC_RELAXED);
		} else {
			sim_violation(&st->s, "access to gfn %#llx failed", (unsigned long long)gfn);
		}
		sim_access_done(t->v);
	}
	sim_exit_guest(t->v);
	return NULL;
}

static int commit(struct stress *st, struct memslot_change *c, u32 n)
{
	int err = memslots_commit(st->s.vm, c, n, NULL);
	if (err)
		sim_violation(&st->s, "transaction failed: %s", memslot_strerror(err));
	st->updates++;
	return err;
}

/* Split the stable slot at a random point, or merge it back: one transaction each. */
static void split_or_merge(struct stress *st, unsigned *seed, u64 *split_at)
{
	if (*split_at) {
		struct memslot_change c[3] = {
			{ .op = MEMSLOT_DELETE, .gfn = STABLE_BASE },
			{ .op = MEMSLOT_DELETE, .gfn = *split_at },
			{ .op = MEMSLOT_CREATE, .gfn = STABLE_BASE, .npages = STABLE_PAGES,
			  .host_pfn = mmp_virt_to_phys(frames(0)) >> PAGE_SHIFT },
		};
		commit(st, c, 3);
		*split_at = 0;
	} else {
		*split_at = STABLE_BASE + 1 + rand_r(seed) % (STABLE_PAGES - 1);
		struct memslot_change c = { .op = MEMSLOT_SPLIT, .gfn = STABLE_BASE, .to_gfn = *split_at };
		commit(st, &c, 1);
	}
}

/* The moving slot: delete and re-create elsewhere with a new backing, or move it. */
static void move_or_recreate(struct stress *st, unsigned *seed, u32 *cur)
{
	struct incarnation *inc = &incs[*cur];
	u64 other = inc->base == MOVING_A ? MOVING_B : MOVING_A;
	if (rand_r(seed) % 2) {
		__atomic_store_n(&inc->pending, other, __ATOMIC_SEQ_CST);
		struct memslot_change c = { .op = MEMSLOT_MOVE, .gfn = inc->base, .to_gfn = other };
		commit(st, &c, 1);
		__atomic_store_n(&inc->base, other, __ATOMIC_SEQ_CST);
		__atomic_store_n(&inc->pending, NO_BASE, __ATOMIC_SEQ_CST);
		return;
	}
	struct memslot_change del = { .op = MEMSLOT_DELETE, .gfn = inc->base };
	commit(st, &del, 1);
	__atomic_store_n(&inc->base, NO_BASE, __ATOMIC_SEQ_CST);
	if (ninc + 1 >= MAX_INC)
		return;
	u32 id = ++ninc;
	u32 buf = 1 + id % 6; /* a buffer not used by the last incarnations */
	incs[id].base = other;
	incs[id].pending = NO_BASE;
	struct memslot_change c = { .op = MEMSLOT_CREATE, .gfn = other, .npages = MOVING_PAGES,
				    .host_pfn = backing(id, buf, MOVING_PAGES) };
	commit(st, &c, 1);
	*cur = id;
}

static void run_layout_stress(const struct spte_format *fmt, u32 nthreads, u32 ms)
{
	u64 base_pages = host_pages_live();
	struct stress *st = calloc(1, sizeof(*st));
	sim_vm_init(&st->s, fmt, (struct nx_params){ .enabled = true, .ratio = 1 });
	host_yield_every = 7; /* zaps break the lock often */
	for (u32 b = 0; b < 8; b++)
		buffers[b] = aligned_alloc(SZ_2M, ALIGN_UP((STABLE_PAGES + 1) * PAGE_SIZE, SZ_2M));
	memset(incs, 0, sizeof(incs));
	incs[0] = (struct incarnation){ .base = STABLE_BASE, .pending = NO_BASE };
	incs[1] = (struct incarnation){ .base = MOVING_A, .pending = NO_BASE };
	ninc = 1;
	struct memslot_change init[2] = {
		{ .op = MEMSLOT_CREATE, .gfn = STABLE_BASE, .npages = STABLE_PAGES,
		  .host_pfn = backing(0, 0, STABLE_PAGES) },
		{ .op = MEMSLOT_CREATE, .gfn = MOVING_A, .npages = MOVING_PAGES,
		  .host_pfn = backing(1, 1, MOVING_PAGES) },
	};
	assert_int_equal(memslots_commit(st->s.vm, init, 2, NULL), MEMSLOT_OK);

	struct vcpu_thread th[16];
	pthread_t tid[16];
	for (u32 i = 0; i < nthreads; i++) {
		th[i] = (struct vcpu_thread){ .st = st, .v = sim_vcpu_add(&st->s), .seed = 1000 + i };
		pthread_create(&tid[i], NULL, vcpu_main, &th[i]);
	}
	unsigned seed = 77;
	u64 split_at = 0;
	u32 cur = 1;
	u64 end = now_ms() + ms;
	while (now_ms() < end && !st->s.violations) {
		switch (rand_r(&seed) % 8) {
		case 0: case 1:
			split_or_merge(st, &seed, &split_at);
			break;
		case 2: case 3:
			move_or_recreate(st, &seed, &cur);
			break;
		case 4: case 5: case 6:
			tdp_zap_range(st->s.vm, rand_r(&seed) % 9000, rand_r(&seed) % 2048);
			tdp_free_deferred(st->s.vm);
			break;
		default:
			tdp_invalidate_all(st->s.vm);
			tdp_reclaim(st->s.vm);
			break;
		}
	}
	__atomic_store_n(&st->stop, 1, __ATOMIC_RELAXED);
	for (u32 i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	host_yield_every = 0;
	struct tdp_stats stats;
	tdp_get_stats(st->s.vm, &stats);
	print_message("# %s, %u vCPUs: %llu updates, %llu reads, %llu MMIO, %llu faults, %llu retries, "
		      "%llu zapped, %llu lock breaks, %llu flushes, %llu roots\n", fmt->name, nthreads,
		      (unsigned long long)st->updates, (unsigned long long)st->reads,
		      (unsigned long long)st->mmio, (unsigned long long)stats.faults,
		      (unsigned long long)stats.faults_retry, (unsigned long long)stats.sptes_zapped,
		      (unsigned long long)stats.lock_breaks, (unsigned long long)stats.tlb_flushes,
		      (unsigned long long)stats.roots_created);
	if (st->s.violations)
		fail_msg("%llu violations, first: %s", (unsigned long long)st->s.violations,
			 st->s.first_violation);
	assert_true(st->reads > 1000 && st->updates > 5 && stats.lock_breaks > 0);
	sim_vm_destroy(&st->s);
	for (u32 b = 0; b < 8; b++)
		free(buffers[b]);
	free(st);
	assert_int_equal(host_pages_live(), base_pages); /* every table page came back */
}

static void test_layout_stress_ept(void **state)
{
	run_layout_stress(&test_ept, 4, tsan() ? 4000 : 3000);
}

static void test_layout_stress_npt(void **state)
{
	run_layout_stress(&test_npt, 3, tsan() ? 3000 : 2000);
}

/* ---------- the zap-everything livelock ---------- */

struct faulter {
	struct sim_vm *s;
	struct sim_vcpu *v;
	u64 npages;
	u32 *stop;
	unsigned seed;
};

static void *faulter_main(void *arg)
{
	struct faulter *f = arg;
	u64 gfn = rand_r(&f->seed) % f->npages;
	while (!__atomic_load_n(f->stop, __ATOMIC_RELAXED)) {
		void *host;
		gfn = (gfn + 1) % f->npages; /* keep refilling from the start */
		if (sim_access(f->s, f->v, gfn, MM_READ, &host) != SIM_OK)
			sim_violation(f->s, "livelock test: access failed");
		sim_access_done(f->v);
		/* and a device register: an exit and mmu_lock (read) every time */
		if (sim_access(f->s, f->v, f->npages + gfn % 64, MM_READ, &host) != SIM_MMIO)
			sim_violation(f->s, "livelock test: MMIO access mapped");
		sim_access_done(f->v);
	}
	sim_exit_guest(f->v);
	return NULL;
}

/*
 * The loop MMU.md §4 warns about, written only here: zap every leaf of
 * every root, and when someone waits for the lock (after ZAP_MIN_WORK
 * entries, the same rule as the real zap), break it (flushing first) and
 * start over from the first root at gfn 0, revisiting the tables it already
 * emptied (they stay linked: Z3's "zapped but still referenced"). Without
 * contention it never breaks and finishes; with vCPUs faulting it breaks at
 * the same place every time. Returns true if one whole pass finished before
 * the deadline.
 */
static bool zap_all_restarting(struct vm_mmu *vm, u64 deadline_ms, u64 *breaks)
{
	struct zap_ctx z;
	write_lock(&vm->mmu_lock);
	zap_ctx_init(&z, vm, true);
	bool finished = false;
	*breaks = 0;
	while (!finished && now_ms() < deadline_ms) {
		finished = true;
		for (struct tdp_root *r = vm->roots_head; r && finished; r = r->next) {
			struct tdp_iter it;
			u32 visited = 0;
			tdp_iter_start(&it, vm->fmt, r->table, SPTE_ROOT_LEVEL, 0, 0, TDP_GFN_END,
				       SPTE_LEVEL_4K);
			for (; it.valid; tdp_iter_next(&it)) {
				z.since_break++;
				if (++visited % ZAP_BATCH == 0 && zap_should_break(&z)) {
					zap_break(&z);
					(*breaks)++;
					finished = false; /* restart from the first root */
					break;
				}
				if (it.old && spte_leaf(vm->fmt, it.old, it.level))
					zap_current(&z, &it, !r->invalid);
			}
		}
	}
	zap_ctx_finish(&z);
	write_unlock(&vm->mmu_lock);
	tdp_free_deferred(vm);
	return finished;
}

static void start_faulters(struct sim_vm *s, struct faulter *f, pthread_t *tid, u32 n, u64 npages,
			   u32 *stop)
{
	*stop = 0;
	for (u32 i = 0; i < n; i++) {
		if (!f[i].v)
			f[i] = (struct faulter){ .s = s, .v = sim_vcpu_add(s), .npages = npages,
						 .stop = stop, .seed = i };
		pthread_create(&tid[i], NULL, faulter_main, &f[i]);
	}
	while (tdp_pages_mapped(s->vm) < npages / 2)
		usleep(1000);
}

static void stop_faulters(pthread_t *tid, u32 n, u32 *stop)
{
	__atomic_store_n(stop, 1, __ATOMIC_RELAXED);
	for (u32 i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
}

/*
 * A vCPU that reloads its root over and over (tdp_load_root takes mmu_lock
 * for write): a waiter stays counted while it is descheduled, so the
 * contention does not vanish when the faulting threads lose their CPU.
 */
struct reloader {
	struct vcpu_mmu *v;
	u32 *stop;
};

static void *reloader_main(void *p)
{
	struct reloader *r = p;
	u64 pa;
	while (!__atomic_load_n(r->stop, __ATOMIC_RELAXED))
		if (tdp_load_root(r->v, &pa))
			abort();
	return NULL;
}

/* tdp_reclaim() on a thread of its own, so a livelocked one fails the test instead of hanging it. */
struct reclaim_run {
	struct vm_mmu *vm;
	u32 done;
};

static void *reclaim_main(void *p)
{
	struct reclaim_run *r = p;
	tdp_invalidate_all(r->vm);
	tdp_reclaim(r->vm);
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_zap_all_livelock(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, (struct nx_params){ .enabled = false, .ratio = 1 });
	u64 npages = tsan() ? 8192 : 32768;
	/* host_pfn misaligned: 4K mappings only; only the tables are real */
	struct memslot_change c = { .op = MEMSLOT_CREATE, .gfn = 0, .npages = npages, .host_pfn = 0x100001 };
	assert_int_equal(memslots_commit(s.vm, &c, 1, NULL), MEMSLOT_OK);
	u32 nthreads = 4, stop = 0;
	struct faulter f[4];
	memset(f, 0, sizeof(f));
	pthread_t tid[5];
	struct sim_vcpu *reload_vcpu = sim_vcpu_add(&s);
	struct reloader rl = { .v = reload_vcpu->mmu, .stop = &stop };

	/* 1. nothing asks it to break: the restarting loop finishes */
	start_faulters(&s, f, tid, nthreads, npages, &stop);
	stop_faulters(tid, nthreads, &stop);
	u64 quiet_breaks;
	u64 mapped = tdp_pages_mapped(s.vm);
	bool quiet_finished = zap_all_restarting(s.vm, now_ms() + 10000, &quiet_breaks);
	print_message("# restart-from-start loop without vCPUs: %s, %llu pages, %llu lock breaks\n",
		      quiet_finished ? "finished" : "did not finish", (unsigned long long)mapped,
		      (unsigned long long)quiet_breaks);
	assert_true(quiet_finished);
	assert_int_equal(tdp_pages_mapped(s.vm), 0);

	/* 2. the real one, vCPUs faulting and a pending reschedule at every batch: finishes */
	start_faulters(&s, f, tid, nthreads, npages, &stop);
	pthread_create(&tid[nthreads], NULL, reloader_main, &rl);
	host_yield_every = 1;
	struct tdp_stats before, after;
	tdp_get_stats(s.vm, &before);
	struct reclaim_run rr = { .vm = s.vm };
	pthread_t rt;
	u64 t0 = mmp_now_ns();
	pthread_create(&rt, NULL, reclaim_main, &rr);
	while (!__atomic_load_n(&rr.done, __ATOMIC_SEQ_CST) && (mmp_now_ns() - t0) / 1000000 < 10000)
		usleep(1000);
	u64 fast_ms = (mmp_now_ns() - t0) / 1000000;
	bool reclaimed = __atomic_load_n(&rr.done, __ATOMIC_SEQ_CST);
	host_yield_every = 0;
	if (!reclaimed) {
		stop_faulters(tid, nthreads + 1, &stop); /* no more reasons to break: let it end */
		pthread_join(rt, NULL);
		fail_msg("fast invalidate + reclaim did not finish within %llu ms with %u vCPUs faulting "
			 "(no forward progress across lock breaks)", (unsigned long long)fast_ms, nthreads);
	}
	pthread_join(rt, NULL);
	tdp_get_stats(s.vm, &after);
	/* Z2/Z3: the roots made after the invalidation were not touched */
	write_lock(&s.vm->mmu_lock);
	bool new_root_intact = true;
	for (struct tdp_root *r = s.vm->roots_head; r; r = r->next)
		if (r->gen == s.vm->valid_gen && r->zapped)
			new_root_intact = false;
	write_unlock(&s.vm->mmu_lock);

	/*
	 * 3. the restarting loop under the same conditions as the real one in
	 * 2 (the same vCPUs faulting, a reason to break at every batch):
	 * it never gets past its first batches. (Contention from the threads
	 * alone comes and goes with their scheduling on a busy 2-CPU machine,
	 * which let it finish now and then: the break request is made constant.)
	 */
	while (tdp_pages_mapped(s.vm) < npages / 2)
		usleep(1000);
	u64 bound_ms = MAX(3 * fast_ms, 500);
	u64 busy_breaks;
	host_yield_every = 1;
	bool restart_finished = zap_all_restarting(s.vm, now_ms() + bound_ms, &busy_breaks);
	host_yield_every = 0;
	stop_faulters(tid, nthreads + 1, &stop);
	print_message("# fast invalidate + reclaim: %llu ms (%llu lock breaks); restart-from-start loop "
		      "%s within %llu ms (%llu lock breaks)\n", (unsigned long long)fast_ms,
		      (unsigned long long)(after.lock_breaks - before.lock_breaks),
		      restart_finished ? "finished" : "did not finish", (unsigned long long)bound_ms,
		      (unsigned long long)busy_breaks);
	assert_true(after.lock_breaks > before.lock_breaks);
	assert_true(new_root_intact);
	assert_false(restart_finished);
	assert_true(busy_breaks > 0);
	assert_int_equal(s.violations, 0);
	sim_vm_destroy(&s);
}

/* ---------- NX recovery worker ---------- */

struct nx_worker {
	struct vm_mmu *vm;
	u32 *stop;
};

static void *nx_worker_main(void *arg)
{
	struct nx_worker *w = arg;
	const struct nx_params *p = mmu_nx_params(w->vm);
	while (!__atomic_load_n(w->stop, __ATOMIC_RELAXED)) {
		usleep(p->period_ms * 1000);
		nx_recover(w->vm, ~0u);
	}
	return NULL;
}

static void test_nx_recovery_worker(void **state)
{
	struct sim_vm s;
	struct nx_params nx = { .enabled = true, .ratio = 1, .period_ms = 100 };
	sim_vm_init(&s, &test_ept, nx);
	struct sim_vcpu *v = sim_vcpu_add(&s);
	u64 *mem = aligned_alloc(SZ_2M, SZ_2M);
	struct memslot_change c = { .op = MEMSLOT_CREATE, .gfn = 0x200, .npages = 512,
				    .host_pfn = mmp_virt_to_phys(mem) >> PAGE_SHIFT };
	assert_int_equal(memslots_commit(s.vm, &c, 1, NULL), MEMSLOT_OK);
	u32 stop = 0;
	struct nx_worker w = { .vm = s.vm, .stop = &stop };
	pthread_t tid;
	pthread_create(&tid, NULL, nx_worker_main, &w);
	void *host;
	u64 pfn, *leaf;
	unsigned perm;
	int level = 0;
	assert_int_equal(sim_access(&s, v, 0x300, MM_READ, &host), SIM_OK);
	assert_int_equal(sim_walk(&s, v->root_pa, 0x300, &pfn, &perm, &leaf, &level), 1);
	assert_int_equal(level, SPTE_LEVEL_2M);
	sim_access_done(v);
	assert_int_equal(sim_access(&s, v, 0x301, MM_EXEC, &host), SIM_OK); /* "execute" there */
	sim_access_done(v);
	sim_exit_guest(v);
	struct tdp_stats st;
	tdp_get_stats(s.vm, &st);
	assert_int_equal(st.nx_splits, 1);
	/* the worker reverts it within ratio x period (plus slack for a busy machine) */
	u64 t0 = now_ms();
	do {
		usleep(10000);
		tdp_get_stats(s.vm, &st);
	} while (st.nx_current && now_ms() - t0 < 20ull * nx.ratio * nx.period_ms);
	print_message("# NX split recovered after %llu ms\n", (unsigned long long)(now_ms() - t0));
	assert_int_equal(st.nx_current, 0);
	assert_int_equal(st.nx_recovered, 1);
	assert_int_equal(sim_access(&s, v, 0x302, MM_READ, &host), SIM_OK); /* huge again */
	assert_int_equal(sim_walk(&s, v->root_pa, 0x302, &pfn, &perm, &leaf, &level), 1);
	assert_int_equal(level, SPTE_LEVEL_2M);
	sim_access_done(v);
	sim_exit_guest(v);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(tid, NULL);
	assert_int_equal(s.violations, 0);
	sim_vm_destroy(&s);
	free(mem);
}

/*
 * NX recovery breaks mmu_lock between batches of 8 tables; Z1 says every
 * entry zapped before a break is flushed from every TLB before the lock
 * goes. 64 split regions, a vCPU that stays in guest mode fetching one page
 * of each (its TLB and paging-structure cache keep all 64), and inside each
 * lock break (mmp_yield) we let it make a full round: a translation through
 * a zapped table still in its caches is a Z1 violation (vcpu_sim.c).
 */
#define NXF_REGIONS 64
#define NXF_BASE 0x40000ull

struct nxf {
	struct sim_vm *s;
	struct sim_vcpu *v;
	u32 stop;
	u64 rounds;
	u32 armed, breaks_seen;
	pthread_t recoverer; /* the hook acts on this thread only (vCPUs spin-wait through mmp_yield too) */
};
static struct nxf *nxf_cur;

static void *nxf_vcpu_main(void *p)
{
	struct nxf *x = p;
	while (!__atomic_load_n(&x->stop, __ATOMIC_RELAXED)) {
		for (u64 r = 0; r < NXF_REGIONS; r++) {
			void *host;
			u64 gfn = NXF_BASE + r * 512 + r;
			if (sim_access(x->s, x->v, gfn, MM_EXEC, &host) != SIM_OK)
				sim_violation(x->s, "fetch at gfn %#llx failed", (unsigned long long)gfn);
			sim_access_done(x->v);
		}
		__atomic_fetch_add(&x->rounds, 1, __ATOMIC_SEQ_CST);
	}
	sim_exit_guest(x->v);
	return NULL;
}

/* Inside nx_recover()'s lock break: the vCPU runs two full rounds. */
static void nxf_in_lock_break(void)
{
	struct nxf *x = nxf_cur;
	if (!x || !pthread_equal(pthread_self(), x->recoverer))
		return;
	struct rwlock *l = &x->s->vm->mmu_lock;
	if (!__atomic_load_n(&x->armed, __ATOMIC_SEQ_CST) || rwlock_write_held(l) ||
	    __atomic_load_n(&l->writers_waiting, __ATOMIC_SEQ_CST))
		return;
	x->breaks_seen++;
	u64 r0 = __atomic_load_n(&x->rounds, __ATOMIC_SEQ_CST);
	u64 t0 = now_ms();
	while (__atomic_load_n(&x->rounds, __ATOMIC_SEQ_CST) < r0 + 2 && now_ms() - t0 < 2000)
		usleep(50);
}

static void test_nx_recovery_flushes_before_break(void **state)
{
	struct sim_vm s;
	sim_vm_init(&s, &test_ept, (struct nx_params){ .enabled = true, .ratio = 1, .period_ms = 100 });
	struct nxf x = { .s = &s, .v = sim_vcpu_add(&s) };
	/* frame numbers only (nothing reads them), 2M-aligned: huge until fetched from */
	struct memslot_change c = { .op = MEMSLOT_CREATE, .gfn = NXF_BASE, .npages = NXF_REGIONS * 512,
				    .host_pfn = 0x200000 };
	assert_int_equal(memslots_commit(s.vm, &c, 1, NULL), MEMSLOT_OK);
	void *host;
	for (u64 r = 0; r < NXF_REGIONS; r++) { /* huge first, so each fetch splits */
		assert_int_equal(sim_access(&s, x.v, NXF_BASE + r * 512 + 7, MM_READ, &host), SIM_OK);
		sim_access_done(x.v);
	}
	pthread_t t;
	pthread_create(&t, NULL, nxf_vcpu_main, &x);
	while (__atomic_load_n(&x.rounds, __ATOMIC_SEQ_CST) < 2)
		usleep(100);
	struct tdp_stats before, after;
	tdp_get_stats(s.vm, &before);
	assert_true(before.nx_current >= NXF_REGIONS);
	x.recoverer = pthread_self();
	nxf_cur = &x;
	__atomic_store_n(&host_yield_hook, nxf_in_lock_break, __ATOMIC_RELEASE);
	host_yield_every = 1; /* a break at every batch */
	__atomic_store_n(&x.armed, 1, __ATOMIC_SEQ_CST);
	u32 done = nx_recover(s.vm, ~0u);
	__atomic_store_n(&x.armed, 0, __ATOMIC_SEQ_CST);
	host_yield_every = 0;
	__atomic_store_n(&host_yield_hook, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&x.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	tdp_get_stats(s.vm, &after);
	print_message("# NX recovery: %u tables, %llu lock breaks, %u with the vCPU running inside, "
		      "%llu flushes\n", done, (unsigned long long)(after.lock_breaks - before.lock_breaks),
		      x.breaks_seen, (unsigned long long)(after.tlb_flushes - before.tlb_flushes));
	if (s.violations)
		fail_msg("%llu violations, first: %s", (unsigned long long)s.violations, s.first_violation);
	assert_true(done >= NXF_REGIONS);
	assert_true(after.nx_recovered - before.nx_recovered >= NXF_REGIONS);
	assert_true(x.breaks_seen >= 4);
	nxf_cur = NULL;
	sim_vm_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_stress_ept),
		cmocka_unit_test(test_layout_stress_npt),
		cmocka_unit_test(test_zap_all_livelock),
		cmocka_unit_test(test_nx_recovery_worker),
		cmocka_unit_test(test_nx_recovery_flushes_before_break),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
