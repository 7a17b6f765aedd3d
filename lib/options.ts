/**
 * The checks of the library's options and arguments, in one place, so that every mistake reads the same:
 * the option's name, what it must be (with its unit) and what was given. A value of the wrong type is a
 * TypeError and one out of range a RangeError, as in Node itself. Callers check before they open anything,
 * so that a bad option never leaves a socket or a server behind.
 */
import {MAX_TIMER_MS} from './timer-limit';

/** What a whole-number option must be: its unit (plural, or '' for a bare number) and its bounds. */
export interface WholeNumberRange {
	readonly unit: string;
	readonly minimum: number;
	/** Default: Number.MAX_SAFE_INTEGER, past which a count would lose its last digits. */
	readonly maximum?: number;
}

/** A whole number within `range`, e.g. `maxConnections must be a whole number of connections from 1 to ...`. */
export function wholeNumber(name: string, value: unknown, range: WholeNumberRange): number {
	const {unit, minimum, maximum = Number.MAX_SAFE_INTEGER} = range;
	const what = `a whole number${unit === '' ? '' : ` of ${unit}`} from ${minimum} to ${maximum}`;
	if (typeof value !== 'number') throw new TypeError(`${name} must be ${what}, got ${given(value)}`);
	if (!Number.isSafeInteger(value) || value < minimum || value > maximum) throw new RangeError(`${name} must be ${what}, got ${value}`);
	return value;
}

/** A count of bytes, at least `minimum` (default 1: a recv of 0 bytes could not be told from the end of the stream). */
export function byteCount(name: string, value: unknown, minimum = 1): number {
	return wholeNumber(name, value, {unit: 'bytes', minimum});
}

/** A TCP port; `minimum` 0 lets a server ask for any free one. */
export function portNumber(name: string, value: unknown, minimum = 1): number {
	return wholeNumber(name, value, {unit: '', minimum, maximum: 65535});
}

/**
 * A time in milliseconds that a Node timer will wait: a longer one than MAX_TIMER_MS fires after 1 ms, so
 * it is refused (ky does the same). `from` says whether 0 is allowed (a delay of none) or not (a time limit).
 */
export function milliseconds(name: string, value: unknown, from: 'zero' | 'above zero'): number {
	const what = `a number of milliseconds ${from === 'zero' ? 'from 0' : 'above 0'} to ${MAX_TIMER_MS} (the longest a timer can wait)`;
	if (typeof value !== 'number') throw new TypeError(`${name} must be ${what}, got ${given(value)}`);
	const low = from === 'zero' ? value >= 0 : value > 0;
	if (!low || !(value <= MAX_TIMER_MS)) throw new RangeError(`${name} must be ${what}, got ${value}`);
	return value;
}

/** A finite number above 0, in `unit` (a rate, say). */
export function positiveNumber(name: string, value: unknown, unit: string): number {
	const what = `a number of ${unit} above 0`;
	if (typeof value !== 'number') throw new TypeError(`${name} must be ${what}, got ${given(value)}`);
	if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be ${what}, got ${value}`);
	return value;
}

/** Bytes to send: a string (sent as UTF-8) or a Uint8Array (a Buffer is one). */
export function bytesToSend(name: string, value: unknown): string | Uint8Array {
	if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw new TypeError(`${name} must be a string or bytes (Uint8Array), got ${given(value)}`);
	return value;
}

/** A value as a message shows it: its type too, so that `"5120"` (a string) is not read as the number. */
function given(value: unknown): string {
	if (typeof value === 'string') return `${JSON.stringify(value)} (a string)`;
	if (value === null || value === undefined) return String(value);
	if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
	if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
	return `${String(value)} (a ${typeof value})`;
}
