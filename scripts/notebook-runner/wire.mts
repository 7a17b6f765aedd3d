/**
 * The Jupyter messaging protocol's wire format (jupyter-client docs, "The Wire Protocol"):
 * [routing ids..., "<IDS|MSG>", HMAC signature, header, parent_header, metadata, content, buffers...].
 */
import {createHmac, randomUUID, timingSafeEqual} from 'node:crypto';

export interface MessageHeader {
	msg_id: string;
	msg_type: string;
	session: string;
	username: string;
	date: string;
	version: string;
}

export interface JupyterMessage<Content = Record<string, unknown>> {
	header: MessageHeader;
	parent_header: Partial<MessageHeader>;
	metadata: Record<string, unknown>;
	content: Content;
}

const DELIMITER = '<IDS|MSG>';

/** Signs and checks messages with the connection file's key (HMAC-SHA256, the only scheme tslab speaks). */
export class MessageCodec {
	readonly session = randomUUID();
	readonly #key: string;

	constructor(key: string) {
		this.#key = key;
	}

	/** A new message of `msgType` with `content`, ready for `encode`. */
	create<Content>(msgType: string, content: Content): JupyterMessage<Content> {
		return {
			header: {
				msg_id: randomUUID(),
				msg_type: msgType,
				session: this.session,
				username: 'lesson-runner',
				date: new Date().toISOString(),
				version: '5.3',
			},
			parent_header: {},
			metadata: {},
			content,
		};
	}

	encode(message: JupyterMessage<unknown>): Buffer[] {
		const parts = [message.header, message.parent_header, message.metadata, message.content].map((part) => Buffer.from(JSON.stringify(part)));
		return [Buffer.from(DELIMITER), Buffer.from(this.#sign(parts)), ...parts];
	}

	/** Decodes received frames; a message with a bad signature is dropped (undefined), as the kernel would. */
	decode(frames: Buffer[]): JupyterMessage | undefined {
		const start = frames.findIndex((frame) => frame.toString() === DELIMITER);
		if (start < 0 || frames.length < start + 6) return undefined;
		const signature = frames[start + 1]!;
		const parts = frames.slice(start + 2, start + 6);
		const expected = Buffer.from(this.#sign(parts));
		if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return undefined;
		const [header, parent, metadata, content] = parts.map((part) => JSON.parse(part.toString()) as unknown);
		return {
			header: header as MessageHeader,
			parent_header: parent as Partial<MessageHeader>,
			metadata: metadata as Record<string, unknown>,
			content: content as Record<string, unknown>,
		};
	}

	#sign(parts: Buffer[]): string {
		const hmac = createHmac('sha256', this.#key);
		for (const part of parts) hmac.update(part);
		return hmac.digest('hex');
	}
}
