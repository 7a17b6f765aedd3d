/**
 * The lesson kit's library: a Python-like socket, the chapter's retrieval loop, and header splitting.
 * This is the package entry, compiled to CommonJS in dist/ so that notebooks and scripts load the same code.
 */
export {EMPTY_RECVS_BEFORE_ERROR, Socket, type SocketOptions} from './client/socket';
export {interruptCalls} from './client/interrupts';
export {socketQueues, type SocketQueues} from './client/socket-queues';
export {tcpInfo, type LimitedTime, type TcpInfo, type TcpInfoOptions} from './client/tcp-info';
export {tcpBufferSettings, type BufferLimits, type TcpBufferSettings} from './client/tcp-settings';
export {retrieve, type Chunk, type RetrieveOptions, type Retrieved} from './client/retrieve';
export {splitResponse, type SplitResponse, type StatusLine} from './client/split-response';
export {HeaderFields, type HeaderField} from './client/header-fields';
export * from './errors';
export {startReplica, type Replica, type ReplicaOptions} from './replica/replica';
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
} from './replica/link-profiles';
export type {ConnectionLog, ConnectionOutcome, WaitingBytes, WriteRecord} from './replica/connection-log';
export {checkLiveHost, LIVE_HOST, LIVE_PORT} from './lesson/live';
export {lessonServer, type LessonServer, type LessonServerOptions} from './lesson/lesson-server';
// The exercises notebook's checks, so that it imports from '..' as the other notebooks do.
export {check1, check2, check3, check4, check5} from './lesson/exercises';
export {renderChart, type ChartSpec} from './charts/render-chart';
export {recvSizeChart, type ChartRun} from './charts/recv-size-chart';
export {flowControlChart} from './charts/flow-control-chart';
export {wireTimeline, type WireLink, type WireReads, type WireRecv, type WireSegment, type WireSends, type WireTimeline} from './charts/wire-timeline';
export {wireTimelineChart, type WireRun, type WireTimelineChartOptions} from './charts/wire-timeline-chart';
