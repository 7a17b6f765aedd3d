/**
 * Section 4: a kernel's start plus its first cell, the project's tslab against Debian's IPython kernel, both
 * started through jupyter_client as Jupyter starts them; then where tslab's start goes, phase by phase.
 */
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';
import {installKernelSpec, projectKernelSpec} from '../notebook-runner/kernelspec.mjs';
import {projectJupyterEnv} from '../support/jupyter-env.mjs';
import {PROJECT_JUPYTER_PATH, PROJECT_ROOT} from '../support/project-paths.mjs';
import {PYTHON} from './clients.mjs';
import {alternate, fixed, median, timeCommand} from './stats.mjs';

const START = fileURLToPath(new URL('kernel-start.py', import.meta.url));
const PHASES = fileURLToPath(new URL('kernel-phases.cjs', import.meta.url));
const NOTEBOOKS = path.join(PROJECT_ROOT, 'notebooks');

interface Phases {
	nodeStartMs: number;
	loadCompilerMs: number;
	firstProgramMs: number;
	firstCellMs: number;
	charactersRead: Record<string, number>;
}

async function json<T>(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<T> {
	const result = await timeCommand(command, args, {cwd: NOTEBOOKS, env});
	if (result.code !== 0) throw new Error(`${path.basename(args[0] ?? command)} failed: ${result.stderr.trim().slice(-2000)}`);
	return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as T;
}

export async function kernelStartVersusIpython(options: {runs: number}): Promise<string[]> {
	await installKernelSpec(PROJECT_JUPYTER_PATH);
	const scratch = await mkdtemp(path.join(tmpdir(), 'lesson-bench-kernels-'));
	const env = {...projectJupyterEnv(scratch), PYDEVD_DISABLE_FILE_VALIDATION: '1'};
	const startMs = async (kernel: string, extra: NodeJS.ProcessEnv = {}): Promise<number> => (await json<{ms: number}>(PYTHON, [START, kernel], {...env, ...extra})).ms;
	try {
		const samples = await alternate(options.runs, {
			tslab: () => startMs('tslab'),
			tslabWithoutCache: () => startMs('tslab', {TSLAB_CODE_CACHE: '0'}),
			ipython: () => startMs('python3'),
		});
		const phases: Phases[] = [];
		// With the kernelspec's environment, as Jupyter starts the kernel.
		const kernelEnv = {...process.env, ...projectKernelSpec('tslab').env};
		for (let run = 0; run < options.runs; run++) phases.push(await json<Phases>(process.execPath, [PHASES], kernelEnv));
		const [tslab, uncached, ipython] = [median(samples.tslab), median(samples.tslabWithoutCache), median(samples.ipython)];
		const phase = (name: keyof Omit<Phases, 'charactersRead'>): string => fixed(median(phases.map((sample) => sample[name])));
		const read = phases[0]?.charactersRead ?? {};
		const mb = (characters: number | undefined): string => fixed((characters ?? 0) / 1e6, 1);
		return [
			`kernel start plus a first cell (1 + 2 -> execute_result 3), through jupyter_client, median of ${options.runs} alternating runs`,
			`  project tslab ${fixed(tslab)} ms, Debian's IPython kernel ${fixed(ipython)} ms: ${fixed(tslab / ipython, 2)}x IPython (target at most 1.0x, first step 1.5x)`,
			`  project tslab without its code cache (TSLAB_CODE_CACHE=0) ${fixed(uncached)} ms: the cache saves ${fixed(uncached - tslab)} ms`,
			`  where tslab's start goes (in one node process, medians of ${options.runs}): node itself ${phase('nodeStartMs')} ms, loading the compiler ` +
				`${phase('loadCompilerMs')} ms, building the first program ${phase('firstProgramMs')} ms, compiling the first cell ${phase('firstCellMs')} ms`,
			`  the first program reads and parses ${mb(read['@types/node'])} MB of @types/node, ${mb(read['lib.*.d.ts'])} MB of lib.*.d.ts and ` +
				`${mb(read['other'])} MB of other types; that parse is most of the start, and every start repeats it`,
		];
	} finally {
		await rm(scratch, {recursive: true, force: true});
	}
}
