import type { WriteResult } from '../write/call-session.writer.js';

/** What ingestion needs to answer the sender. */
export interface PushRecorded {
  callId: string;
  duplicate: boolean;
  /** a known status key with different content: a duplicate, counted apart */
  conflicting: boolean;
  idempotencyKey: string;
  /** why the call refused the push (it holds as many pushes as a call keeps); null when taken */
  refused: string | null;
}

export function pushRecorded(result: WriteResult, idempotencyKey: string): PushRecorded {
  return {
    callId: result.callId,
    duplicate: result.outcome === 'duplicate' || result.outcome === 'conflicting-duplicate',
    conflicting: result.outcome === 'conflicting-duplicate',
    idempotencyKey,
    refused: result.outcome === 'rejected' ? (result.reason ?? 'refused by the call') : null,
  };
}
