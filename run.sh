#!/usr/bin/env bash
# pagegate's main job in one command: install missing Debian packages (as root), build,
# check /dev/kvm, boot the guest for its self-checks and this machine's calibration,
# sweep the three transports (Table 7.1's 1-4 MiB plus a size range, warm and cold
# buffers) into a dataset, compare copy and iov delivery in a second one, set the ring
# beside basic's doorbells in a third (queue depths, addressing, notification), print the
# Table 7.1 view and draw the figures.
set -euo pipefail
cd "$(dirname "$0")"

mode=quick
case "${1:-}" in
"") ;;
--full) mode=full ;;
-h | --help)
	cat <<'USAGE'
usage: ./run.sh [--full]
  (no option)  quick sweep, about 2 minutes: every transport at 4 KiB..16 MiB and 3 MiB,
               warm and cold buffers, send, 4 KiB pages, scattered frames, 5 repetitions
  --full       paper-grade sweep, tens of minutes: 4 KiB..64 MiB and 3 MiB, both
               directions, warm and cold, 4 KiB and 2 MiB pages, contiguous and scattered
               frames, both translation methods for basic and extended, 11 repetitions
Then copy vs iov delivery, both directions, timed through the device (quick: 1 and
4 MiB; full: 64 KiB..16 MiB).  Then the ring beside basic: gva and registered
addressing, polled and kicked (full: adaptive too), streams of sends
  (no option)  64 B, 4 KiB, 64 KiB and 1 MiB at queue depths 1, 16 and 64; 128 requests
               per repetition, 3 repetitions
  --full       64 B..16 MiB at depths 1 and 32, 500 requests, 7 repetitions; and a
               queue-depth sweep, 64 B and 4 KiB at depths 1..256, 5000 requests
(a depth x size must fit 512 MiB, half the guest's buffer region).  The datasets go to
datasets/runs/<UTC time>-<git sha>/ and the same name with -delivery and -ring (full:
and -ring-qd), figures to their figures/: the ring's requests/s and latency by size,
queue-depth sweep, latency CDF at depth 1, stacked ring stages and I/O thread cost.
USAGE
	exit 0
	;;
*)
	echo "run.sh: unknown option '$1' (see ./run.sh --help)" >&2
	exit 2
	;;
esac

harness/deps.sh
make -s -j"$(nproc)" all
# Without a usable /dev/kvm (or with PAGEGATE_EMULATE=1): the same run inside the test VM
# (QEMU TCG, nested SVM), to try the tool; every dataset and table then says its timings
# are not meaningful.
if [ "${PAGEGATE_EMULATE:-0}" = 1 ] || ! (exec 3<>/dev/kvm) 2>/dev/null; then
	if [ -c /dev/kvm ] && [ "${PAGEGATE_EMULATE:-0}" != 1 ] && [ "$(id -u)" -ne 0 ]; then
		echo "run.sh: /dev/kvm is not accessible: run as root, or join the kvm group" >&2
		exit 2
	fi
	echo "run.sh: no usable /dev/kvm here: running inside an emulated VM (QEMU TCG); timings there are NOT meaningful" >&2
	harness/deps.sh --vm
	PAGEGATE_EMULATE=0 exec tests/vm/vmrun --deadline 7200 -- ./run.sh "$@"
fi

out="datasets/runs/$(date -u +%Y%m%dT%H%M%SZ)-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
start=$(date +%s)
build/pagegate --quiet selftest
if [ "$mode" = quick ]; then
	build/pagegate bench --out "$out" --sizes 4K..16M,3M --fault warm,cold --reps 5
else
	build/pagegate bench --out "$out" --sizes 4K..64M,3M --direction both --fault warm,cold \
		--pages 4k,2m --frames contiguous,scattered --translate kvm,walk --reps 11
fi
if [ "$mode" = quick ]; then
	build/pagegate bench --out "$out-delivery" --sizes 1M,4M --direction both --delivery copy,iov --reps 9
else
	build/pagegate bench --out "$out-delivery" --sizes 64K..16M --direction both --delivery copy,iov --reps 11
fi
ring=(--transport basic,ring --ring-addr gva,registered)
if [ "$mode" = quick ]; then
	build/pagegate bench --out "$out-ring" "${ring[@]}" --sizes 64,4K,64K,1M --qd 1,16,64 --notify poll,kick \
		--requests 128 --reps 3
	rings=("$out-ring")
else
	build/pagegate bench --out "$out-ring" "${ring[@]}" --sizes 64..16M --qd 1,32 --notify poll,kick,adaptive \
		--requests 500 --reps 7
	build/pagegate bench --out "$out-ring-qd" "${ring[@]}" --sizes 64,4K --qd 1..256 --notify poll,kick,adaptive \
		--requests 5000 --reps 7
	rings=("$out-ring" "$out-ring-qd")
fi
for run in "$out" "$out-delivery" "${rings[@]}"; do
	build/pagegate plot "$run"
done
echo "run.sh: $mode run took $(($(date +%s) - start)) s; datasets $out, $out-delivery, ${rings[*]} (figures/ in each)"
