import * as path from 'node:path';
import {type Cli, type CliArgs, isMainModule, type OptionTable, runCli, UsageError} from './support/cli.mjs';
import {updateSnapshot} from './kernel-snapshot/build-snapshot.mjs';
import {installKernelSpec, userJupyterDataFolder} from './notebook-runner/kernelspec.mjs';
import {PROJECT_JUPYTER_PATH} from './support/project-paths.mjs';

const HELP = `
usage: npm run kernel:install -- [--user | --folder DIR]

Writes the kernelspec "tslab" (display name "TypeScript") that starts this project's own tslab (through
scripts/kernel-snapshot/start-kernel.sh, by absolute path), so that Jupyter runs the notebooks with it; then
builds the kernel's startup snapshot if it is missing or not current (npm run kernel:snapshot), so that
the kernel starts in a fraction of the time.

  (default)     into .jupyter/kernels/tslab/kernel.json in the project (git-ignored); Jupyter finds it
                with JUPYTER_PATH=$PWD/.jupyter, which npm run jupyter sets for you
  --user        into your own Jupyter data folder instead, for every Jupyter you start
  --folder DIR  into DIR/kernels/tslab/kernel.json: DIR is a Jupyter data folder, e.g. one on
                \`jupyter --paths\`'s data list for every user of a machine or image
                (scripts/classroom/image/build-steps.sh uses it)
`;

/** The options, typed for util.parseArgs (strict: anything else is a usage error). */
const OPTIONS = {user: {type: 'boolean'}, folder: {type: 'string'}} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

/** The Jupyter data folder the flags name; a UsageError for two at once or an empty one. */
function dataFolder(args: Flags): string {
	if (args.user && args.folder !== undefined) throw new UsageError('--user and --folder name two places: give one');
	if (args.folder !== undefined) {
		if (args.folder === '') throw new UsageError('--folder needs a folder');
		return path.resolve(args.folder);
	}
	return args.user ? userJupyterDataFolder() : PROJECT_JUPYTER_PATH;
}

async function main(args: Flags): Promise<void> {
	if (args._.length > 0) throw new UsageError(`unexpected argument ${args._[0]}`);
	const folder = dataFolder(args);
	const file = await installKernelSpec(folder);
	console.log(`wrote ${file}`);
	if (folder === PROJECT_JUPYTER_PATH) console.log(`Jupyter finds it with: JUPYTER_PATH=${PROJECT_JUPYTER_PATH} jupyter ...`);
	await updateSnapshot({log: (line) => console.log(line)});
}

/** The command, exported for the tests to run in-process (runCommand). */
export const cli: Cli<typeof OPTIONS> = {help: HELP, options: OPTIONS, main};

if (isMainModule(import.meta.url)) runCli(cli);
