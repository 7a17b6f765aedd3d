/**
 * The kernel's V8 startup snapshot (scripts/kernel-snapshot/), in real kernels: the project's kernel starts from
 * it; a kernel whose snapshot is missing, turned off, refused by its node or made from other packages starts as
 * before and says why in its log; a declaration file that changed after the snapshot was built gives its new
 * types. All but the first in a copy of the project (its own tslab, @types/node and dist), whose snapshot the
 * test builds, then spoils in each of those ways.
 */
import {execFile} from 'node:child_process';
import {appendFile, cp, readFile, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import {promisify} from 'node:util';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {Kernel} from '../../scripts/notebook-runner/kernel.mjs';
import {KERNEL_ENV, type KernelSpec, projectKernelSpec} from '../../scripts/notebook-runner/kernelspec.mjs';
import {PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';
import type {JupyterMessage} from '../../scripts/notebook-runner/wire.mjs';
import {copyProject, type ProjectCopy} from '../helpers/project-copy.mjs';

const run = promisify(execFile);

/** What a cell gave: its Out[n] text, or its error's name and message. */
interface CellResult {
	readonly value?: string;
	readonly error?: string;
}

/** Runs `code` in a new kernel of `spec` in `cwd`, cell by cell; returns each cell's result and the kernel's log. */
async function inKernel(spec: KernelSpec, cwd: string, cells: readonly string[]): Promise<{results: CellResult[]; log: string}> {
	const kernel = await Kernel.start(spec, {cwd});
	try {
		const results: CellResult[] = [];
		for (const code of cells) {
			let result: CellResult = {};
			const onOutput = (message: JupyterMessage): void => {
				const content = message.content;
				if (message.header.msg_type === 'execute_result') result = {value: String((content['data'] as Record<string, unknown>)['text/plain'])};
				if (message.header.msg_type === 'error') result = {error: `${String(content['ename'])}: ${String(content['evalue'])}`};
			};
			// Some cells fail on purpose and the next must still run: no stop_on_error, as nbclient sends it for them.
			const outcome = await kernel.execute(code, {timeoutMs: 60_000, onOutput, stopOnError: false});
			expect(outcome.status, kernel.log).toMatch(/^(ok|error)$/);
			results.push(result);
		}
		return {results, log: kernel.log};
	} finally {
		await kernel.shutdown();
	}
}

/**
 * A cell that says whether its kernel's node was started with a snapshot, type-checked against @types/node. If
 * the snapshot's modules are not the files on disk the kernel still starts from disk in that node: its log says so.
 */
const FROM_SNAPSHOT = "const started: Buffer = Buffer.from(process.execArgv.join(' '));\nstarted.includes('--snapshot-blob')";
const STARTED_WITHOUT = /^tslab: started without its startup snapshot: (.*)$/m;

describe("the project's kernel", () => {
	test('starts from its snapshot, checks cells against the kept type libraries, and logs nothing about it', async () => {
		const {results, log} = await inKernel(projectKernelSpec('tslab'), path.join(PROJECT_ROOT, 'notebooks'), [
			FROM_SNAPSHOT,
			"import {Socket} from '..';\nconst connecting: Promise<Socket> = Socket.connect('127.0.0.1', 1, {timeoutMs: 'soon'});",
		]);
		expect(results[0], `the snapshot is missing or stale: npm run kernel:snapshot -- --check says why\n${log}`).toEqual({value: 'true'});
		expect(results[1]?.error).toMatch(/^CompileError: Type 'string' is not assignable to type 'number'/);
		expect(log).not.toMatch(STARTED_WITHOUT);
	});
});

describe('a copy of the project, its snapshot built, then spoiled', () => {
	let copy: ProjectCopy;
	let spec: KernelSpec;
	let notebooks: string;
	const snapshotFile = (name: string): string => path.join(copy.root, 'node_modules', '.cache', 'tslab-snapshot', name);
	/** The copy's own `npm run kernel:snapshot`. */
	const build = async (): Promise<string> => {
		const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
		return (await run(tsx, [path.join(copy.root, 'scripts', 'kernel-snapshot.mts')], {cwd: copy.root})).stdout;
	};

	beforeAll(async () => {
		copy = await copyProject(['dist', path.join('node_modules', 'tslab'), path.join('node_modules', '@types', 'node')]);
		notebooks = path.join(copy.root, 'notebooks');
		spec = {
			...projectKernelSpec('tslab'),
			argv: ['/bin/sh', path.join(copy.root, 'scripts', 'kernel-snapshot', 'start-kernel.sh'), 'kernel', '--config-path', '{connection_file}'],
			env: {...KERNEL_ENV},
		};
	});

	afterAll(async () => {
		await copy?.remove();
	});

	test('without a snapshot, the kernel starts as before and says there is none', async () => {
		const {results, log} = await inKernel(spec, notebooks, [FROM_SNAPSHOT]);
		expect(results).toEqual([{value: 'false'}]);
		expect(log).toMatch(/^tslab: started without its startup snapshot: there is none in .* \(npm run kernel:snapshot builds it\)$/m);
	});

	test('npm run kernel:snapshot builds one, and the kernel starts from it', async () => {
		expect(await build()).toMatch(/^built node_modules\/\.cache\/tslab-snapshot\/kernel\.blob in /m);
		const {results, log} = await inKernel(spec, notebooks, [FROM_SNAPSHOT]);
		expect(results).toEqual([{value: 'true'}]);
		expect(log).not.toMatch(STARTED_WITHOUT);
	}, 180_000);

	test('TSLAB_SNAPSHOT=0 starts the kernel as before, and says so', async () => {
		const {results, log} = await inKernel({...spec, env: {...KERNEL_ENV, TSLAB_SNAPSHOT: '0'}}, notebooks, [FROM_SNAPSHOT]);
		expect(results).toEqual([{value: 'false'}]);
		expect(STARTED_WITHOUT.exec(log)?.[1]).toBe('TSLAB_SNAPSHOT=0');
	});

	test('under a V8 flag it was not built with (a heap limit), node refuses it at the probe, and the kernel starts as before', async () => {
		const {results, log} = await inKernel({...spec, env: {...KERNEL_ENV, NODE_OPTIONS: '--max-old-space-size=700'}}, notebooks, [FROM_SNAPSHOT]);
		expect(results).toEqual([{value: 'false'}]);
		expect(STARTED_WITHOUT.exec(log)?.[1]).toMatch(/refuses it \(Failed to load the startup snapshot because it was built with a different version of V8 or with different V8 configurations\./);
	});

	test('made by another version of Node.js (its header says so), it is refused at the probe, and the kernel starts as before', async () => {
		const blobs = ['kernel.blob', 'probe.blob'].map(snapshotFile);
		const originals = await Promise.all(blobs.map((blob) => readFile(blob)));
		try {
			for (const [index, blob] of blobs.entries()) {
				const bytes = Buffer.from(originals[index]!);
				// The version Node compares is near the start of the header, without its "v".
				const at = bytes.indexOf(process.version.slice(1));
				expect(at).toBeGreaterThan(0);
				expect(at).toBeLessThan(64);
				bytes.write('99.99.9'.padEnd(process.version.length - 1, '9'), at, 'latin1');
				await writeFile(blob, bytes);
			}
			const {results, log} = await inKernel(spec, notebooks, [FROM_SNAPSHOT]);
			expect(results).toEqual([{value: 'false'}]);
			expect(STARTED_WITHOUT.exec(log)?.[1]).toMatch(/refuses it \(Failed to load the startup snapshot because it was built with ?Node\.js version 99\.99\.9/);
		} finally {
			await Promise.all(blobs.map((blob, index) => writeFile(blob, originals[index]!)));
		}
	});

	test('a kept declaration file changed after the build gives its new types: a cell that compiles only with the change', async () => {
		const cell = 'const added: AddedAfterTheSnapshot = {answer: 42};\nadded.answer';
		expect((await inKernel(spec, notebooks, [cell])).results[0]?.error).toMatch(/^CompileError: Cannot find name 'AddedAfterTheSnapshot'/);
		await appendFile(path.join(copy.root, 'node_modules', '@types', 'node', 'globals.d.ts'), '\ninterface AddedAfterTheSnapshot { answer: 42 }\n');
		const {results, log} = await inKernel(spec, notebooks, [FROM_SNAPSHOT, cell]);
		expect(results).toEqual([{value: 'true'}, {value: '42'}]);
		expect(log).not.toMatch(STARTED_WITHOUT);
	});

	test('so does a declaration file of the library a cell imports', async () => {
		const cell = "import {addedAfterTheSnapshot} from '..';\nconst added: 'yes' = addedAfterTheSnapshot;\nadded";
		expect((await inKernel(spec, notebooks, [cell])).results[0]?.error).toMatch(/^CompileError: Module '"\.\."' has no exported member 'addedAfterTheSnapshot'/);
		await appendFile(path.join(copy.root, 'dist', 'index.d.ts'), "\nexport declare const addedAfterTheSnapshot: 'yes';\n");
		await appendFile(path.join(copy.root, 'dist', 'index.js'), "\nexports.addedAfterTheSnapshot = 'yes';\n");
		const {results} = await inKernel(spec, notebooks, [FROM_SNAPSHOT, cell]);
		expect(results).toEqual([{value: 'true'}, {value: "'yes'"}]);
	});

	test('a notebook folder with its own type package gets its own types', async () => {
		const folder = path.join(notebooks, 'own-types');
		const ownTypes = path.join(folder, 'node_modules', '@types', 'node');
		await cp(path.join(copy.root, 'node_modules', '@types', 'node'), ownTypes, {recursive: true});
		await appendFile(path.join(ownTypes, 'globals.d.ts'), '\ninterface OnlyInThisFolder { folder: "own-types" }\n');
		const {results, log} = await inKernel(spec, folder, [FROM_SNAPSHOT, 'const own: OnlyInThisFolder = {folder: "own-types"};\nown.folder']);
		expect(results).toEqual([{value: 'true'}, {value: "'own-types'"}]);
		expect(log).not.toMatch(STARTED_WITHOUT);
	});

	test('tslab changed after the build: the kernel starts from disk and names the file', async () => {
		const util = path.join(copy.root, 'node_modules', 'tslab', 'dist', 'util.js');
		await appendFile(util, '\n// changed after the snapshot was built\n');
		const {results, log} = await inKernel(spec, notebooks, [FROM_SNAPSHOT, '1 + 2', 'process.cwd()']);
		expect(results).toEqual([{value: 'true'}, {value: '3'}, {value: `'${notebooks}'`}]);
		expect(STARTED_WITHOUT.exec(log)?.[1]).toBe(`${util} changed since the snapshot was built (npm run kernel:snapshot makes a new one)`);
	});
});
