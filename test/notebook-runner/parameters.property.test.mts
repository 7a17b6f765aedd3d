import {createContext, runInContext} from 'node:vm';
import fc from 'fast-check';
import ts from 'typescript';
import {describe, expect, test} from 'vitest';
import {declaredParameters, injectedParametersSource, ParameterError, type ParameterType} from '../../scripts/notebook-runner/parameters.mjs';

// Why these properties: `--param NAME=VALUE` comes from a command line, and its value is written into the
// source of a cell that the kernel then runs. So a value must arrive as exactly the value given (a number as
// that number, a string character for character, a boolean as itself), and no value, however hostile
// (quotes, backslashes, newlines, U+2028, backticks, `*/`, `${`), may make the cell anything but one
// `const NAME: type = literal;` per --param: the injected cell is parsed with TypeScript's own parser,
// each statement checked, and the compiled cell run to read the values back. Seeded, so that a failure
// reproduces: fast-check prints the seed and the path of the smallest failing case.

const SEED = 22;
const RUNS = 2000;

type Value = string | number | boolean;
interface Knob {
	readonly name: string;
	readonly type: ParameterType;
	/** What follows `NAME=` on the command line. */
	readonly raw: string;
	/** The value the notebook must see. */
	readonly value: Value;
}

/** Names as the notebooks' knobs are written: an upper-case start, so never a reserved word. */
const knobName = fc.stringMatching(/^[A-Z_$][A-Za-z0-9_$]{0,12}$/);
/** The pieces a value would need to break out of a string literal, a comment or a template. */
const hostilePiece = fc.constantFrom('"', "'", '`', '\\', '\\"', '\n', '\r', '\r\n', '\u2028', '\u2029', '*/', '/*', '//', '${', '}', ';', '\u0000', '</script>', '\\u0041');
const loneSurrogate = fc.integer({min: 0xd800, max: 0xdfff}).map((code) => String.fromCharCode(code));
const identifierLike = fc.stringMatching(/^[A-Za-z_][\w-]{0,15}$/);
const stringRaw = fc.oneof(
	identifierLike,
	fc.array(fc.oneof(hostilePiece, fc.string({unit: 'binary', maxLength: 6}), loneSurrogate, identifierLike), {maxLength: 8}).map((pieces) => pieces.join('')),
);
/** Decimal numbers as JSON writes them (any finite double) and as a learner might (007, 1., .5, 2E3). */
const numberRaw = fc.oneof(
	fc.double({noNaN: true, noDefaultInfinity: true}).map((value) => JSON.stringify(value)),
	fc.stringMatching(/^-?(\d{1,6}\.?\d{0,6}|\.\d{1,6})([eE][-+]?\d{1,3})?$/),
);
const knobOf = (type: ParameterType, raw: fc.Arbitrary<string>, value: (raw: string) => Value): fc.Arbitrary<Omit<Knob, 'name'>> => raw.map((text) => ({type, raw: text, value: value(text)}));
const knobWithoutName = fc.oneof(
	knobOf('string', stringRaw, (raw) => raw),
	knobOf(
		'number',
		numberRaw.filter((raw) => Number.isFinite(Number(raw))),
		Number,
	),
	knobOf('boolean', fc.constantFrom('true', 'false'), (raw) => raw === 'true'),
);
const knobs = fc.uniqueArray(fc.tuple(knobName, knobWithoutName), {selector: ([name]) => name, minLength: 1, maxLength: 4}).map((pairs) => pairs.map(([name, knob]): Knob => ({name, ...knob})));

/** The notebook's parameters cell that declares these knobs, with a default of each one's type. */
function parametersCell(declared: readonly Knob[]): string {
	const defaults: Record<ParameterType, string> = {string: "'book-run-1'", number: '5120', boolean: 'false'};
	return declared.map(({name, type}, index) => (index % 2 === 0 ? `const ${name} = ${defaults[type]};` : `let ${name}: ${type} = ${defaults[type]}; // a knob`)).join('\n');
}

const TYPE_KEYWORDS: Record<ParameterType, ts.SyntaxKind> = {
	string: ts.SyntaxKind.StringKeyword,
	number: ts.SyntaxKind.NumberKeyword,
	boolean: ts.SyntaxKind.BooleanKeyword,
};

/** The value a literal stands for, or undefined if the expression is anything but one literal. */
function literalValue(expression: ts.Expression): Value | undefined {
	if (ts.isStringLiteral(expression)) return expression.text;
	if (ts.isNumericLiteral(expression)) return Number(expression.text);
	if (ts.isPrefixUnaryExpression(expression) && expression.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(expression.operand)) {
		return -Number(expression.operand.text);
	}
	if (expression.kind === ts.SyntaxKind.TrueKeyword) return true;
	if (expression.kind === ts.SyntaxKind.FalseKeyword) return false;
	return undefined;
}

/** The injected cell as TypeScript's parser reads it. */
function parse(source: string): ts.SourceFile {
	return ts.createSourceFile('injected.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

/**
 * The syntax errors the parser met, as tsc reports them. The parser keeps them on the file, outside its public
 * types (asking a Program for them takes milliseconds a case); a TypeScript without them fails here, loudly.
 */
function syntaxErrors(file: ts.SourceFile): readonly ts.Diagnostic[] {
	const {parseDiagnostics} = file as unknown as {parseDiagnostics?: readonly ts.Diagnostic[]};
	if (!Array.isArray(parseDiagnostics)) throw new Error('this TypeScript keeps no parseDiagnostics on a SourceFile');
	return parseDiagnostics;
}

interface Assignment {
	readonly name: string;
	readonly type: ts.SyntaxKind | undefined;
	readonly value: Value | undefined;
	/** The literal as it is written in the cell, which JavaScript reads as TypeScript does. */
	readonly literal: string;
}

/** Each statement of the cell as `{name, type, value}` if every one is `const NAME: type = literal;`, else what is wrong. */
function readInjectedCell(source: string): Assignment[] | string {
	const file = parse(source);
	const [error] = syntaxErrors(file);
	if (error) return `does not parse: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`;
	const read: Assignment[] = [];
	for (const statement of file.statements) {
		if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) return `not a const: ${statement.getText()}`;
		const [declaration, ...more] = statement.declarationList.declarations;
		if (!declaration || more.length > 0 || !ts.isIdentifier(declaration.name) || !declaration.initializer) return `not one NAME = value: ${statement.getText()}`;
		const {initializer} = declaration;
		read.push({name: declaration.name.text, type: declaration.type?.kind, value: literalValue(initializer), literal: initializer.getText()});
	}
	return read;
}

/** Where the injected cells run: a context of their own, made once (making one takes milliseconds). */
const sandbox = createContext({});

/** The values the cell's literals have when JavaScript runs them (the cell without its type annotations). */
function runInJavaScript(assignments: readonly Assignment[]): unknown[] {
	const body = assignments.map(({name, literal}) => `const ${name} = ${literal};`).join('\n');
	return runInContext(`(() => {\n${body}\nreturn [${assignments.map(({name}) => name).join(', ')}];\n})()`, sandbox) as unknown[];
}

/** `String(-0)` is `'0'`: a `-0` given on the command line arrives as 0 (equal under ===; nothing in the lesson tells them apart). */
const asInjected = (value: Value): Value => (Object.is(value, -0) ? 0 : value);

describe('--param values', () => {
	test('(the check itself: a cell a value broke out of does not pass)', () => {
		expect(readInjectedCell('const A: string = "a\nb";')).toMatch(/^does not parse/);
		expect(readInjectedCell('const A: string = "a"; process.exit();')).toMatch(/^not a const/);
		expect(readInjectedCell('const A: string = `${x}`;')).toEqual([expect.objectContaining({value: undefined})]);
	});

	test('arrive as exactly the value given, each in one `const NAME: type = literal;`, however hostile', () => {
		fc.assert(
			fc.property(knobs, (declared) => {
				const source = injectedParametersSource(
					declaredParameters(parametersCell(declared)),
					declared.map(({name, raw}) => `${name}=${raw}`),
				);
				expect(source.split('\n')[0]).toBe('// Parameters injected by the lesson runner (--param)');
				const assignments = readInjectedCell(source);
				if (typeof assignments === 'string') expect.fail(`${assignments}\n${source}`);
				expect(assignments.map(({name, type, value}) => ({name, type, value}))).toEqual(declared.map(({name, type, value}) => ({name, type: TYPE_KEYWORDS[type], value: asInjected(value)})));
				expect(runInJavaScript(assignments)).toEqual(declared.map(({value}) => asInjected(value)));
			}),
			{seed: SEED, numRuns: RUNS},
		);
	});

	test('refuse a number that is not a finite decimal, a boolean that is not true or false, and a name not declared', () => {
		const notADecimal = fc.oneof(
			numberRaw.filter((raw) => !Number.isFinite(Number(raw))),
			fc.string({maxLength: 8}).filter((raw) => !/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(raw)),
		);
		fc.assert(
			fc.property(
				knobName,
				notADecimal,
				fc.string({maxLength: 8}).filter((raw) => raw !== 'true' && raw !== 'false'),
				stringRaw,
				(name, number, boolean, text) => {
					const declared = declaredParameters(`const ${name} = 1;\nconst ${name}_ON = true;`);
					expect(() => injectedParametersSource(declared, [`${name}=${number}`])).toThrow(ParameterError);
					expect(() => injectedParametersSource(declared, [`${name}_ON=${boolean}`])).toThrow(ParameterError);
					expect(() => injectedParametersSource(declared, [`${name}_OTHER=${text}`])).toThrow(/declares no such name/);
				},
			),
			{seed: SEED, numRuns: RUNS},
		);
	});
});
