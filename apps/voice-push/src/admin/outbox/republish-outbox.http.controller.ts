import { Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminAuditService } from '../admin-audit.service.js';
import { badRequest, jsonObjectBody } from '../admin-request.js';
import { AdminTokenGuard } from '../admin-token.guard.js';
import { OutboxRepublisher } from './outbox-republisher.service.js';

/** `POST /admin/outbox/republish {"fromPosition":N}` → 200 with how many outbox rows were enqueued. */
@Controller('admin/outbox/republish')
@UseGuards(AdminTokenGuard)
export class RepublishOutboxHttpController {
  constructor(
    private readonly republisher: OutboxRepublisher,
    private readonly audit: AdminAuditService,
  ) {}

  @Post()
  @HttpCode(200)
  async republish(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    const args: Record<string, unknown> = {};
    const answer = await this.audit.run('republish-outbox', args, async () => {
      const body = jsonObjectBody(req.body, false);
      args.fromPosition = body.fromPosition;
      const from = body.fromPosition;
      const valid =
        (typeof from === 'number' && Number.isSafeInteger(from) && from >= 0) ||
        (typeof from === 'string' && /^\d{1,18}$/.test(from));
      if (!valid) throw badRequest('fromPosition must be a whole number ≥ 0 (an event position)');
      return { statusCode: 200, body: await this.republisher.republish(String(BigInt(from as string | number))) };
    });
    reply.status(answer.statusCode);
    return answer.body;
  }
}
