import type {Chunk} from '../client/retrieve';
import {renderChart} from './render-chart';

/** One download to plot: a label and the chunks `retrieve` recorded. */
export interface ChartRun {
	/** e.g. `'without sleep'`. */
	readonly label: string;
	readonly chunks: readonly Chunk[];
}

/**
 * An SVG chart of recv size against time, one panel per run side by side: each bar is one recv,
 * placed at the time it returned, as tall as the bytes it returned.
 */
export function recvSizeChart(runs: readonly ChartRun[], options: {width?: number; height?: number} = {}): Promise<string> {
	const values = runs.flatMap((run) => run.chunks.map((chunk, index) => ({run: run.label, recv: index + 1, seconds: chunk.atMs / 1000, size: chunk.size, count: chunk.count})));
	return renderChart({
		title: {text: 'What each recv(5120) returned, and when', anchor: 'middle'},
		data: {values},
		facet: {column: {field: 'run', type: 'nominal', title: null, sort: runs.map((run) => run.label), header: {labelFontSize: 13}}},
		spec: {
			width: options.width ?? 320,
			height: options.height ?? 220,
			mark: {type: 'bar', width: 3},
			encoding: {
				x: {field: 'seconds', type: 'quantitative', title: 'time since the request was sent (s)', scale: {domainMin: 0}},
				y: {field: 'size', type: 'quantitative', title: 'bytes returned by recv', scale: {domain: [0, 5120]}, axis: {values: [0, 1460, 2920, 4380, 5120]}},
				color: {field: 'run', type: 'nominal', legend: null, sort: runs.map((run) => run.label)},
			},
		},
		resolve: {scale: {x: 'independent'}},
	});
}
