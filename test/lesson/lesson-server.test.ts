import {setTimeout as sleep} from 'node:timers/promises';
import {expect, onTestFinished, test} from 'vitest';
import {lessonServer, Socket, splitResponse} from '../../lib/index';
import {CHAPTER_REQUEST} from '../helpers/chapter';

test("waits past the replica's usual 10 s for the request: a learner reads between the connect cell and the send cell", async () => {
	const server = await lessonServer();
	onTestFinished(() => server.close());
	const socket = await Socket.connect(server.host, server.port);
	onTestFinished(() => socket.close());
	// Longer than startReplica's default head timeout (10 s), after which it would answer 408.
	await sleep(10_500);
	await socket.sendall(CHAPTER_REQUEST);
	const pieces: Buffer[] = [];
	for (let data = await socket.recv(5120); data.length > 0; data = await socket.recv(5120)) pieces.push(data);
	const response = splitResponse(Buffer.concat(pieces));
	expect(response.status.statusCode).toBe(200);
	expect(response.headerLength).toBe(240);
	expect(response.body.length).toBe(70057);
}, 30_000);
