#!/bin/sh
# Rebuilds upstream cannelloni (github.com/mguentner/cannelloni, GPL-2.0)
# for the rig's comparison benchmarks (gateway/cannelloni_hil_test.go).
#
# Its sources are never part of this repository: put them under
# .cache/peers/cannelloni/src (git-ignored; .cache/peers/cannelloni/SOURCE
# records where they came from). Without them this script says so and
# exits 0, and the benchmarks run without cannelloni.
#
# Output: .cache/peers/cannelloni/cannelloni and the libcannelloni-common
# library it links, side by side (RPATH $ORIGIN), built with the host's
# cmake and g++ (SCTP off: the rig tunnels over UDP only).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.cache/peers/cannelloni"
if [ ! -f "$dir/src/CMakeLists.txt" ]; then
	echo "cannelloni: no sources at $dir/src; not built (the rig benchmarks skip it)" >&2
	exit 0
fi
for t in cmake g++; do
	command -v "$t" >/dev/null || { echo "cannelloni: $t not found (apt-get install -y cmake g++)" >&2; exit 1; }
done
rm -rf "$dir/build"
cmake -S "$dir/src" -B "$dir/build" -DSCTP_SUPPORT=OFF -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_BUILD_RPATH='$ORIGIN' >"$dir/build.log" 2>&1 || { cat "$dir/build.log" >&2; exit 1; }
cmake --build "$dir/build" -j2 >>"$dir/build.log" 2>&1 || { cat "$dir/build.log" >&2; exit 1; }
cp "$dir/build/cannelloni" "$dir/build/libcannelloni-common.so.0" "$dir/"
"$dir/cannelloni" -h | head -1
echo "cannelloni: built $dir/cannelloni"
