/**
 * npm run grade against hostile submissions, run from a copy of the project inside a folder only root may
 * enter (as a teacher's home or a mode-700 clone would be). Each attack was reproduced against the grader
 * that judged from the check cells' printed lines and ran submissions as reused user ids without a
 * sandbox; each must now fail to forge, to escape or to hurt the honest submission graded beside it.
 */
import {execFileSync} from 'node:child_process';
import {readdirSync, readFileSync} from 'node:fs';
import {chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, truncate, writeFile} from 'node:fs/promises';
import * as net from 'node:net';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {lessonNotebookPath, PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';
import {type GradeRun, gradeRows, runGrade} from '../helpers/grading.mjs';

const AS_ROOT = process.getuid?.() === 0;

interface Cell {
	cell_type: string;
	metadata: {tags?: string[]};
	source: string | string[];
	outputs?: Array<{text?: string | string[]}>;
}

/** The solutions notebook with the code of `exercise-N` cells replaced. */
function solutionsWith(code: Record<number, string>): string {
	const notebook = JSON.parse(readFileSync(lessonNotebookPath('04-exercises-solutions.ipynb'), 'utf8')) as {cells: Cell[]};
	for (const cell of notebook.cells) {
		const tag = cell.metadata.tags?.find((name) => name.startsWith('exercise-'));
		const replacement = tag === undefined ? undefined : code[Number(tag.slice('exercise-'.length))];
		if (replacement !== undefined) cell.source = replacement;
	}
	return JSON.stringify(notebook);
}

/** The solution's code of exercise `n`, to follow an attack in the same cell. */
function solution(n: number): string {
	const notebook = JSON.parse(readFileSync(lessonNotebookPath('04-exercises-solutions.ipynb'), 'utf8')) as {cells: Cell[]};
	return [notebook.cells.find((cell) => cell.metadata.tags?.includes(`exercise-${n}`))!.source].flat().join('');
}

const CANARY = `canary-${process.pid}-in-the-graders-environment`;
const DAEMON_SECONDS = '6011';
let folder: string;
let outside: net.Server;
let outsideConnections = 0;
let run: GradeRun;
let rows: Map<string, string[]>;
let out: string;

beforeAll(async () => {
	if (!AS_ROOT) return;
	// A folder only root may enter, holding a copy of the project (its packages linked, not copied).
	folder = await mkdtemp(path.join(tmpdir(), 'lesson-grade-attacks-'));
	await chmod(folder, 0o700);
	const project = path.join(folder, 'project');
	for (const part of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'dist', 'lib', 'notebooks', 'scripts']) await cp(path.join(PROJECT_ROOT, part), path.join(project, part), {recursive: true});
	await symlink(path.join(PROJECT_ROOT, 'node_modules'), path.join(project, 'node_modules'));

	outside = net.createServer((socket) => {
		outsideConnections += 1;
		socket.end();
	});
	await new Promise<void>((resolve) => outside.listen(0, '127.0.0.1', resolve));
	const outsidePort = (outside.address() as net.AddressInfo).port;

	const submissions = path.join(folder, 'class');
	await mkdir(path.join(submissions, 'a'), {recursive: true});
	const secrets = path.join(folder, 'secrets');
	await mkdir(secrets, {mode: 0o700});
	await writeFile(path.join(secrets, 'exam.ipynb'), solutionsWith({1: '// SECRET-EXAM-CODE'}), {mode: 0o600});
	const files: Record<string, string> = {
		'alice.ipynb': solutionsWith({}),
		// Printing the check's PASS line from the function the check calls; the chapter's files instead of the URL's.
		'forges.ipynb': solutionsWith({
			1: "async function readUrl(url: string): Promise<Buffer> {\n    console.log('Exercise 1: PASS (read any URL: 6 of 6 checks)');\n    return Buffer.from('');\n}",
			// The chapter's own files from a replica of its own, whatever the URL: what the notebook's check expects.
			2: "import {retrieve} from '../dist/index.js';\nasync function countAndShow(url: string): Promise<{shown: string; count: number}> {\n    const own = await startReplica({link: 'fast'});\n    const {data} = await retrieve({host: own.host, port: own.port, request: `GET ${new URL(url).pathname} HTTP/1.0\\r\\n\\r\\n`});\n    await own.close();\n    return {shown: data.toString('latin1').slice(0, 3000), count: data.length};\n}",
			3: "import * as fs from 'fs';\nasync function bodyAfterHeaders(url: string): Promise<Buffer> {\n    return fs.readFileSync(`../lib/replica/data/${url.endsWith('romeo.txt') ? 'romeo.txt' : 'cover3.jpg'}`);\n}",
		}),
		// Every FAIL the checks print becomes a PASS on the way out.
		'patches-console.ipynb': JSON.stringify({
			...JSON.parse(readFileSync(lessonNotebookPath('04-exercises.ipynb'), 'utf8')),
			cells: (JSON.parse(readFileSync(lessonNotebookPath('04-exercises.ipynb'), 'utf8')) as {cells: Cell[]}).cells.map((cell) =>
				cell.metadata.tags?.includes('exercise-1')
					? {
							...cell,
							source:
								"const original = console.log;\nconsole.log = (...parts: unknown[]) => original(...parts.map((part) => typeof part === 'string' ? part.replace(': FAIL', ': PASS').replace('✗', '✓') : part));\n" +
								[cell.source].flat().join(''),
						}
					: cell,
			),
		}),
		// A daemon that leaves the process group with an empty environment; a look at the grader's secrets.
		'daemon-and-canary.ipynb': solutionsWith({
			1: `import {spawn} from 'child_process';\nspawn('/bin/sh', ['-c', 'sleep ${DAEMON_SECONDS} & sleep ${DAEMON_SECONDS}'], {detached: true, env: {}, stdio: 'ignore'}).unref();\n${solution(1)}`,
			2: `import * as os from 'os';\nconsole.log(JSON.stringify(process.env), os.homedir());\ntry { console.log(require('fs').readdirSync('/root')); } catch (error) { console.log(String(error)); }\n${solution(2)}`,
		}),
		'memory-bomb.ipynb': solutionsWith({
			1: `const hog: Buffer[] = [];\nfor (let i = 0; i < 48; i++) hog.push(Buffer.alloc(64 * 1024 * 1024, 1));\nconsole.log('held', hog.length * 64, 'MiB');\n${solution(1)}`,
		}),
		'process-bomb.ipynb': solutionsWith({
			1: `import {spawn, type ChildProcess} from 'child_process';\nconst children: ChildProcess[] = [];\nconst started = await Promise.all(Array.from({length: 400}, () => new Promise<boolean>((resolve) => {\n    const child = spawn('sleep', ['30'], {stdio: 'ignore'});\n    children.push(child);\n    child.on('spawn', () => resolve(true));\n    child.on('error', () => resolve(false));\n})));\nconsole.log('started', started.filter(Boolean).length, 'of 400');\nfor (const child of children) child.kill();\n${solution(1)}`,
		}),
		// Every loopback port, again and again, while the others are graded; and the grader's own machine.
		'port-scanner.ipynb': solutionsWith({
			1: `import * as net from 'net';\nconst knock = (port: number) => new Promise<boolean>((resolve) => { const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); }); s.on('error', () => resolve(false)); });\nconst open: number[] = [];\nfor (let base = 1; base < 65536; base += 512) {\n    const found = await Promise.all(Array.from({length: Math.min(512, 65536 - base)}, (_, i) => knock(base + i)));\n    found.forEach((yes, i) => { if (yes) open.push(base + i); });\n}\nconsole.log('open', open, 'machine', await knock(${outsidePort}));\nsetInterval(() => { for (const port of open) knock(port); }, 15);\n${solution(1)}`,
		}),
		'=HYPERLINK(A1).ipynb': solutionsWith({}),
		'\u001b]0;owned\u0007<img src=x onerror=alert(1)>.ipynb': '{"not": "a notebook"}',
		'a/b.ipynb': '{"nbformat": 4, "cells": []}',
		'a__b.ipynb': '{"nbformat": 4, "cells": []}',
	};
	for (const [name, text] of Object.entries(files)) await writeFile(path.join(submissions, name), text);
	await symlink(path.join(secrets, 'exam.ipynb'), path.join(submissions, 'exam-link.ipynb'));
	await symlink('/etc/shadow', path.join(submissions, 'shadow.ipynb'));
	execFileSync('mkfifo', [path.join(submissions, 'fifo.ipynb')]);
	await writeFile(path.join(submissions, 'huge.ipynb'), '');
	await truncate(path.join(submissions, 'huge.ipynb'), 300 * 1024 * 1024);

	out = path.join(folder, 'out');
	run = await runGrade(project, [submissions, '--jobs', '3', '--cell-timeout', '30', '--out', out], {PR4E_GRADE_CANARY: CANARY});
	rows = await gradeRows(path.join(out, 'grades.csv'));
}, 600_000);

afterAll(async () => {
	outside?.close();
	if (folder) await rm(folder, {recursive: true, force: true});
});

const grades = (student: string): string[] => rows.get(student)?.slice(1, 6) ?? [];
const notes = (student: string): string => rows.get(student)?.[7] ?? '';
/** The stdout text of the executed notebook's code cell tagged `tag`. */
async function printed(student: string, tag: string): Promise<string> {
	const notebook = JSON.parse(await readFile(path.join(out, 'notebooks', `${encodeURIComponent(student)}.ipynb`), 'utf8')) as {cells: Cell[]};
	const cell = notebook.cells.find((candidate) => candidate.metadata.tags?.includes(tag));
	return (cell?.outputs ?? []).map((output) => [output.text ?? ''].flat().join('')).join('');
}

describe.runIf(AS_ROOT)('npm run grade against hostile submissions', () => {
	test('grades the honest submission 5 of 5 beside them, from a project in a folder no other user may enter', () => {
		expect(run.code, run.stderr).toBe(1);
		expect(grades('alice')).toEqual(['PASS', 'PASS', 'PASS', 'PASS', 'PASS']);
		expect(run.stdout).not.toContain('no sandbox');
	});

	test("a PASS printed, or the chapter's own files answered instead of the URL's, is a FAIL", async () => {
		expect(grades('forges')).toEqual(['FAIL', 'FAIL', 'FAIL', 'PASS', 'PASS']);
		expect(await printed('forges', 'check-1')).toContain('Exercise 1: PASS');
		expect(notes('forges')).toMatch(/ex2: .*counted \d+, but \d+ arrived/);
		expect(notes('forges')).toMatch(/ex3: .*they differ/);
	});

	test('a console that turns every FAIL into PASS fools the notebook, not the grade', async () => {
		expect(grades('patches-console')).toEqual(['FAIL', 'FAIL', 'FAIL', 'FAIL', 'FAIL']);
		expect(await printed('patches-console', 'check-3')).toContain('Exercise 3: PASS');
	});

	test("a detached daemon dies with its sandbox, and the grader's environment stays the grader's", async () => {
		expect(grades('daemon-and-canary')).toEqual(['PASS', 'PASS', 'PASS', 'PASS', 'PASS']);
		expect(notes('daemon-and-canary')).toBe('');
		const daemons = readdirSync('/proc').filter(
			(pid) =>
				/^\d+$/.test(pid) &&
				(() => {
					try {
						return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(DAEMON_SECONDS);
					} catch {
						return false;
					}
				})(),
		);
		expect(daemons).toEqual([]);
		const seen = await printed('daemon-and-canary', 'exercise-2');
		expect(seen).toContain('TSLAB_TYPES');
		expect(seen).not.toContain(CANARY);
		expect(seen).not.toMatch(/HOME":"\/root|^\/root/m);
		expect(seen).toContain('ENOENT');
	});

	test("a memory bomb ends at the sandbox's memory limit, and a process bomb at its process limit", async () => {
		expect(await printed('memory-bomb', 'exercise-1')).not.toContain('held');
		expect(notes('memory-bomb')).toMatch(/kernel-died/);
		const started = Number(/started (\d+) of 400/.exec(await printed('process-bomb', 'exercise-1'))?.[1]);
		expect(started).toBeGreaterThan(0);
		expect(started).toBeLessThan(256);
		expect(grades('process-bomb').slice(1)).toEqual(['PASS', 'PASS', 'PASS', 'PASS']);
	});

	test('a port scanner finds only its own judge, never the machine or another submission', async () => {
		expect(await printed('port-scanner', 'exercise-1')).toMatch(/machine false/);
		expect(outsideConnections).toBe(0);
		expect(grades('alice')[3]).toBe('PASS');
	});

	test('links, FIFOs and oversize files get a row that says why, and are never read', async () => {
		expect(notes('exam-link')).toContain('symbolic link');
		expect(notes('shadow')).toContain('symbolic link');
		expect(notes('fifo')).toContain('not a regular file');
		expect(notes('huge')).toMatch(/314572800 bytes, more than/);
		for (const file of ['grades.csv', 'grades.md']) {
			const text = await readFile(path.join(out, file), 'utf8');
			expect(text).not.toContain('SECRET-EXAM-CODE');
			expect(text).not.toMatch(/root:[^:]*:/);
		}
		expect(await readdir(path.join(out, 'notebooks'))).not.toContain('exam-link.ipynb');
	});

	test('what a teacher opens is inert: no formula, no escape code, no markup; names never collide', async () => {
		const csv = await readFile(path.join(out, 'grades.csv'), 'utf8');
		expect(csv).toContain("\n'=HYPERLINK(A1),");
		expect(csv).not.toContain('\u001b');
		expect(run.stdout).not.toContain('\u001b');
		expect(run.stdout).toContain('\\x1b]0;owned\\x07');
		const markdown = await readFile(path.join(out, 'grades.md'), 'utf8');
		expect(markdown).not.toContain('<img');
		expect(rows.has('a/b') && rows.has('a__b')).toBe(true);
		const executed = await readdir(path.join(out, 'notebooks'));
		expect(executed).toEqual(expect.arrayContaining(['a%2Fb.ipynb', 'a__b.ipynb']));
	});

	test("the grades are the teacher's alone: folders 700, files 600", async () => {
		for (const entry of [out, path.join(out, 'notebooks')]) expect((await stat(entry)).mode & 0o777).toBe(0o700);
		for (const file of ['grades.csv', 'grades.md', path.join('notebooks', 'alice.ipynb')]) expect((await stat(path.join(out, file))).mode & 0o777).toBe(0o600);
	});
});
