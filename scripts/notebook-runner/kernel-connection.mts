/**
 * A kernel's connection file (jupyter-client docs, "Connection files") for Jupyter's ipc transport: the
 * channels are Unix sockets in a folder of their own, not loopback TCP ports, which every local user could
 * connect to: the folder (mode 700, from mkdtemp) keeps everyone else out. The connection file and the
 * sockets share that one folder, so that a sandbox can mount it whole.
 */
import {randomUUID} from 'node:crypto';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {KernelError} from './kernel-error.mjs';

/** What the connection file holds, as Jupyter writes it. */
export interface ConnectionInfo {
	readonly transport: 'ipc';
	/** The sockets' common path: channel `port` listens at `{ip}-{port}`. */
	readonly ip: string;
	readonly shell_port: number;
	readonly iopub_port: number;
	readonly stdin_port: number;
	readonly control_port: number;
	readonly hb_port: number;
	/** The HMAC key every message is signed with. */
	readonly key: string;
	readonly signature_scheme: 'hmac-sha256';
	readonly kernel_name: string;
}

export interface ConnectionFolder {
	/** The folder (mode 700) with the connection file and, once the kernel binds them, its sockets. */
	readonly folder: string;
	readonly file: string;
	readonly info: ConnectionInfo;
}

/** The longest path a Unix socket can have (sun_path, 108 bytes with its terminating zero, on Linux). */
const MAX_SOCKET_PATH_BYTES = 107;

/** Jupyter's ipc endpoint of a channel: the file `{ip}-{port}`. */
export function channelEndpoint(info: ConnectionInfo, port: number): string {
	return `ipc://${info.ip}-${port}`;
}

/** Makes a new folder under the temporary folder with a connection file (mode 600) for kernel `kernelName`. */
export async function makeConnectionFolder(kernelName: string): Promise<ConnectionFolder> {
	const folder = await mkdtemp(path.join(tmpdir(), 'lesson-kernel-'));
	// Here <folder>/kernel-1 ... kernel-5.
	const ip = path.join(folder, 'kernel');
	if (Buffer.byteLength(`${ip}-5`) > MAX_SOCKET_PATH_BYTES) {
		await rm(folder, {recursive: true, force: true});
		// At once: tslab, unable to bind, would only log it and never answer.
		throw new KernelError(`the kernel's socket path ${ip}-5 is longer than ${MAX_SOCKET_PATH_BYTES} bytes: set TMPDIR to a shorter folder`);
	}
	const info: ConnectionInfo = {
		transport: 'ipc',
		ip,
		shell_port: 1,
		iopub_port: 2,
		stdin_port: 3,
		control_port: 4,
		hb_port: 5,
		key: randomUUID(),
		signature_scheme: 'hmac-sha256',
		kernel_name: kernelName,
	};
	const file = path.join(folder, 'connection.json');
	await writeFile(file, JSON.stringify(info), {mode: 0o600});
	return {folder, file, info};
}
