import { BadRequestException } from '@nestjs/common';

/** A query parameter a list refuses (its name, and why). */
export interface QueryViolation {
  field: string;
  reason: string;
}

/** The answer of a list's bad query parameters (contract §3): `400 INVALID_QUERY` naming each. */
export function invalidQuery(violations: QueryViolation[]): BadRequestException {
  return new BadRequestException({ error: 'INVALID_QUERY', message: 'bad query parameters', violations });
}
