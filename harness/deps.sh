#!/usr/bin/env bash
# Makes sure the Debian packages pagegate needs are installed: installs the missing ones
# when run as root, otherwise prints the one apt command to run and fails.
# usage: harness/deps.sh        (build, test and run dependencies)
set -euo pipefail

packages=(gcc g++ make libc6-dev git libcmocka-dev libhwloc-dev libbenchmark-dev liburing-dev gnuplot-nox clang libclang-rt-14-dev)

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
