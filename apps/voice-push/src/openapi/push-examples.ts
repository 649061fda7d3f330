// The examples of the OpenAPI page: the two pushes of the spec (shared/spec/samples,
// status-spec-example.json and cdr-spec-example.json, word for word) and the answers of contract §1.
import {
  acceptedAnswer,
  duplicateAnswer,
  invalidJsonAnswer,
  invalidPushAnswer,
  payloadTooLargeAnswer,
  unavailableAnswer,
  unsupportedMediaTypeAnswer,
  validateCdrPush,
  validateStatusPush,
} from '#contracts';

export const STATUS_SPEC_EXAMPLE = {
  accountId: '10001',
  callId: 'NM20010115474511150001012500007a8c',
  serviceType: 100,
  caller: '13100001111',
  callee: '13100002222',
  eventTime: '1607588903',
  allEventType: [1, 2, 3, 4],
  eventType: 2,
  messageType: 1,
  phoneNoX: '13100003333',
  phoneNoA: '13100001111',
  phoneNoB: '13100002222',
  party: 1,
  subscriptionId: 'sub123456',
  userData: '{"sessionId":"abcd1234"}',
};

export const CDR_SPEC_EXAMPLE = {
  accountId: '1',
  callId: 'NM20010115474511150001012500007a8c',
  serviceType: 100,
  subServiceType: 101,
  numberPoolNo: 'NP160102116501911493',
  caller: '13100001111',
  callerCountryIsoCode: 'CN',
  callerProvinceCode: 'GD',
  callerCityCode: 'SZ',
  callee: '13100002222',
  calleeCountryIsoCode: 'CN',
  calleeProvinceCode: 'BJ',
  calleeCityCode: 'BJ',
  beginCallTime: 1607588903000,
  ringTime: 1607588903000,
  startTime: 1607588904000,
  endTime: 1607588923000,
  releaseType: 1,
  callDuration: 20,
  callResult: 1,
  audioRecordFlag: 1,
  cdrCreateTime: 1607588924000,
  subscriptionId: 'sub123456',
  phoneNoX: '13100003333',
  phoneNoA: '13100001111',
  phoneNoB: '13100002222',
  secretCallType: 10,
  messageType: 1,
  callDisplayType: 1,
  cdrType: 1,
  userData: '{"orderId":"123456"}',
};

const CALL_ID = STATUS_SPEC_EXAMPLE.callId;

/**
 * A push that fails validation, answered as the service answers it: its violations come from the
 * validator itself, so the example cannot drift from what the service says.
 */
export const INVALID_PUSH_EXAMPLES = {
  status: { ...STATUS_SPEC_EXAMPLE, eventTime: 'soon' },
  cdr: { ...CDR_SPEC_EXAMPLE, beginCallTime: -1 },
} as const;

function invalidPushExample(kind: 'status' | 'cdr') {
  const body = INVALID_PUSH_EXAMPLES[kind];
  const validated = kind === 'status' ? validateStatusPush(body) : validateCdrPush(body);
  // (valid, it would show no violation: the operations e2e test compares it with the service's answer)
  return invalidPushAnswer(kind, validated.ok ? [] : validated.violations);
}

/** The answers of contract §1 for one receiver, by HTTP status, as OpenAPI `examples` maps. */
export function pushAnswerExamples(kind: 'status' | 'cdr') {
  return {
    200: {
      accepted: { summary: 'accepted, new', value: acceptedAnswer(CALL_ID) },
      duplicate: { summary: 'accepted, already stored (a retry)', value: duplicateAnswer(CALL_ID) },
    },
    400: {
      invalidJson: { summary: 'not JSON, or JSON that is not an object', value: invalidJsonAnswer() },
      invalidPush: { summary: 'fails validation', value: invalidPushExample(kind) },
    },
    413: { payloadTooLarge: { summary: 'body over the 64 KiB limit', value: payloadTooLargeAnswer(70_000) } },
    415: { unsupportedMediaType: { summary: 'wrong content type', value: unsupportedMediaTypeAnswer('text/plain') } },
    503: { unavailable: { summary: 'storage down, or the sender over its rate limit: the sender retries', value: unavailableAnswer() } },
  } as const;
}
