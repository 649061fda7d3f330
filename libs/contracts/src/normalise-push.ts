// From a validated push body to the domain's push (libs/call-session-domain push.ts): times in
// epoch ms, absent optional fields as null, and data-quality notes (contract §1):
// - TIME_UNIT_CORRECTED: eventTime is epoch seconds, but a value ≥ 1e12 (13 digits) is plainly ms;
//   CDR times are epoch ms, but a value in [1e9, 1e11) (10–11 digits) is plainly seconds. The value
//   is normalised and noted {field, actual: as sent, expected: the normalised epoch ms}.
//   A CDR time of 0 means "did not happen" and stays 0.
// - UNKNOWN_ENUM_VALUE: a code outside enumerations.ts, kept as sent, noted {field, actual}; each
//   distinct unknown code inside allEventType too (field 'allEventType', actual: the code).
// The input must have passed validation (validate-push.ts): nothing is re-checked here.
import type { CdrPush, PushNote, StatusPush, UpstreamFields } from '../../call-session-domain/src/domain/push.js';
import type { CdrPushRequestDto } from './cdr-push.request.dto.js';
import {
  audioRecordFlag,
  callDisplayType,
  callResultTableFor,
  cdrType as cdrTypes,
  eventType as eventTypes,
  isKnown,
  messageType,
  party as parties,
  releaseType,
  secretCallType,
  serviceType as serviceTypes,
  subServiceType,
  type EnumTable,
} from './enumerations.js';
import type { StatusPushRequestDto } from './status-push.request.dto.js';

/** An eventTime at or above this is read as epoch ms (13 digits), not seconds. */
export const EVENT_TIME_MS_THRESHOLD = 1e12;
/** A CDR time in [CDR_TIME_SECONDS_MIN, CDR_TIME_SECONDS_MAX) is read as epoch seconds. */
export const CDR_TIME_SECONDS_MIN = 1e9;
export const CDR_TIME_SECONDS_MAX = 1e11;
/** cdrType when the CDR does not send one: a call record. */
export const DEFAULT_CDR_TYPE = 1;

/** The body shapes normalisation accepts: a validated JSON body (unknown extra fields ignored). */
export type StatusPushBody = Pick<StatusPushRequestDto, keyof StatusPushRequestDto>;
export type CdrPushBody = Pick<CdrPushRequestDto, keyof CdrPushRequestDto>;

const orNull = <T>(v: T | null | undefined): T | null => (v === undefined ? null : v);

/** enumerations.md, "Fields seen upstream that the spec's examples omit (accept and keep them)". */
export const UPSTREAM_FIELDS = Object.freeze([
  'outId',
  'phoneNoE',
  'callerShowNumber',
  'calleeShowNumber',
  'verifyVoiceCode',
  'verifyAnwser',
  'verifyCorrectAnwser',
  'verifyResult',
  'phoneNoXCountryIsoCode',
  'phoneNoXProvinceCode',
  'phoneNoXCityCode',
] as const);

/**
 * The upstream fields the body sent (null counts as absent, as for the spec's optional fields), as
 * sent: unvalidated, so a sender's odd value is kept rather than refused. Other unknown fields stay
 * out: a field nobody documented may change with every retry (a send time, a try count), and would
 * make each retry a revision.
 */
function upstreamOf(body: object): UpstreamFields | null {
  let sent: Record<string, unknown> | null = null;
  for (const field of UPSTREAM_FIELDS) {
    const value = (body as Record<string, unknown>)[field];
    if (value !== undefined && value !== null) (sent ??= {})[field] = value;
  }
  return sent;
}

function noteUnknown(notes: PushNote[], table: EnumTable, field: string, code: number | null | undefined): void {
  if (code !== null && code !== undefined && !isKnown(table, code)) {
    notes.push({ code: 'UNKNOWN_ENUM_VALUE', field, actual: code });
  }
}

/** eventTime (epoch seconds on the wire; digits or integer) → epoch ms. */
export function normaliseEventTime(sent: string | number, notes: PushNote[]): number {
  const n = typeof sent === 'number' ? sent : Number(sent);
  if (n >= EVENT_TIME_MS_THRESHOLD) {
    notes.push({ code: 'TIME_UNIT_CORRECTED', field: 'eventTime', actual: sent, expected: n });
    return n;
  }
  return n * 1000;
}

/** A CDR time (epoch ms on the wire) → epoch ms; 0 stays 0. */
export function normaliseCdrTime(field: string, sent: number, notes: PushNote[]): number {
  if (sent >= CDR_TIME_SECONDS_MIN && sent < CDR_TIME_SECONDS_MAX) {
    const ms = sent * 1000;
    notes.push({ code: 'TIME_UNIT_CORRECTED', field, actual: sent, expected: ms });
    return ms;
  }
  return sent;
}

export function normaliseStatusPush(body: StatusPushBody): StatusPush {
  const notes: PushNote[] = [];
  const eventTime = normaliseEventTime(body.eventTime, notes);
  noteUnknown(notes, eventTypes, 'eventType', body.eventType);
  noteUnknown(notes, serviceTypes, 'serviceType', body.serviceType);
  noteUnknown(notes, parties, 'party', body.party);
  noteUnknown(notes, messageType, 'messageType', body.messageType);
  // allEventType holds eventType codes; a code repeated in it is one thing the sender said, noted once
  for (const code of new Set(body.allEventType ?? [])) noteUnknown(notes, eventTypes, 'allEventType', code);
  return {
    accountId: body.accountId,
    callId: body.callId,
    eventType: body.eventType,
    eventTime,
    party: orNull(body.party),
    serviceType: orNull(body.serviceType),
    caller: orNull(body.caller),
    callee: orNull(body.callee),
    allEventType: body.allEventType == null ? null : body.allEventType.slice(),
    phoneNoX: orNull(body.phoneNoX),
    phoneNoA: orNull(body.phoneNoA),
    phoneNoB: orNull(body.phoneNoB),
    subscriptionId: orNull(body.subscriptionId),
    userData: orNull(body.userData),
    messageType: orNull(body.messageType),
    upstream: upstreamOf(body),
    notes,
  };
}

export function normaliseCdrPush(body: CdrPushBody): CdrPush {
  const notes: PushNote[] = [];
  const type = body.cdrType ?? DEFAULT_CDR_TYPE;
  const beginCallTime = normaliseCdrTime('beginCallTime', body.beginCallTime, notes);
  const ringTime = normaliseCdrTime('ringTime', body.ringTime ?? 0, notes);
  const startTime = normaliseCdrTime('startTime', body.startTime ?? 0, notes);
  const endTime = normaliseCdrTime('endTime', body.endTime, notes);
  const cdrCreateTime = body.cdrCreateTime == null ? null : normaliseCdrTime('cdrCreateTime', body.cdrCreateTime, notes);
  noteUnknown(notes, serviceTypes, 'serviceType', body.serviceType);
  noteUnknown(notes, subServiceType, 'subServiceType', body.subServiceType);
  noteUnknown(notes, cdrTypes, 'cdrType', body.cdrType);
  noteUnknown(notes, callResultTableFor(type), 'callResult', body.callResult);
  noteUnknown(notes, releaseType, 'releaseType', body.releaseType);
  noteUnknown(notes, secretCallType, 'secretCallType', body.secretCallType);
  noteUnknown(notes, callDisplayType, 'callDisplayType', body.callDisplayType);
  noteUnknown(notes, audioRecordFlag, 'audioRecordFlag', body.audioRecordFlag);
  noteUnknown(notes, messageType, 'messageType', body.messageType);
  return {
    accountId: body.accountId,
    callId: body.callId,
    serviceType: body.serviceType,
    cdrType: type,
    subServiceType: orNull(body.subServiceType),
    caller: orNull(body.caller),
    callee: orNull(body.callee),
    beginCallTime,
    ringTime,
    startTime,
    endTime,
    callDuration: body.callDuration,
    callResult: orNull(body.callResult),
    releaseType: orNull(body.releaseType),
    cdrCreateTime,
    subscriptionId: orNull(body.subscriptionId),
    phoneNoX: orNull(body.phoneNoX),
    phoneNoA: orNull(body.phoneNoA),
    phoneNoB: orNull(body.phoneNoB),
    secretCallType: orNull(body.secretCallType),
    callDisplayType: orNull(body.callDisplayType),
    audioRecordFlag: orNull(body.audioRecordFlag),
    userData: orNull(body.userData),
    numberPoolNo: orNull(body.numberPoolNo),
    callerCountryIsoCode: orNull(body.callerCountryIsoCode),
    callerProvinceCode: orNull(body.callerProvinceCode),
    callerCityCode: orNull(body.callerCityCode),
    calleeCountryIsoCode: orNull(body.calleeCountryIsoCode),
    calleeProvinceCode: orNull(body.calleeProvinceCode),
    calleeCityCode: orNull(body.calleeCityCode),
    messageType: orNull(body.messageType),
    upstream: upstreamOf(body),
    notes,
  };
}
