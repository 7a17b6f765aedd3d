/**
 * The lesson kit's library: a Python-like socket, the chapter's retrieval loop, and header splitting.
 * This is the package entry, compiled to CommonJS in dist/ so that notebooks and scripts load the same code.
 */
export {EMPTY_RECVS_BEFORE_ERROR, Socket, type SocketOptions} from './socket';
export {interruptCalls} from './interrupts';
export {kernelQueues, type KernelQueues} from './kernel-queues';
export {retrieve, type Chunk, type RetrieveOptions, type Retrieved} from './retrieve';
export {splitResponse, type SplitResponse, type StatusLine} from './split-response';
export {HeaderFields, type HeaderField} from './header-fields';
export * from './errors';
export {startReplica, type Replica, type ReplicaOptions} from './replica';
export {
	LINK_NAMES,
	linkModel,
	realisticLink,
	BOOK_RUN_1_SIZES,
	BOOK_RUN_2_SIZES,
	RUN_1_DATE,
	RUN_2_DATE,
	type LinkModel,
	type LinkName,
	type LinkOption,
	type PacingStep,
	type RealisticLinkOptions,
} from './link-profiles';
export type {ConnectionLog, ConnectionOutcome, WaitingBytes, WriteRecord} from './connection-log';
export {checkLiveHost, LIVE_HOST, LIVE_PORT} from './live';
export {lessonServer, type LessonServer, type LessonServerOptions} from './lesson-server';
export {renderChart, type ChartSpec} from './render-chart';
export {recvSizeChart, type ChartRun} from './recv-size-chart';
export {flowControlChart} from './flow-control-chart';
