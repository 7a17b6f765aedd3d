/**
 * A FakeKernel (fake-kernel.mts) as a kernel process, for running notebooks through the runner without tslab:
 * `node --import tsx fake-kernel-process.mts CONNECTION_FILE`. What its cells do comes as JSON in
 * FAKE_KERNEL_CELLS; each execute_request it answers is appended to the file FAKE_KERNEL_RECORD, a JSON line each.
 * SIGINT interrupts the running cell, as it does tslab's.
 */
import {appendFileSync, readFileSync} from 'node:fs';
import type {ConnectionInfo} from '../../scripts/notebook-runner/kernel-connection.mjs';
import {type FakeCell, FakeKernel} from './fake-kernel.mjs';

const info = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ConnectionInfo;
const cells = JSON.parse(process.env['FAKE_KERNEL_CELLS'] ?? '{}') as Record<string, FakeCell>;
const record = process.env['FAKE_KERNEL_RECORD'];
const kernel = await FakeKernel.serve(info, cells, {
	onExecuted: (received) => {
		if (record) appendFileSync(record, `${JSON.stringify(received)}\n`);
	},
	onShutdown: () => process.exit(0),
});
process.on('SIGINT', () => kernel.interrupt());
