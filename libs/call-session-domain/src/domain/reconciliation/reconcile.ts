// reconcile(state): every rule over every fact of the session, in the order of the contract's table.
import type { Finding, Reconciliation, ReconciliationStatus } from '../finding.js';
import { type CallSessionState, hasCdr, hasStatuses } from '../call-session.state.js';
import { type ReconciliationRule, contextOf } from './reconciliation-rule.js';
import { durationMismatchRule } from './duration-mismatch.rule.js';
import { timeOrderInvalidRule } from './time-order-invalid.rule.js';
import { answerWithoutConnectRule } from './answer-without-connect.rule.js';
import { identityMismatchRule } from './identity-mismatch.rule.js';
import { answerNotObservedRule } from './answer-not-observed.rule.js';
import { hangupNotObservedRule } from './hangup-not-observed.rule.js';
import { timeMismatchRule } from './time-mismatch.rule.js';
import { privacyFieldsMissingRule } from './privacy-fields-missing.rule.js';
import { cdrRevisedRule } from './cdr-revised.rule.js';
import { privacyFieldsIgnoredRule } from './privacy-fields-ignored.rule.js';
import { timeUnitCorrectedRule } from './time-unit-corrected.rule.js';
import { unknownEnumValueRule } from './unknown-enum-value.rule.js';
import { lateStatusEventRule } from './late-status-event.rule.js';

export const RECONCILIATION_RULES: readonly ReconciliationRule[] = [
  durationMismatchRule,
  timeOrderInvalidRule,
  answerWithoutConnectRule,
  identityMismatchRule,
  answerNotObservedRule,
  hangupNotObservedRule,
  timeMismatchRule,
  privacyFieldsMissingRule,
  cdrRevisedRule,
  privacyFieldsIgnoredRule,
  timeUnitCorrectedRule,
  unknownEnumValueRule,
  lateStatusEventRule,
];

/** All findings of the session's facts. Without a CDR only the data-quality (info) ones can appear. */
export function reconcile(state: CallSessionState): Finding[] {
  const ctx = contextOf(state);
  return RECONCILIATION_RULES.flatMap((rule) => rule.check(ctx));
}

/** The status that a set of findings gives (contract §2). */
export function statusOfFindings(
  findings: readonly Finding[],
  facts: { hasCdr: boolean; hasStatuses: boolean },
): ReconciliationStatus {
  if (!facts.hasCdr) return 'PENDING';
  if (findings.some((f) => f.severity === 'error')) return 'DISCREPANCY';
  if (!facts.hasStatuses) return 'CDR_ONLY';
  if (findings.some((f) => f.severity === 'warning')) return 'WARNINGS';
  return 'MATCHED';
}

export function reconciliationStatus(state: CallSessionState): ReconciliationStatus {
  return statusOfFindings(reconcile(state), { hasCdr: hasCdr(state), hasStatuses: hasStatuses(state) });
}

/** reconcile + status together. */
export function reconciliationOf(state: CallSessionState): Reconciliation {
  const findings = reconcile(state);
  return { status: statusOfFindings(findings, { hasCdr: hasCdr(state), hasStatuses: hasStatuses(state) }), findings };
}
