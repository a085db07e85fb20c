import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeRest } from '../../src/core/kube-rest.ts';
import { connectionFor } from '../../src/core/kube-transport.ts';

function kubeConfig(server: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('KubeRest transport', () => {
  let server: http.Server;
  let url = '';
  let connections = 0;
  const authorizations: (string | undefined)[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      authorizations.push(req.headers.authorization);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ path: req.url }));
    });
    server.on('connection', () => connections++);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('every KubeRest of one kubeconfig reuses one kept-alive connection for sequential requests', async () => {
    const kc = kubeConfig(url, 'token-a');
    connections = 0;
    authorizations.length = 0;
    for (let i = 0; i < 5; i++) await new KubeRest(kc).request('GET', `/api/v1/namespaces/n${i}`);
    assert.equal(connections, 1);
    assert.deepEqual(new Set(authorizations), new Set(['Bearer token-a']));
  });

  test('credentials are taken again after the refresh period; the agent stays while TLS is the same', async () => {
    const kc = kubeConfig(url, 'token-a');
    const first = await connectionFor(kc, 0);
    assert.equal(first.headers.Authorization, 'Bearer token-a');
    (kc.users[0] as { token: string }).token = 'token-b';
    assert.equal((await connectionFor(kc, 5_000)).headers.Authorization, 'Bearer token-a', 'cached');
    const refreshed = await connectionFor(kc, 10_000);
    assert.equal(refreshed.headers.Authorization, 'Bearer token-b');
    assert.equal(refreshed.agent, first.agent);
    assert.notEqual(
      (await connectionFor(kubeConfig(url, 'token-a'), 0)).agent,
      first.agent,
      'per kubeconfig',
    );
  });
});
