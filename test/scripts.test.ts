import {mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {describe, expect, onTestFinished, test} from 'vitest';
import {splitResponse} from '../lib/index';
import {CHAPTER_REQUEST, RUN_1_HEADER, RUN_1_SIZES, RUN_2_HEADER, RUN_2_SIZES, runningCounts} from './helpers/chapter';
import {rawExchange} from './helpers/replica';
import {PROJECT_ROOT, runScript, spawnScript, waitForLine} from './helpers/run-script';

const COVER_PATH = path.join(PROJECT_ROOT, 'lib', 'data', 'cover3.jpg');

async function temporaryFolder(): Promise<string> {
	const folder = await mkdtemp(path.join(tmpdir(), 'lesson-kit-'));
	onTestFinished(() => rm(folder, {recursive: true, force: true}));
	return folder;
}

function chapterLines(sizes: readonly number[]): string[] {
	const counts = runningCounts(sizes);
	return sizes.map((size, index) => `${size} ${counts[index]}`);
}

describe('npm run serve', () => {
	test('prints one ready line, serves the chapter request, and stops cleanly on SIGINT', async () => {
		const server = spawnScript('serve.mts', ['--port', '0', '--link', 'fast']);
		const [, url, port] = await waitForLine(server, /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/m);
		expect(url).toBe(`http://127.0.0.1:${port}`);
		const response = await rawExchange(Number(port), CHAPTER_REQUEST);
		expect(splitResponse(response).headerText).toBe(RUN_1_HEADER);
		expect(splitResponse(response).body.equals(await readFile(COVER_PATH))).toBe(true);
		const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
		server.kill('SIGINT');
		expect(await exited).toBe(0);
	});

	test('refuses an unknown link profile with exit code 2 and the usage line', async () => {
		const result = await runScript('serve.mts', ['--link', 'dial-up']);
		expect(result.code).toBe(2);
		expect(result.stderr).toContain('--link must be one of book-run-1, book-run-2, realistic, fast');
		expect(result.stderr).toContain('usage: npm run serve');
	});

	test('documents every link profile in --help', async () => {
		const result = await runScript('serve.mts', ['--help']);
		expect(result.code).toBe(0);
		for (const name of ['book-run-1', 'book-run-2', 'realistic', 'fast']) expect(result.stdout).toContain(`  ${name}  `);
	});
});

describe('npm run fetch', () => {
	test("prints the chapter's first run, the header block, and saves the picture", async () => {
		const folder = await temporaryFolder();
		const out = path.join(folder, 'stuff.jpg');
		const result = await runScript('fetch.mts', ['--out', out]);
		expect(result.code).toBe(0);
		const lines = result.stdout.trimEnd().split('\n');
		expect(lines.slice(0, RUN_1_SIZES.length)).toEqual(chapterLines(RUN_1_SIZES));
		expect(lines.slice(RUN_1_SIZES.length)).toEqual(['Header length 240', ...RUN_1_HEADER.split('\r\n')]);
		expect((await readFile(out)).equals(await readFile(COVER_PATH))).toBe(true);
	});

	test('prints the second run with --delay-ms 250', async () => {
		const folder = await temporaryFolder();
		const result = await runScript('fetch.mts', ['--delay-ms', '250', '--out', 'stuff.jpg'], {INIT_CWD: folder});
		expect(result.code).toBe(0);
		const lines = result.stdout.trimEnd().split('\n');
		expect(lines.slice(0, RUN_2_SIZES.length)).toEqual(chapterLines(RUN_2_SIZES));
		expect(lines.slice(RUN_2_SIZES.length)).toEqual(['Header length 240', ...RUN_2_HEADER.split('\r\n')]);
		expect((await readFile(path.join(folder, 'stuff.jpg'))).length).toBe(70057);
	});

	test('with --live and no way to the host, fails with a message naming the replica', async () => {
		const result = await runScript('fetch.mts', ['http://127.0.0.1:1/cover3.jpg', '--live', '--out', '/dev/null']);
		expect(result.code).toBe(1);
		expect(result.stderr).toContain('ERR_LIVE_UNAVAILABLE');
		expect(result.stderr).toContain('127.0.0.1:1');
		expect(result.stderr).toContain('built-in replica');
	});

	test('rejects a URL that is not http:// with exit code 2', async () => {
		const result = await runScript('fetch.mts', ['https://data.pr4e.org/cover3.jpg']);
		expect(result.code).toBe(2);
		expect(result.stderr).toContain('only http:// URLs');
	});
});
