import { CreateEvents1764000000000 } from './1764000000000-create-events.migration.js';
import { CreateOutbox1764000000001 } from './1764000000001-create-outbox.migration.js';
import { CreateAppendConflict1764100000000 } from './1764100000000-create-append-conflict.migration.js';
import { PositionBlocks1764100000001 } from './1764100000001-position-blocks.migration.js';
import { CountEventTypes1764100000002 } from './1764100000002-count-event-types.migration.js';
import { CountOutboxRows1764100000003 } from './1764100000003-count-outbox-rows.migration.js';

/** The event store's migrations, in order; add them to the app's DataSource `migrations`. */
export const eventStoreMigrations = [
  CreateEvents1764000000000,
  CreateOutbox1764000000001,
  CreateAppendConflict1764100000000,
  PositionBlocks1764100000001,
  CountEventTypes1764100000002,
  CountOutboxRows1764100000003,
];
