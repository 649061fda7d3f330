/** One failed validation rule of a push: the field (a top-level property name) and why it failed. */
export interface PushViolation {
  field: string;
  reason: string;
}
