import {copyFile, mkdir, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import {randomUUID} from 'node:crypto';
import {describe, expect, onTestFinished, test} from 'vitest';
import {newMarker, processesLeftAfter, processesWithMarker} from './helpers/processes';
import {PROJECT_ROOT, runScript, spawnScript, waitForLine} from './helpers/run-script';

const fixture = (name: string): string => path.join('test', 'fixtures', `${name}.ipynb`);

/** A scratch folder inside the project (tslab needs node_modules above a notebook), removed afterwards. */
async function scratchFolder(): Promise<string> {
	const folder = path.join(PROJECT_ROOT, 'test-results', `scratch-${randomUUID().slice(0, 8)}`);
	await mkdir(folder, {recursive: true});
	onTestFinished(() => rm(folder, {recursive: true, force: true}));
	return folder;
}

/** Runs `npm run lesson -- args` (as tsx scripts/lesson.mts), checking it leaves no process behind. */
async function lesson(args: string[]) {
	const marker = newMarker();
	const result = await runScript('lesson.mts', args, {LESSON_TEST_MARK: marker});
	expect(await processesLeftAfter(marker)).toEqual([]);
	return result;
}

describe('npm run lesson', () => {
	test('runs a good notebook, prints its output and a summary, exits 0', async () => {
		const result = await lesson([fixture('good')]);
		expect(result.code).toBe(0);
		expect(result.stdout).toContain('hello 2\n5\n');
		expect(result.stdout).toMatch(/✓ test\/fixtures\/good.ipynb: ran; 2 code cells in [\d.]+ s/);
		expect(result.stdout).toContain('1 passed, 0 failed');
	});

	test('writes the executed copy to test-results/notebooks and leaves the tracked notebook untouched', async () => {
		const before = await readFile(path.join(PROJECT_ROOT, fixture('stale')), 'utf8');
		const result = await lesson([fixture('stale')]);
		expect(result.code).toBe(0);
		expect(await readFile(path.join(PROJECT_ROOT, fixture('stale')), 'utf8')).toBe(before);
		const copy = await readFile(path.join(PROJECT_ROOT, 'test-results', 'notebooks', 'stale.ipynb'), 'utf8');
		expect(copy).toContain('the fresh line');
	});

	test('--check passes when the stored outputs match, sanitizers applied', async () => {
		const result = await lesson([fixture('good'), fixture('sanitized'), '--check']);
		expect(result.code).toBe(0);
		expect(result.stdout).toContain('2 passed, 0 failed');
	});

	test('--check fails on a stale stored output and prints a readable diff', async () => {
		const result = await lesson([fixture('stale'), '--check']);
		expect(result.code).toBe(1);
		expect(result.stdout).toContain('-an old line\n+the fresh line');
		expect(result.stdout).toContain('code cell 1 (cell 1 in the file)');
		expect(result.stdout).toContain('0 passed, 1 failed');
	});

	test('reports a throwing cell by number, with its source and the error, and exits 1', async () => {
		const result = await lesson([fixture('throws')]);
		expect(result.code).toBe(1);
		expect(result.stdout).toContain('failed at code cell 2 (cell 3 in the file): error');
		expect(result.stdout).toContain('    | throw new Error(`boom at ${value + 1}`);');
		expect(result.stdout).toContain('Error: boom at 42');
		expect(result.stdout).not.toContain('never runs');
	});

	test('fails a hung cell within a minute with --cell-timeout 5', async () => {
		const started = Date.now();
		const result = await lesson([fixture('hangs'), '--cell-timeout', '5']);
		expect(result.code).toBe(1);
		expect(result.stdout).toContain("timeout");
		expect(Date.now() - started).toBeLessThan(60_000);
	});

	test('--update rewrites stored outputs atomically, keeping ids and null execution counts', async () => {
		const folder = await scratchFolder();
		const copy = path.join(folder, 'stale.ipynb');
		await copyFile(path.join(PROJECT_ROOT, fixture('stale')), copy);
		const updated = await lesson([copy, '--update']);
		expect(updated.code).toBe(0);
		const notebook = JSON.parse(await readFile(copy, 'utf8'));
		expect(notebook.cells[0].id).toBe('stale-1');
		expect(notebook.cells[0].execution_count).toBeNull();
		expect(notebook.cells[0].outputs).toEqual([{name: 'stdout', output_type: 'stream', text: ['the fresh line\n']}]);
		expect(notebook.cells[0].metadata).toEqual({});
		expect(await readdir(folder)).toEqual(['stale.ipynb']);
		expect((await lesson([copy, '--check'])).code).toBe(0);
	});

	test('--update leaves a notebook whose cell fails as it was', async () => {
		const folder = await scratchFolder();
		const copy = path.join(folder, 'throws.ipynb');
		await copyFile(path.join(PROJECT_ROOT, fixture('throws')), copy);
		const before = await readFile(copy, 'utf8');
		expect((await lesson([copy, '--update'])).code).toBe(1);
		expect(await readFile(copy, 'utf8')).toBe(before);
	});

	test('says clearly when a notebook is not valid JSON', async () => {
		const folder = await scratchFolder();
		const broken = path.join(folder, 'broken.ipynb');
		await writeFile(broken, '{"cells": [');
		const result = await lesson([broken]);
		expect(result.code).toBe(1);
		expect(result.stderr).toMatch(/broken.ipynb is not valid JSON/);
	});

	test('refuses --check with --update (exit 2)', async () => {
		const result = await lesson([fixture('good'), '--check', '--update']);
		expect(result.code).toBe(2);
		expect(result.stderr).toContain('--check and --update do not go together');
	});

	test.each(['SIGINT', 'SIGTERM'] as const)('stops its kernel when interrupted by %s', async (signal) => {
		const marker = newMarker();
		const runner = spawnScript('lesson.mts', [fixture('hangs')], {LESSON_TEST_MARK: marker});
		await waitForLine(runner, /waiting forever/);
		expect(processesWithMarker(marker).length).toBeGreaterThan(1);
		const exited = new Promise<number | null>((resolve) => runner.once('exit', (code) => resolve(code)));
		runner.kill(signal);
		expect(await exited).toBe(signal === 'SIGINT' ? 130 : 143);
		expect(await processesLeftAfter(marker)).toEqual([]);
	});

	test('leaves no kernel behind even when the runner itself is killed', async () => {
		const marker = newMarker();
		const runner = spawnScript('lesson.mts', [fixture('hangs')], {LESSON_TEST_MARK: marker});
		await waitForLine(runner, /waiting forever/);
		// tsx runs the script in a child node process: kill the whole tree's runner, not just tsx.
		for (const pid of processesWithMarker(marker)) {
			const command = await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '');
			if (command.includes('lesson.mts')) process.kill(pid, 'SIGKILL');
		}
		expect(await processesLeftAfter(marker)).toEqual([]);
	});
});
