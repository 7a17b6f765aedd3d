/** A throwaway nginx on loopback serving given files, for side-by-side measurements. */
import {chmod, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import * as net from 'node:net';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {$, type ProcessPromise} from 'zx/core';
import {freePort} from '../support/free-ports.mjs';
import {ProgramError} from '../support/program-error.mjs';
import {waitUntil} from '../support/wait-until.js';

export interface Nginx {
	readonly port: number;
	readonly pid: number;
	stop(): Promise<void>;
}

export const NGINX = '/usr/sbin/nginx';

/**
 * Starts nginx in the foreground with one worker (the replica is one process too) and keep-alive off
 * (the replica closes after each response, as HTTP/1.0 servers do), serving `files` by name.
 */
export async function startNginx(files: Record<string, Uint8Array>): Promise<Nginx> {
	const prefix = await mkdtemp(path.join(tmpdir(), 'lesson-nginx-'));
	// nginx started as root serves files as an unprivileged worker, which must be able to read them.
	await chmod(prefix, 0o755);
	const root = path.join(prefix, 'html');
	await mkdir(path.join(prefix, 'logs'), {recursive: true});
	await mkdir(root, {recursive: true});
	for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(root, name), bytes);
	const port = await freePort();
	const temp = (name: string): string => `${name}_temp_path ${path.join(prefix, name)};`;
	await writeFile(
		path.join(prefix, 'nginx.conf'),
		`worker_processes 1;
daemon off;
pid ${path.join(prefix, 'nginx.pid')};
error_log ${path.join(prefix, 'logs', 'error.log')};
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	keepalive_timeout 0;
	types { image/jpeg jpg; application/octet-stream bin; }
	${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n\t')}
	server { listen 127.0.0.1:${port}; root ${root}; }
}
`,
	);
	// nginx in the foreground prints no ready line: it is ready once its port takes connections.
	const nginx = $({quiet: true, nothrow: true})`${NGINX} -p ${prefix} -c ${path.join(prefix, 'nginx.conf')}`;
	const stop = async (): Promise<void> => {
		// SIGQUIT: a graceful stop, the master waits for its worker.
		if (nginx.stage === 'running') await nginx.kill('SIGQUIT');
		await nginx;
		await rm(prefix, {recursive: true, force: true});
	};
	try {
		await waitForPort(port, nginx);
	} catch (error) {
		await stop();
		throw error;
	}
	return {port, pid: nginx.pid!, stop};
}

async function waitForPort(port: number, nginx: ProcessPromise): Promise<void> {
	await waitUntil(
		async () => {
			if (nginx.output) throw new ProgramError(nginx.cmd, nginx.output, `before listening on ${port}`);
			return new Promise<boolean>((resolve) => {
				const socket: net.Socket = net.connect({host: '127.0.0.1', port}, () => {
					socket.destroy();
					resolve(true);
				});
				socket.on('error', () => resolve(false));
			});
		},
		{timeoutMs: 5000, what: `nginx to listen on ${port}`},
	);
}
