/**
 * The grader's judge: the only side of grading whose word counts. It runs outside the submission's sandbox
 * (another process, another user, sharing only the sandbox's loopback) and serves the check cells:
 *   POST /call {exercise, index}         starts a replica for that call, serving a file made for it; {url}
 *   POST /observation {exercise, index, observation}   what the learner's function returned (kept once)
 *   POST /verdict {exercise}             judges the exercise from its replicas' records; the result
 * Whatever the kernel sends is the submission's word and may be forged; the verdict rests on what the
 * judge's own replicas sent and saw, which the submission could only match by reading them.
 */
import * as http from 'node:http';
import type {AddressInfo} from 'node:net';
import {startReplica, type Replica} from '../replica/replica';
import type {Resource} from '../replica/resources';
import {type ExerciseResult, type JudgedCall, judgeExercise} from './exercise-findings';
import {EXERCISE_PLANS, EXERCISES, type ExerciseNumber} from './exercise-plans';
import {resourceResponse} from '../replica/response-head';
import {unpredictableTable} from './judge-resources';
import {decodeObservation, type Observation} from './observation';

export interface JudgeOptions {
	/** Called once per exercise, with its final verdict. */
	onVerdict: (result: ExerciseResult) => void;
}

export interface Judge {
	readonly port: number;
	close(): Promise<void>;
}

/** The largest request accepted: a picture's bytes as base64 are about 100 KB. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

interface CallRecord {
	readonly url: string;
	readonly replica: Replica | undefined;
	/** The file made for this call. */
	readonly resource: Resource | undefined;
	observation?: Observation;
}

class BadRequest extends Error {}

export async function startJudge(options: JudgeOptions): Promise<Judge> {
	const calls = new Map<string, CallRecord>();
	const verdicts = new Map<ExerciseNumber, Promise<ExerciseResult>>();

	async function call(exercise: ExerciseNumber, index: number): Promise<{url: string}> {
		const key = `${exercise}:${index}`;
		const known = calls.get(key);
		if (known) return {url: known.url};
		const planned = EXERCISE_PLANS[exercise].calls[index];
		if (!planned) throw new BadRequest(`exercise ${exercise} has no call ${index}`);
		if (planned.kind === 'unusable') {
			calls.set(key, {url: planned.url, replica: undefined, resource: undefined});
			return {url: planned.url};
		}
		const resources = unpredictableTable(planned.path)!;
		const replica = await startReplica({link: planned.link, resources});
		const record: CallRecord = {url: `${replica.url}${planned.path}`, replica, resource: resources.get(planned.path)!};
		calls.set(key, record);
		return {url: record.url};
	}

	async function judge(exercise: ExerciseNumber): Promise<ExerciseResult> {
		const judged: JudgedCall[] = [];
		for (const [index, planned] of EXERCISE_PLANS[exercise].calls.entries()) {
			const record = calls.get(`${exercise}:${index}`);
			const observation: Observation = record?.observation ?? {kind: 'problem', problem: 'the check never made this call'};
			const replica = record?.replica;
			const resource = record?.resource;
			if (!record || !replica || !resource || planned.kind === 'unusable') {
				judged.push({call: planned, url: record?.url ?? '', observation, served: undefined});
				continue;
			}
			const requestLines = replica.connections.map((connection) => connection.requestLine);
			judged.push({call: planned, url: record.url, observation, served: {response: resourceResponse(resource, replica.link.date), body: resource.body, requestLines}});
			await replica.close();
		}
		const result = judgeExercise(exercise, judged);
		options.onVerdict(result);
		return result;
	}

	async function answer(endpoint: string, body: Record<string, unknown>): Promise<unknown> {
		const exercise = body['exercise'];
		if (!EXERCISES.includes(exercise as ExerciseNumber)) throw new BadRequest('no such exercise');
		const number = exercise as ExerciseNumber;
		if (endpoint === '/verdict') {
			// The first verdict is final: asking again cannot change it.
			if (!verdicts.has(number)) verdicts.set(number, judge(number));
			return verdicts.get(number);
		}
		const index = body['index'];
		if (typeof index !== 'number' || !Number.isInteger(index)) throw new BadRequest('index must be a whole number');
		if (endpoint === '/call') return call(number, index);
		if (endpoint === '/observation') {
			const record = calls.get(`${number}:${index}`);
			if (!record) throw new BadRequest('no such call yet');
			record.observation ??= decodeObservation(body['observation']);
			return {};
		}
		throw new BadRequest(`no endpoint ${endpoint}`);
	}

	const server = http.createServer((request, response) => {
		const reply = (status: number, value: unknown): void => {
			response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(value));
		};
		if (request.method !== 'POST') return reply(405, {error: 'POST only'});
		const pieces: Buffer[] = [];
		let size = 0;
		request.on('data', (piece: Buffer) => {
			size += piece.length;
			if (size > MAX_REQUEST_BYTES) {
				reply(413, {error: 'too large'});
				request.destroy();
			} else pieces.push(piece);
		});
		request.on('end', () => {
			let body: unknown;
			try {
				body = JSON.parse(Buffer.concat(pieces).toString('utf8'));
			} catch {
				return reply(400, {error: 'not JSON'});
			}
			if (typeof body !== 'object' || body === null) return reply(400, {error: 'not an object'});
			answer(request.url ?? '', body as Record<string, unknown>).then(
				(value) => reply(200, value),
				(error: unknown) => reply(error instanceof BadRequest ? 400 : 500, {error: (error as Error).message}),
			);
		});
	});
	await new Promise<void>((resolve) => server.listen({host: '127.0.0.1', port: 0}, resolve));
	return {
		port: (server.address() as AddressInfo).port,
		async close() {
			await Promise.all([...calls.values()].map((record) => record.replica?.close()));
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
