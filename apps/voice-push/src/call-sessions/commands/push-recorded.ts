import type { WriteResult } from '../write/call-session.writer.js';

/** What ingestion needs to answer the sender. */
export interface PushRecorded {
  callId: string;
  duplicate: boolean;
  /** a known status key with different content: a duplicate, counted apart */
  conflicting: boolean;
  idempotencyKey: string;
}

export function pushRecorded(result: WriteResult, idempotencyKey: string): PushRecorded {
  return {
    callId: result.callId,
    duplicate: result.outcome === 'duplicate' || result.outcome === 'conflicting-duplicate',
    conflicting: result.outcome === 'conflicting-duplicate',
    idempotencyKey,
  };
}
