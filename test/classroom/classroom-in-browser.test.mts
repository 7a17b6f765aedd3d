/**
 * The classroom as its learners meet it: JupyterHub on loopback, several learners logging in at once in
 * headless Chromium, each running notebook 2 in their own copy of the lesson, each getting the chapter's
 * first run and the picture; and each learner's folder theirs alone.
 */
import {spawnSync} from 'node:child_process';
import {existsSync, statSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import type {Browser} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {BOOK_RUN_1_SIZES} from '../../lib/index.js';
import {type Classroom, JUPYTERHUB, startClassroom} from '../../scripts/classroom/classroom-hub.mjs';
import {lookUpAccount, removeAccount} from '../../scripts/classroom/learner-accounts.mjs';
import {CHROMIUM, firstLoopReads, launchChromium, logIn, type NotebookRun, runNotebookInPage} from '../../scripts/classroom/learner-session.mjs';
import {PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';
import {JUPYTER_NOTEBOOK} from '../browser/jupyter-server.mjs';

const missing = [JUPYTERHUB, JUPYTER_NOTEBOOK, CHROMIUM].filter((program) => !existsSync(program));
const REQUIRED = process.env['REQUIRE_BROWSER'] === '1';
const LEARNERS = 3;
if (missing.length > 0 && !REQUIRED) {
	console.warn(`Skipping the classroom test: ${missing.join(', ')} missing (apt-get install jupyterhub jupyter-notebook chromium).`);
}

test.runIf(REQUIRED && missing.length > 0)('JupyterHub, Jupyter Notebook and Chromium are installed (REQUIRE_BROWSER=1)', () => {
	expect.fail(`REQUIRE_BROWSER=1 but ${missing.join(', ')} missing: apt-get install jupyterhub jupyter-notebook chromium`);
});

describe.skipIf(missing.length > 0)(`a classroom of ${LEARNERS} learners on one machine`, () => {
	let classroom: Classroom;
	let browser: Browser;
	let folder: string;
	const runs = new Map<string, NotebookRun>();

	beforeAll(async () => {
		folder = await mkdtemp(path.join(tmpdir(), 'lesson-classroom-'));
		// A prefix of its own, so that the test never meets the accounts of a real classroom on this machine.
		classroom = await startClassroom({learners: LEARNERS, prefix: 'pr4etest', folder});
		browser = await launchChromium();
	}, 120_000);

	afterAll(async () => {
		await browser?.close();
		await classroom?.stop();
		if (classroom?.separateUsers) for (const learner of classroom.learners) removeAccount(learner);
		if (folder) await rm(folder, {recursive: true, force: true});
	});

	test('every learner logs in at the same moment, runs notebook 2, and sees the first run\'s 46 reads and the picture', async () => {
		const results = await Promise.all(
			classroom.learners.map(async (learner) => {
				const page = await logIn(browser, classroom.url, learner, classroom.password);
				const run = await runNotebookInPage(page, classroom.url, learner, 'lesson/notebooks/02-retrieve-image.ipynb');
				runs.set(learner, run);
				await page.context().close();
				return run;
			}),
		);
		for (const run of results) {
			expect(run.unexpectedErrors).toEqual([]);
			expect(firstLoopReads(run.cellOutputs)).toEqual(BOOK_RUN_1_SIZES);
			expect(run.text).toContain('Header length 240');
			expect(run.picture).toEqual([true, 640, 480]);
		}
	}, 400_000);

	test('each learner worked in a folder of their own that no other learner can enter, and the project stayed as it was', () => {
		expect(runs.size).toBe(LEARNERS);
		for (const learner of classroom.learners) {
			const home = classroom.home(learner);
			// What the notebook saved went to the learner's own copy of the lesson.
			const picture = path.join(home, 'lesson', 'notebooks', 'stuff.jpg');
			expect(statSync(picture).size).toBe(70057);
			if (!classroom.separateUsers) continue;
			const account = lookUpAccount(learner)!;
			for (const mine of [home, path.join(home, 'lesson', 'notebooks', '02-retrieve-image.ipynb'), picture]) {
				expect(statSync(mine).uid).toBe(account.uid);
			}
			expect(statSync(home).mode & 0o777).toBe(0o700);
			for (const other of classroom.learners.filter((name) => name !== learner)) {
				const peek = spawnSync('runuser', ['-u', learner, '--', 'ls', classroom.home(other)], {encoding: 'utf8'});
				expect(peek.status).not.toBe(0);
				expect(peek.stderr).toContain('Permission denied');
				const write = spawnSync('runuser', ['-u', learner, '--', 'touch', path.join(PROJECT_ROOT, 'notebooks', 'written-by-a-learner')], {encoding: 'utf8'});
				expect(write.status).not.toBe(0);
			}
		}
		const changed = spawnSync('git', ['status', '--porcelain', '--', 'notebooks', 'lib', 'dist'], {cwd: PROJECT_ROOT, encoding: 'utf8'});
		expect(changed.stdout).toBe('');
	});

	test.runIf(process.getuid?.() === 0)('stopping the hub stops every learner\'s server and kernels, with nothing left to kill', async () => {
		const {leftByHub} = await classroom.stop();
		expect(leftByHub).toEqual([]);
	});
});
