/**
 * The longest delay Node's timers can hold, in milliseconds (2^31 - 1). A longer one does not wait at all:
 * it fires after 1 ms, so every time limit and sleep the kit accepts is checked against this.
 */
export const MAX_TIMER_MS = 2_147_483_647;
