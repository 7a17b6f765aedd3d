/**
 * Commands that run notebooks build dist/ again when lib/ changed since the last build (scripts/support/
 * fresh-build.mts): in a copy of the project whose lib/ each test edits, through `npm run lesson`'s script and,
 * where a notebook runs, a real tslab kernel. A notebook that names no file that exists starts no kernel: the
 * cheap way to see whether a command rebuilt.
 */
import {spawn} from 'node:child_process';
import {appendFile, lchown, lstat, readdir, readFile, rm, utimes, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import {expect, onTestFinished, test} from 'vitest';
import {copyProject, type ProjectCopy} from '../helpers/project-copy.mjs';
import {PROJECT_ROOT, type ScriptResult} from '../helpers/run-script.js';

const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const REBUILT = /^rebuilt dist\/ from lib\/ in \d+\.\d s \((.*)\)$/gm;

const NOTEBOOK = {
	cells: [
		{
			cell_type: 'code',
			execution_count: null,
			id: 'prints-the-probe',
			metadata: {},
			outputs: [],
			source: ["import {FRESH_BUILD_PROBE} from '..';\n", 'console.log(FRESH_BUILD_PROBE);'],
		},
	],
	metadata: {kernelspec: {display_name: 'TypeScript', language: 'typescript', name: 'tslab'}, language_info: {name: 'typescript'}},
	nbformat: 4,
	nbformat_minor: 5,
};

async function projectCopy(): Promise<ProjectCopy> {
	const copy = await copyProject(['lib', 'dist']);
	onTestFinished(() => copy.remove());
	return copy;
}

/** Runs the copy's `npm run lesson -- ...args` (its own scripts, so its own lib/ and dist/) to the end. */
function lessonIn(copy: ProjectCopy, args: string[]): Promise<ScriptResult> {
	const child = spawn(TSX, [path.join(copy.root, 'scripts', 'lesson.mts'), ...args], {cwd: copy.root, env: {...process.env, INIT_CWD: copy.root}});
	onTestFinished(() => {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	});
	let [stdout, stderr] = ['', ''];
	child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
	child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
	return new Promise((resolve, reject) => {
		child.on('error', reject);
		child.on('close', (code) => resolve({code, stdout, stderr}));
	});
}

/** The reasons of the rebuild lines a command printed (none when dist/ was current). */
const rebuilds = (result: ScriptResult): string[] => [...result.stderr.matchAll(REBUILT)].map((match) => match[1] ?? '');

test('a notebook run by npm run lesson gets lib/ as edited since the last build: dist/ is rebuilt first, once, with one line', async () => {
	const copy = await projectCopy();
	const notebook = path.join(copy.root, 'notebooks', 'probe.ipynb');
	await writeFile(notebook, JSON.stringify(NOTEBOOK));
	const index = path.join(copy.root, 'lib', 'index.ts');
	await appendFile(index, "export const FRESH_BUILD_PROBE = 'edited in lib/ after the build';\n");
	// Older than the build: what `git stash pop`, `cp -p` or a tar can leave. Content decides, not times.
	await utimes(index, new Date('2001-01-01'), new Date('2001-01-01'));

	const edited = await lessonIn(copy, [notebook]);
	expect(edited.code, edited.stdout + edited.stderr).toBe(0);
	expect(rebuilds(edited)).toEqual(['lib/index.ts changed since dist/ was built']);
	expect(edited.stdout).toContain('edited in lib/ after the build');

	const again = await lessonIn(copy, [path.join(copy.root, 'notebooks', 'none.ipynb')]);
	expect(again.code).toBe(1);
	expect(rebuilds(again)).toEqual([]);
}, 300_000);

test('a file added to lib/, then removed, and an edited tsconfig.build.json each make the next command rebuild, leaving no stray output', async () => {
	const copy = await projectCopy();
	const missing = path.join(copy.root, 'notebooks', 'none.ipynb');
	const extra = path.join(copy.root, 'lib', 'extra.ts');
	await writeFile(extra, 'export const extra = 1;\n');
	expect(rebuilds(await lessonIn(copy, [missing]))).toEqual(['lib/extra.ts was added since dist/ was built']);
	expect(await readdir(path.join(copy.root, 'dist'))).toContain('extra.js');

	await rm(extra);
	expect(rebuilds(await lessonIn(copy, [missing]))).toEqual(['lib/extra.ts was removed since dist/ was built']);
	expect(await readdir(path.join(copy.root, 'dist'))).not.toContain('extra.js');

	const config = path.join(copy.root, 'tsconfig.build.json');
	await writeFile(config, (await readFile(config, 'utf8')).replace('"sourceMap": true', '"sourceMap": false'));
	expect(rebuilds(await lessonIn(copy, [missing]))).toEqual(['tsconfig.build.json changed since dist/ was built']);
	expect(await readdir(path.join(copy.root, 'dist'))).not.toContain('index.js.map');
	expect((await readdir(copy.root)).filter((name) => name.startsWith('dist.'))).toEqual([]);
}, 300_000);

test("a lib/ that does not compile stops the command with the compiler's message, and the last build stays in place", async () => {
	const copy = await projectCopy();
	const built = await readFile(path.join(copy.root, 'dist', 'index.js'));
	await appendFile(path.join(copy.root, 'lib', 'index.ts'), "export const broken: number = 'text';\n");

	const result = await lessonIn(copy, [path.join(copy.root, 'notebooks', 'none.ipynb')]);
	expect(result.code).toBe(1);
	expect(result.stderr).toContain('dist/ is out of date (lib/index.ts changed since dist/ was built), and rebuilding it failed: lib/ does not compile');
	expect(result.stderr).toMatch(/lib\/index\.ts\(\d+,\d+\): error TS2322/);
	expect(result.stdout).not.toContain('=== ');
	expect(await readFile(path.join(copy.root, 'dist', 'index.js'))).toEqual(built);
	expect((await readdir(copy.root)).filter((name) => name.startsWith('dist.'))).toEqual([]);
}, 300_000);

test.skipIf(process.getuid?.() !== 0)(
	"a rebuild made as root (sudo npm run grade) belongs to the project's owner, whose next build can replace it",
	async () => {
		const copy = await projectCopy();
		const owner = 65534; // nobody: any owner but root
		await chownTree(copy.root, owner);
		await appendFile(path.join(copy.root, 'lib', 'index.ts'), "export const OWNED_PROBE = 'built by root';\n");

		const result = await lessonIn(copy, [path.join(copy.root, 'notebooks', 'none.ipynb')]);
		expect(rebuilds(result)).toEqual(['lib/index.ts changed since dist/ was built']);
		const dist = path.join(copy.root, 'dist');
		const owners = new Set(await Promise.all([dist, ...(await readdir(dist, {recursive: true})).map((entry) => path.join(dist, entry))].map(async (entry) => (await lstat(entry)).uid)));
		expect([...owners]).toEqual([owner]);
	},
	300_000,
);

/** Gives `folder` and everything in it (links not followed) to `uid`. */
async function chownTree(folder: string, uid: number): Promise<void> {
	await lchown(folder, uid, uid);
	for (const entry of await readdir(folder, {recursive: true})) await lchown(path.join(folder, entry), uid, uid);
}
