/**
 * Who can talk to a kernel. A wrongly signed or malformed message is dropped without a word on iopub: tslab
 * used to print the signature it wanted under the running cell, on iopub, where anyone who subscribed could
 * read it and sign code of their own. And the runner's kernels listen on Unix sockets in a folder only
 * their user can enter, not on loopback TCP ports that every local user can reach.
 */
import {type ChildProcess, spawn, spawnSync} from 'node:child_process';
import {createHmac, randomUUID} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {chmod, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import * as path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, beforeAll, describe, expect, test} from 'vitest';
import * as zmq from 'zeromq';
import {Kernel} from '../../scripts/notebook-runner/kernel.mjs';
import {installKernelSpec, projectKernelSpec} from '../../scripts/notebook-runner/kernelspec.mjs';
import {type JupyterMessage, MessageCodec} from '../../scripts/notebook-runner/wire.mjs';
import {freePorts} from '../../scripts/support/free-ports.mjs';
import {PROJECT_ROOT} from '../../scripts/support/project-paths.mjs';
import {waitUntil} from '../../scripts/support/wait-until.js';
import {processGroup, socketInodes, tcpSockets, unixListeners} from '../helpers/process-sockets.js';
import {newMarker, processesWithMarker} from '../helpers/processes.js';

const NOTEBOOKS = path.join(PROJECT_ROOT, 'notebooks');
const DELIMITER = Buffer.from('<IDS|MSG>');

/** A tslab kernel started by hand on loopback TCP (Jupyter's default transport), with a client on each channel. */
class TcpKernel {
	readonly codec: MessageCodec;
	/** Every iopub message as it came, frames as text, so that nothing in them can hide from a search. */
	readonly iopubFrames: string[] = [];
	readonly iopub: JupyterMessage[] = [];
	/** The replies on shell and control. */
	readonly replies: JupyterMessage[] = [];
	readonly shell = new zmq.Dealer({linger: 0});
	readonly control = new zmq.Dealer({linger: 0});
	readonly stdin = new zmq.Dealer({linger: 0});
	readonly #subscriber = new zmq.Subscriber({linger: 0});
	#log = '';

	private constructor(
		readonly child: ChildProcess,
		readonly key: string,
		readonly folder: string,
	) {
		this.codec = new MessageCodec(key);
		child.stderr?.on('data', (data: Buffer) => (this.#log += data.toString()));
	}

	static async start(): Promise<TcpKernel> {
		const folder = await mkdtemp(path.join(tmpdir(), 'lesson-channels-'));
		const [shell, iopub, stdin, control, hb] = await freePorts(5);
		const key = randomUUID();
		const connection = {transport: 'tcp', ip: '127.0.0.1', shell_port: shell, iopub_port: iopub, stdin_port: stdin, control_port: control, hb_port: hb, key, signature_scheme: 'hmac-sha256'};
		const connectionFile = path.join(folder, 'connection.json');
		await writeFile(connectionFile, JSON.stringify(connection), {mode: 0o600});
		const spec = projectKernelSpec('tslab');
		const argv = spec.argv.map((arg) => arg.replaceAll('{connection_file}', connectionFile));
		const child = spawn(argv[0]!, argv.slice(1), {cwd: NOTEBOOKS, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, ...spec.env}});
		const kernel = new TcpKernel(child, key, folder);
		kernel.shell.connect(`tcp://127.0.0.1:${shell}`);
		kernel.control.connect(`tcp://127.0.0.1:${control}`);
		kernel.stdin.connect(`tcp://127.0.0.1:${stdin}`);
		kernel.#subscriber.connect(`tcp://127.0.0.1:${iopub}`);
		kernel.#subscriber.subscribe();
		kernel.#receive(kernel.#subscriber, (frames) => {
			kernel.iopubFrames.push(frames.map((frame) => frame.toString()).join('\n'));
			const message = kernel.codec.decode(frames);
			if (message) kernel.iopub.push(message);
		});
		for (const socket of [kernel.shell, kernel.control]) {
			kernel.#receive(socket, (frames) => {
				const message = kernel.codec.decode(frames);
				if (message) kernel.replies.push(message);
			});
		}
		try {
			await kernel.#waitUntilReady();
		} catch (error) {
			await kernel.stop();
			throw error;
		}
		return kernel;
	}

	/** The kernel's own log: its process stderr, which Jupyter keeps, and which never goes to iopub. */
	get log(): string {
		return this.#log;
	}

	/** Sends a correctly signed request and waits for its reply and for its idle status on iopub. */
	async request(socket: zmq.Dealer, msgType: string, content: Record<string, unknown>): Promise<{reply: JupyterMessage; iopub: JupyterMessage[]}> {
		const message = this.codec.create(msgType, content);
		await socket.send(this.codec.encode(message));
		return this.answerTo(message.header.msg_id);
	}

	/** The reply to `msgId` and its iopub messages, once it went idle. */
	async answerTo(msgId: string): Promise<{reply: JupyterMessage; iopub: JupyterMessage[]}> {
		const iopub = (): JupyterMessage[] => this.iopub.filter((message) => message.parent_header.msg_id === msgId);
		const reply = await waitUntil(() => iopub().some((message) => message.content['execution_state'] === 'idle') && this.replies.find((message) => message.parent_header.msg_id === msgId), {
			timeoutMs: 30_000,
			what: `the kernel's answer to ${msgId}\n${this.#log}`,
		});
		return {reply, iopub: iopub()};
	}

	executeRequest(code: string): JupyterMessage<Record<string, unknown>> {
		return this.codec.create('execute_request', {code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true});
	}

	async stop(): Promise<void> {
		try {
			process.kill(-this.child.pid!, 'SIGKILL');
		} catch {
			// Gone already.
		}
		for (const socket of [this.shell, this.control, this.stdin, this.#subscriber]) socket.close();
		await rm(this.folder, {recursive: true, force: true});
	}

	#receive(socket: zmq.Dealer | zmq.Subscriber, onFrames: (frames: Buffer[]) => void): void {
		void (async () => {
			try {
				for await (const frames of socket) onFrames(frames);
			} catch {
				// Closed at the end of the test.
			}
		})();
	}

	async #waitUntilReady(): Promise<void> {
		// As the runner does: kernel_info again until one is seen going idle on iopub, which is then surely connected.
		const sent: string[] = [];
		await waitUntil(
			async () => {
				const request = this.codec.create('kernel_info_request', {});
				sent.push(request.header.msg_id);
				await this.shell.send(this.codec.encode(request));
				await sleep(250);
				return this.iopub.some((message) => sent.includes(message.parent_header.msg_id ?? '') && message.content['execution_state'] === 'idle');
			},
			{timeoutMs: 60_000, what: `the kernel to answer kernel_info\n${this.#log}`},
		);
	}
}

describe('a message that is wrongly signed or malformed', () => {
	let kernel: TcpKernel;
	/** What was sent that the kernel must ignore: their msg_ids, their signatures, and the ones they should have had. */
	const forgedIds: string[] = [];
	const forgedSignatures: string[] = [];
	const rightSignatures: string[] = [];

	/** An execute_request signed with another key; what an attacker without the key can send. */
	function forged(code: string): Buffer[] {
		const message = kernel.executeRequest(code);
		forgedIds.push(message.header.msg_id);
		rightSignatures.push(kernel.codec.encode(message)[1]!.toString());
		const frames = new MessageCodec('not-the-key').encode(message);
		forgedSignatures.push(frames[1]!.toString());
		return frames;
	}

	/** Frames that are no message at all (the last one correctly signed, so that only its JSON is wrong). */
	function malformed(): Buffer[][] {
		const badJson = ['{not json', '{}', '{}', '{}'].map((part) => Buffer.from(part));
		const hmac = createHmac('sha256', kernel.key);
		for (const part of badJson) hmac.update(part);
		return [[Buffer.from('no delimiter here')], [DELIMITER, Buffer.from('0'.repeat(64)), Buffer.from('{}')], [DELIMITER, Buffer.from(hmac.digest('hex')), ...badJson]];
	}

	beforeAll(async () => {
		kernel = await TcpKernel.start();
	});

	afterAll(async () => {
		await kernel?.stop();
	});

	test('is dropped with one line in the kernel log, on iopub nothing: not the right signature, no reply, no status', async () => {
		// A first cell, so that tslab sends process.stderr to iopub as it does once any cell ran.
		expect((await kernel.request(kernel.shell, 'execute_request', kernel.executeRequest('1 + 1').content)).reply.content['status']).toBe('ok');
		// The attack between cells: the forged request on each channel, and frames that are no message.
		await kernel.shell.send(forged('console.log("forged on shell")'));
		await kernel.control.send(forged('console.log("forged on control")'));
		await kernel.stdin.send(forged('console.log("forged on stdin")'));
		for (const frames of malformed()) await kernel.shell.send(frames);
		expect((await kernel.request(kernel.shell, 'kernel_info_request', {})).reply.content['status']).toBe('ok');

		// The attack while a cell runs: tslab's errors went under the running cell.
		const sleeper = kernel.executeRequest("await new Promise((resolve) => setTimeout(resolve, 2000)); 'slept'");
		await kernel.shell.send(kernel.codec.encode(sleeper));
		await waitUntil(() => kernel.iopub.some((message) => message.parent_header.msg_id === sleeper.header.msg_id && message.header.msg_type === 'execute_input'), {
			timeoutMs: 30_000,
			what: 'the sleeping cell to start',
		});
		await kernel.shell.send(forged('console.log("forged while a cell runs")'));
		await kernel.control.send(forged('console.log("forged on control while a cell runs")'));
		const slept = await kernel.answerTo(sleeper.header.msg_id);

		// Still answering correctly signed requests, and the forged code never ran.
		const after = await kernel.request(kernel.shell, 'execute_request', kernel.executeRequest('1 + 1').content);
		expect(after.reply.content['status']).toBe('ok');
		expect(after.iopub.find((message) => message.header.msg_type === 'execute_result')?.content['data']).toEqual({'text/plain': '2'});
		await sleep(300); // Anything late from the forged messages would be here by now.

		const iopubText = kernel.iopubFrames.join('\n');
		for (const signature of rightSignatures) expect(iopubText).not.toContain(signature);
		expect(iopubText).not.toMatch(/want|hmac|forged|dropped/i);
		// Nothing under the running cell but its own result.
		expect(slept.reply.content['status']).toBe('ok');
		expect(slept.iopub.map((message) => message.header.msg_type)).toEqual(['status', 'execute_input', 'execute_result', 'status']);
		const answeredForged = [...kernel.iopub, ...kernel.replies].filter((message) => forgedIds.includes(message.parent_header.msg_id ?? ''));
		expect(answeredForged).toEqual([]);

		// Sorted: shell and control are read each on its own. stdin's message stays unread (tslab never reads stdin).
		const dropped = kernel.log.split('\n').filter((line) => line.includes('dropped'));
		expect(dropped.sort()).toEqual([
			'tslab: dropped a message on the control channel: wrong signature',
			'tslab: dropped a message on the control channel: wrong signature',
			'tslab: dropped a message on the shell channel: bad JSON',
			'tslab: dropped a message on the shell channel: no delimiter',
			'tslab: dropped a message on the shell channel: too few frames',
			'tslab: dropped a message on the shell channel: wrong signature',
			'tslab: dropped a message on the shell channel: wrong signature',
		]);
		for (const signature of [...rightSignatures, ...forgedSignatures]) expect(kernel.log).not.toContain(signature);
		// What the runner's kernel is checked for below, seen here: a kernel on TCP listens on its five ports.
		expect(tcpSockets(socketInodes(processGroup(kernel.child.pid!))).filter((socket) => socket.listening)).toHaveLength(5);
	});
});

describe("the runner's kernel", () => {
	let kernel: Kernel;
	/** The folder of its connection file and sockets, and the connection file's contents. */
	let folder: string;
	let connection: {transport: string; ip: string; shell_port: number};

	beforeAll(async () => {
		kernel = await Kernel.start(projectKernelSpec('tslab'), {cwd: NOTEBOOKS});
		const argv = readFileSync(`/proc/${kernel.pid}/cmdline`, 'utf8').split('\0');
		const connectionFile = argv[argv.indexOf('--config-path') + 1]!;
		folder = path.dirname(connectionFile);
		connection = JSON.parse(await readFile(connectionFile, 'utf8')) as typeof connection;
	});

	afterAll(async () => {
		await kernel?.shutdown();
	});

	test('listens on no TCP port: its channels are Unix sockets in its connection folder, of mode 700', async () => {
		expect(connection.transport).toBe('ipc');
		const inodes = socketInodes(processGroup(kernel.pid!));
		expect(tcpSockets(inodes)).toEqual([]);
		// Jupyter's ipc endpoints, `{ip}-{port}`.
		expect(unixListeners(inodes)).toEqual([1, 2, 3, 4, 5].map((port) => `${connection.ip}-${port}`));
		expect(path.dirname(connection.ip)).toBe(folder);
		expect((await stat(folder)).mode & 0o777).toBe(0o700);
		expect((await kernel.execute('1 + 1', {timeoutMs: 30_000, onOutput: () => {}})).status).toBe('ok');
	});

	test.runIf(process.getuid?.() === 0)('cannot be reached by another user, who could connect if the folder were open', async () => {
		const shellSocket = `${connection.ip}-${connection.shell_port}`;
		// The socket itself open to all, whatever the umask made it: only the folder stands in the way.
		await chmod(shellSocket, 0o777);
		expect(connectAsNobody(shellSocket)).toBe('EACCES');
		await chmod(folder, 0o755);
		try {
			expect(connectAsNobody(shellSocket)).toBe('connected');
		} finally {
			await chmod(folder, 0o700);
		}
	});
});

const PYTHON = '/usr/bin/python3';
const HAVE_JUPYTER_CLIENT = spawnSync(PYTHON, ['-c', 'import jupyter_client'], {encoding: 'utf8'}).status === 0;

/** Starts the kernel named by argv[1] as Jupyter does with transport "ipc", runs `1 + 1`, prints the result. */
const JUPYTER_CLIENT_IPC = `
import json, os, sys
from jupyter_client import KernelManager
folder = sys.argv[2]
manager = KernelManager(kernel_name=sys.argv[1], transport="ipc", connection_file=os.path.join(folder, "kernel.json"))
manager.start_kernel()
client = manager.client()
client.start_channels()
client.wait_for_ready(timeout=60)
results = []
client.execute_interactive("1 + 1", timeout=30, output_hook=lambda message: results.append(message["content"].get("data")))
print(json.dumps({"ip": manager.ip, "files": sorted(os.listdir(folder)), "results": [data for data in results if data]}))
client.stop_channels()
manager.shutdown_kernel(now=True)
`;

describe("Jupyter's own client", () => {
	test.skipIf(!HAVE_JUPYTER_CLIENT)('starts the project kernel with transport "ipc" and runs a cell on its endpoints, {ip}-{port}', async () => {
		const scratch = await mkdtemp(path.join(tmpdir(), 'lesson-ipc-'));
		// The kernel inherits the mark, so that it is found and ended even if Python fails before shutting it down.
		const marker = newMarker();
		try {
			await installKernelSpec(scratch);
			const result = spawnSync(PYTHON, ['-c', JUPYTER_CLIENT_IPC, 'tslab', scratch], {
				cwd: NOTEBOOKS,
				encoding: 'utf8',
				env: {...process.env, JUPYTER_PATH: scratch, JUPYTER_RUNTIME_DIR: scratch, LESSON_TEST_MARK: marker},
				timeout: 90_000,
			});
			expect(result.status, result.stderr).toBe(0);
			const {ip, files, results} = JSON.parse(result.stdout) as {ip: string; files: string[]; results: unknown[]};
			expect(ip).toBe(path.join(scratch, 'kernel-ipc'));
			expect(files).toEqual(expect.arrayContaining(['kernel-ipc-1', 'kernel-ipc-5', 'kernel.json']));
			expect(results).toEqual([{'text/plain': '2'}]);
		} finally {
			for (const pid of processesWithMarker(marker)) {
				try {
					process.kill(pid, 'SIGKILL');
				} catch {
					// It ended meanwhile.
				}
			}
			await rm(scratch, {recursive: true, force: true});
		}
	});
});

/** Connects to the Unix socket `socketPath` as user nobody; says `connected` or the error's code. */
function connectAsNobody(socketPath: string): string {
	const script = `require('node:net').connect(process.argv[1])
		.on('connect', () => { console.log('connected'); process.exit(0); })
		.on('error', (error) => { console.log(error.code); process.exit(1); });`;
	const result = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', script, socketPath], {cwd: '/', encoding: 'utf8', timeout: 10_000});
	return result.stdout.trim() || `no answer: ${result.stderr}`;
}
