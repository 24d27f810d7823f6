# mm/*.c is compiled into the kernel by the top Makefile. The host tests and
# benchmarks of the MMU core are in tests/mm.mk.
MM_CORE_SRC := mm/spte.c mm/rwlock.c mm/epoch.c mm/memslot.c mm/tdp_iter.c mm/tdp_mmu.c \
	mm/tdp_fault.c mm/tdp_zap.c mm/nx.c mm/dirty_log.c mm/tdp_query.c
