// WIRE bodies for the push receivers (not the domain pushes of libs/testing): `eventTime` is epoch
// SECONDS as a digit string, CDR times are epoch milliseconds (contract §1).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestService } from './test-service.js';

export type WireBody = Record<string, unknown>;

export const SAMPLES = resolve(process.cwd(), '../shared/spec/samples');
export const sample = (name: string): WireBody => JSON.parse(readFileSync(resolve(SAMPLES, name), 'utf8')) as WireBody;

export const uniqueCallId = (): string => `e2e-${randomUUID()}`;
export const uniqueAccountId = (): string => `acc-${randomUUID()}`;

/** Epoch seconds of the default call's begin (a whole second). */
export const T0_SECONDS = 1_700_000_000;

export interface WireCallOptions {
  callId?: string;
  accountId?: string;
  /** epoch seconds of the call's begin */
  at?: number;
}

/** A status push, wire format; `eventTime` in epoch seconds (number), sent as a digit string. */
export function statusWire(
  o: WireCallOptions & { eventType: number; eventTime: number; party?: number } & Record<string, unknown>,
): WireBody {
  const { eventTime, at: _at, party, ...rest } = o;
  return {
    accountId: '10001',
    callId: o.callId ?? uniqueCallId(),
    serviceType: 100,
    caller: '13100001111',
    callee: '13100002222',
    allEventType: [1, 2, 3, 4],
    messageType: 1,
    subscriptionId: 'sub-e2e',
    userData: '{"sessionId":"e2e"}',
    ...rest,
    ...(party === undefined ? {} : { party }),
    eventTime: String(eventTime),
  };
}

/** A call record (cdrType 1), wire format: epoch-ms times, no privacy fields (serviceType 100). */
export function cdrWire(o: WireCallOptions & Record<string, unknown> = {}): WireBody {
  const at = o.at ?? T0_SECONDS;
  const { at: _at, ...rest } = o;
  return {
    accountId: '10001',
    callId: o.callId ?? uniqueCallId(),
    serviceType: 100,
    subServiceType: 101,
    caller: '13100001111',
    callee: '13100002222',
    beginCallTime: at * 1000,
    ringTime: (at + 2) * 1000,
    startTime: (at + 5) * 1000,
    endTime: (at + 25) * 1000,
    releaseType: 1,
    callDuration: 20,
    callResult: 1,
    cdrCreateTime: (at + 26) * 1000,
    subscriptionId: 'sub-e2e',
    messageType: 2,
    cdrType: 1,
    userData: '{"orderId":"e2e"}',
    ...rest,
  };
}

/** eventType → seconds after the call's begin, consistent with cdrWire's times. */
export const ANSWERED_CALL_OFFSETS: Readonly<Record<number, number>> = { 1: 0, 2: 2, 3: 5, 4: 25 };

/** An answered call: statuses 1,2,3,4 (no party) and its CDR, all consistent with each other. */
export function anAnsweredWireCall(o: WireCallOptions = {}): { callId: string; statuses: WireBody[]; cdr: WireBody } {
  const callId = o.callId ?? uniqueCallId();
  const accountId = o.accountId ?? '10001';
  const at = o.at ?? T0_SECONDS;
  const statuses = [1, 2, 3, 4].map((eventType) =>
    statusWire({ callId, accountId, eventType, eventTime: at + ANSWERED_CALL_OFFSETS[eventType]! }),
  );
  return { callId, statuses, cdr: cdrWire({ callId, accountId, at }) };
}

/** Posts a push and fails loudly unless it was accepted. */
export async function push(service: TestService, kind: 'status' | 'cdr', body: WireBody): Promise<{ duplicate: boolean }> {
  const answer = await service.post(`/v1/push/${kind}`, body);
  if (answer.status !== 200 || answer.body?.accepted !== true) {
    throw new Error(`push ${kind} ${String(body.callId)} not accepted: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return { duplicate: answer.body.duplicate as boolean };
}

/** GET /v1/calls/{callId}, expecting 200. */
export async function getCall(service: TestService, callId: string): Promise<any> {
  const answer = await service.get(`/v1/calls/${encodeURIComponent(callId)}`);
  if (answer.status !== 200) throw new Error(`GET call ${callId}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** GET /v1/calls/{callId}/history, expecting 200. */
export async function getHistory(service: TestService, callId: string): Promise<any[]> {
  const answer = await service.get(`/v1/calls/${encodeURIComponent(callId)}/history`);
  if (answer.status !== 200) throw new Error(`GET history ${callId}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as any[];
}

export { pollUntil, sleep as pause } from './poll.js';

