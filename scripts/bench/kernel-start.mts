/**
 * Section 4: a kernel's start plus its first cell, through jupyter_client as Jupyter starts kernels: the project's
 * tslab from its startup snapshot and without it, against Debian's IPython kernel and Deno's (installed from npm
 * into a temporary folder, never a dependency); the same with a first cell that imports the lesson's library (and
 * the chapter's `import socket` for IPython); the kernel's peak memory after notebook 2; then where the start goes.
 */
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';
import {$} from 'zx/core';
import {Kernel} from '../notebook-runner/kernel.mjs';
import {installKernelSpec, KERNEL_ENV, projectKernelSpec} from '../notebook-runner/kernelspec.mjs';
import {cellSource, isCodeCell, readNotebook} from '../notebook-runner/notebook-file.mjs';
import {SNAPSHOT_FOLDER} from '../kernel-snapshot/build-snapshot.mjs';
import {projectJupyterEnv} from '../support/jupyter-env.mjs';
import {succeeded} from '../support/program-error.mjs';
import {PROJECT_JUPYTER_PATH, PROJECT_ROOT} from '../support/project-paths.mjs';
import {PYTHON} from './clients.mjs';
import {alternate, fixed, median, peakRssMiB, timeCommand} from './stats.mjs';

const START = fileURLToPath(new URL('kernel-start.py', import.meta.url));
const PHASES = fileURLToPath(new URL('kernel-phases.cjs', import.meta.url));
const NOTEBOOKS = path.join(PROJECT_ROOT, 'notebooks');
/** The first cells: a value, and the lesson's import (for IPython, the chapter's own imports). */
const PLAIN_CELL = '1 + 2';
const IMPORT_CELL = "import {Socket} from '..';\nSocket.name";
const PYTHON_IMPORT_CELL = 'import socket\nimport time\nsocket.__name__';

interface Phases {
	nodeStartMs: number;
	loadCompilerMs: number;
	firstProgramMs: number;
	firstCellMs: number;
	charactersRead: Record<string, number>;
}

/** The JSON value a measuring program prints last, run in the lesson's folder. */
async function json<T>(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<T> {
	const {stdout} = await succeeded($({cwd: NOTEBOOKS, env, quiet: true})`${command} ${args}`);
	return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
}

/** Deno's Jupyter kernel from the `deno` npm package, installed into `folder` with its kernelspec; undefined if npm cannot. */
async function installDeno(folder: string): Promise<{kernels: string; version: string} | string> {
	try {
		await succeeded($({cwd: folder, quiet: true})`npm install --prefix ${folder} --no-save --no-audit --no-fund --loglevel=error deno`);
		const deno = path.join(folder, 'node_modules', '.bin', 'deno');
		const version = (await succeeded($({quiet: true})`${deno} --version`)).stdout.split('\n')[0] ?? 'deno';
		// The kernelspec `deno jupyter --install` writes, but here, not in the home folder.
		const kernels = path.join(folder, 'jupyter');
		await mkdir(path.join(kernels, 'kernels', 'deno'), {recursive: true});
		const spec = {argv: [deno, 'jupyter', '--kernel', '--conn', '{connection_file}'], display_name: 'Deno', language: 'typescript'};
		await writeFile(path.join(kernels, 'kernels', 'deno', 'kernel.json'), `${JSON.stringify(spec, null, 1)}\n`);
		return {kernels, version};
	} catch (error) {
		return (error as Error).message.split('\n')[0] ?? 'npm install deno failed';
	}
}

/** The kernel's peak resident memory (VmHWM) after it ran notebook 2's cells, in MiB. */
async function peakAfterNotebook2(env: Record<string, string>): Promise<number> {
	const notebook = await readNotebook(path.join(NOTEBOOKS, '02-retrieve-image.ipynb'));
	const kernel = await Kernel.start({...projectKernelSpec('tslab'), env: {...KERNEL_ENV, ...env}}, {cwd: NOTEBOOKS});
	try {
		for (const cell of notebook.cells.filter(isCodeCell)) await kernel.execute(cellSource(cell), {timeoutMs: 120_000, onOutput: () => {}});
		return await peakRssMiB(kernel.pid!);
	} finally {
		await kernel.shutdown();
	}
}

export async function kernelStartVersusPeers(options: {runs: number}): Promise<string[]> {
	await installKernelSpec(PROJECT_JUPYTER_PATH);
	const scratch = await mkdtemp(path.join(tmpdir(), 'lesson-bench-kernels-'));
	try {
		const deno = await installDeno(scratch);
		const env = {
			...projectJupyterEnv(scratch),
			PYDEVD_DISABLE_FILE_VALIDATION: '1',
			DENO_DIR: path.join(scratch, 'deno-cache'),
			JUPYTER_PATH: [PROJECT_JUPYTER_PATH, ...(typeof deno === 'string' ? [] : [deno.kernels])].join(path.delimiter),
		};
		const startMs = async (kernel: string, cell: string, extra: NodeJS.ProcessEnv = {}): Promise<number> => (await json<{ms: number}>(PYTHON, [START, kernel, cell], {...env, ...extra})).ms;
		const samples = await alternate(options.runs, {
			tslab: () => startMs('tslab', PLAIN_CELL),
			withoutSnapshot: () => startMs('tslab', PLAIN_CELL, {TSLAB_SNAPSHOT: '0'}),
			withoutEither: () => startMs('tslab', PLAIN_CELL, {TSLAB_SNAPSHOT: '0', TSLAB_CODE_CACHE: '0'}),
			ipython: () => startMs('python3', PLAIN_CELL),
			deno: () => (typeof deno === 'string' ? Promise.resolve(Number.NaN) : startMs('deno', PLAIN_CELL)),
			tslabImport: () => startMs('tslab', IMPORT_CELL),
			withoutSnapshotImport: () => startMs('tslab', IMPORT_CELL, {TSLAB_SNAPSHOT: '0'}),
			ipythonImport: () => startMs('python3', PYTHON_IMPORT_CELL),
		});
		const m = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values as number[])])) as Record<keyof typeof samples, number>;
		const peaks = {tslab: [] as number[], withoutSnapshot: [] as number[]};
		for (let round = 0; round < Math.min(options.runs, 3); round++) {
			peaks.tslab.push(await peakAfterNotebook2({}));
			peaks.withoutSnapshot.push(await peakAfterNotebook2({TSLAB_SNAPSHOT: '0'}));
		}
		// Where the start goes: node alone, node to tslab's main through the snapshot, and the start without it.
		const nodeAlone = await timeCommand(process.execPath, ['-e', '0']);
		// tslab's `help` command: deserialized, its files checked, its command line parsed, and out (as start-kernel.sh runs it).
		const snapshotEnv = {...process.env, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1'};
		const throughSnapshot = await timeCommand(process.execPath, ['--snapshot-blob', path.join(SNAPSHOT_FOLDER, 'kernel.blob'), 'help'], {cwd: NOTEBOOKS, env: snapshotEnv});
		const phases: Phases[] = [];
		// With the kernelspec's environment, as Jupyter starts the kernel.
		const kernelEnv = {...process.env, ...KERNEL_ENV};
		for (let round = 0; round < options.runs; round++) phases.push(await json<Phases>(process.execPath, [PHASES], kernelEnv));
		const phase = (name: keyof Omit<Phases, 'charactersRead'>): string => fixed(median(phases.map((sample) => sample[name])));
		const read = phases[0]?.charactersRead ?? {};
		const mb = (characters: number | undefined): string => fixed((characters ?? 0) / 1e6, 1);
		const times = (ms: number, peer: number): string => `${fixed(ms / peer, 2)}x`;
		return [
			`kernel start plus a first cell (${PLAIN_CELL} -> execute_result 3), through jupyter_client, median of ${options.runs} alternating runs`,
			`  project tslab from its snapshot ${fixed(m.tslab)} ms: ${times(m.tslab, m.ipython)} Debian's IPython kernel (${fixed(m.ipython)} ms; target at most 0.5x), ` +
				(typeof deno === 'string' ? `Deno not measured (${deno})` : `${times(m.tslab, m.deno)} Deno's kernel (${deno.version}: ${fixed(m.deno)} ms; goal at most 1.0x)`),
			`  without the snapshot (TSLAB_SNAPSHOT=0, from disk through its code cache) ${fixed(m.withoutSnapshot)} ms: ${times(m.withoutSnapshot, m.ipython)} IPython; ` +
				`the snapshot saves ${fixed(m.withoutSnapshot - m.tslab)} ms; without the code cache too ${fixed(m.withoutEither)} ms: the cache saves ${fixed(m.withoutEither - m.withoutSnapshot)} ms where there is no snapshot`,
			`  with a first cell that imports the library (${IMPORT_CELL.split('\n')[0]}): from the snapshot ${fixed(m.tslabImport)} ms, without it ${fixed(m.withoutSnapshotImport)} ms; ` +
				`IPython with the chapter's imports (import socket, time) ${fixed(m.ipythonImport)} ms: ${times(m.tslabImport, m.ipythonImport)}`,
			`  the kernel's peak memory (VmHWM) after notebook 2, median of ${peaks.tslab.length}: from the snapshot ${fixed(median(peaks.tslab))} MiB, without it ${fixed(median(peaks.withoutSnapshot))} MiB`,
			`  where the start goes: node alone ${fixed(nodeAlone.wallMs)} ms; node to tslab's main through the snapshot (${throughSnapshot.code === 0 ? 'deserialization and its checks' : 'failed'}) ${fixed(throughSnapshot.wallMs)} ms`,
			`  without the snapshot, in one node process (medians of ${options.runs}): node itself ${phase('nodeStartMs')} ms, loading the compiler ` +
				`${phase('loadCompilerMs')} ms, building the first program ${phase('firstProgramMs')} ms, compiling the first cell ${phase('firstCellMs')} ms;`,
			`  that first program reads and parses ${mb(read['@types/node'])} MB of @types/node, ${mb(read['lib.*.d.ts'])} MB of lib.*.d.ts and ` +
				`${mb(read['other'])} MB of other types, which the snapshot holds parsed and bound`,
		];
	} finally {
		await rm(scratch, {recursive: true, force: true});
	}
}
