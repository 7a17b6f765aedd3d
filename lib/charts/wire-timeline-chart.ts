import {renderChart} from './render-chart';
import {type WireReads, type WireSends, type WireTimeline, wireTimeline} from './wire-timeline';

/** One download to draw: a label, the replica's log of its writes, and what `retrieve` returned. */
export interface WireRun {
	/** e.g. `'without sleep'`. */
	readonly label: string;
	/** The replica's `ConnectionLog` for this download (from `replica.connections`). */
	readonly log: WireSends;
	/** What `retrieve` resolved to. */
	readonly retrieved: WireReads;
}

/** Options for `wireTimelineChart`. */
export interface WireTimelineChartOptions {
	/** Width of the whole chart, all panels together, in pixels. Default: 900. */
	width?: number;
	/** Height of each panel's plot, in pixels. Default: 300. */
	height?: number;
	/** The chart's title. Default: `'On the wire: the segments the replica sent, and which recv took them'`. */
	title?: string;
}

const SEGMENT = 'a segment the replica wrote (height: its bytes)';
const RECV = 'what one recv returned (height: its bytes)';
const LINK = "a line: this recv took (some of) this segment's bytes";
const COLORS = {[SEGMENT]: '#4c78a8', [RECV]: '#f58518', [LINK]: '#8c8c8c'};
/** Room the y axis, its labels and the space between panels take beside each plot, in pixels. */
const PANEL_MARGIN_PX = 70;
/** Writes (or recvs) less than this apart, in milliseconds, were made back to back: drawn stacked. */
const BACK_TO_BACK_MS = 1;
/** Between the lanes, where the links run, as a share of a lane's height. */
const GAP_SHARE = 0.9;
/** Above the sender's lane and below the reader's, for the lane labels, as a share of a lane's height. */
const LABEL_SHARE = 0.3;

/**
 * An SVG chart of downloads as the wire saw them, one panel per run side by side, each with its own time axis
 * in milliseconds since the request was sent. On the top lane, one bar per write the replica made (a segment),
 * at the time it was written; on the bottom lane, hanging down, one bar per recv, at the time it returned;
 * between them, a thin line from each segment to each recv that took its bytes. Both lanes share one byte
 * scale, so a 5120-byte recv is as tall as the segments it gathered stacked together.
 */
export function wireTimelineChart(runs: readonly WireRun[], options: WireTimelineChartOptions = {}): Promise<string> {
	if (runs.length === 0) throw new RangeError('wireTimelineChart needs at least one run');
	const width = options.width ?? 900;
	const height = options.height ?? 300;
	const panelWidth = Math.max(120, Math.floor(width / runs.length - PANEL_MARGIN_PX));
	const panels = runs.map((run) => layOut(run.label, wireTimeline(run.log, run.retrieved), panelWidth));
	// One byte scale for every lane of every panel, so that bars compare across lanes and panels alike.
	const laneBytes = Math.max(1, ...panels.map((panel) => panel.laneBytes));
	return renderChart({
		title: {text: options.title ?? 'On the wire: the segments the replica sent, and which recv took them', anchor: 'middle', fontSize: 15},
		hconcat: panels.map((panel) => panelSpec(panel, laneBytes, panelWidth, height)),
		// Headless Vega guesses a text's width from its length (no fonts to measure), generously, so a long lane
		// label or panel title would push the next panel away; flush bounds place the panels by their plots alone.
		bounds: 'flush',
		spacing: PANEL_MARGIN_PX,
		// A legend listed down, not across: across, it would widen the first panel's column past the chart's width.
		config: {legend: {orient: 'bottom', direction: 'vertical', labelLimit: 0, title: null, symbolStrokeWidth: 3}, view: {stroke: null}},
	});
}

/** A bar's place in its lane, in bytes from the lane's baseline (stacked bars start above the one below). */
interface Bar {
	readonly ms: number;
	readonly from: number;
	readonly to: number;
}

interface Panel {
	readonly title: string;
	readonly subtitle: string;
	readonly timeline: WireTimeline;
	readonly endMs: number;
	readonly segmentBars: readonly Bar[];
	readonly recvBars: readonly Bar[];
	/** Widths of a segment's bar and of a recv's, in pixels. */
	readonly segmentPx: number;
	readonly recvPx: number;
	/** The tallest stack of bars in either lane, in bytes. */
	readonly laneBytes: number;
}

function layOut(label: string, timeline: WireTimeline, panelWidth: number): Panel {
	const times = [...timeline.segments.map((segment) => segment.atMs), ...timeline.recvs.map((recv) => recv.atMs)];
	const endMs = Math.max(1, ...times) * 1.03;
	const msPerPx = endMs / panelWidth;
	const segmentPx = barWidthPx(timeline.segments, msPerPx);
	const recvPx = barWidthPx(timeline.recvs, msPerPx);
	const segmentBars = stack(timeline.segments);
	const recvBars = stack(timeline.recvs);
	const laneBytes = Math.max(0, ...segmentBars.map((bar) => bar.to), ...recvBars.map((bar) => bar.to));
	const subtitle = `${plural(timeline.segments.length, 'segment')} sent, ${plural(timeline.recvs.length, 'recv')} returned bytes`;
	return {title: label, subtitle, timeline, endMs, segmentBars, recvBars, segmentPx, recvPx, laneBytes};
}

/**
 * Each item as a bar, stacked on the one before when both came within `BACK_TO_BACK_MS` of the first of the
 * stack: two segments written back to back would otherwise hide one another at one spot. Bars merely close in
 * pixels are left to overlap, not stacked: a stack of a whole burst would tower over the lane and shrink
 * every other bar, as the lanes share one byte scale.
 */
function stack(items: ReadonlyArray<{atMs: number; bytes: number}>): Bar[] {
	const bars: Bar[] = [];
	for (const item of items) {
		const below = bars[bars.length - 1];
		const from = below && item.atMs - below.ms < BACK_TO_BACK_MS ? below.to : 0;
		bars.push({ms: below && from > 0 ? below.ms : item.atMs, from, to: from + item.bytes});
	}
	return bars;
}

/** About as wide as the usual space between neighbours, so ~50 bars neither overlap nor vanish, and a few stand out. */
function barWidthPx(items: ReadonlyArray<{atMs: number}>, msPerPx: number): number {
	const gaps = items
		.slice(1)
		.map((item, index) => item.atMs - items[index]!.atMs)
		.sort((a, b) => a - b);
	const medianGapMs = gaps[Math.floor(gaps.length / 2)] ?? Infinity;
	return Math.min(5, Math.max(1.5, (0.6 * medianGapMs) / msPerPx));
}

function plural(count: number, noun: string): string {
	return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * One panel: both lanes on one y scale in bytes, the sender's lane above the gap (baseline at `gap`, bars
 * growing up) and the reader's below it (baseline at 0, bars hanging down), so the links cross the gap.
 */
function panelSpec(panel: Panel, laneBytes: number, width: number, height: number): Record<string, unknown> {
	const gap = laneBytes * GAP_SHARE;
	const label = laneBytes * (1 + LABEL_SHARE / 2);
	const x = {
		field: 'ms',
		type: 'quantitative',
		title: 'milliseconds since the request was sent',
		// A little room before 0, so that a bar at the very start is not drawn over the y axis.
		scale: {domain: [-panel.endMs * 0.015, panel.endMs], nice: false},
		axis: {format: ',d', grid: true, gridOpacity: 0.4},
	};
	const y = {
		field: 'y',
		type: 'quantitative',
		scale: {domain: [-laneBytes * (1 + LABEL_SHARE), gap + laneBytes * (1 + LABEL_SHARE)], nice: false, zero: false},
		axis: {
			title: 'bytes',
			grid: false,
			values: byteTicks(panel, laneBytes).flatMap((bytes) => [gap + bytes, -bytes]),
			labelExpr: `format(datum.value >= ${gap} ? datum.value - ${gap} : abs(datum.value), 'd')`,
		},
	};
	const color = {
		field: 'what',
		type: 'nominal',
		scale: {domain: [SEGMENT, RECV, LINK], range: [COLORS[SEGMENT], COLORS[RECV], COLORS[LINK]]},
	};
	const segmentBars = panel.segmentBars.map((bar) => ({
		what: SEGMENT,
		ms: bar.ms,
		// A hairline between stacked bars, so two segments do not read as one.
		y: gap + bar.from + (bar.from > 0 ? laneBytes * 0.015 : 0),
		y2: gap + bar.to,
	}));
	const recvBars = panel.recvBars.map((bar) => ({
		what: RECV,
		ms: bar.ms,
		y: -bar.from - (bar.from > 0 ? laneBytes * 0.015 : 0),
		y2: -bar.to,
	}));
	const links = panel.timeline.links.map((link) => ({
		what: LINK,
		ms: panel.segmentBars[link.segment]!.ms,
		ms2: panel.recvBars[link.recv]!.ms,
		y: gap,
		y2: 0,
	}));
	const laneLabels = [
		{ms: 0, y: gap + label, text: 'replica sends (segments)'},
		{ms: 0, y: -label, text: 'your recv calls'},
	];
	const baselines = [{y: gap}, {y: 0}];
	return {
		title: {text: panel.title, subtitle: panel.subtitle, fontSize: 13, subtitleFontSize: 11},
		width,
		height,
		layer: [
			{data: {values: baselines}, mark: {type: 'rule', color: '#bbbbbb', strokeWidth: 1}, encoding: {y}},
			{data: {values: links}, mark: {type: 'rule', strokeWidth: 0.6, opacity: 0.6}, encoding: {x, x2: {field: 'ms2'}, y, y2: {field: 'y2'}, color}},
			{data: {values: segmentBars}, mark: {type: 'bar', width: panel.segmentPx}, encoding: {x, y, y2: {field: 'y2'}, color}},
			{data: {values: recvBars}, mark: {type: 'bar', width: panel.recvPx}, encoding: {x, y, y2: {field: 'y2'}, color}},
			{
				data: {values: laneLabels},
				mark: {type: 'text', align: 'left', baseline: 'middle', dx: 4, fontSize: 12, fontWeight: 'bold', color: '#333333'},
				encoding: {x, y, text: {field: 'text'}},
			},
		],
	};
}

/**
 * The byte values to mark on both lanes: 0, the lane's top, and the commonest segment size (1460 on the
 * book's links), unless it would crowd another label.
 */
function byteTicks(panel: Panel, laneBytes: number): number[] {
	const counts = new Map<number, number>();
	for (const segment of panel.timeline.segments) counts.set(segment.bytes, (counts.get(segment.bytes) ?? 0) + 1);
	const commonest = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
	const ticks = [0, laneBytes];
	if (commonest !== undefined && commonest > laneBytes * 0.15 && commonest < laneBytes * 0.85) ticks.push(commonest);
	return ticks.sort((a, b) => a - b);
}
