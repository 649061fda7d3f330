// The domain's view of a push, after ingestion validated and normalised it.
// Times are epoch milliseconds everywhere in the domain (the wire sends seconds for eventTime).

/** A data-quality observation made while normalising a push (contract §2, severity info). */
export interface PushNote {
  code: 'TIME_UNIT_CORRECTED' | 'UNKNOWN_ENUM_VALUE';
  field: string;
  /** what was sent */
  actual: unknown;
  /** what it was normalised to, for TIME_UNIT_CORRECTED */
  expected?: unknown;
}

export interface StatusPush {
  accountId: string;
  callId: string;
  eventType: number;
  /** epoch ms (wire: epoch seconds as a string of digits) */
  eventTime: number;
  /** 1 calling side (A), 2 called side (B); null when not sent */
  party: number | null;
  serviceType: number | null;
  caller: string | null;
  callee: string | null;
  allEventType: number[] | null;
  phoneNoX: string | null;
  phoneNoA: string | null;
  phoneNoB: string | null;
  subscriptionId: string | null;
  userData: string | null;
  notes: PushNote[];
  // Read by nothing here, kept because it is part of what the status says: a retry changing only it
  // is a conflicting duplicate. Optional: a status stored before it was kept has none.
  messageType?: number | null;
  upstream?: UpstreamFields | null;
}

/**
 * The fields seen upstream that the spec's examples omit (enumerations.md: outId, phoneNoE, the show
 * numbers, verify*, phoneNoX*Code), those sent, as sent; null when none was. Nothing here reads them;
 * they are part of what the push says, so a CDR changing only them is a revision, stored, and a status
 * a conflicting duplicate. Optional: a push stored before they were kept has none.
 */
export type UpstreamFields = Readonly<Record<string, unknown>>;

export interface CdrPush {
  accountId: string;
  callId: string;
  serviceType: number;
  /** 1 call, 2 SMS; 1 when not sent */
  cdrType: number;
  subServiceType: number | null;
  caller: string | null;
  callee: string | null;
  /** epoch ms; 0 = did not happen */
  beginCallTime: number;
  ringTime: number;
  startTime: number;
  endTime: number;
  /** seconds */
  callDuration: number;
  callResult: number | null;
  releaseType: number | null;
  cdrCreateTime: number | null;
  subscriptionId: string | null;
  phoneNoX: string | null;
  phoneNoA: string | null;
  phoneNoB: string | null;
  secretCallType: number | null;
  userData: string | null;
  notes: PushNote[];
  /** AXB only (enumerations.md); optional: absent means not sent */
  callDisplayType?: number | null;
  /** 0 mixed, 1 one track per party; optional: absent means not sent */
  audioRecordFlag?: number | null;
  // Spec fields nothing here reads, kept because they are part of what the CDR says: a revision that
  // changes only them is a revision, stored. Optional: a CDR stored before they were kept has none.
  numberPoolNo?: string | null;
  callerCountryIsoCode?: string | null;
  callerProvinceCode?: string | null;
  callerCityCode?: string | null;
  calleeCountryIsoCode?: string | null;
  calleeProvinceCode?: string | null;
  calleeCityCode?: string | null;
  messageType?: number | null;
  upstream?: UpstreamFields | null;
}

/** Metadata every command carries: time comes from here, never from the wall clock. */
export interface CommandMetadata {
  /** when the service received the push / issued the command, epoch ms */
  receivedAt: number;
  /** idempotency key of the push that caused the command, if any */
  idempotencyKey?: string;
}

/** Idempotency keys of contract §1. */
export const statusPushKey = (p: Pick<StatusPush, 'callId' | 'eventType' | 'party' | 'eventTime'>): string =>
  `status:${p.callId}:${p.eventType}:${p.party ?? 'none'}:${Math.floor(p.eventTime / 1000)}`;

export const cdrPushKey = (p: Pick<CdrPush, 'callId' | 'cdrType'>): string => `cdr:${p.callId}:${p.cdrType}`;
