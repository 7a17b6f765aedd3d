import * as path from 'node:path';
import {$} from 'zx/core';
import {type Cli, type CliArgs, findOnPath, isMainModule, type OptionTable, runCli} from './support/cli.mjs';
import {ensureFreshBuild} from './support/fresh-build.mjs';
import {installKernelSpec} from './notebook-runner/kernelspec.mjs';
import {installJupyterConfig} from './support/jupyter-env.mjs';
import {PROJECT_JUPYTER_CONFIG, PROJECT_JUPYTER_PATH, PROJECT_ROOT} from './support/project-paths.mjs';

const HELP = `
usage: npm run jupyter -- [JUPYTER OPTIONS...]

Installs the project's tslab kernelspec (npm run kernel:install) and starts JupyterLab, or else the
classic Jupyter Notebook, whichever is installed, on 127.0.0.1 in notebooks/. It also turns off the
classic Notebook's widgets extension for this project: tslab has no widgets and would print its
messages as "unknown msg_type: comm_open". Options after -- go to
Jupyter (for example --no-browser or --port 8889).
Without Jupyter it says how to install it and exits 1.
`;

/** The options, typed for util.parseArgs (strict: anything else is a usage error). */
const OPTIONS = {} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

async function main(args: Flags): Promise<number> {
	await ensureFreshBuild();
	const jupyter = findOnPath(['jupyter-lab', 'jupyter-notebook']);
	if (!jupyter) {
		console.error(
			'Neither JupyterLab nor Jupyter Notebook is installed. Install one, then run npm run jupyter again:\n' +
				'  pip install jupyterlab                   (any system with Python)\n' +
				'  sudo apt-get install jupyter-notebook    (Debian and Ubuntu)\n' +
				'Without Jupyter, npm run lesson runs the same notebooks in the terminal.',
		);
		return 1;
	}
	await installKernelSpec(PROJECT_JUPYTER_PATH);
	await installJupyterConfig();
	const searchPath = (mine: string, theirs: string | undefined): string => [mine, theirs].filter(Boolean).join(path.delimiter);
	console.log(`starting ${path.basename(jupyter)} in notebooks/ with the tslab kernel from ${PROJECT_JUPYTER_PATH}`);
	const server = $({
		cwd: path.join(PROJECT_ROOT, 'notebooks'),
		stdio: 'inherit',
		nothrow: true,
		env: {
			...process.env,
			JUPYTER_PATH: searchPath(PROJECT_JUPYTER_PATH, process.env['JUPYTER_PATH']),
			JUPYTER_CONFIG_PATH: searchPath(PROJECT_JUPYTER_CONFIG, process.env['JUPYTER_CONFIG_PATH']),
		},
		// exec: zx runs a command through bash, which would otherwise stay Jupyter's parent and, signalled, die
		// alone, leaving Jupyter running on its port. With exec, the process zx started is Jupyter itself.
	})`exec ${jupyter} --ip=127.0.0.1 ${args._.map(String)}`;
	// To Jupyter alone: it shuts its kernels down itself (zx's kill() would signal every process under it).
	const passOn = (signal: NodeJS.Signals): void => {
		server.child?.kill(signal);
	};
	for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, passOn);
	try {
		const {exitCode, signal} = await server;
		return exitCode ?? (signal ? 1 : 0);
	} finally {
		for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, passOn);
	}
}

/** The command, exported for the tests to run in-process (runCommand). */
export const cli: Cli<typeof OPTIONS> = {help: HELP, options: OPTIONS, passThrough: true, main};

if (isMainModule(import.meta.url)) runCli(cli);
