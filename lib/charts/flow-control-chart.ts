import type {WriteRecord} from '../replica/connection-log';
import type {Chunk} from '../client/retrieve';
import {renderChart} from './render-chart';

/**
 * An SVG chart of flow control on one download: bytes the sender had handed to the OS and bytes the
 * reader had received, against time. Where the sender's line runs flat, its writes were refused and it
 * waited for the sleeping reader to make room; those waits are marked in red.
 */
export function flowControlChart(sent: readonly WriteRecord[], received: readonly Chunk[], options: {width?: number; height?: number} = {}): Promise<string> {
	const mib = (bytes: number): number => bytes / (1024 * 1024);
	const values: Array<Record<string, unknown>> = [];
	let sentSoFar = 0;
	values.push({who: 'sender: handed to the OS', seconds: 0, mib: 0});
	for (const write of sent) {
		sentSoFar += write.bytes;
		values.push({who: 'sender: handed to the OS', seconds: write.atMs / 1000, mib: mib(sentSoFar)});
		if (write.refused) values.push({who: 'sender: handed to the OS', seconds: (write.atMs + write.waitedMs) / 1000, mib: mib(sentSoFar)});
	}
	values.push({who: 'reader: received by recv', seconds: 0, mib: 0});
	for (const chunk of received) values.push({who: 'reader: received by recv', seconds: chunk.atMs / 1000, mib: mib(chunk.count)});
	const waits = sent.filter((write) => write.refused).map((write) => ({start: write.atMs / 1000, end: (write.atMs + write.waitedMs) / 1000}));
	return renderChart({
		title: {text: 'Flow control: the sender waits while the reader sleeps', anchor: 'middle'},
		width: options.width ?? 560,
		height: options.height ?? 280,
		layer: [
			{
				data: {values: waits},
				mark: {type: 'rect', color: '#d62728', opacity: 0.15},
				encoding: {x: {field: 'start', type: 'quantitative'}, x2: {field: 'end'}},
			},
			{
				data: {values},
				mark: {type: 'line', interpolate: 'step-after'},
				encoding: {
					x: {field: 'seconds', type: 'quantitative', title: 'time (s); shaded red: the sender waiting', scale: {domainMin: 0}},
					y: {field: 'mib', type: 'quantitative', title: 'MiB so far'},
					color: {field: 'who', type: 'nominal', title: null, legend: {orient: 'bottom', labelLimit: 0}},
				},
			},
		],
	});
}
