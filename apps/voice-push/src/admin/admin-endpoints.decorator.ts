import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ERROR_BODY_SCHEMA } from '../openapi/answer-schemas.js';
import { AdminTokenGuard } from './admin-token.guard.js';

/**
 * An admin controller: its routes need `Authorization: Bearer $ADMIN_TOKEN` (contract §4), and the
 * OpenAPI page says so — without it they were listed as open operations, and "Try it out" got 401.
 */
export function AdminEndpoints(): ClassDecorator {
  return applyDecorators(
    UseGuards(AdminTokenGuard),
    ApiTags('admin'),
    ApiBearerAuth('admin'),
    ApiUnauthorizedResponse({
      description: 'no, or a wrong, Authorization: Bearer $ADMIN_TOKEN (or ADMIN_TOKEN unset)',
      schema: ERROR_BODY_SCHEMA,
      example: { error: 'UNAUTHORIZED', message: 'missing Authorization: Bearer token' },
    }),
  );
}
