import {spawnSync} from 'node:child_process';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {describe, expect, onTestFinished, test} from 'vitest';
import {splitResponse} from '../../lib/index';
import {CHAPTER_REQUEST, RUN_1_HEADER, RUN_1_SIZES, RUN_2_HEADER, RUN_2_SIZES, runningCounts} from '../helpers/chapter';
import {startEndlessHeaderServer} from '../helpers/endless-header-server';
import {rawExchange, useReplica} from '../helpers/replica';
import {PROJECT_ROOT, runScript, spawnScript, waitForLine} from '../helpers/run-script';

const COVER_PATH = path.join(PROJECT_ROOT, 'lib', 'replica', 'data', 'cover3.jpg');

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

	test('shows the control characters of a request line as \\xNN, never raw to the terminal', async () => {
		const server = spawnScript('serve.mts', ['--port', '0']);
		let output = '';
		server.stdout.on('data', (data: Buffer) => (output += data.toString()));
		const [, , port] = await waitForLine(server, /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/m);
		await rawExchange(Number(port), 'GET /\u001b[2Jcover3.jpg HTTP/1.0\r\n\r\n');
		await waitForLine(server, /404/);
		const exited = new Promise((resolve) => server.once('exit', resolve));
		server.kill('SIGINT');
		await exited;
		expect(output).not.toContain('\u001b');
		expect(output).toContain('GET /\\x1b[2Jcover3.jpg');
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
		expect(result.stderr).toContain('PR4E_ERR_LIVE_UNAVAILABLE');
		expect(result.stderr).toContain('127.0.0.1:1');
		expect(result.stderr).toContain('built-in replica');
	});

	test('takes the URL after --live as the URL, not as the value of --live', async () => {
		const replica = await useReplica();
		const result = await runScript('fetch.mts', ['--live', `http://127.0.0.1:${replica.port}/cover3.jpg`, '--out', '/dev/null']);
		expect(result.code, result.stderr).toBe(0);
		expect(result.stdout).toContain('Header length 240');
		expect(replica.connections.some((log) => log.status === 200)).toBe(true);
	});

	test('gives up past --max-bytes, saying so, instead of filling memory', async () => {
		const result = await runScript('fetch.mts', ['--max-bytes', '10000', '--out', '/dev/null']);
		expect(result.code).toBe(1);
		expect(result.stderr).toContain('PR4E_ERR_RESPONSE_TOO_LARGE');
		expect(result.stderr).toContain('maxBytes (10000)');
	});

	test.each([
		{flags: [], limit: 65536},
		{flags: ['--max-header-bytes', '10000'], limit: 10000},
	])('with --live, stops a server whose header never ends at the header limit $limit, saying so', async ({flags, limit}) => {
		const server = await startEndlessHeaderServer();
		const result = await runScript('fetch.mts', ['--live', `http://127.0.0.1:${server.port}/cover3.jpg`, ...flags, '--out', '/dev/null']);
		expect(result.code).toBe(1);
		expect(result.stderr).toContain('PR4E_ERR_HEADER_TOO_LARGE');
		expect(result.stderr).toContain(`127.0.0.1:${server.port}`);
		expect(result.stderr).toContain(`maxHeaderBytes (${limit} bytes)`);
		await server.clientClosed;
	});

	test('does not save an error page where the picture goes', async () => {
		const folder = await temporaryFolder();
		const out = path.join(folder, 'stuff.jpg');
		await writeFile(out, 'the picture from before');
		const result = await runScript('fetch.mts', ['http://data.pr4e.org/no-such-picture.jpg', '--out', out]);
		expect(result.code).toBe(1);
		expect(result.stderr).toContain('not saved: the server answered 404');
		expect(await readFile(out, 'utf8')).toBe('the picture from before');
	});
});

describe('npm run jupyter', () => {
	const jupyter = ['jupyter-lab', 'jupyter-notebook'].some((name) => spawnSync('which', [name]).status === 0);
	test.skipIf(!jupyter)('passes the options after -- on to Jupyter (here --version, which prints and exits)', async () => {
		const result = await runScript('jupyter.mts', ['--version']);
		expect(result.code, result.stderr).toBe(0);
		expect(result.stdout).toMatch(/^\d+\.\d+/m);
	});
});
