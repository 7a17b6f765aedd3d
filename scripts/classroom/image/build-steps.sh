#!/bin/sh
# Every real step of the classroom image's build, in one script the Dockerfile RUNs (and that
# test/classroom/deployment.test.mts runs on an ordinary machine, since no image can be built there).
#
#   build-steps.sh PROJECT JUPYTER_DATA_FOLDER
#
# PROJECT is a copy of this project's tracked files (no node_modules, no dist). After this script:
#   PROJECT/node_modules   npm ci with the dev dependencies: tslab, typescript and tsx run the kernel
#   PROJECT/dist           built by npm ci's prepare step, which also patches tslab (patches/)
#   PROJECT/node_modules/.cache/tslab-snapshot   the kernel's V8 startup snapshot, built by prepare too,
#                          for this image's node: kernels start from it (scripts/kernel-snapshot/)
#   JUPYTER_DATA_FOLDER/kernels/tslab/kernel.json   the kernelspec, starting PROJECT's tslab by absolute path
#   PROJECT                readable by everyone, writable by its owner only (root, in the image)
# and the kernel has run a notebook, started both by the project's runner and, when Jupyter is on PATH,
# by Jupyter itself from the kernelspec just written.
set -eu
[ $# -eq 2 ] || {
	echo "usage: build-steps.sh PROJECT JUPYTER_DATA_FOLDER" >&2
	exit 2
}
project=$(cd "$1" && pwd)
data=$2
case $data in /*) ;; *) data=$(pwd)/$data ;; esac
[ -f "$project/package-lock.json" ] || {
	echo "build-steps: $project has no package-lock.json: not a copy of the project" >&2
	exit 2
}

# The image's HOME is the learner's (/home/jovyan): nothing made here as root may land there, or the
# learner could not write their own ~/.npm or ~/.local later. Caches and Jupyter's files go to a scratch
# folder removed at the end; a caller may lend its own npm cache (npm_config_cache) to save downloads.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/tmp"
export TMPDIR="$scratch/tmp" npm_config_cache="${npm_config_cache:-$scratch/npm-cache}"
export JUPYTER_RUNTIME_DIR="$scratch/runtime" JUPYTER_CONFIG_DIR="$scratch/config" JUPYTER_DATA_DIR="$scratch/data"
export IPYTHONDIR="$scratch/ipython"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

cd "$project"
echo "build-steps: npm ci in $project (node $(node --version), npm $(npm --version))"
# --include=dev even under NODE_ENV=production: the kernel is tslab, run by tsx and typescript, all dev deps.
npm ci --include=dev

# npm ci runs prepare (patch-package, then the build); without the patch the notebooks' errors and
# displays would not look as the lesson shows them, and the runner refuses such a tslab.
[ -f node_modules/tslab/dist/cell-errors.js ] || {
	echo "build-steps: node_modules/tslab is not patched (no dist/cell-errors.js): did patch-package run?" >&2
	exit 1
}
[ -f dist/index.js ] || {
	echo "build-steps: no dist/index.js: npm ci's prepare step did not build the library" >&2
	exit 1
}

# The kernelspec, and the snapshot if prepare could not build it (kernel:install builds it then, or fails).
npm run --silent kernel:install -- --folder "$data"
kernel_json="$data/kernels/tslab/kernel.json"
node -e '
	const spec = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
	if (spec.argv[1] !== process.argv[2]) throw new Error(`kernel.json starts ${spec.argv[1]}, not ${process.argv[2]}`);
' "$kernel_json" "$project/scripts/kernel-snapshot/start-kernel.sh"
# Current for this node: the learners' kernels start from it (on another CPU, after a probe of it).
npm run --silent kernel:snapshot -- --check

echo "build-steps: running notebooks/01-retrieve-text.ipynb with the project's runner"
npm run --silent lesson -- --quiet --jobs 1 notebooks/01-retrieve-text.ipynb

if command -v jupyter >/dev/null 2>&1; then
	# The image's own Jupyter, finding the kernelspec by name as the learner's server will.
	echo "build-steps: running notebooks/01-retrieve-text.ipynb with jupyter nbconvert and $kernel_json"
	JUPYTER_PATH="$data" jupyter kernelspec list --json >"$scratch/kernelspecs.json"
	node -e '
		const {kernelspecs} = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
		const found = kernelspecs.tslab && kernelspecs.tslab.resource_dir;
		if (found !== process.argv[2]) throw new Error(`Jupyter finds the tslab kernelspec in ${found}, not ${process.argv[2]}`);
	' "$scratch/kernelspecs.json" "$data/kernels/tslab"
	(cd notebooks && JUPYTER_PATH="$data" jupyter nbconvert --to notebook --execute \
		--ExecutePreprocessor.kernel_name=tslab --ExecutePreprocessor.timeout=300 \
		--output-dir "$scratch" --output executed 01-retrieve-text.ipynb)
	[ -s "$scratch/executed.ipynb" ]
else
	echo "build-steps: no jupyter on PATH: the kernelspec was not tried by Jupyter itself"
fi

# What the checks left behind (the runner's executed copies) is no part of the lesson.
rm -rf test-results
chmod -R u+rwX,go+rX,go-w "$project" "$data/kernels/tslab"
echo "build-steps: done: $kernel_json"
