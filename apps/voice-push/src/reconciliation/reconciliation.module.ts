import { Module } from '@nestjs/common';
import { FollowUpPolicy } from '../call-sessions/write/follow-up.policy.js';
import { ReconciliationPolicy } from './reconciliation.policy.js';

@Module({
  providers: [{ provide: FollowUpPolicy, useClass: ReconciliationPolicy }],
  exports: [FollowUpPolicy],
})
export class ReconciliationModule {}
