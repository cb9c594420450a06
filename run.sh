#!/usr/bin/env bash
# pagegate's main job in one command: install missing Debian packages (as root), build,
# check /dev/kvm, boot the guest for its self-checks and this machine's calibration, then
# measure Table 7.1 here (every transport at 1-4 MiB, warm and cold buffers).
set -euo pipefail
cd "$(dirname "$0")"

case "${1:-}" in
-h | --help)
	cat <<'USAGE'
usage: ./run.sh    build pagegate, run the guest self-test with calibration, then
                   `pagegate bench` for warm and for cold buffers (Table 7.1 layout)
USAGE
	exit 0
	;;
esac

harness/deps.sh
make -s -j"$(nproc)" all
build/pagegate --quiet selftest
build/pagegate bench --fault warm
build/pagegate bench --fault cold --reps 3
