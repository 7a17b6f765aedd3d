/**
 * The project's patches of tslab (patches/), a patch-package sequence: each patch applies to tslab 1.0.22 as
 * published, alone or on top of exactly the patches its row in patches/README.md says it builds on (so that each
 * can go upstream as its own pull request), and the whole sequence, in order, gives the tslab npm install made.
 * Pristine tslab comes from the installed one, the sequence reversed in a copy: no network, nothing outside the
 * project.
 */
import {execFile} from 'node:child_process';
import {createHash} from 'node:crypto';
import {cp, mkdtemp, readdir, readFile, rm, stat} from 'node:fs/promises';
import Module from 'node:module';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {promisify} from 'node:util';
import {Script} from 'node:vm';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';

const run = promisify(execFile);

const PATCHES = path.join(PROJECT_ROOT, 'patches');
const INSTALLED_TSLAB = path.join(PROJECT_ROOT, 'node_modules', 'tslab');
/** patch-package's name for a patch in a sequence: `tslab+1.0.22+NNN+name.patch`. */
const PATCH_NAME = /^tslab\+1\.0\.22\+(\d{3})\+([a-z0-9-]+)\.patch$/;
/** patch-package's record of what it applied (with more than one patch), kept in the package's folder: not tslab's. */
const STATE_FILE = '.patch-package.json';

interface PatchRow {
	readonly file: string;
	readonly number: number;
	/** The numbers of the patches it builds on, as its row says. */
	readonly buildsOn: readonly number[];
}

/** The patch files in patches/, in patch-package's order (by number). */
async function patchFiles(): Promise<string[]> {
	const names = (await readdir(PATCHES)).filter((name) => name.endsWith('.patch'));
	return names.sort((a, b) => numberOf(a) - numberOf(b));
}

function numberOf(file: string): number {
	const match = PATCH_NAME.exec(file);
	if (!match) throw new Error(`${file} is not named as patch-package names a patch of a sequence (tslab+1.0.22+NNN+name.patch)`);
	return Number(match[1]);
}

/** The rows of the table in patches/README.md: each names its patch file and the patches it builds on. */
async function tableRows(): Promise<PatchRow[]> {
	const lines = (await readFile(path.join(PATCHES, 'README.md'), 'utf8')).split('\n');
	const cellsOf = (line: string): string[] =>
		line
			.split('|')
			.slice(1, -1)
			.map((cell) => cell.trim());
	const headerAt = lines.findIndex((line) => line.startsWith('| patch |'));
	if (headerAt < 0) throw new Error('patches/README.md has no table whose first column is "patch"');
	const buildsOnColumn = cellsOf(lines[headerAt]!).indexOf('builds on');
	if (buildsOnColumn < 0) throw new Error('the table in patches/README.md has no "builds on" column');
	const rows: PatchRow[] = [];
	for (const line of lines.slice(headerAt + 2)) {
		if (!line.startsWith('|')) break;
		const cells = cellsOf(line);
		const file = /`([^`]+)`/.exec(cells[0] ?? '')?.[1] ?? '';
		const buildsOn = [...(cells[buildsOnColumn] ?? '').matchAll(/\b(\d{3})\b/g)].map((match) => Number(match[1]));
		rows.push({file, number: numberOf(file), buildsOn});
	}
	return rows;
}

/** What a row's patch needs under it: what it builds on, what those build on, and so on, in sequence order. */
function foundation(row: PatchRow, rows: readonly PatchRow[]): PatchRow[] {
	const needed = new Set<number>();
	const add = (numbers: readonly number[]): void => {
		for (const number of numbers) {
			if (needed.has(number)) continue;
			needed.add(number);
			add(rows.find((other) => other.number === number)?.buildsOn ?? []);
		}
	};
	add(row.buildsOn);
	return rows.filter((other) => needed.has(other.number));
}

/**
 * Runs `git apply` in `root` (which holds node_modules/tslab, as the patches name it). GIT_CEILING_DIRECTORIES
 * keeps git from finding a repository around the temporary folder, where it would apply relative to that instead.
 */
async function gitApply(root: string, file: string, flags: readonly string[] = []): Promise<void> {
	await run('git', ['apply', ...flags, path.join(PATCHES, file)], {cwd: root, env: {...process.env, GIT_CEILING_DIRECTORIES: path.dirname(root)}});
}

/** Copies tslab's own files (not its node_modules, not patch-package's record) to `root`/node_modules/tslab. */
async function copyTslab(from: string, root: string): Promise<void> {
	await cp(from, path.join(root, 'node_modules', 'tslab'), {
		recursive: true,
		verbatimSymlinks: true,
		filter: (source) => source !== path.join(from, 'node_modules') && source !== path.join(from, STATE_FILE),
	});
}

/** Every file of the package in `folder` (not its node_modules or patch-package's record): relative path -> mode and bytes. */
async function packageFiles(folder: string): Promise<Map<string, string>> {
	const files = new Map<string, string>();
	for (const name of (await readdir(folder, {recursive: true})).sort()) {
		if (name === 'node_modules' || name.startsWith(`node_modules${path.sep}`) || name === STATE_FILE) continue;
		const file = path.join(folder, name);
		const info = await stat(file);
		if (!info.isFile()) continue;
		files.set(
			name,
			`${(info.mode & 0o777).toString(8)} ${createHash('sha256')
				.update(await readFile(file))
				.digest('hex')}`,
		);
	}
	return files;
}

/** Read when the file is collected, to make one test per patch. */
const PATCH_FILES = await patchFiles();

describe('the patches of tslab', () => {
	let scratch: string;
	/** tslab 1.0.22 as published: the installed one with the sequence reversed, last patch first. */
	let pristine: string;
	let rows: PatchRow[];

	beforeAll(async () => {
		scratch = await mkdtemp(path.join(tmpdir(), 'tslab-patches-'));
		pristine = path.join(scratch, 'pristine');
		await copyTslab(INSTALLED_TSLAB, pristine);
		for (const file of [...PATCH_FILES].reverse()) await gitApply(pristine, file, ['--reverse']);
		rows = await tableRows();
	});

	afterAll(async () => {
		await rm(scratch, {recursive: true, force: true});
	});

	/** A fresh copy of pristine tslab, for one test to patch. */
	async function pristineCopy(name: string): Promise<string> {
		const root = path.join(scratch, name);
		await copyTslab(path.join(pristine, 'node_modules', 'tslab'), root);
		return root;
	}

	test('are numbered 001, 002... and each has its row in the table, in the same order', async () => {
		const files = PATCH_FILES;
		expect(files.length).toBeGreaterThan(1);
		expect(files.map(numberOf)).toEqual(files.map((_, index) => index + 1));
		expect(rows.map((row) => row.file)).toEqual(files);
	});

	test('each builds only on patches that come before it', () => {
		for (const row of rows) {
			for (const number of row.buildsOn) expect(number, `${row.file} builds on ${number}`).toBeLessThan(row.number);
		}
	});

	test('reversed, leave tslab 1.0.22 with none of the changes', async () => {
		const tslab = path.join(pristine, 'node_modules', 'tslab');
		expect(JSON.parse(await readFile(path.join(tslab, 'package.json'), 'utf8'))).toMatchObject({name: 'tslab', version: '1.0.22'});
		const {stdout} = await run('grep', ['-rl', 'pr4e', tslab]).catch((error: {code?: number; stdout?: string}) => {
			if (error.code === 1) return {stdout: ''};
			throw error;
		});
		expect(stdout).toBe('');
	});

	test.each(PATCH_FILES)('%s applies to tslab 1.0.22 on its own, or on exactly what it builds on', async (file) => {
		const row = rows.find((candidate) => candidate.file === file);
		expect(row, `${file} has no row in patches/README.md`).toBeDefined();
		const root = await pristineCopy(`alone-${numberOf(file)}`);
		for (const under of foundation(row!, rows)) await gitApply(root, under.file);
		await gitApply(root, file, ['--check']);
		await gitApply(root, file);
		// Applied, its JavaScript still parses: a change cut in the wrong place would not.
		const touched = (await readFile(path.join(PATCHES, file), 'utf8')).matchAll(/^\+\+\+ b\/(node_modules\/tslab\/\S+\.js)$/gm);
		for (const [, name] of touched) {
			const written = path.join(root, name!);
			const source = await readFile(written, 'utf8');
			// Compiled as Node compiles a CommonJS module, and not run: node --check, without a process for each.
			expect(() => new Script(Module.wrap(source), {filename: written}), name).not.toThrow();
		}
	});

	test('applied in order, all of them give the tslab npm install made', async () => {
		const root = await pristineCopy('sequence');
		for (const file of PATCH_FILES) await gitApply(root, file);
		expect(await packageFiles(path.join(root, 'node_modules', 'tslab'))).toEqual(await packageFiles(INSTALLED_TSLAB));
	});

	test("npm install applied every one of them, by patch-package's own record", async () => {
		const state = JSON.parse(await readFile(path.join(INSTALLED_TSLAB, STATE_FILE), 'utf8')) as {
			isRebasing: boolean;
			patches: {patchFilename: string; didApply: boolean; patchContentHash: string}[];
		};
		const expected = await Promise.all(
			PATCH_FILES.map(async (file) => ({
				patchFilename: file,
				didApply: true,
				patchContentHash: createHash('sha256')
					.update(await readFile(path.join(PATCHES, file)))
					.digest('hex'),
			})),
		);
		expect(state).toMatchObject({isRebasing: false, patches: expected});
	});
});
