/** One header line of a response, as it was sent. */
export interface HeaderField {
	readonly name: string;
	readonly value: string;
}

/**
 * The header fields of a response, in the order they were sent. Names match case-insensitively
 * (RFC 9110 section 5.1) and a field sent twice is kept twice.
 */
export class HeaderFields implements Iterable<HeaderField> {
	readonly #fields: readonly HeaderField[];

	constructor(fields: readonly HeaderField[]) {
		this.#fields = fields;
	}

	/** How many field lines there are. */
	get size(): number {
		return this.#fields.length;
	}

	/** The first value of the field called `name`, or `undefined` if there is none. */
	get(name: string): string | undefined {
		const wanted = name.toLowerCase();
		return this.#fields.find((field) => field.name.toLowerCase() === wanted)?.value;
	}

	/** Every value of the field called `name`, in order (empty if there is none). */
	getAll(name: string): string[] {
		const wanted = name.toLowerCase();
		return this.#fields.filter((field) => field.name.toLowerCase() === wanted).map((field) => field.value);
	}

	has(name: string): boolean {
		return this.get(name) !== undefined;
	}

	[Symbol.iterator](): Iterator<HeaderField> {
		return this.#fields[Symbol.iterator]();
	}

	/** The fields as plain `{name, value}` objects, for printing or JSON. */
	toJSON(): HeaderField[] {
		return [...this.#fields];
	}
}
