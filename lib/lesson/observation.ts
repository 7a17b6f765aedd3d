/**
 * What a learner's function did in one call, in a form that can travel from the learner's kernel to the
 * grader's judge as JSON, and be checked there as input that may have been forged.
 */

/** What came back (a Buffer, or plain data), or why nothing did (a throw, a timeout, no function). */
export type Observation = {readonly kind: 'value'; readonly value: unknown} | {readonly kind: 'problem'; readonly problem: string};

/** An Observation as JSON: bytes as base64, anything else as itself. */
export type EncodedObservation = {bytes: string} | {json: unknown} | {problem: string};

/** The longest problem text kept: a thrown message is the learner's, and may be huge. */
const MAX_PROBLEM_CHARS = 2000;

export function encodeObservation(observation: Observation): EncodedObservation {
	if (observation.kind === 'problem') return {problem: observation.problem.slice(0, MAX_PROBLEM_CHARS)};
	const {value} = observation;
	if (value instanceof Uint8Array) return {bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')};
	try {
		// Through JSON and back, so that what is judged here is what a judge elsewhere would see.
		const text = JSON.stringify(value);
		return {json: text === undefined ? null : (JSON.parse(text) as unknown)};
	} catch (error) {
		return {problem: `returned something that is not plain data (${(error as Error).message.slice(0, 200)})`};
	}
}

/** Reads an encoded observation; anything malformed is a problem, never a throw. */
export function decodeObservation(encoded: unknown): Observation {
	const candidate = (typeof encoded === 'object' && encoded !== null ? encoded : {}) as Record<string, unknown>;
	if (typeof candidate['bytes'] === 'string') return {kind: 'value', value: Buffer.from(candidate['bytes'], 'base64')};
	if ('json' in candidate) return {kind: 'value', value: candidate['json']};
	if (typeof candidate['problem'] === 'string') return {kind: 'problem', problem: candidate['problem'].slice(0, MAX_PROBLEM_CHARS)};
	return {kind: 'problem', problem: 'no word of this call reached the grader'};
}
