import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Positions one `nextval` hands out (PositionAllocator); the sequence steps by this much. */
export const POSITION_BLOCK = 1_000;

/**
 * The `events.position` sequence steps by POSITION_BLOCK, so one `nextval` reserves a whole block
 * of positions (the value and the POSITION_BLOCK - 1 after it) for the PositionAllocator. It drew a
 * block as 1,000 `nextval`s over generate_series: about 6 ms of Postgres time per refill, measured
 * at saturation (pg_stat_statements), on the push path once every ~35 group commits.
 *
 * Safe with rows and writers from before: the next value is the last one plus the step, above
 * every position handed out, and a writer that still draws one position per `nextval` only ever
 * gets a block's first value, which no block allocator got as well. `down` only with the writers
 * stopped: an allocator that read the old step would hand out positions the sequence gives again.
 */
export class PositionBlocks1764100000001 implements MigrationInterface {
  readonly name = 'PositionBlocks1764100000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await this.step(queryRunner, POSITION_BLOCK);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await this.step(queryRunner, 1);
  }

  private async step(queryRunner: QueryRunner, by: number): Promise<void> {
    await queryRunner.query(`
      DO $$ BEGIN
        EXECUTE format('ALTER SEQUENCE %s INCREMENT BY ${by}', pg_get_serial_sequence('events', 'position'));
      END $$`);
  }
}
