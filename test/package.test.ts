/**
 * The package as npm packs it, used from outside the project: what `npm install <this folder>` gives a
 * program elsewhere. `npm test` builds dist/ first, so packing needs no scripts.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {expect, onTestFinished, test} from 'vitest';
import {PROJECT_ROOT} from './helpers/run-script';

const USE_THE_PACKAGE = `
const {startReplica, retrieve, splitResponse} = require(process.argv[1]);
(async () => {
	const replica = await startReplica({link: 'fast'});
	const {data} = await retrieve({host: replica.host, port: replica.port, request: 'GET /cover3.jpg HTTP/1.0\\r\\n\\r\\n'});
	await replica.close();
	process.stdout.write(splitResponse(data).body.toString('base64'));
})();
`;

test('the packed package works where it is installed: its replica serves the picture from its own files', async () => {
	const folder = await mkdtemp(path.join(tmpdir(), 'lesson-pack-'));
	onTestFinished(() => rm(folder, {recursive: true, force: true}));
	const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', folder], {cwd: PROJECT_ROOT, encoding: 'utf8'}).trim();
	execFileSync('tar', ['-xzf', path.join(folder, tarball), '-C', folder]);
	const used = spawnSync(process.execPath, ['-e', USE_THE_PACKAGE, path.join(folder, 'package')], {cwd: folder, encoding: 'utf8'});
	expect(used.status, used.stderr).toBe(0);
	expect(Buffer.from(used.stdout, 'base64').equals(await readFile(path.join(PROJECT_ROOT, 'lib', 'data', 'cover3.jpg')))).toBe(true);
}, 60_000);
