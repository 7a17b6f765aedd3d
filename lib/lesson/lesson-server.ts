import type {LinkOption} from '../replica/link-profiles';
import {checkLiveHost, LIVE_HOST, LIVE_PORT} from './live';
import {type Replica, startReplica} from '../replica/replica';

/** Options for `lessonServer`. */
export interface LessonServerOptions {
	/** true: the real data.pr4e.org, port 80 (needs the internet). Default: false, the built-in replica. */
	live?: boolean;
	/** How the replica paces its bytes (see `startReplica`); ignored in live mode. Default: `'book-run-1'`. */
	link?: LinkOption;
}

/** The server a notebook talks to: where it is, and how to stop it. */
export interface LessonServer {
	/** `'data.pr4e.org'` live, else the replica's address (`'127.0.0.1'`). */
	readonly host: string;
	/** 80 live, else the replica's port. */
	readonly port: number;
	readonly live: boolean;
	/** The replica, with its connection logs; undefined in live mode. */
	readonly replica: Replica | undefined;
	/** One line for a notebook to print: which server this is. */
	readonly description: string;
	/** Stops the replica (nothing to do in live mode). */
	close(): Promise<void>;
}

/**
 * How long a notebook's replica waits for a request after a connect: ten minutes. The notebooks connect in
 * one cell and send in the next, and a learner reads the text between them; a class on one small machine
 * can also take many seconds per cell. With the replica's usual 10 s they would get "408 Request Timeout"
 * (as from the real Apache, whose mod_reqtimeout allows 20 to 40 s) instead of the chapter's picture.
 */
export const LESSON_HEAD_TIMEOUT_MS = 600_000;

/**
 * The server of a lesson notebook in one call: the built-in replica of data.pr4e.org on a free loopback
 * port, or, with `live`, the real one, checked first so that an offline machine fails here with a
 * message that names the replica, not half way through the lesson.
 */
export async function lessonServer(options: LessonServerOptions = {}): Promise<LessonServer> {
	if (options.live) {
		await checkLiveHost();
		return {
			host: LIVE_HOST,
			port: LIVE_PORT,
			live: true,
			replica: undefined,
			description: `Using the real ${LIVE_HOST}, port ${LIVE_PORT}`,
			close: () => Promise.resolve(),
		};
	}
	const replica = await startReplica({link: options.link ?? 'book-run-1', headTimeoutMs: LESSON_HEAD_TIMEOUT_MS});
	return {
		host: replica.host,
		port: replica.port,
		live: false,
		replica,
		description: `Using the built-in replica of data.pr4e.org on ${replica.host} (link profile ${replica.link.name})`,
		close: () => replica.close(),
	};
}
