/**
 * The iopub messages a cell's outputs come from, typed (Jupyter's messaging spec, "IO Pub"): each is checked
 * when it arrives, so the rest of the runner reads typed fields instead of casting, and a kernel that sends a
 * malformed message loses that message, not the run.
 */
import type {IDisplayData, MultilineString} from '@jupyterlab/nbformat';
import type {JupyterMessage} from './wire.mjs';

export type MimeBundle = IDisplayData['data'];
/** An output's metadata, as nbformat stores it. */
export type OutputMetadata = IDisplayData['metadata'];

export type IopubMessage =
	| {readonly type: 'stream'; readonly name: 'stdout' | 'stderr'; readonly text: string}
	| {readonly type: 'display_data' | 'update_display_data'; readonly data: MimeBundle; readonly metadata: OutputMetadata; readonly displayId: string | undefined}
	| {readonly type: 'execute_result'; readonly data: MimeBundle; readonly metadata: OutputMetadata}
	| {readonly type: 'error'; readonly ename: string; readonly evalue: string; readonly traceback: string[]}
	| {readonly type: 'clear_output'; readonly wait: boolean}
	| {readonly type: 'status'; readonly executionState: string};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is MultilineString => typeof value === 'string' || (Array.isArray(value) && value.every((line) => typeof line === 'string'));

/**
 * The deepest nesting of JSON kept in an output. Writing a notebook walks its outputs recursively, and a
 * display 4050 arrays deep overflowed that walk's stack: deeper data is replaced by a note that says so.
 */
export const MAX_OUTPUT_DEPTH = 200;

/** Whether `value` nests deeper than `limit` (arrays and objects), found without recursion. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
	const pending: Array<[unknown, number]> = [[value, 0]];
	for (let next = pending.pop(); next; next = pending.pop()) {
		const [item, depth] = next;
		if (typeof item !== 'object' || item === null) continue;
		if (depth >= limit) return true;
		for (const child of Object.values(item)) pending.push([child, depth + 1]);
	}
	return false;
}

/** A mime bundle: an object whose values are text (or, for JSON types, JSON). */
function mimeBundle(value: unknown): MimeBundle | undefined {
	if (!isObject(value)) return undefined;
	if (nestsDeeperThan(value, MAX_OUTPUT_DEPTH)) return {'text/plain': `(an output nested more than ${MAX_OUTPUT_DEPTH} levels deep, not kept)`};
	return value as MimeBundle;
}

/** The message as one of the iopub kinds a cell's outputs are made of, or undefined (another kind, or malformed). */
export function iopubMessage(message: JupyterMessage): IopubMessage | undefined {
	const content = message.content;
	switch (message.header.msg_type) {
		case 'stream': {
			const {name, text} = content;
			if ((name !== 'stdout' && name !== 'stderr') || !isText(text)) return undefined;
			return {type: 'stream', name, text: Array.isArray(text) ? text.join('') : text};
		}
		case 'display_data':
		case 'update_display_data': {
			const data = mimeBundle(content['data']);
			if (!data) return undefined;
			const transient = content['transient'];
			const displayId = isObject(transient) && typeof transient['display_id'] === 'string' ? transient['display_id'] : undefined;
			const metadata = isObject(content['metadata']) && !nestsDeeperThan(content['metadata'], MAX_OUTPUT_DEPTH) ? (content['metadata'] as OutputMetadata) : {};
			return {type: message.header.msg_type, data, metadata, displayId};
		}
		case 'execute_result': {
			const data = mimeBundle(content['data']);
			if (!data) return undefined;
			const metadata = isObject(content['metadata']) && !nestsDeeperThan(content['metadata'], MAX_OUTPUT_DEPTH) ? (content['metadata'] as OutputMetadata) : {};
			return {type: 'execute_result', data, metadata};
		}
		case 'error': {
			const {ename, evalue, traceback} = content;
			const lines = Array.isArray(traceback) ? traceback.map(String) : [];
			return {type: 'error', ename: typeof ename === 'string' ? ename : 'Error', evalue: typeof evalue === 'string' ? evalue : '', traceback: lines};
		}
		case 'clear_output':
			return {type: 'clear_output', wait: content['wait'] === true};
		case 'status':
			return typeof content['execution_state'] === 'string' ? {type: 'status', executionState: content['execution_state']} : undefined;
		default:
			return undefined;
	}
}
