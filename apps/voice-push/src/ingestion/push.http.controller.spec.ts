import { describe, expect, test } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';
import { PushHttpController } from './push.http.controller.js';

describe('PushHttpController', () => {
  // The allow-list, the rate limit, the raw body and the 413 handling find a push by its route's
  // mark: a receiver without one would take JSON bodies past all of them.
  test('every POST route is marked as a push receiver of the kind its path names', () => {
    const handlers = Object.getOwnPropertyNames(PushHttpController.prototype)
      .map((name) => (PushHttpController.prototype as unknown as Record<string, unknown>)[name])
      .filter((handler): handler is object => typeof handler === 'function' && Reflect.getMetadata(METHOD_METADATA, handler) === RequestMethod.POST);
    const marks = handlers.map((handler) => [Reflect.getMetadata(PATH_METADATA, handler), Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler)]);
    expect(marks).toEqual([
      ['status', { pushKind: 'status' }],
      ['cdr', { pushKind: 'cdr' }],
      [':pathToken/status', { pushKind: 'status' }],
      [':pathToken/cdr', { pushKind: 'cdr' }],
    ]);
  });
});
