#!/bin/sh
# The project's tslab kernel, as its kernelspec starts it: from the V8 startup snapshot that
# `npm run kernel:snapshot` builds into node_modules/.cache/tslab-snapshot when this node can load it, and
# otherwise as tslab starts without one, with one line in the kernel's log (its stderr) saying why.
#
#   start-kernel.sh kernel --config-path FILE [--js]   what the kernelspec runs (tslab's own arguments)
#   start-kernel.sh --launch-key                      what is compared with the key the build recorded
#
# Node refuses a snapshot made by another node binary, under other V8 flags (NODE_OPTIONS) or on a CPU with
# other features, and exits at once instead of starting. So the snapshot is used straight away only when the
# launch key (the node binary, the blob, NODE_OPTIONS, the CPU) is the one recorded when it was built. When
# the key differs, a tiny snapshot made by the same build is tried first (the probe): Node checks it exactly
# as it would check the big one, and if Node refuses it, the kernel starts without the snapshot. TSLAB_SNAPSHOT=0
# turns the snapshot off.
#
# A shell script, not a node one, so that the node that runs the kernel is the only one started (exec keeps the
# process id that Jupyter signals to interrupt a cell), and what it checks costs a few milliseconds.
set -u
case $0 in
/*) here=${0%/*} ;;
*) here=$PWD/${0%/*} ;;
esac
project=${here%/scripts/kernel-snapshot}
snapshot=$project/node_modules/.cache/tslab-snapshot
tslab=$project/node_modules/tslab/bin/tslab

node=$(command -v node) || {
	echo "start-kernel.sh: no node on PATH" >&2
	exit 127
}

launch_key() {
	# the node binary and the blob: path, size and modification time (a container's device and inode numbers,
	# and the change times of an image's files, differ from one machine to the next; these do not)
	stat -L -c '%n %s %Y' "$node" "$snapshot/kernel.blob" 2>/dev/null
	printf 'NODE_OPTIONS=%s\n' "${NODE_OPTIONS-}"
	if [ -r /proc/cpuinfo ]; then
		# the first processor's model and features (x86: vendor_id, cpu family, model, flags; Arm: CPU..., Features)
		sed -n -e '/^vendor_id/p' -e '/^cpu family/p' -e '/^model/p' -e '/^flags/p' -e '/^CPU/p' -e '/^Features/p' -e '/^$/q' /proc/cpuinfo
	fi
}

if [ "${1-}" = --launch-key ]; then
	launch_key
	exit
fi

if [ "${TSLAB_SNAPSHOT-}" = 0 ]; then
	why="TSLAB_SNAPSHOT=0"
elif [ ! -f "$snapshot/kernel.blob" ] || [ ! -f "$snapshot/launch-key" ]; then
	why="there is none in $snapshot (npm run kernel:snapshot builds it)"
elif [ "$(launch_key)" = "$(cat "$snapshot/launch-key")" ] || refusal=$("$node" --snapshot-blob "$snapshot/probe.blob" 2>&1); then
	# Node reads the blob (some 40 MB) into memory from glibc's malloc and makes the heap from it at once: in
	# transparent huge pages, where the system allows them (madvise), that takes about a third less time here
	# (glibc 2.35 and later; older ones ignore the setting).
	GLIBC_TUNABLES=${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.hugetlb=1 exec "$node" --snapshot-blob "$snapshot/kernel.blob" "$@"
else
	why="$node refuses it (${refusal%%
*}; npm run kernel:snapshot builds one for this node)"
fi
printf 'tslab: started without its startup snapshot: %s\n' "$why" >&2
exec "$node" "$tslab" "$@"
