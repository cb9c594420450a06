/*
 * The pagegate command line: global options (guest RAM, guest image, seed, quiet), then
 * a command.  Exit status: 0 success, 1 a check or run failed, 2 bad usage or no usable
 * KVM.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../devices/registry.h"
#include "../harness/bench.h"
#include "../harness/camera.h"
#include "../harness/dataset.h"
#include "../harness/micro.h"
#include "../harness/model.h"
#include "../harness/notify.h"
#include "../harness/plot.h"
#include "../harness/spread.h"
#include "../harness/table.h"
#include "selftest.h"
#include "x86.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pagegate [options] <command>\n"
		"\n"
		"commands:\n"
		"  selftest        boot the guest, run its self-checks, print this machine's calibration\n"
		"  bench [opts]    sweep the transports into a dataset, print Table 7.1 (bench --help)\n"
		"  micro [opts]    per-page translation cost of every method, stage costs (Google\n"
		"                  Benchmark; micro --help)\n"
		"  notify [--rounds N]  host -> guest notification latency: interrupt vs polling\n"
		"  camera [opts]   the paravirtual camera scenario (camera --help)\n"
		"  table DIR       Table 7.1 view of a dataset, beside the thesis's numbers\n"
		"  plot DIR        figures of a dataset into DIR/figures (png, svg, pdf; gnuplot)\n"
		"  model DIR       fit the cost model to a dataset, predict Table 7.1, explain it\n"
		"  compare [--threshold PCT] A B\n"
		"                  per configuration median ratio B/A with its bootstrap interval,\n"
		"                  flagged where the interval lies outside 1 +- PCT %% (default 3; exit 1\n"
		"                  if any), with overlay figures in B/figures\n"
		"  spread DIR...   run-to-run spread of two or more runs of one sweep (bench --runs)\n"
		"\n"
		"options:\n"
		"  --mem SIZE      guest RAM, K/M/G suffixes (default 1G)\n"
		"  --guest PATH    guest image (default: guest-bench.elf beside this program)\n"
		"  --seed N        seed of the scattered frame order (default 1)\n"
		"  --kvm-dev PATH  the KVM device (default /dev/kvm)\n"
		"  --fault-injection payload|sregs\n"
		"                  how page faults reach the guest: as the exception's payload (default where\n"
		"                  KVM has KVM_CAP_EXCEPTION_PAYLOAD), or CR2 written through all of sregs\n"
		"  --device NAME=PATH[,key=value...]\n"
		"                  load a device module (repeatable; build/devices/skeleton.so is the template)\n"
		"  --config FILE   load the modules listed in FILE ('device NAME=PATH[,key=value...]' lines)\n"
		"  --quiet         print only summaries (no guest console, no per-check lines)\n"
		"  -h, --help      this text\n");
}

/* table DIR, plot DIR, model DIR: commands on a dataset, no KVM needed. */
static int dataset_command(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "pagegate: usage: pagegate %s DIR\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[0], "table"))
		return table_print(argv[1], stdout) ? 2 : 0;
	if (!strcmp(argv[0], "model"))
		return model_report(argv[1], stdout);
	return plot_main(argv[1]);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mem", required_argument, 0, 'm' },   { "guest", required_argument, 0, 'g' },
		{ "seed", required_argument, 0, 's' },  { "quiet", no_argument, 0, 'q' },
		{ "kvm-dev", required_argument, 0, 'k' }, { "help", no_argument, 0, 'h' },
		{ "device", required_argument, 0, 'd' },  { "config", required_argument, 0, 'c' },
		{ "fault-injection", required_argument, 0, 'f' },
		{ 0, 0, 0, 0 },
	};
	static char guest_path[PATH_MAX];
	char err[1024];
	struct vm_config cfg = { .mem_bytes = 1ull << 30, .guest_path = guest_path };
	int c, rc;

	cfg.params.buf_page_shift = PAGE_SHIFT_4K;
	cfg.params.frame_policy = PG_FRAMES_CONTIGUOUS;
	cfg.params.seed = 1;
	pagegate_path("guest-bench.elf", guest_path, sizeof(guest_path));
	if (devices_add_builtins(err, sizeof(err))) {
		fprintf(stderr, "pagegate: %s\n", err);
		return 2;
	}
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (pagegate_parse_size(optarg, &cfg.mem_bytes)) {
				fprintf(stderr, "pagegate: --mem wants a size such as 512M or 1G, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'g':
			snprintf(guest_path, sizeof(guest_path), "%s", optarg);
			break;
		case 's':
			if (pagegate_parse_size(optarg, &cfg.params.seed)) {
				fprintf(stderr, "pagegate: --seed wants a number, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'q':
			cfg.quiet = true;
			break;
		case 'k':
			kvm_device_path = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "payload") && strcmp(optarg, "sregs")) {
				fprintf(stderr, "pagegate: --fault-injection wants payload or sregs, not '%s'\n", optarg);
				return 2;
			}
			cfg.fault_injection = !strcmp(optarg, "payload") ? FAULT_INJECT_PAYLOAD : FAULT_INJECT_SREGS;
			break;
		case 'd':
		case 'c':
			if ((c == 'd' ? devices_load(optarg, err, sizeof(err)) : devices_load_config(optarg, err, sizeof(err)))) {
				fprintf(stderr, "pagegate: %s\n", err);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "table") || !strcmp(argv[optind], "plot") || !strcmp(argv[optind], "model"))
		return dataset_command(argc - optind, argv + optind);
	if (!strcmp(argv[optind], "compare"))
		return compare_main(argc - optind, argv + optind);
	if (!strcmp(argv[optind], "spread"))
		return spread_main(argc - optind, argv + optind);
	if (strcmp(argv[optind], "selftest") && strcmp(argv[optind], "bench") && strcmp(argv[optind], "micro") &&
	    strcmp(argv[optind], "notify") && strcmp(argv[optind], "camera")) {
		fprintf(stderr, "pagegate: unknown command '%s' (see pagegate --help)\n", argv[optind]);
		return 2;
	}
	if (!strcmp(argv[optind], "bench"))
		return bench_main(argc - optind, argv + optind, &cfg);
	if (!strcmp(argv[optind], "micro"))
		return micro_main(argc - optind, argv + optind, &cfg);
	if (!strcmp(argv[optind], "notify"))
		return notify_main(argc - optind, argv + optind, &cfg);
	if (!strcmp(argv[optind], "camera"))
		return camera_main(argc - optind, argv + optind, &cfg);
	rc = kvm_check_environment();
	if (rc)
		return rc;
	return selftest_main(&cfg);
}
