/**
 * The classroom beyond one machine: the image (scripts/classroom/image/) and the Zero to JupyterHub values
 * (scripts/classroom/zero-to-jupyterhub/values.yaml), checked against each other always, and build-steps.sh
 * run for real with CLASSROOM_IMAGE_TEST=1 or REQUIRE_CLASSROOM=1. No Docker or Kubernetes is needed: the
 * image build and the chart deploy themselves are not run here.
 */
import type {ICodeCell} from '@jupyterlab/nbformat';
import {execFileSync, spawn} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {chmod, chown, cp, lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm} from 'node:fs/promises';
import {homedir, tmpdir} from 'node:os';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import {parse} from 'yaml';
import {LESSON_EXPECTATIONS, missingInOrder, unexpectedErrorOutputs} from '../helpers/lesson-expectations.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOCKERFILE_PATH = 'scripts/classroom/image/Dockerfile';
const BUILD_STEPS_PATH = 'scripts/classroom/image/build-steps.sh';
const SEED_SCRIPT_PATH = 'scripts/classroom/seed-learner-folder.sh';
const VALUES_PATH = 'scripts/classroom/zero-to-jupyterhub/values.yaml';

/**
 * Peak resident memory of the tslab kernel (from its startup snapshot) that ran notebooks/02-retrieve-image.ipynb,
 * in bytes: 256,388 kB of VmHWM, measured as values.yaml's comment tells.
 */
const MEASURED_KERNEL_PEAK_BYTES = 256_388 * 1024;
/** Lesson notebooks a learner may have open at once, each with its own kernel (the solutions stay out). */
const OPEN_KERNELS = 4;
/** The Jupyter data folders every user's Jupyter searches in a Jupyter Docker Stacks image (`jupyter --paths`). */
const IMAGE_JUPYTER_DATA_PATH = ['/opt/conda/share/jupyter', '/usr/local/share/jupyter', '/usr/share/jupyter'];
/** Where the Dockerfile puts the project (and the values file expects it). */
const IMAGE_PROJECT = '/srv/lesson';

const dockerfileText = readFileSync(path.join(ROOT, DOCKERFILE_PATH), 'utf8');
const valuesText = readFileSync(path.join(ROOT, VALUES_PATH), 'utf8');
const values: unknown = parse(valuesText);
/** Where the teacher's steps to build and deploy the image are written (the classroom's doc). */
const CLASSROOM_DOC_PATH = 'docs/classroom.md';
const classroomDocText = readFileSync(path.join(ROOT, CLASSROOM_DOC_PATH), 'utf8');
const packageVersion = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {version: string}).version;

/** The value at a dotted key path of parsed YAML (`singleuser.image.name`), or undefined. */
function valueAt(root: unknown, dotted: string): unknown {
	let node = root;
	for (const key of dotted.split('.')) {
		if (typeof node !== 'object' || node === null) return undefined;
		node = (node as Record<string, unknown>)[key];
	}
	return node;
}

/** Every key path in parsed YAML, with its value, for looking through the whole file. */
function entries(node: unknown, prefix = ''): Array<[string, unknown]> {
	if (typeof node !== 'object' || node === null) return [[prefix, node]];
	return Object.entries(node).flatMap(([key, child]) => [[`${prefix}${key}`, child] as [string, unknown], ...entries(child, `${prefix}${key}.`)]);
}

/**
 * KubeSpawner's byte sizes, as the chart's memory fields take them: a number, or one with a K, M, G or T
 * suffix in powers of 1024 (kubespawner's ByteSpecification).
 */
function bytes(size: unknown): number {
	const match = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(String(size));
	if (!match) throw new Error(`${String(size)} is not a byte size`);
	return Number(match[1]) * 1024 ** ' KMGT'.indexOf(match[2] || ' ');
}

interface Instruction {
	readonly keyword: string;
	/** The rest of the instruction, continuation lines joined with single spaces. */
	readonly args: string;
}

/** A Dockerfile's instructions: comment lines dropped, `\` continuations joined, keywords upper-cased. */
function dockerfileInstructions(text: string): Instruction[] {
	const instructions: Instruction[] = [];
	let pending = '';
	for (const line of text.split('\n')) {
		// Docker drops comment lines even inside a continued instruction.
		if (/^\s*#/.test(line) || (line.trim() === '' && pending === '')) continue;
		const continued = /\\\s*$/.test(line);
		pending += `${line.replace(/\\\s*$/, '').trim()} `;
		if (continued) continue;
		const [keyword = '', ...rest] = pending.trim().split(/\s+/);
		instructions.push({keyword: keyword.toUpperCase(), args: rest.join(' ')});
		pending = '';
	}
	return instructions;
}

/** A COPY's words, JSON form or not, with its --flags apart. */
function copyParts(args: string): {flags: string[]; sources: string[]; destination: string} {
	const words = args.trim().startsWith('[') ? (JSON.parse(args) as string[]) : args.split(' ');
	const flags = words.filter((word) => word.startsWith('--'));
	const paths = words.filter((word) => !word.startsWith('--'));
	return {flags, sources: paths.slice(0, -1), destination: paths.at(-1) ?? ''};
}

/** The `docker build ... -t NAME:TAG .` commands in a text, as [Dockerfile, NAME, TAG]. */
function buildCommands(text: string): Array<[string, string, string]> {
	return [...text.matchAll(/docker build -f (\S+) -t ([^\s:]+):(\S+) \./g)].map((match) => [match[1]!, match[2]!, match[3]!]);
}

const instructions = dockerfileInstructions(dockerfileText);
const postStart = valueAt(values, 'singleuser.lifecycleHooks.postStart.exec.command');
const homeMount = valueAt(values, 'singleuser.storage.homeMountPath');

describe('the Dockerfile reader', () => {
	test.each([
		[
			'FROM a AS b\nRUN x',
			[
				{keyword: 'FROM', args: 'a AS b'},
				{keyword: 'RUN', args: 'x'},
			],
		],
		['run a \\\n\t&& b \\\n# note\n\t&& c\n', [{keyword: 'RUN', args: 'a && b && c'}]],
		['# only a comment\n\nCOPY . /srv/x', [{keyword: 'COPY', args: '. /srv/x'}]],
	])('reads %j as its instructions', (text, expected) => {
		expect(dockerfileInstructions(text)).toEqual(expected);
	});

	test.each([
		['--chown=root:root . /srv/lesson', {flags: ['--chown=root:root'], sources: ['.'], destination: '/srv/lesson'}],
		['["a", "b", "/c/"]', {flags: [], sources: ['a', 'b'], destination: '/c/'}],
	])('splits COPY %s into flags, sources and destination', (args, expected) => {
		expect(copyParts(args)).toEqual(expected);
	});
});

describe('the image Dockerfile', () => {
	test(`copies the project to ${IMAGE_PROJECT}, then runs build-steps.sh on it with a folder on the image's Jupyter data path`, () => {
		const copyAt = instructions.findIndex(({keyword, args}) => {
			const {flags, sources, destination} = copyParts(args);
			return keyword === 'COPY' && !flags.some((flag) => flag.startsWith('--from')) && sources.join() === '.' && destination.replace(/\/$/, '') === IMAGE_PROJECT;
		});
		const runAt = instructions.findIndex(({keyword, args}) => keyword === 'RUN' && args.includes(BUILD_STEPS_PATH));
		expect(copyAt, `no COPY . ${IMAGE_PROJECT}`).toBeGreaterThanOrEqual(0);
		expect(runAt, `no RUN of ${BUILD_STEPS_PATH}`).toBeGreaterThan(copyAt);
		const words = instructions[runAt]!.args.split(' ');
		const script = words.indexOf(`${IMAGE_PROJECT}/${BUILD_STEPS_PATH}`);
		expect(script, `build-steps.sh is run from ${IMAGE_PROJECT}`).toBeGreaterThanOrEqual(0);
		expect(words[script + 1]).toBe(IMAGE_PROJECT);
		expect(IMAGE_JUPYTER_DATA_PATH).toContain(words[script + 2]);
		expect(existsSync(path.join(ROOT, BUILD_STEPS_PATH))).toBe(true);
	});

	test("starts from a pinned Jupyter Docker Stacks tag whose JupyterHub major version is the chart's", () => {
		const bases = instructions.filter(({keyword}) => keyword === 'FROM').map(({args}) => args.split(' ')[0]!);
		const jupyter = bases.at(-1) ?? '';
		const hubMajor = /^quay\.io\/jupyter\/[a-z-]+-notebook:hub-(\d+)\.\d+\.\d+(@sha256:[0-9a-f]{64})?$/.exec(jupyter)?.[1];
		expect(hubMajor, `the last FROM, ${jupyter}, is a Docker Stacks image with a hub-X.Y.Z tag`).toBeDefined();
		const chart = /chart (\d+\.\d+\.\d+) \(JupyterHub (\d+)\.\d+\.x\)/.exec(valuesText);
		expect(chart, 'values.yaml names the chart version it was written for and its JupyterHub').not.toBeNull();
		expect(valuesText).toContain(`--version ${chart![1]}`);
		expect(hubMajor).toBe(chart![2]);
		// A version in every tag (no latest, no bare name): a rebuild gets the same versions.
		for (const base of bases) expect(base).toMatch(/:[\w.-]*\d[\w.-]*(@sha256:[0-9a-f]{64})?$/);
	});

	test("hands the container back to the image's own user, not root", () => {
		expect(instructions.filter(({keyword}) => keyword === 'USER').at(-1)?.args).toBe('${NB_UID}');
	});

	test('keeps built, installed and private folders out of the build context', async () => {
		const ignored = (await readFile(path.join(ROOT, `${DOCKERFILE_PATH}.dockerignore`), 'utf8')).split('\n');
		for (const folder of ['node_modules', 'dist', '.git', 'test-results', 'site', '.grading', '.classroom', '.jupyter']) {
			expect(ignored).toContain(folder);
		}
	});
});

describe('the Zero to JupyterHub values file', () => {
	test("names the image the Dockerfile's build command tags, at the package's version", () => {
		const commands = buildCommands(dockerfileText);
		expect(commands).toEqual([[DOCKERFILE_PATH, 'pr4e-lesson', packageVersion]]);
		expect(String(valueAt(values, 'singleuser.image.name')).split('/').at(-1)).toBe(commands[0]![1]);
		// A string: YAML would read an unquoted 1.0 as a number.
		expect(valueAt(values, 'singleuser.image.tag')).toBe(commands[0]![2]);
	});

	test(`names the image the build command in ${CLASSROOM_DOC_PATH} tags`, () => {
		expect(buildCommands(classroomDocText).length).toBeGreaterThan(0);
		for (const [file, name, tag] of buildCommands(classroomDocText)) {
			expect(file).toBe(DOCKERFILE_PATH);
			expect(String(valueAt(values, 'singleuser.image.name')).split('/').at(-1)).toBe(name);
			expect(valueAt(values, 'singleuser.image.tag')).toBe(tag);
		}
	});

	test("seeds the learner's lesson folder in the home volume with the seed script where the Dockerfile puts it", () => {
		expect(postStart).toEqual(['sh', `${IMAGE_PROJECT}/${SEED_SCRIPT_PATH}`, IMAGE_PROJECT, `${String(homeMount)}/lesson`]);
		expect(existsSync(path.join(ROOT, SEED_SCRIPT_PATH))).toBe(true);
	});

	test('opens the first lesson notebook, which the seed script copies into the lesson folder', () => {
		const opened = /^\/lab\/tree\/lesson\/(notebooks\/[^/]+\.ipynb)$/.exec(String(valueAt(values, 'singleuser.defaultUrl')));
		expect(opened?.[1]).toBe('notebooks/01-retrieve-text.ipynb');
		expect(existsSync(path.join(ROOT, opened![1]!))).toBe(true);
	});

	test(`gives a learner room for ${OPEN_KERNELS} kernels at the measured peak, and guarantees one`, () => {
		expect(bytes(valueAt(values, 'singleuser.memory.limit'))).toBeGreaterThan(OPEN_KERNELS * MEASURED_KERNEL_PEAK_BYTES);
		const guarantee = bytes(valueAt(values, 'singleuser.memory.guarantee'));
		expect(guarantee).toBeGreaterThan(MEASURED_KERNEL_PEAK_BYTES);
		expect(guarantee).toBeLessThan(bytes(valueAt(values, 'singleuser.memory.limit')));
		// The figure the sizes were made from is the one the file's comment states.
		expect(valuesText).toContain(`${(MEASURED_KERNEL_PEAK_BYTES / 1024).toLocaleString('en-US')} kB`);
		const cpuGuarantee = valueAt(values, 'singleuser.cpu.guarantee');
		const cpuLimit = valueAt(values, 'singleuser.cpu.limit');
		expect(typeof cpuGuarantee === 'number' && typeof cpuLimit === 'number' && cpuGuarantee > 0 && cpuGuarantee < cpuLimit).toBe(true);
	});

	test('culls idle servers, and idle kernels inside them', () => {
		expect(valueAt(values, 'cull.enabled')).toBe(true);
		expect(valueAt(values, 'cull.timeout')).toBeTypeOf('number');
		const kernels = valueAt(values, 'singleuser.extraFiles.jupyter-server-kernel-culling');
		expect(valueAt(kernels, 'mountPath')).toMatch(/\/jupyter_server_config\.json$/);
		expect(valueAt(kernels, 'data.MappingKernelManager.cull_idle_timeout')).toBeTypeOf('number');
	});

	test('marks its dummy authenticator a placeholder, shows a real one, and holds no secret', () => {
		const authenticator = valueAt(values, 'hub.config.JupyterHub.authenticator_class');
		expect(authenticator).toBeTypeOf('string');
		if (authenticator === 'dummy') expect(valuesText).toMatch(/PLACEHOLDER, NOT FOR REAL USE/);
		expect(valuesText).toMatch(/#\s+authenticator_class: github/);
		const secretish = entries(values).filter(([key]) => /secret|password|token|api_?key/i.test(key));
		expect(secretish).toEqual([]);
		expect(valueAt(values, 'proxy'), 'the proxy (and its token) is left to the chart').toBeUndefined();
	});
});

const RUN_BUILD = process.env['CLASSROOM_IMAGE_TEST'] === '1' || process.env['REQUIRE_CLASSROOM'] === '1';
if (!RUN_BUILD) {
	console.warn(
		'Skipping the real run of build-steps.sh (npm ci into a copy of the project, a minute or more): ' +
			'CLASSROOM_IMAGE_TEST=1 npx vitest run --config vitest.browser.config.mts test/classroom/deployment.test.mts runs it.',
	);
}

/** Whether a project-relative path is one Dockerfile.dockerignore keeps out (the pattern forms it uses). */
function dockerIgnored(file: string, patterns: readonly string[]): boolean {
	return patterns.some((pattern) => {
		if (pattern.startsWith('**/')) return file.split('/').includes(pattern.slice(3));
		if (pattern.startsWith('*.')) return file.endsWith(pattern.slice(1));
		return file === pattern || file.startsWith(`${pattern}/`);
	});
}

/** The files the image's build context holds: the working tree's files git lists, less the ignored ones. */
async function copyBuildContext(destination: string): Promise<void> {
	const patterns = (await readFile(path.join(ROOT, `${DOCKERFILE_PATH}.dockerignore`), 'utf8'))
		.split('\n')
		.map((line) => line.trim())
		.filter((line) => line !== '' && !line.startsWith('#'));
	// --others: files not committed yet are part of the working tree the image would be built from.
	const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {cwd: ROOT, encoding: 'utf8'});
	for (const file of new Set(listed.split('\0').filter(Boolean))) {
		if (dockerIgnored(file, patterns)) continue;
		// A tracked file deleted in the working tree is not in the context either.
		if (!(await lstat(path.join(ROOT, file)).catch(() => undefined))) continue;
		await mkdir(path.dirname(path.join(destination, file)), {recursive: true});
		await cp(path.join(ROOT, file), path.join(destination, file), {verbatimSymlinks: true});
	}
}

interface Run {
	readonly code: number | null;
	readonly output: string;
}

/** Runs a program to its end, stdout and stderr together; killed after `timeoutMs`. */
function run(command: string, args: string[], options: {cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number}): Promise<Run> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, {cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe']});
		let output = '';
		child.stdout.on('data', (data: Buffer) => (output += data.toString()));
		child.stderr.on('data', (data: Buffer) => (output += data.toString()));
		const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
		child.on('error', reject);
		child.on('close', (code) => {
			clearTimeout(timer);
			resolve({code, output});
		});
	});
}

/** An environment with nothing of the test runner's in it (NODE_ENV=test, VITEST...), as a build would have. */
function plainEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
	return {PATH: process.env['PATH'], LANG: 'C.UTF-8', HOME: home, ...extra};
}

describe.skipIf(!RUN_BUILD)('build-steps.sh, run for real on a copy of the project', () => {
	let scratch = '';
	let project = '';
	let data = '';
	let home = '';
	let build: Run = {code: null, output: ''};

	beforeAll(async () => {
		// realpath: the kernelspec's argv is compared with paths under it (/tmp may be a link).
		scratch = await realpath(await mkdtemp(path.join(tmpdir(), 'classroom-image-')));
		// Readable by the unprivileged learner of the last test, as /srv/lesson is in the image.
		await chmod(scratch, 0o755);
		project = path.join(scratch, 'project');
		data = path.join(scratch, 'jupyter-data');
		home = path.join(scratch, 'build-home');
		await mkdir(home);
		await copyBuildContext(project);
		build = await run('sh', [path.join(project, BUILD_STEPS_PATH), project, data], {
			cwd: scratch,
			// An empty HOME shows whether the build leaves anything in the (image's learner) home folder. The
			// caller's npm configuration and cache are lent by path, for its registry settings and downloads.
			env: plainEnv(home, {
				npm_config_userconfig: process.env['npm_config_userconfig'] ?? path.join(homedir(), '.npmrc'),
				npm_config_cache: process.env['npm_config_cache'] ?? path.join(homedir(), '.npm'),
			}),
			timeoutMs: 540_000,
		});
	}, 600_000);

	afterAll(async () => {
		if (scratch) await rm(scratch, {recursive: true, force: true});
	});

	test('succeeds, with the patched tslab and the built library', () => {
		expect(build.code, build.output).toBe(0);
		expect(existsSync(path.join(project, 'node_modules/tslab/dist/cell-errors.js'))).toBe(true);
		expect(existsSync(path.join(project, 'dist/index.js'))).toBe(true);
	});

	test("writes a kernelspec into the Jupyter data folder that starts the copy's own tslab, from its startup snapshot", async () => {
		const spec = JSON.parse(await readFile(path.join(data, 'kernels/tslab/kernel.json'), 'utf8')) as {argv: string[]; env?: Record<string, string>};
		expect(spec.argv.slice(0, 2)).toEqual(['/bin/sh', path.join(project, 'scripts/kernel-snapshot/start-kernel.sh')]);
		expect(existsSync(spec.argv[1]!)).toBe(true);
		expect(spec.argv).toContain('{connection_file}');
		expect(spec.env).toEqual({TSLAB_TYPES: 'node'});
		// Built by npm ci's prepare step for the image's node, and current: the kernels start from it.
		expect(existsSync(path.join(project, 'node_modules/.cache/tslab-snapshot/kernel.blob'))).toBe(true);
		expect(build.output).toMatch(/the kernel's snapshot is current/);
	});

	test('runs notebook 1 with the project runner and with Jupyter from that kernelspec, leaving nothing behind', async () => {
		expect(build.output).toMatch(/✓ notebooks\/01-retrieve-text\.ipynb: ran/);
		expect(build.output).toMatch(/Writing \d+ bytes to .*executed\.ipynb/);
		expect(existsSync(path.join(project, 'test-results'))).toBe(false);
		expect(await readdir(home), 'files the build left in HOME').toEqual([]);
	});

	test('leaves the project writable by its owner only', async () => {
		for (const file of ['.', 'dist/index.js', 'node_modules/tslab/dist/cell-errors.js', 'notebooks']) {
			expect((await lstat(path.join(project, file))).mode & 0o022, file).toBe(0);
		}
	});

	test.skipIf(process.getuid?.() !== 0)(
		'seeds a learner folder with the postStart command and runs notebook 2 there as an unprivileged user',
		async () => {
			expect(build.code, build.output).toBe(0);
			const learnerHome = path.join(scratch, 'learner-home');
			const nobody = 65534;
			await mkdir(learnerHome);
			await chown(learnerHome, nobody, nobody);
			const asLearner = ['--reuid', String(nobody), '--regid', String(nobody), '--clear-groups'];
			// The values file's own command, with the image's paths replaced by this copy's.
			const command = (postStart as string[]).map((word) => word.replace(IMAGE_PROJECT, project).replace(String(homeMount), learnerHome));
			const seeded = await run('setpriv', [...asLearner, ...command], {cwd: learnerHome, env: plainEnv(learnerHome), timeoutMs: 30_000});
			expect(seeded.code, seeded.output).toBe(0);
			const notebooks = path.join(learnerHome, 'lesson', 'notebooks');
			const executed = await run(
				'setpriv',
				[...asLearner, 'jupyter', 'nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=300', '--output', 'executed', '02-retrieve-image.ipynb'],
				{cwd: notebooks, env: plainEnv(learnerHome, {JUPYTER_PATH: data}), timeoutMs: 300_000},
			);
			expect(executed.code, executed.output).toBe(0);
			const cells = (JSON.parse(await readFile(path.join(notebooks, 'executed.ipynb'), 'utf8')) as {cells: ICodeCell[]}).cells.filter((cell) => cell.cell_type === 'code');
			expect(unexpectedErrorOutputs(cells)).toEqual([]);
			const stdout = cells
				.flatMap((cell) => cell.outputs)
				.filter((output) => output.output_type === 'stream')
				.map((output) => [output['text'] as string | string[]].flat().join(''))
				.join('');
			expect(missingInOrder(stdout, LESSON_EXPECTATIONS['02-retrieve-image.ipynb']!.stdout)).toEqual([]);
		},
		330_000,
	);
});
