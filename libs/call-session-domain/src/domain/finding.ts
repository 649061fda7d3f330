// A reconciliation finding (contract §2).

export const FINDING_SEVERITIES = ['info', 'warning', 'error'] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

export const FINDING_CODES = [
  'DURATION_MISMATCH',
  'TIME_ORDER_INVALID',
  'ANSWER_WITHOUT_CONNECT',
  'IDENTITY_MISMATCH',
  'ANSWER_NOT_OBSERVED',
  'HANGUP_NOT_OBSERVED',
  'TIME_MISMATCH',
  'PRIVACY_FIELDS_MISSING',
  'CDR_REVISED',
  'PRIVACY_FIELDS_IGNORED',
  'TIME_UNIT_CORRECTED',
  'UNKNOWN_ENUM_VALUE',
  'LATE_STATUS_EVENT',
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

export interface Finding {
  code: string;
  severity: FindingSeverity;
  message: string;
  expected?: unknown;
  actual?: unknown;
}

export const RECONCILIATION_STATUSES = ['PENDING', 'MATCHED', 'WARNINGS', 'DISCREPANCY', 'CDR_ONLY'] as const;
export type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number];

/** The reconciliation result kept in the call session and shown in the view. */
export interface Reconciliation {
  status: ReconciliationStatus;
  findings: Finding[];
}
