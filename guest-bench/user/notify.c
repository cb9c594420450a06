/*
 * Host -> guest notification (PG_MODE_NOTIFY), two ways, arg[0] rounds each: an
 * interrupt (the process asks the kernel to halt with interrupts on; the host sees the
 * HLT exit and injects PG_NOTIFY_VECTOR with KVM_INTERRUPT; the kernel's handler counts
 * it and the halt returns to the process), then polling (the process spins on a word in
 * its memory that a host thread writes).  The process stamps the TSC the moment it sees
 * each notification and reports it; the host subtracts its own stamp.
 */
#include "user.h"

static volatile uint64_t poll_word;

void notify_run(void)
{
	uint64_t rounds = user_params.arg[0], seen = 0;

	for (uint64_t i = 0; i < rounds; i++) {
		uint64_t count = syscall3(SYS_WAIT_IRQ, 0, 0, 0);

		pg_ctl(PG_CTL_SYNC, PG_SYNC_NOTIFY_SEEN, rdtsc(), 0, 0);
		GUEST_ASSERT(count == i + 1);
	}
	pg_ctl(PG_CTL_SYNC, PG_SYNC_POLL_READY, (uint64_t)&poll_word, 0, 0);
	while (seen < rounds) {
		while (poll_word == seen)
			__asm__ volatile("pause");
		seen = poll_word;
		pg_ctl(PG_CTL_SYNC, PG_SYNC_NOTIFY_SEEN, rdtsc(), 1, 0);
	}
	pg_done(0);
}
