import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Writable } from 'node:stream';
import { ApiException } from '@kubernetes/client-node';
import winston from 'winston';
import { KubeApiError } from '../../src/core/kube-rest.ts';
import { createLogger, errorFields } from '../../src/core/logger.ts';
import { metadataOnly, objectKey, splitKey } from '../../src/core/object-key.ts';

describe('errorFields', () => {
  test("keeps status code, reason and the Status message of client-node's ApiException, not its headers", () => {
    const err = new ApiException(
      409,
      'Unsuccessful HTTP Request',
      { kind: 'Status', reason: 'AlreadyExists', message: 'schedules "x" already exists' },
      { authorization: 'Bearer secret-token', 'audit-id': 'abc' },
    );
    const fields = errorFields(err);
    assert.deepEqual(fields, {
      error: 'schedules "x" already exists',
      statusCode: 409,
      reason: 'AlreadyExists',
    });
    assert.ok(!JSON.stringify(fields).includes('secret-token'));
  });

  test('keeps our own API errors as they are', () => {
    assert.deepEqual(errorFields(new KubeApiError(404, 'NotFound', 'GET /x: HTTP 404')), {
      error: 'GET /x: HTTP 404',
      statusCode: 404,
      reason: 'NotFound',
    });
  });

  test('uses only the first line of other errors, and copes with non-errors', () => {
    assert.deepEqual(errorFields(new Error('first\nsecond')), { error: 'first' });
    assert.deepEqual(errorFields('plain'), { error: 'plain' });
  });
});

describe('createLogger', () => {
  test('writes one JSON object per line with level, message, timestamp and fields', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info' });
    logger.clear();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    logger.add(new winston.transports.Stream({ stream: sink }));
    logger.child({ controller: 'widgets' }).info('reconciled', { key: 'ns/w1' });
    logger.debug('hidden below the level');
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(entry.level, 'info');
    assert.equal(entry.message, 'reconciled');
    assert.equal(entry.key, 'ns/w1');
    assert.equal(entry.controller, 'widgets');
    assert.equal(typeof entry.timestamp, 'string');
  });
});

describe('object keys', () => {
  test('namespace/name for namespaced objects, name for cluster-scoped ones, and back', () => {
    assert.equal(objectKey({ metadata: { namespace: 'a', name: 'b' } }), 'a/b');
    assert.equal(objectKey({ metadata: { name: 'n' } }), 'n');
    assert.deepEqual(splitKey('a/b'), { namespace: 'a', name: 'b' });
    assert.deepEqual(splitKey('n'), { name: 'n' });
  });

  test('metadataOnly keeps identity, labels and ownership only', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'p',
        namespace: 'a',
        uid: 'u',
        resourceVersion: '5',
        labels: { x: 'y' },
        managedFields: [{}],
      },
      spec: { containers: [] },
      status: { phase: 'Running' },
    };
    assert.deepEqual(metadataOnly(pod), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'a', uid: 'u', resourceVersion: '5', labels: { x: 'y' } },
    });
  });
});
