// What downstream last read on the finalised topic must be the call as it stands: whatever the
// order of the pushes, the last view sent equals the view GET /v1/calls/{callId} serves.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { CALLS_FINALIZED_TOPIC } from '#contracts';
import { initialState, toCallView, type CallSessionCommand, type CallSessionEvent, type CallView } from '#call-session-domain';
import type { StoredEvent } from '#event-store';
import { anAnsweredCall, anSmsRecord, applyAllWithLog, arrivalArbitrary, recordCdr, T0 } from '#testing';
import { finalizedViewMessages } from './call-events.outbox.js';

/** Runs each push as the writer commits it (the push and its follow-ups), collecting the finalised-topic views. */
function commitOneByOne(commands: readonly CallSessionCommand[]) {
  let state = initialState;
  let version = 0;
  const sent: { view: CallView; eventType: string }[] = [];
  for (const command of commands) {
    const { state: after, events } = applyAllWithLog([command], state);
    const stored = events.map((e: CallSessionEvent) => storedEvent(e, ++version));
    for (const m of finalizedViewMessages('NM-prop', stored, toCallView(after))) {
      expect(m.topic).toBe(CALLS_FINALIZED_TOPIC);
      sent.push({ view: m.value as CallView, eventType: m.headers['event-type']! });
    }
    state = after;
  }
  return { state, sent };
}

function storedEvent(e: CallSessionEvent, version: number): StoredEvent {
  return {
    type: e.type,
    data: e.data as unknown as Record<string, unknown>,
    metadata: {},
    occurredAt: new Date(T0),
    eventId: `event-${version}`,
    position: String(version),
    streamId: 'NM-prop',
    version,
    recordedAt: new Date(T0),
  };
}

describe('the finalised topic', () => {
  test('any order of the pushes: the last view sent is the final view, and a finalised call has sent one', () => {
    fc.assert(
      fc.property(arrivalArbitrary(), ({ shuffled }) => {
        const { state, sent } = commitOneByOne(shuffled);
        const final = toCallView(state);
        if (final.status === 'OPEN') expect(sent).toEqual([]);
        else expect(sent.at(-1)?.view).toEqual(final);
      }),
      { numRuns: 300 },
    );
  });

  test('a call record after an SMS record of the same call changes the outcome: the new view is sent', () => {
    const call = anAnsweredCall({ callId: 'NM-sms-then-call', at: T0 });
    const sms = anSmsRecord({ callId: 'NM-sms-then-call', at: T0 });
    const { state, sent } = commitOneByOne([recordCdr(sms.cdrs[0]!, T0 + 60_000), recordCdr(call.cdrs[0]!, T0 + 120_000)]);
    expect(sent.map((s) => s.view.outcome?.callResult)).toEqual([sms.cdrs[0]!.callResult, call.cdrs[0]!.callResult]);
    expect(sent.at(-1)!.view).toEqual(toCallView(state));
    expect(sent.at(-1)!.eventType).toBe('CdrRecorded');
  });
});
