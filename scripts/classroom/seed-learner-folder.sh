#!/bin/sh
# Gives a learner their own copy of the lesson, at their first login, and never touches it again.
#
#   seed-learner-folder.sh PROJECT FOLDER
#
# PROJECT is this project, built (npm install). FOLDER becomes the learner's lesson folder:
#   notebooks/*.ipynb   the learner's own copies (the solutions stay out), never overwritten once there
#   package.json        so that a cell's `import ... from '..'` finds the library, as in the project
#   dist, lib, node_modules   links to the project's, read-only for the learner: the library, the
#                       replica's data and tslab are shared, the learner's edits are not
# Run it as the learner (JupyterHub's pre-spawn hook does; in a Zero to JupyterHub image, the postStart
# hook), so that what it makes is theirs. It is plain sh, so the image needs nothing more to run it.
set -eu
project=$1
folder=$2
[ -f "$project/package.json" ] && [ -d "$project/dist" ] || {
	echo "seed-learner-folder: $project is not a built copy of the project (no package.json or dist/)" >&2
	exit 2
}
umask 077
mkdir -p "$folder/notebooks"
for notebook in "$project"/notebooks/*.ipynb; do
	name=$(basename "$notebook")
	case $name in *-solutions.ipynb) continue ;; esac
	# cp -n: a learner's edited notebook is kept as it is, at every login.
	[ -e "$folder/notebooks/$name" ] || cp "$notebook" "$folder/notebooks/$name"
done
[ -e "$folder/package.json" ] || cp "$project/package.json" "$folder/package.json"
for shared in dist lib node_modules; do
	[ -e "$folder/$shared" ] || [ -L "$folder/$shared" ] || ln -s "$project/$shared" "$folder/$shared"
done
