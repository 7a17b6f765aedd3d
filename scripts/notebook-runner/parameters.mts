/**
 * Papermill-style parameters for TypeScript notebooks: the cell tagged `parameters` declares the knobs
 * (`const DELAY_MS = 0;`), and `--param DELAY_MS=250` injects a cell after it that declares them again
 * with the new values (tslab lets a later cell redeclare a const).
 */

export type ParameterType = 'number' | 'string' | 'boolean';

export interface Parameter {
	readonly name: string;
	readonly type: ParameterType;
}

export class ParameterError extends Error {}

// const NAME = value;  or  let NAME: type = value;  one per line, the value a literal (a string may hold //).
const DECLARATION = /^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*(number|string|boolean)\s*)?=\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|[^;/\s]+)\s*;?\s*(?:\/\/.*)?$/;

/** The parameters a cell declares, with their types from the annotation or else the literal's form. */
export function declaredParameters(source: string): Parameter[] {
	const parameters: Parameter[] = [];
	for (const line of source.split('\n')) {
		const match = DECLARATION.exec(line);
		if (!match) continue;
		const [, name, annotation, value] = match as unknown as [string, string, ParameterType | undefined, string];
		const type = annotation ?? literalType(value.trim());
		if (type) parameters.push({name, type});
	}
	return parameters;
}

function literalType(value: string): ParameterType | undefined {
	if (value === 'true' || value === 'false') return 'boolean';
	if (/^-?(\d[\d_]*)(\.\d+)?(e[+-]?\d+)?$/i.test(value)) return 'number';
	if (/^(['"`]).*\1$/.test(value)) return 'string';
	return undefined;
}

/** `NAME=VALUE` from the command line, as a typed value. */
export function parseAssignment(assignment: string): {name: string; raw: string} {
	const equals = assignment.indexOf('=');
	if (equals < 1) throw new ParameterError(`--param takes NAME=VALUE, got "${assignment}"`);
	return {name: assignment.slice(0, equals).trim(), raw: assignment.slice(equals + 1)};
}

/** The source of the injected cell, each value checked against its declared type. */
export function injectedParametersSource(declared: Parameter[], assignments: string[]): string {
	const lines = ['// Parameters injected by the lesson runner (--param)'];
	for (const assignment of assignments) {
		const {name, raw} = parseAssignment(assignment);
		const parameter = declared.find((candidate) => candidate.name === name);
		if (!parameter) {
			const known = declared.map((candidate) => candidate.name).join(', ') || 'none';
			throw new ParameterError(`--param ${name}: the parameters cell declares no such name (it declares: ${known})`);
		}
		lines.push(`const ${name}: ${parameter.type} = ${literal(parameter, raw)};`);
	}
	return lines.join('\n');
}

function literal(parameter: Parameter, raw: string): string {
	switch (parameter.type) {
		case 'number': {
			// Decimal only, as a learner writes it: Number() would also take 0x10, 0b1 or " 16 ".
			const value = Number(raw);
			if (!/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(raw) || !Number.isFinite(value)) {
				throw new ParameterError(`--param ${parameter.name} must be a decimal number, got "${raw}"`);
			}
			return String(value);
		}
		case 'boolean':
			if (raw !== 'true' && raw !== 'false') throw new ParameterError(`--param ${parameter.name} must be true or false, got "${raw}"`);
			return raw;
		case 'string':
			// JSON leaves U+2028 and U+2029 as they are, and TypeScript reads them as line ends inside a string.
			return JSON.stringify(raw)
				.replace(/\u2028/g, '\\u2028')
				.replace(/\u2029/g, '\\u2029');
	}
}
