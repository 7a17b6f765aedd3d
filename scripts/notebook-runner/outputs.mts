/** Turning a cell's iopub messages into nbformat outputs, as Jupyter would store them. */
import type {IDisplayData, IError, IExecuteResult, IOutput, IStream, MultilineString} from '@jupyterlab/nbformat';
import {iopubMessage, type MimeBundle, type OutputMetadata} from './iopub.mjs';
import type {JupyterMessage} from './wire.mjs';

/**
 * The displays of a whole notebook by display_id: an update_display_data from any cell updates every
 * output with that id, in earlier cells too, as Jupyter does.
 */
export type DisplayRegistry = Map<string, IDisplayData[]>;

/**
 * Collects one cell's outputs: streams merged, displays updated in place by display_id (across the
 * notebook when cells share a registry), and clear_output honoured, `wait` included.
 */
export class CellOutputs {
	readonly outputs: IOutput[] = [];
	readonly #displays: DisplayRegistry;
	/** A clear_output with wait: the outputs are cleared when the next one arrives, not before (no flicker). */
	#clearPending = false;

	constructor(displays: DisplayRegistry = new Map()) {
		this.#displays = displays;
	}

	/** Adds one iopub message; returns the output it added (for printing), if it added one. */
	add(message: JupyterMessage): IOutput | undefined {
		const iopub = iopubMessage(message);
		if (!iopub) return undefined;
		if (this.#clearPending && ['stream', 'display_data', 'execute_result', 'error'].includes(iopub.type)) this.#clear();
		switch (iopub.type) {
			case 'stream':
				return this.#addStream(iopub.name, iopub.text);
			case 'display_data':
				return this.#addDisplay(iopub.data, iopub.metadata, iopub.displayId);
			case 'update_display_data':
				this.#updateDisplay(iopub.data, iopub.metadata, iopub.displayId);
				return undefined;
			case 'execute_result': {
				const output: IExecuteResult = {output_type: 'execute_result', data: iopub.data, metadata: iopub.metadata, execution_count: null};
				this.outputs.push(output);
				return output;
			}
			case 'error': {
				const output: IError = {output_type: 'error', ename: iopub.ename, evalue: iopub.evalue, traceback: iopub.traceback};
				this.outputs.push(output);
				return output;
			}
			case 'clear_output':
				if (iopub.wait) this.#clearPending = true;
				else this.#clear();
				return undefined;
			case 'status':
				return undefined;
		}
	}

	/** Clears this cell's outputs; their display ids no longer point at them. */
	#clear(): void {
		this.#clearPending = false;
		const gone = new Set(this.outputs);
		for (const [id, outputs] of this.#displays) {
			const kept = outputs.filter((output) => !gone.has(output));
			if (kept.length > 0) this.#displays.set(id, kept);
			else this.#displays.delete(id);
		}
		this.outputs.length = 0;
	}

	/** What the cell reported going wrong: its error's traceback, or else what it wrote to stderr. */
	get errorReport(): string {
		const tracebacks = this.outputs.filter((output): output is IError => output.output_type === 'error').map((output) => output.traceback.join('\n'));
		if (tracebacks.length > 0) return tracebacks.join('\n');
		return this.outputs
			.filter((output): output is IStream => output.output_type === 'stream' && output.name === 'stderr')
			.map((output) => joinText(output.text))
			.join('');
	}

	#addStream(name: 'stdout' | 'stderr', text: string): IOutput {
		const last = this.outputs.at(-1);
		const stream: IStream = {output_type: 'stream', name, text};
		// Jupyter shows consecutive writes to the same stream as one output.
		if (last?.output_type === 'stream' && (last as IStream).name === name) {
			(last as IStream).text = joinText((last as IStream).text) + text;
		} else this.outputs.push(stream);
		return stream;
	}

	#addDisplay(data: MimeBundle, metadata: OutputMetadata, id: string | undefined): IOutput {
		const output: IDisplayData = {output_type: 'display_data', data, metadata};
		this.outputs.push(output);
		if (id !== undefined) this.#displays.set(id, [...(this.#displays.get(id) ?? []), output]);
		return output;
	}

	#updateDisplay(data: MimeBundle, metadata: OutputMetadata, id: string | undefined): void {
		for (const output of (id === undefined ? undefined : this.#displays.get(id)) ?? []) {
			output.data = data;
			output.metadata = metadata;
		}
	}
}

export function joinText(text: MultilineString): string {
	return Array.isArray(text) ? text.join('') : text;
}

/** How an output reads in a terminal: text as it is, anything else as a one-line placeholder. */
export function outputAsText(output: IOutput): string {
	switch (output.output_type) {
		case 'stream':
			return joinText((output as IStream).text);
		case 'display_data':
		case 'execute_result': {
			const data = (output as IDisplayData).data;
			const plain = data['text/plain'];
			if (plain !== undefined) return `${joinText(plain as MultilineString)}\n`;
			return `[${Object.keys(data)
				.map((mime) => `${mime}, ${String(joinText(data[mime] as MultilineString)).length} characters`)
				.join('; ')}]\n`;
		}
		case 'error':
			return `${String(output['ename'])}: ${String(output['evalue'])}\n`;
		default:
			return '';
	}
}
