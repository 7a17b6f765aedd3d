import {LiveUnavailableError} from '../errors';
import {Socket} from '../client/socket';

/** The chapter's real server. */
export const LIVE_HOST = 'data.pr4e.org';
export const LIVE_PORT = 80;

/**
 * Checks that the real data.pr4e.org answers a TCP connection, so that live mode fails at once with
 * a message naming the built-in replica, instead of part way through the lesson.
 */
export async function checkLiveHost(options: {host?: string; port?: number; timeoutMs?: number} = {}): Promise<void> {
	const host = options.host ?? LIVE_HOST;
	const port = options.port ?? LIVE_PORT;
	try {
		const socket = await Socket.connect(host, port, {timeoutMs: options.timeoutMs ?? 5000});
		await socket.close();
	} catch (error) {
		throw new LiveUnavailableError(host, port, error);
	}
}
