/**
 * The runner's kernel client on the protocol alone, against a fake kernel on real ZeroMQ sockets
 * (test/helpers/fake-kernel.mts): what it sends, how it matches what comes back, and what it does to the
 * kernel's process when a cell outlives its time. What only tslab shows is tested in test/kernel/.
 */
import {describe, expect, onTestFinished, test} from 'vitest';
import {KernelClient} from '../../scripts/notebook-runner/kernel-client.mjs';
import type {JupyterMessage} from '../../scripts/notebook-runner/wire.mjs';
import {type FakeCell, FakeKernel, FakeKernelProcess} from '../helpers/fake-kernel.mjs';

/** A fake kernel with `cells`, its stand-in process, and a client connected to it, all ended after the test. */
async function connected(cells: Readonly<Record<string, FakeCell>> = {}): Promise<{kernel: FakeKernel; process: FakeKernelProcess; client: KernelClient}> {
	const kernel = await FakeKernel.start(cells);
	const process = new FakeKernelProcess(kernel);
	const client = new KernelClient(kernel.connection, process);
	onTestFinished(async () => {
		client.close();
		await kernel.close();
	});
	return {kernel, process, client};
}

/** Executes `code` with a time limit no test should meet; returns the status and the stdout it collected. */
async function run(client: KernelClient, code: string, options: {stopOnError?: boolean; silent?: boolean} = {}): Promise<{status: string; stdout: string}> {
	let stdout = '';
	const onOutput = (message: JupyterMessage): void => {
		if (message.header.msg_type === 'stream') stdout += String(message.content['text']);
	};
	const outcome = await client.execute(code, {timeoutMs: 10_000, onOutput, ...options});
	return {status: outcome.status, stdout};
}

describe('KernelClient', () => {
	test('is ready once a kernel_info goes idle on iopub, asking again while the kernel does not answer', async () => {
		const {kernel, client} = await connected();
		kernel.ignoredKernelInfos = 2;
		await client.waitUntilReady(10_000);
		expect(kernel.kernelInfos).toBeGreaterThanOrEqual(3);
	});

	test('says the kernel did not answer, with its log, when no kernel_info is answered in time', async () => {
		const {kernel, process, client} = await connected();
		kernel.ignoredKernelInfos = Number.POSITIVE_INFINITY;
		process.note('tslab: still thinking');
		await expect(client.waitUntilReady(600)).rejects.toThrow(/did not answer within 0.6 s\ntslab: still thinking/);
	});

	test('sends stop_on_error as asked, true when not said, and a silent cell without history', async () => {
		const {kernel, client} = await connected();
		await client.waitUntilReady(10_000);
		await run(client, 'a');
		await run(client, 'b', {stopOnError: false});
		await run(client, 'c', {silent: true});
		expect(kernel.executes.map(({code, stopOnError, silent, storeHistory}) => ({code, stopOnError, silent, storeHistory}))).toEqual([
			{code: 'a', stopOnError: true, silent: false, storeHistory: true},
			{code: 'b', stopOnError: false, silent: false, storeHistory: true},
			{code: 'c', stopOnError: true, silent: true, storeHistory: false},
		]);
	});

	test('after a failed cell sent without stop_on_error, the next cell runs at its first sending', async () => {
		const {kernel, client} = await connected({raises: {fails: true}, next: {stdout: 'next ran\n'}});
		await client.waitUntilReady(10_000);
		expect(await run(client, 'raises', {stopOnError: false})).toEqual({status: 'error', stdout: ''});
		expect(await run(client, 'next')).toEqual({status: 'ok', stdout: 'next ran\n'});
		expect(kernel.executes.map(({code, status}) => [code, status])).toEqual([
			['raises', 'error'],
			['next', 'ok'],
		]);
	});

	test("reports the kernel's abort of a cell after one that stopped on error, and does not send it again", async () => {
		const {kernel, client} = await connected({raises: {fails: true}, next: {stdout: 'next ran\n'}});
		await client.waitUntilReady(10_000);
		expect((await run(client, 'raises')).status).toBe('error');
		expect(await run(client, 'next')).toEqual({status: 'abort', stdout: ''});
		expect(kernel.executes.map(({code, status}) => [code, status])).toEqual([
			['raises', 'error'],
			['next', 'abort'],
		]);
	});

	test("gives each request its own iopub messages, a cell's late output included", async () => {
		const {client} = await connected({timer: {stdout: 'started\n', lateStdout: {text: 'late\n', afterMs: 100}}, waits: {hangs: true}});
		await client.waitUntilReady(10_000);
		let timerOutput = '';
		const outcome = await client.execute('timer', {
			timeoutMs: 10_000,
			onOutput: (message) => (timerOutput += String(message.content['text'] ?? '')),
		});
		expect(outcome.status).toBe('ok');
		// The next cell runs while the late line comes; it goes to the cell that printed it.
		let waitsOutput = '';
		const waits = client.execute('waits', {timeoutMs: 10_000, onOutput: (message) => (waitsOutput += message.header.msg_type === 'stream' ? String(message.content['text']) : '')});
		await expect.poll(() => timerOutput, {timeout: 10_000}).toBe('started\nlate\n');
		expect(await client.requestInterrupt()).toBe('ok');
		expect((await waits).status).toBe('error');
		expect(waitsOutput).toBe('');
	});

	test('interrupts a cell past its time limit and reports the timeout', async () => {
		const {kernel, process, client} = await connected({waits: {hangs: true}});
		await client.waitUntilReady(10_000);
		const outcome = await client.execute('waits', {timeoutMs: 200, onOutput: () => {}});
		expect(outcome).toEqual({status: 'timeout', detail: 'interrupted after 0.2 s'});
		expect(kernel.interrupts).toBe(1);
		expect(process.kills).toBe(0);
	});

	test('interrupts a deaf cell again each second of the grace, then kills the kernel', async () => {
		const {kernel, process, client} = await connected({spins: {hangs: true, deaf: true}});
		await client.waitUntilReady(10_000);
		const outcome = await client.execute('spins', {timeoutMs: 200, interruptGraceMs: 2500, onOutput: () => {}});
		expect(outcome).toEqual({status: 'timeout', detail: 'killed after 0.2 s: an interrupt got no answer within 2.5 s'});
		expect(kernel.interrupts).toBe(3);
		expect(process.kills).toBe(1);
		expect(await run(client, 'anything')).toEqual({status: 'dead', stdout: ''});
	});

	test("ends a running cell as dead when the kernel's process exits, saying how", async () => {
		const {process, client} = await connected({waits: {hangs: true, deaf: true}});
		await client.waitUntilReady(10_000);
		const outcome = client.execute('waits', {timeoutMs: 10_000, onOutput: () => {}});
		process.exit('exited with code 3');
		expect(await outcome).toEqual({status: 'dead', detail: 'the kernel exited with code 3'});
	});

	test('says the kernel died while starting, with its log', async () => {
		const {kernel, process, client} = await connected();
		kernel.ignoredKernelInfos = Number.POSITIVE_INFINITY;
		process.note('tslab: cannot bind');
		const ready = client.waitUntilReady(10_000);
		process.exit('exited with code 1');
		await expect(ready).rejects.toThrow(/the kernel exited with code 1 while starting\ntslab: cannot bind/);
	});
});
