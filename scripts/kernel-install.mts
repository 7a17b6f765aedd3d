import {type CliArgs, type OptionTable, runCli} from './support/cli.mjs';
import {installKernelSpec, userJupyterDataFolder} from './notebook-runner/kernelspec.mjs';
import {PROJECT_JUPYTER_PATH} from './support/project-paths.mjs';

const HELP = `
usage: npm run kernel:install -- [--user]

Writes the kernelspec "tslab" (display name "TypeScript") that starts this project's own tslab
(node_modules/.bin/tslab, by absolute path), so that Jupyter runs the notebooks with it.

  (default)  into .jupyter/kernels/tslab/kernel.json in the project (git-ignored); Jupyter finds it
             with JUPYTER_PATH=$PWD/.jupyter, which npm run jupyter sets for you
  --user     into your own Jupyter data folder instead, for every Jupyter you start
`;

/** The options, typed for util.parseArgs (strict: anything else is a usage error). */
const OPTIONS = {user: {type: 'boolean'}} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

async function main(args: Flags): Promise<void> {
	const file = await installKernelSpec(args.user ? userJupyterDataFolder() : PROJECT_JUPYTER_PATH);
	console.log(`wrote ${file}`);
	if (!args.user) console.log(`Jupyter finds it with: JUPYTER_PATH=${PROJECT_JUPYTER_PATH} jupyter ...`);
}

runCli({help: HELP, options: OPTIONS, main});
