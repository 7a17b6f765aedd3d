/**
 * The package as npm packs it, installed with npm in a fresh project elsewhere and used from there: what a
 * program gets from `npm install pr4e-http-image-lesson-0.1.0.tgz`. `npm test` builds dist/ first, so packing
 * needs no scripts; the install takes the dependencies from npm's cache when it can.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {expect, onTestFinished, test} from 'vitest';
import {PROJECT_ROOT} from './helpers/run-script';

const USE_THE_PACKAGE = `
const {startReplica, retrieve, splitResponse} = require('pr4e-http-image-lesson');
(async () => {
	const replica = await startReplica({link: 'fast'});
	const {data} = await retrieve({host: replica.host, port: replica.port, request: 'GET /cover3.jpg HTTP/1.0\\r\\n\\r\\n'});
	await replica.close();
	process.stdout.write(splitResponse(data).body.toString('base64'));
})();
`;

test('the packed package, installed in another project, works there: its replica serves the picture from its own files', async () => {
	const folder = await mkdtemp(path.join(tmpdir(), 'lesson-pack-'));
	onTestFinished(() => rm(folder, {recursive: true, force: true}));
	const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', folder], {cwd: PROJECT_ROOT, encoding: 'utf8'}).trim();
	const project = path.join(folder, 'elsewhere');
	execFileSync('mkdir', [project]);
	await writeFile(path.join(project, 'package.json'), JSON.stringify({name: 'elsewhere', version: '1.0.0', private: true}));
	const install = spawnSync('npm', ['install', path.join(folder, tarball), '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], {cwd: project, encoding: 'utf8'});
	expect(install.status, install.stderr).toBe(0);
	const used = spawnSync(process.execPath, ['-e', USE_THE_PACKAGE], {cwd: project, encoding: 'utf8'});
	expect(used.status, used.stderr).toBe(0);
	expect(Buffer.from(used.stdout, 'base64').equals(await readFile(path.join(PROJECT_ROOT, 'lib', 'replica', 'data', 'cover3.jpg')))).toBe(true);
}, 180_000);
