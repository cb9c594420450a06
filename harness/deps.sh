#!/usr/bin/env bash
# Makes sure the Debian packages pagegate needs are installed: installs the missing ones
# when run as root, otherwise prints the one apt command to run and fails.
# usage: harness/deps.sh        (build, test and run dependencies)
#        harness/deps.sh --vm   (the emulated test VM's: QEMU, busybox-static, and package
#                                lists that name Debian's kernel, which tests/vm/vmrun fetches)
set -euo pipefail

packages=(gcc g++ make libc6-dev git libcmocka-dev libhwloc-dev libbenchmark-dev liburing-dev gnuplot-nox clang libclang-rt-14-dev)
if [ "${1:-}" = --vm ]; then
	packages=(qemu-system-x86 busybox-static)
	if ! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
		[ "$(id -u)" -eq 0 ] || { echo "pagegate: apt knows no linux-image-amd64: run 'sudo apt-get update'" >&2; exit 1; }
		apt-get update -qq
	fi
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "pagegate: missing Debian packages: ${missing[*]}" >&2
	echo "pagegate: install them with: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "pagegate: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
