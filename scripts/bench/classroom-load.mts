/**
 * Section 5: a class at once. Learners log in at the classroom's JupyterHub in headless Chromium and run
 * notebook 2 at the same moment; each must get the chapter's first run and the picture. The peer is one
 * learner running it alone through the same hub, in the same run.
 */
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {availableParallelism, tmpdir} from 'node:os';
import * as path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import type {Page} from 'playwright-core';
import {BOOK_RUN_1_SIZES} from '../../lib/index.js';
import {type Classroom, startClassroom} from '../classroom/classroom-hub.mjs';
import {lookUpAccount, removeAccount} from '../classroom/learner-accounts.mjs';
import {firstLoopReads, launchChromium, logIn, type NotebookRun, openNotebook, runAllCells} from '../classroom/learner-session.mjs';
import {PROJECT_ROOT} from '../support/project-paths.mjs';
import {fixed, median, percentile} from './stats.mjs';

const NOTEBOOK = 'lesson/notebooks/02-retrieve-image.ipynb';
/** Where a wrong run's page is kept (text and screenshot), to see what the learner saw. */
const EVIDENCE = path.join(PROJECT_ROOT, 'test-results', 'bench-classroom');

export async function classroomUnderLoad(options: {learners: number}): Promise<string[]> {
	const folder = await mkdtemp(path.join(tmpdir(), 'lesson-bench-classroom-'));
	let classroom: Classroom | undefined;
	const browser = await launchChromium();
	try {
		// Its own names, so that the benchmark never meets the accounts of a real classroom on this machine.
		classroom = await startClassroom({learners: options.learners, prefix: 'pr4ebench', folder});
		const hub = classroom;
		const pages = await Promise.all(hub.learners.map((learner) => logIn(browser, hub.url, learner, hub.password)));
		await Promise.all(pages.map((page, index) => openNotebook(page, hub.url, hub.learners[index]!, NOTEBOOK)));

		// The peer: the first learner alone, while the others' kernels sit idle.
		const alone = await runAllCells(pages[0]!);
		const aloneProblem = problemWith(alone);
		if (aloneProblem) throw new Error(`notebook 2 went wrong for one learner alone: ${aloneProblem}`);
		// Then everyone's "Run All" at the same moment, memory sampled all along.
		const uids = new Map(hub.learners.map((learner) => [lookUpAccount(learner)?.uid ?? -1, learner]));
		const sampler = sampleMemory(hub.pid, uids);
		const together = await Promise.all(pages.map((page: Page) => runAllCells(page)));
		const memory = await sampler.stop();

		// A wrong run is reported, not thrown: how many of the class got the chapter's numbers is the point.
		const wrong: string[] = [];
		for (const [index, run] of together.entries()) {
			const problem = problemWith(run);
			if (!problem) continue;
			const learner = hub.learners[index]!;
			await mkdir(EVIDENCE, {recursive: true});
			await writeFile(path.join(EVIDENCE, `${learner}.txt`), `${problem}\n\n${run.text}\n`);
			await pages[index]!.screenshot({path: path.join(EVIDENCE, `${learner}.png`), fullPage: true});
			wrong.push(`${learner}: ${problem}`);
		}
		const times = together.map((run) => run.runMs);
		const [p50, p99] = [percentile(times, 50), percentile(times, 99)];
		return [
			`a classroom: ${options.learners} learners logged in at JupyterHub (Chromium), notebook 2 run by all at the same moment`,
			`  ${together.length - wrong.length} of ${together.length} correct: the first run's ${BOOK_RUN_1_SIZES.length} reads (2920 ... 1681 70301) and the 640x480 picture`,
			...wrong.map((line) => `  WRONG ${line} (the page: ${path.relative(PROJECT_ROOT, EVIDENCE)}/)`),
			`  wall time per learner (Run All to the last cell): p50 ${fixed(p50)} ms, p99 ${fixed(p99)} ms; one learner alone: ${fixed(alone.runMs)} ms ` +
				`(p50 ${fixed(p50 / alone.runMs, 2)}x, p99 ${fixed(p99 / alone.runMs, 2)}x alone)`,
			`  peak memory: the hub and its proxy ${fixed(memory.hubMiB)} MiB; the learners' servers and kernels ${fixed(memory.learnersMiB)} MiB in all, ` +
				`${fixed(median(memory.perLearnerMiB))} MiB per learner (median)`,
			`  ${hub.separateUsers ? 'each learner a system user of their own' : 'not root: every learner as this user'}; on ${availableParallelism()} cores`,
		];
	} finally {
		await browser.close();
		await classroom?.stop();
		if (classroom?.separateUsers) for (const learner of classroom.learners) removeAccount(learner);
		await rm(folder, {recursive: true, force: true});
	}
}

/** What is wrong with a run of notebook 2 (not the chapter's first run, no picture, an error), or undefined. */
function problemWith(run: NotebookRun): string | undefined {
	const reads = firstLoopReads(run.cellOutputs);
	const right = reads.length === BOOK_RUN_1_SIZES.length && reads.every((size, index) => size === BOOK_RUN_1_SIZES[index]);
	const picture = run.picture?.[0] && run.picture[1] === 640 && run.picture[2] === 480;
	if (right && picture && run.unexpectedErrors.length === 0) return undefined;
	return `reads ${reads.join(' ') || 'none'}; picture ${run.picture?.slice(1).join('x') ?? 'none'}; errors ${run.unexpectedErrors.join('; ') || 'none'}`;
}

interface MemoryPeaks {
	/** The hub's process tree outside the learners' (JupyterHub and configurable-http-proxy), at its peak. */
	readonly hubMiB: number;
	/** Every learner process together (servers and kernels), at its peak. */
	readonly learnersMiB: number;
	/** Each learner's processes together, at each one's peak. */
	readonly perLearnerMiB: number[];
}

/** Samples resident memory every 250 ms until stopped: the hub's own processes, and each learner's. */
function sampleMemory(hubPid: number, learnerUids: ReadonlyMap<number, string>): {stop(): Promise<MemoryPeaks>} {
	let running = true;
	let hubPeak = 0;
	let learnersPeak = 0;
	const perLearnerPeak = new Map<string, number>();
	const loop = (async () => {
		while (running) {
			const processes = await processTable();
			const hubGroup = processes.filter((entry) => entry.pid === hubPid || (entry.parent === hubPid && !learnerUids.has(entry.uid)));
			hubPeak = Math.max(hubPeak, sum(hubGroup.map((entry) => entry.rssKiB)));
			const perLearner = new Map<string, number>();
			for (const entry of processes) {
				const learner = learnerUids.get(entry.uid);
				if (learner) perLearner.set(learner, (perLearner.get(learner) ?? 0) + entry.rssKiB);
			}
			learnersPeak = Math.max(learnersPeak, sum([...perLearner.values()]));
			for (const [learner, kiB] of perLearner) perLearnerPeak.set(learner, Math.max(perLearnerPeak.get(learner) ?? 0, kiB));
			await sleep(250);
		}
	})();
	return {
		async stop() {
			running = false;
			await loop;
			return {hubMiB: hubPeak / 1024, learnersMiB: learnersPeak / 1024, perLearnerMiB: [...perLearnerPeak.values()].map((kiB) => kiB / 1024)};
		},
	};
}

interface ProcessEntry {
	readonly pid: number;
	readonly parent: number;
	readonly uid: number;
	readonly rssKiB: number;
}

/** Every process's parent, real uid and resident memory, from /proc. */
async function processTable(): Promise<ProcessEntry[]> {
	const entries: ProcessEntry[] = [];
	for (const name of await readdir('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		const status = await readFile(`/proc/${name}/status`, 'utf8').catch(() => '');
		const field = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
		if (status) entries.push({pid: Number(name), parent: field('PPid'), uid: field('Uid'), rssKiB: field('VmRSS')});
	}
	return entries;
}

function sum(values: readonly number[]): number {
	return values.reduce((total, value) => total + value, 0);
}
