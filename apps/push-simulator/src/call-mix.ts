import { PLAIN_DECIMAL } from './plain-decimal.js';

/** The kinds of call the generator makes, and how often (the `--mix` option). */
export const CALL_KINDS = ['answered', 'unanswered', 'privacy', 'sms'] as const;
export type CallKind = (typeof CALL_KINDS)[number];

export type CallMix = Readonly<Record<CallKind, number>>;

export const DEFAULT_MIX: CallMix = { answered: 0.6, unanswered: 0.25, privacy: 0.1, sms: 0.05 };

/**
 * `answered=0.6,unanswered=0.25,privacy=0.1,sms=0.05` → weights (kinds left out weigh 0). A weight
 * is a plain decimal, as every CLI number; a kind given twice is refused, where the last would
 * silently win.
 */
export function parseMix(text: string): CallMix {
  const mix: Record<CallKind, number> = { answered: 0, unanswered: 0, privacy: 0, sms: 0 };
  const given = new Set<string>();
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [name = '', value, ...rest] = part.split('=');
    if (given.has(name)) throw new Error(`--mix: "${name}" is given more than once`);
    given.add(name);
    if (rest.length > 0 || !CALL_KINDS.includes(name as CallKind) || value === undefined) {
      throw new Error(`--mix: "${part}" is not <${CALL_KINDS.join('|')}>=<weight ≥ 0>`);
    }
    if (!PLAIN_DECIMAL.test(value)) throw new Error(`--mix: "${part}" — a weight is a plain decimal ≥ 0 (e.g. answered=0.6)`);
    mix[name as CallKind] = Number(value);
  }
  if (Object.values(mix).every((w) => w === 0)) throw new Error('--mix: at least one weight must be positive');
  return mix;
}

export const mixEntries = (mix: CallMix): Array<readonly [CallKind, number]> => CALL_KINDS.map((k) => [k, mix[k]] as const);
