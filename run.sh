#!/usr/bin/env bash
# pagegate's main job in one command: install missing Debian packages (as root), build,
# check /dev/kvm, boot the guest and print its self-checks and this machine's
# calibration.  The transport sweeps join this script as they land.
set -euo pipefail
cd "$(dirname "$0")"

case "${1:-}" in
-h | --help)
	echo "usage: ./run.sh    build pagegate, run the guest self-test and print the calibration"
	exit 0
	;;
esac

harness/deps.sh
make -s -j"$(nproc)" all
exec build/pagegate selftest
