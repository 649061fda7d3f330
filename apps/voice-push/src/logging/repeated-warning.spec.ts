import { describe, expect, test } from '@jest/globals';
import { RepeatedWarning } from './repeated-warning.js';

function onFakeClock(windowMs = 10_000) {
  const lines: string[] = [];
  const clock = { now: 0 };
  const warning = new RepeatedWarning((line) => lines.push(line), (n, ms) => `${n} more in ${ms / 1000} s`, windowMs, () => clock.now);
  return { lines, clock, warning };
}

describe('RepeatedWarning', () => {
  test('the first of a burst is logged as it comes, the rest told in one line when the window ends', () => {
    const { lines, clock, warning } = onFakeClock();
    for (let i = 0; i < 500; i++) {
      clock.now = i * 10; // 500 in 5 s
      warning.note(`push ${i} answered 503`);
    }
    expect(lines).toEqual(['push 0 answered 503']);
    clock.now = 10_000;
    warning.note('push 500 answered 503');
    expect(lines).toEqual(['push 0 answered 503', '499 more in 10 s', 'push 500 answered 503']);
  });

  test('what was counted is told when the window ends, though nothing more comes', async () => {
    const lines: string[] = [];
    const warning = new RepeatedWarning((line) => lines.push(line), (n) => `${n} more`, 20);
    warning.note('first');
    warning.note('second');
    warning.note('third');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(lines).toEqual(['first', '2 more']);
  });

  test('flush tells what was counted at once (shutdown), and nothing when nothing was', () => {
    const { lines, warning } = onFakeClock();
    warning.flush();
    warning.note('first');
    warning.note('second');
    warning.flush();
    expect(lines).toEqual(['first', '1 more in 10 s']);
  });

  test('a burst whose cause changes says how many had each cause; one cause throughout adds nothing', () => {
    const { lines, clock, warning } = onFakeClock();
    warning.note('first: connection terminated', 'connection terminated');
    warning.note('x', 'connection terminated');
    warning.note('x', 'statement timeout');
    warning.note('x', 'statement timeout');
    warning.note('x', 'statement timeout');
    clock.now = 10_000;
    warning.note('later', 'statement timeout');
    warning.note('y', 'statement timeout');
    warning.flush();
    expect(lines).toEqual([
      'first: connection terminated',
      '4 more in 10 s; by cause: statement timeout ×3, connection terminated ×1',
      'later',
      '1 more in 10 s',
    ]);
  });

  test('causes past the fifth are counted as "other"', () => {
    const { lines, warning } = onFakeClock();
    warning.note('first', 'a');
    for (const cause of ['b', 'c', 'd', 'e', 'f', 'g', 'h']) warning.note('x', cause);
    warning.flush();
    expect(lines[1]).toBe('7 more in 10 s; by cause: other ×2, b ×1, c ×1, d ×1, e ×1, f ×1');
  });
});
