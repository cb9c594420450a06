/*
 * A session: one VM booted in serve mode with every transport's doorbell registered, fed
 * a list of transfer commands, each answered with the guest's result and the host's
 * stage times for that transfer (and, if asked, a host memcpy of the same size timed right
 * after it).  Tests and the bench command both drive transfers through it.
 */
#ifndef PG_SESSION_H
#define PG_SESSION_H

#include "../transports/transport.h"
#include "../vmm-min/vm.h"
#include "hostcopy.h"

struct transfer_result {
	struct pg_cmd cmd;
	struct pg_result guest;
	struct stage_times t; /* host TSC ticks */
	uint64_t host_checksum; /* the sink's checksum (SEND) */
	uint64_t tsc_khz;       /* to turn the ticks above into time */
	double memcpy_ns;       /* the paired host memcpy of cmd.bytes; NAN when not paired */
	double gather_ns;       /* the paired gather of the guest pages the guest named; NAN: none */
	bool done;
};

struct session_options {
	bool timing;           /* stage timing on (default) or off */
	uint64_t max_op_bytes; /* 0: the engine's default */
	/* if set, each transfer is paired with a host memcpy of its size, timed in the SYNC
	 * that ends its timed part (on the vCPU thread, before the guest goes on), and with a
	 * gather of the guest pages that SYNC names (R8 address, R9 bytes: one request's data;
	 * nothing is paired if the range is empty, larger than the buffers or unreachable) */
	const struct hostcopy *pair;
	/* called as each result arrives (index into cmds), e.g. to write it out at once */
	void (*on_result)(const struct transfer_result *r, size_t index, void *ctx);
	void *ctx;
};

/* Boot, run cmds[0..n) in order, fill results[0..n); returns the VM's outcome (VM_DONE
 * when the guest took every command).  why gets a line when it is not VM_DONE; facts, if
 * not NULL, what the VM says of the machine and its clocks. */
enum vm_outcome session_run(const struct vm_config *cfg, const struct session_options *opt,
			    const struct pg_cmd *cmds, size_t n, struct transfer_result *results, char *why,
			    size_t why_cap, struct vm_facts *facts);

#endif
