// The enumerations of the push spec with their labels (shared/spec/enumerations.md).
// Pure data, no imports: the pure domain imports this file by relative path.
// Every enumeration is open: an unknown code is accepted and flagged UNKNOWN_ENUM_VALUE.

export interface EnumEntry {
  readonly name: string;
  readonly zh: string;
}

export type EnumTable = Readonly<Record<number, EnumEntry>>;

const table = <T extends Record<number, EnumEntry>>(t: T): Readonly<T> => Object.freeze(t);

export const serviceType = table({
  100: { name: 'VOICE_SIP', zh: '语音SIP' },
  200: { name: 'PRIVACY_NUMBER', zh: '隐私号' },
});

export const subServiceType = table({
  101: { name: 'SIP', zh: '语音SIP' },
  102: { name: 'VOICE_NOTIFICATION', zh: '语音通知' },
  103: { name: 'TWO_WAY_CALL', zh: '双向呼叫' },
  104: { name: 'SMART_OUTBOUND', zh: '智能外呼' },
  105: { name: 'TWO_WAY_CALL_LITE', zh: '双呼lite' },
  201: { name: 'AXB', zh: 'AXB' },
  202: { name: 'AXN', zh: 'AXN' },
  203: { name: 'AXNE', zh: 'AXNE' },
  204: { name: 'AXYB', zh: 'AXYB' },
  205: { name: 'PAXYB', zh: 'PAXYB' },
});

export const cdrType = table({
  1: { name: 'CALL', zh: '通话话单' },
  2: { name: 'SMS', zh: '短信话单' },
});

export const messageType = table({
  1: { name: 'CALL_STATUS', zh: '呼叫状态' },
  2: { name: 'CALL_RECORD', zh: '呼叫记录' },
  3: { name: 'CALL_RECORDING', zh: '呼叫录音' },
});

export const eventType = table({
  1: { name: 'INITIATED', zh: '开始呼叫' },
  2: { name: 'RINGING', zh: '被叫振铃' },
  3: { name: 'ANSWERED', zh: '呼叫建立' },
  4: { name: 'HUNG_UP', zh: '呼叫结束' },
});

export const party = table({
  1: { name: 'CALLER_SIDE', zh: '主叫侧' },
  2: { name: 'CALLEE_SIDE', zh: '被叫侧' },
});

export const secretCallType = table({
  10: { name: 'B_CALLS_A', zh: 'B呼叫A' },
  11: { name: 'A_CALLS_B', zh: 'A呼叫B' },
});

export const callDisplayType = table({
  1: { name: 'NONE_REVEALED', zh: '不透传' },
  2: { name: 'A_SEES_B', zh: 'A看见B真实号码' },
  3: { name: 'B_SEES_A', zh: 'B看见A真实号码' },
  4: { name: 'BOTH_REVEALED', zh: '双方真实号码' },
});

export const audioRecordFlag = table({
  0: { name: 'MIXED', zh: '不分轨' },
  1: { name: 'SPLIT_TRACKS', zh: '分轨' },
});

/** guess: the upstream table was not found (enumerations.md) */
export const releaseType = table({
  0: { name: 'UNKNOWN', zh: '未知' },
  1: { name: 'CALLER', zh: '主叫挂断' },
  2: { name: 'CALLEE', zh: '被叫挂断' },
  3: { name: 'PLATFORM', zh: '平台挂断' },
});

/** callResult of a call record (cdrType 1) */
export const callResult = table({
  1: { name: 'ANSWERED', zh: '正常接通' },
  2: { name: 'POWERED_OFF', zh: '关机' },
  3: { name: 'SUSPENDED', zh: '停机' },
  4: { name: 'EMPTY_NUMBER', zh: '空号' },
  5: { name: 'CALLER_ABANDONED', zh: '主叫提前挂机' },
  6: { name: 'TEMPORARILY_UNREACHABLE', zh: '暂时无法接通' },
  7: { name: 'NO_ANSWER', zh: '无人接听' },
  8: { name: 'BUSY', zh: '被叫忙' },
  9: { name: 'REJECTED', zh: '被叫拒接' },
  10: { name: 'NOT_REACHABLE', zh: '被叫不可及' },
  11: { name: 'LINE_BUSY', zh: '线路忙' },
  12: { name: 'NO_PERMISSION', zh: '无权限呼叫' },
  13: { name: 'NO_BINDING', zh: '无绑定关系' },
  14: { name: 'NETWORK_BUSY', zh: '网络忙' },
  15: { name: 'ROUTING_FAILED', zh: '路由失败' },
  16: { name: 'X_NUMBER_ABNORMAL', zh: '中间号状态异常' },
  17: { name: 'OUTBOUND_RESTRICTED', zh: '呼出限制' },
  18: { name: 'INBOUND_RESTRICTED', zh: '呼入限制' },
  19: { name: 'TIMEOUT', zh: '超时' },
  20: { name: 'PLATFORM_ERROR', zh: '平台系统异常' },
  21: { name: 'HUNG_UP_BEFORE_RINGING', zh: '被叫没有振铃就收到了挂断消息' },
  22: { name: 'RANG_NOT_ANSWERED', zh: '被叫振铃了挂断或超时未摘机' },
  23: { name: 'A_TO_B_B_RESTRICTED', zh: '(A→B) B号码限制呼叫' },
  24: { name: 'A_TO_B_A_RESTRICTED', zh: '(A→B) A号码限制呼叫' },
  25: { name: 'B_TO_A_B_RESTRICTED', zh: '(B→A) B号码限制呼叫' },
  26: { name: 'B_TO_A_A_RESTRICTED', zh: '(B→A) A号码限制呼叫' },
  27: { name: 'CARRIER_BLACKLIST', zh: '运营商黑名单/超频' },
  28: { name: 'NOT_PICKED_UP_IN_TIME', zh: '超时未摘机' },
  29: { name: 'CALLEE_BLACKLISTED', zh: '被叫黑名单' },
  30: { name: 'CALL_RATE_EXCEEDED', zh: '呼叫超频' },
  31: { name: 'ACCOUNT_CONCURRENCY_EXCEEDED', zh: '账号超并发' },
  32: { name: 'TRUNK_CONCURRENCY_EXCEEDED', zh: '中继超并发' },
  33: { name: 'VALIDATION_FAILED', zh: '账号/服务/号码校验失败' },
  34: { name: 'NO_NUMBER_SELECTED', zh: '未选到号码' },
  35: { name: 'DECRYPTION_FAILED', zh: '解密失败' },
  36: { name: 'CARRIER_HUNG_UP_BEFORE_RINGING', zh: '运营商未振铃挂机' },
  37: { name: 'INVALID_CALLEE_FORMAT', zh: '被叫格式错误' },
  [-1]: { name: 'OTHER', zh: '其他' },
});

/** callResult of an SMS record (cdrType 2) */
export const smsCallResult = table({
  1001: { name: 'SENT', zh: '发送成功' },
  1002: { name: 'RECIPIENT_SUSPENDED', zh: '接收人停机' },
  1003: { name: 'INVALID_NUMBER', zh: '号码非法/空号' },
  1004: { name: 'REJECTED', zh: '被拒' },
  1005: { name: 'DELIVERY_TIMEOUT', zh: '递交超时' },
  1006: { name: 'SENSITIVE_CONTENT', zh: '敏感词' },
});

/** All tables by the field name they describe (callResult: the call table; smsCallResult for cdrType 2). */
export const enumerations = Object.freeze({
  serviceType,
  subServiceType,
  cdrType,
  messageType,
  eventType,
  party,
  secretCallType,
  callDisplayType,
  audioRecordFlag,
  releaseType,
  callResult,
  smsCallResult,
});

export type EnumerationName = keyof typeof enumerations;

const lookup = (t: EnumTable, code: number | null | undefined): EnumEntry | null => {
  if (code === null || code === undefined || !Number.isInteger(code)) return null;
  return Object.prototype.hasOwnProperty.call(t, code) ? (t[code] ?? null) : null;
};

/** The English name of a code, or null when the code is unknown (or absent). */
export function enumName(t: EnumTable, code: number | null | undefined): string | null {
  return lookup(t, code)?.name ?? null;
}

/** The Chinese label of a code, or null when unknown. */
export function enumZh(t: EnumTable, code: number | null | undefined): string | null {
  return lookup(t, code)?.zh ?? null;
}

/** Whether the code is one of the table's known values. */
export function isKnown(t: EnumTable, code: number | null | undefined): boolean {
  return lookup(t, code) !== null;
}

/** The callResult table that applies to a record of the given cdrType. */
export function callResultTableFor(cdrTypeCode: number | null | undefined): EnumTable {
  return cdrTypeCode === 2 ? smsCallResult : callResult;
}
