import net from 'node:net';
import { clientAddress, ipv6Groups } from '../push-auth/client-address.js';

/** Most senders tracked at once; past it, quiet senders (full buckets) are forgotten first. */
export const MAX_TRACKED_SENDERS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * The sender of a push: its IP address (see clientAddress); an IPv6 sender by its /64 (one host
 * usually owns a whole /64, so counting its addresses one by one would not limit it). Text that is
 * still not an IP address is one sender: keyed by the text, each variant would have been a sender
 * of its own, and the limit none.
 */
export function senderKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const plain = clientAddress(address);
  const version = net.isIP(plain);
  if (version === 4) return plain;
  if (version === 0) return 'not an IP address';
  return `${ipv6Groups(plain)!.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/**
 * A token bucket per sender: `perSecond` tokens a second, at most `burst` saved up, one per push.
 * Memory is bounded by MAX_TRACKED_SENDERS buckets.
 */
export class SenderRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  take(sender: string): RateDecision {
    const now = this.now();
    let bucket = this.buckets.get(sender);
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_TRACKED_SENDERS) this.forgetQuietSenders(now);
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(sender, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      bucket.at = now;
      // most recently seen last: the eviction below forgets the longest-quiet senders first
      this.buckets.delete(sender);
      this.buckets.set(sender, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond)) };
  }

  get trackedSenders(): number {
    return this.buckets.size;
  }

  /** Drops the buckets that are full again (forgetting them changes nothing), else the tenth quiet longest. */
  private forgetQuietSenders(now: number): void {
    const refillMs = (this.burst / this.perSecond) * 1000;
    for (const [key, bucket] of this.buckets) if (now - bucket.at >= refillMs) this.buckets.delete(key);
    if (this.buckets.size < MAX_TRACKED_SENDERS) return;
    let drop = Math.ceil(MAX_TRACKED_SENDERS / 10);
    for (const key of this.buckets.keys()) {
      if (drop-- <= 0) break;
      this.buckets.delete(key);
    }
  }
}
