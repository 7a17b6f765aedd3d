/**
 * The classroom's folder is trusted by a hub running as root: one that another user owns or may write to,
 * or whose settings file is someone else's or a link, is refused before anything starts; and the settings
 * the project writes are Python whose learner parts run, with cgroups and without.
 */
import {execFileSync} from 'node:child_process';
import {chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {afterEach, beforeEach, describe, expect, test} from 'vitest';
import {checkClassroomFolder} from '../../scripts/classroom/classroom-folder.mjs';
import {hubConfig, type HubSettings, LEARNER_LIMITS, LOCAL_CONFIG_NAME} from '../../scripts/classroom/hub-config.mjs';

const AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
let scratch: string;

beforeEach(async () => {
	scratch = await mkdtemp(path.join(tmpdir(), 'classroom-folder-'));
});

afterEach(async () => {
	await rm(scratch, {recursive: true, force: true});
});

describe("the classroom's folder", () => {
	test("a fresh folder, or one of the teacher's own with their settings, is accepted", async () => {
		await expect(checkClassroomFolder(path.join(scratch, 'new'))).resolves.toBeUndefined();
		await writeFile(path.join(scratch, LOCAL_CONFIG_NAME), 'c.JupyterHub.authenticator_class = "pam"\n', {mode: 0o644});
		await expect(checkClassroomFolder(scratch)).resolves.toBeUndefined();
	});

	test.runIf(AS_ROOT)('a folder another user made is refused, and so is one that others may write to', async () => {
		const theirs = path.join(scratch, 'theirs');
		await mkdir(theirs);
		await chown(theirs, NOBODY, NOBODY);
		await expect(checkClassroomFolder(theirs)).rejects.toThrow(/belongs to user 65534, not to you/);
		const open = path.join(scratch, 'open');
		await mkdir(open);
		await chmod(open, 0o777);
		await expect(checkClassroomFolder(open)).rejects.toThrow(/may be written by other users \(mode 777\)/);
	});

	test.runIf(AS_ROOT)('settings planted by another user, or a link in their place, are refused', async () => {
		const planted = path.join(scratch, LOCAL_CONFIG_NAME);
		await writeFile(planted, 'import os; os.system("id > /tmp/owned")\n');
		await chown(planted, NOBODY, NOBODY);
		await expect(checkClassroomFolder(scratch)).rejects.toThrow(/belongs to user 65534/);
		await rm(planted);
		await symlink('/tmp/elsewhere.py', planted);
		await expect(checkClassroomFolder(scratch)).rejects.toThrow(/is not a regular file/);
	});

	test.runIf(AS_ROOT)('a planted kernelspec folder is refused', async () => {
		await mkdir(path.join(scratch, 'jupyter', 'kernels', 'tslab'), {recursive: true});
		await chown(path.join(scratch, 'jupyter', 'kernels', 'tslab'), NOBODY, NOBODY);
		await expect(checkClassroomFolder(scratch)).rejects.toThrow(/kernels\/tslab belongs to user 65534/);
	});
});

/** Runs the hub's settings as Python, JupyterHub's config objects stood in for; prints what `expression` gives. */
async function runSettings(settings: HubSettings, expression: string): Promise<string> {
	const file = path.join(scratch, 'jupyterhub_config.py');
	await writeFile(file, hubConfig(settings));
	const probe = [
		'import sys',
		'class Config:',
		'    def __getattr__(self, name):',
		'        value = Config(); object.__setattr__(self, name, value); return value',
		'namespace = {"get_config": lambda: Config(), "load_subconfig": lambda path: None, "__name__": "config"}',
		'exec(open(sys.argv[1]).read(), namespace)',
		`print(eval(${JSON.stringify(expression)}, namespace))`,
	].join('\n');
	return execFileSync('/usr/bin/python3', ['-c', probe, file], {encoding: 'utf8'}).trim();
}

describe("the hub's settings", () => {
	const settings: HubSettings = {
		ip: '127.0.0.1',
		port: 8000,
		hubPort: 8081,
		proxyApiPort: 8001,
		learners: ['learner1'],
		password: 'trial',
		folder: '/tmp',
		separateUsers: true,
		homeTemplate: '/tmp/{username}',
		jupyterPath: '/tmp',
		jupyterConfigPath: '/tmp',
		cgroupRoots: {memory: '/sys/fs/cgroup/memory', pids: '/sys/fs/cgroup/pids'},
		limits: LEARNER_LIMITS,
	};

	test('put each learner in cgroups of their own where cgroups can be used', async () => {
		expect(hubConfig(settings)).toContain('c.JupyterHub.spawner_class = LimitedSpawner');
		expect(await runSettings(settings, 'learner_cgroups("learner1")')).toBe("['/sys/fs/cgroup/memory/pr4e-classroom/learner1', '/sys/fs/cgroup/pids/pr4e-classroom/learner1']");
	});

	test('run where they cannot, whose settings have no cgroup roots at all (JSON drops an undefined value)', async () => {
		expect(await runSettings({...settings, separateUsers: false, cgroupRoots: undefined}, 'learner_cgroups("learner1")')).toBe('[]');
	});
});
