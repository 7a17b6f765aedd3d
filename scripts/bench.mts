import {existsSync} from 'node:fs';
import * as path from 'node:path';
import {$} from 'zx/core';
import {lessonNotebookFiles} from './support/project-paths.mjs';
import {type Cli, type CliArgs, findOnPath, integerFlag, isMainModule, type OptionTable, runCli} from './support/cli.mjs';
import {gradingVersusOneRun, lessonVersusNbconvert, NBCONVERT} from './bench/lesson-vs-nbconvert.mjs';
import {NGINX} from './bench/nginx.mjs';
import {bookRuns, concurrentDownloads, greedyClientsVersusDownload, replicaVersusNginx} from './bench/replica-load.mjs';
import {PYTHON} from './bench/clients.mjs';
import {kernelStartVersusPeers} from './bench/kernel-start.mjs';
import {kernelStartInSandbox} from './bench/grading-sandbox.mjs';
import {retrieveVersusPeers} from './bench/retrieve-vs-curl.mjs';
import {classroomUnderLoad} from './bench/classroom-load.mjs';
import {JUPYTERHUB} from './classroom/classroom-hub.mjs';
import {CHROMIUM} from './classroom/learner-session.mjs';

const HELP = `
usage: npm run bench -- [--quick] [--section N]

Measures the lesson kit against the tool a user would otherwise pick, side by side in one run on this
machine, and prints medians and ratios (speed is judged here, never by timed unit tests):
  1. downloads of 16, 64 and 256 MiB from a loopback nginx: a Socket.recv(5120) loop vs Python's own
     recv loop; retrieve() at recvSize 65536 vs curl writing to /dev/shm, fetch() and curl to /dev/null;
     retrieve() at recvSize 5120, time per MiB and each client's peak RSS;
  2. the replica's fast profile vs nginx serving cover3.jpg under wrk (100 connections), and 1,000
     concurrent book-run-2 downloads (correctness, p50/p99, the replica's peak RSS), and the book
     profiles run back to back; a download of cover3.jpg alone vs while 500 greedy clients (more if 500
     stay under the kernel's TCP memory limit) hold the replica without reading, with its connection
     cap and without, from that replica and from a neighbouring one;
  3. npm run lesson (one notebook at a time, and --jobs 3) vs jupyter nbconvert --execute on the lesson
     notebooks one after another; npm run grade on 20 copies of the solutions notebook vs one run of it,
     and (as root) vs --no-sandbox; a kernel's start and first cell, plain vs in a grading sandbox;
  4. a kernel's start plus its first cell through jupyter_client: the project's tslab from its startup
     snapshot and without it (with and without its code cache) vs Debian's IPython kernel and Deno's (npm's
     deno, installed into a temporary folder), also with a first cell that imports the library; the kernel's
     peak memory after notebook 2; where tslab's start goes;
  5. a classroom: 20 learners logged in at npm run classroom's JupyterHub (headless Chromium) run notebook 2
     at the same moment: all correct, the p50 and p99 wall time per learner against one learner alone, and
     the peak memory of the hub and of the learners' servers and kernels (once: it takes minutes).
Each pair runs alternately after a warm-up, 5 times (grading 3 times). Comparisons whose peer (nginx, curl,
python3, wrk, jupyter-nbconvert, python3-ipykernel, jupyterhub, chromium) is not installed are skipped with a note. Needs the compiled library (npm install).

  --quick   fewer and shorter runs: the downloads at 16 and 256 MiB only, wrk for 3 s instead of 10, the
            book profiles 5 times instead of 20, the lesson comparison on notebooks 01 to 03 and 3 times,
            grading 6 copies once, kernel starts 3 times instead of 5, a classroom of 5 instead of 20
  --section N  only section N (1 to 5)
`;

/** The options, typed for util.parseArgs (strict: anything else is a usage error). */
const OPTIONS = {quick: {type: 'boolean'}, section: {type: 'string'}} as const satisfies OptionTable;
type Flags = CliArgs<typeof OPTIONS>;

async function main(args: Flags): Promise<void> {
	const quick = Boolean(args.quick);
	const section = args.section === undefined ? undefined : integerFlag('section', args.section, 0, 1, 5);
	const wanted = (number: number): boolean => section === undefined || section === number;
	const print = (lines: string[]): void => console.log(`\n${lines.join('\n')}`);
	console.log(`lesson kit benchmarks${quick ? ' (quick)' : ''}: node ${process.version}, ${new Date().toISOString()}`);

	const installed = (program: string): boolean => (program.startsWith('/') ? existsSync(program) : findOnPath([program]) !== undefined);
	const [haveNginx, haveCurl, havePython, haveWrk, haveNbconvert] = [NGINX, 'curl', PYTHON, 'wrk', NBCONVERT].map(installed);
	// Without curl or Python the section still runs, without that peer; without nginx there is nothing to download.
	if (wanted(1)) {
		if (haveNginx) {
			const sizesMiB = quick ? [16, 256] : [16, 64, 256];
			print(await retrieveVersusPeers({runs: 5, sizesMiB, peers: {curl: Boolean(haveCurl), python: Boolean(havePython)}}));
		} else print(['skipping the downloads (retrieve() vs curl, fetch and Python): needs nginx (apt-get install nginx)']);
	}

	if (wanted(2)) {
		if (haveNginx && haveWrk) print(await replicaVersusNginx({runs: 5, seconds: quick ? 3 : 10}));
		else print(['skipping replica vs nginx: needs nginx and wrk (apt-get install nginx wrk)']);
		print(await concurrentDownloads(1000));
		print(await bookRuns(quick ? 5 : 20));
		print(await greedyClientsVersusDownload({runs: quick ? 3 : 5}));
	}

	if (wanted(3)) {
		if (haveNbconvert) {
			const notebooks = quick ? ['01-retrieve-text.ipynb', '02-retrieve-image.ipynb', '03-flow-control.ipynb'] : (await lessonNotebookFiles()).map((file) => path.basename(file));
			print(await lessonVersusNbconvert({runs: quick ? 3 : 5, notebooks}));
		} else print([`skipping the lesson vs nbconvert: needs ${NBCONVERT} (apt-get install jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel)`]);
		print(await gradingVersusOneRun({copies: quick ? 6 : 20, runs: quick ? 1 : 3}));
		print(await kernelStartInSandbox({runs: quick ? 3 : 5}));
	}

	if (wanted(4)) {
		if ((await pythonHas('jupyter_client')) && (await pythonHas('ipykernel'))) print(await kernelStartVersusPeers({runs: quick ? 3 : 5}));
		else print(['skipping the kernel start vs IPython: needs apt-get install jupyter-client python3-ipykernel']);
	}

	if (wanted(5)) {
		if ([JUPYTERHUB, CHROMIUM, '/usr/bin/jupyter-notebook'].every(installed)) print(await classroomUnderLoad({learners: quick ? 5 : 20}));
		else print(['skipping the classroom: needs apt-get install jupyterhub jupyter-notebook chromium']);
	}
}

/** Whether Debian's Python can import `module`. */
async function pythonHas(module: string): Promise<boolean> {
	if (!existsSync(PYTHON)) return false;
	return (await $({quiet: true, nothrow: true})`${PYTHON} -c ${`import ${module}`}`).ok;
}

/** The command, exported for the tests to run in-process (runCommand). */
export const cli: Cli<typeof OPTIONS> = {help: HELP, options: OPTIONS, main};

if (isMainModule(import.meta.url)) runCli(cli);
