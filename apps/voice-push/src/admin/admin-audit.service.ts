import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { storableJson } from '../database/storable-text.js';
import { errorAnswer } from '../http/http-exception.filter.js';
import type { AdminAnswer } from './admin-request.js';
import type { BackgroundJobs, JobDone, JobState } from './background-jobs.js';

export type AdminAction =
  | 'replay-rejected-push'
  | 'rebuild-projections'
  | 'republish-outbox'
  | 'force-finalise-call'
  | 'cancel-rebuild-projections'
  | 'cancel-republish-outbox';

/**
 * One `admin_audit` row per admin action that changes something, with its outcome — failures
 * included. An audit write that fails is logged and does not change the answer: the action has
 * already happened (or not) by then.
 */
@Injectable()
export class AdminAuditService {
  private readonly logger = new Logger('AdminAudit');

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Runs the action, records it with its answer (an error becomes its error answer), returns the answer. */
  async run(action: AdminAction, args: Record<string, unknown>, act: () => Promise<AdminAnswer>): Promise<AdminAnswer & { auditId: string | null }> {
    let answer: AdminAnswer;
    try {
      answer = await act();
    } catch (error) {
      answer = errorAnswer(error); // as any route answers it (the HTTP filter's mapping)
      // a 503 is a refusal the operator is told why (a shutdown, the database away): no stack
      if (answer.statusCode === 503) this.logger.warn(`${action} refused: ${(error as Error)?.message ?? String(error)}`);
      else if (answer.statusCode >= 500) this.logger.error(`${action} failed: ${(error as Error)?.stack ?? String(error)}`);
    }
    const auditId = await this.record(action, args, answer.statusCode, answer.body);
    const level = answer.statusCode < 400 ? 'log' : 'warn';
    this.logger[level](`${action} ${JSON.stringify(args).slice(0, 300)} → ${answer.statusCode}`);
    return { ...answer, auditId };
  }

  /**
   * Starts a background job as an audited action: answers 202 `{jobId, …job}` (or the refusal,
   * audited as any), and completes the audit row with the job's final state when it ends.
   */
  async startJob<J extends JobState>(
    action: AdminAction,
    args: Record<string, unknown>,
    start: (onDone: JobDone<J>) => J | Promise<J>,
  ): Promise<AdminAnswer & { auditId: string | null }> {
    // the job may end before its audit row is written: its completion waits for the row
    let written!: (answer: AdminAnswer & { auditId: string | null }) => void;
    const audited = new Promise<AdminAnswer & { auditId: string | null }>((resolve) => (written = resolve));
    const answer = await this.run(action, args, async () => {
      const job = await start(async (finished) => {
        const { auditId, body } = await audited;
        await this.complete(auditId, { started: body, finished });
      });
      return { statusCode: 202, body: { jobId: job.id, ...job } };
    });
    written(answer);
    return answer;
  }

  /** An operator's cancel of a job (`DELETE …/{jobId}`) as an audited action: 202 with the job, 404 unknown, 409 ended. */
  cancelJob<J extends JobState>(action: AdminAction, jobs: BackgroundJobs<J>, id: string): Promise<AdminAnswer & { auditId: string | null }> {
    return this.run(action, { jobId: id }, async () => ({ statusCode: 202, body: await jobs.cancel(id) }));
  }

  async record(action: AdminAction, args: Record<string, unknown>, statusCode: number, result: unknown): Promise<string | null> {
    try {
      const rows: { id: string }[] = await this.db.query(
        `INSERT INTO admin_audit (action, arguments, result, status_code) VALUES ($1, $2, $3, $4) RETURNING id::text AS id`,
        // an operator's input may hold text jsonb cannot (U+0000): escaped, the row is still written
        [action, JSON.stringify(storableJson(args)), JSON.stringify(storableJson(result ?? null)), statusCode],
      );
      return rows[0]?.id ?? null;
    } catch (error) {
      this.logger.error(`could not write the audit row of ${action} (${statusCode}): ${(error as Error).message}`);
      return null;
    }
  }

  /** A background action (`startJob`) completes its row with the final outcome. */
  async complete(id: string | null, result: unknown): Promise<void> {
    if (id === null) return;
    try {
      await this.db.query(`UPDATE admin_audit SET result = $2 WHERE id = $1`, [id, JSON.stringify(storableJson(result))]);
    } catch (error) {
      this.logger.error(`could not complete audit row ${id}: ${(error as Error).message}`);
    }
  }
}
