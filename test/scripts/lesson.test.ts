import {existsSync} from 'node:fs';
import {chmod, copyFile, mkdir, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import * as path from 'node:path';
import {randomUUID} from 'node:crypto';
import {describe, expect, onTestFinished, test} from 'vitest';
import {newMarker, processesLeftAfter, processesWithMarker} from '../helpers/processes';
import {PROJECT_ROOT, runScript, spawnScript, waitForLine} from '../helpers/run-script';

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

	test("--jobs 2 runs notebooks side by side, each one's output whole, and --junit writes one test case per notebook", async () => {
		const folder = await scratchFolder();
		const junit = path.join(folder, 'report.xml');
		const result = await lesson([fixture('throws'), fixture('good'), fixture('displays'), '--jobs', '2', '--junit', junit]);
		expect(result.code).toBe(1);
		// Never interleaved: each notebook's block runs from its === line to its summary line.
		const blocks = result.stdout.split(/\n(?==== )/).filter((block) => block.startsWith('=== '));
		expect(blocks).toHaveLength(3);
		for (const block of blocks) {
			const name = /^=== (\S+)/.exec(block)![1]!;
			const summaries = block.split('\n').filter((line) => /^[✓✗] \S+: /.test(line));
			expect(summaries).toEqual([expect.stringMatching(new RegExp(`^[✓✗] ${name}: `))]);
		}
		const report = await readFile(junit, 'utf8');
		expect(report).toContain('<testsuite name="notebooks" tests="3" failures="1"');
		expect(report).toMatch(/<testcase classname="lesson" name="test\/fixtures\/good.ipynb" time="[\d.]+"\/>/);
		expect(report).toMatch(/<testcase classname="lesson" name="test\/fixtures\/throws.ipynb" time="[\d.]+">\n {4}<failure message="[^"]*failed at code cell 2 \(cell 3 in the file\): error">/);
		expect(report).toContain('Error: boom at 42');
	});

	test('fails a hung cell within a minute with --cell-timeout 5', async () => {
		const started = Date.now();
		const result = await lesson([fixture('hangs'), '--cell-timeout', '5']);
		expect(result.code).toBe(1);
		expect(result.stdout).toContain('timeout');
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

	test('--update refuses to overwrite a notebook edited while it ran, and keeps the edit', async () => {
		const folder = await scratchFolder();
		const copy = path.join(folder, 'pauses.ipynb');
		await copyFile(path.join(PROJECT_ROOT, fixture('pauses')), copy);
		const runner = spawnScript('lesson.mts', [copy, '--update']);
		let output = '';
		runner.stdout.on('data', (data: Buffer) => (output += data.toString()));
		const closed = new Promise<number | null>((resolve) => runner.once('close', resolve));
		await waitForLine(runner, /started/);
		const edited = (await readFile(copy, 'utf8')).replace('finished', 'finished, as edited');
		await writeFile(copy, edited);
		expect(await closed).toBe(1);
		expect(output).toContain('was changed while it ran: not overwritten');
		expect(await readFile(copy, 'utf8')).toBe(edited);
	});

	test('--update leaves a read-only notebook as it is, mode and all, and says so', async () => {
		const folder = await scratchFolder();
		const copy = path.join(folder, 'stale.ipynb');
		await copyFile(path.join(PROJECT_ROOT, fixture('stale')), copy);
		await chmod(copy, 0o444);
		const before = await readFile(copy, 'utf8');
		const result = await lesson([copy, '--update']);
		expect(result.code).toBe(1);
		expect(result.stdout).toContain('is read-only: not updated');
		expect(await readFile(copy, 'utf8')).toBe(before);
		expect((await stat(copy)).mode & 0o777).toBe(0o444);
	});

	test('--update reports a notebook it cannot store and goes on with the next, ending with the summary', async () => {
		const [doomed, fine] = [await scratchFolder(), await scratchFolder()];
		await copyFile(path.join(PROJECT_ROOT, fixture('removes-its-folder')), path.join(doomed, 'removes-its-folder.ipynb'));
		await copyFile(path.join(PROJECT_ROOT, fixture('stale')), path.join(fine, 'stale.ipynb'));
		const result = await lesson([path.join(doomed, 'removes-its-folder.ipynb'), path.join(fine, 'stale.ipynb'), '--update']);
		expect(result.code).toBe(1);
		expect(result.stdout).toContain('is gone while it ran: not overwritten');
		expect(result.stdout).toMatch(/✓ .*stale.ipynb: updated/);
		expect(result.stdout).toContain('1 passed, 1 failed');
	});

	test.each([
		{
			what: 'a kernelspec name with path separators',
			change: (nb: {metadata: {kernelspec: {name: string}}}) => {
				nb.metadata.kernelspec.name = '../../x';
			},
			message: 'is not a kernel name',
		},
		{
			what: 'a cell whose source is null',
			change: (nb: {cells: Array<{source: unknown}>}) => {
				nb.cells[0]!.source = null;
			},
			message: 'cell 1 has no cell_type or no source text',
		},
	])('refuses $what with a message, and still ends with the summary', async ({change, message}) => {
		const folder = await scratchFolder();
		const bad = path.join(folder, 'bad.ipynb');
		const notebook = JSON.parse(await readFile(path.join(PROJECT_ROOT, fixture('good')), 'utf8'));
		change(notebook);
		await writeFile(bad, JSON.stringify(notebook));
		const result = await lesson([bad, fixture('good')]);
		expect(result.code).toBe(1);
		expect(`${result.stdout}${result.stderr}`).toContain(message);
		expect(result.stdout).toContain('1 passed, 1 failed');
	});

	test('says clearly when a notebook is not valid JSON', async () => {
		const folder = await scratchFolder();
		const broken = path.join(folder, 'broken.ipynb');
		await writeFile(broken, '{"cells": [');
		const result = await lesson([broken]);
		expect(result.code).toBe(1);
		expect(result.stderr).toMatch(/broken.ipynb is not valid JSON/);
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

	test.each([
		{fixture: 'hangs', line: /waiting forever/, what: 'waits'},
		{fixture: 'spins', line: /about to spin/, what: 'spins in a synchronous loop'},
	])('leaves no kernel behind, nor its connection file, when the runner itself is killed while a cell $what', async ({fixture: name, line}) => {
		const marker = newMarker();
		const runner = spawnScript('lesson.mts', [fixture(name)], {LESSON_TEST_MARK: marker});
		// The line comes from the running cell: the kernel is busy in it now.
		await waitForLine(runner, line);
		let connectionFolder: string | undefined;
		// tsx runs the script in a child node process: kill the whole tree's runner, not just tsx.
		for (const pid of processesWithMarker(marker)) {
			const command = await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '');
			connectionFolder ??= /\0--config-path\0([^\0]+)\/connection\.json/.exec(command)?.[1];
			if (command.includes('lesson.mts')) process.kill(pid, 'SIGKILL');
		}
		expect(connectionFolder).toBeDefined();
		// The guardian notices the runner is gone, ends the kernel and removes its folder, then ends itself
		// (it carries the marker too). On a machine busy with other work that takes seconds: wait for it.
		expect(await processesLeftAfter(marker, 30_000)).toEqual([]);
		expect(existsSync(connectionFolder!)).toBe(false);
	});
});
