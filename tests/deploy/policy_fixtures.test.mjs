// The policy rejects what it should: each kustomization under
// tests/deploy/fixtures breaks the manifests in one way, names the rules it
// must trip (`# expect: rule[,rule]`) and the profile (`# profile: ...`), and
// must trip exactly those.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { describe as describeObject, render, repoRoot, schemaErrors, unknownFields } from '../../deploy/policy/lib.mjs';
import { RULES, checkPolicy } from '../../deploy/policy/rules.mjs';

const fixtures = path.join(repoRoot, 'tests/deploy/fixtures');

for (const name of fs.readdirSync(fixtures).sort()) {
  const dir = path.join(fixtures, name);
  const text = fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8');
  const expected = (/^# expect: (.+)$/m.exec(text)?.[1] || '').split(',').map((s) => s.trim()).filter(Boolean);
  const profile = /^# profile: (\S+)$/m.exec(text)?.[1] || 'base';
  test(`${name}: rejected by ${expected.join(', ')}`, () => {
    assert.ok(expected.length > 0, 'the fixture names no expected rule');
    for (const r of expected) assert.ok(r in RULES, `unknown rule ${r}`);
    const violations = checkPolicy(render(dir), { profile });
    const got = [...new Set(violations.map((v) => v.rule))].sort();
    assert.deepEqual(got, [...expected].sort(),
                     `violations:\n${violations.map((v) => `  [${v.rule}] ${v.object}: ${v.message}`).join('\n')}`);
  });
}

// The reason the policy checks fields itself: the schemas accept the typo.
test('kubernetes-models accepts imagePullPolice; the unknown-field check does not', () => {
  const objects = render(path.join(fixtures, 'unknown-field-imagepullpolice'));
  const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'content-server');
  assert.deepEqual(schemaErrors(sts), [], 'the schema rejected it after all; the fixture proves nothing');
  assert.deepEqual(unknownFields(sts), ['/spec/template/spec/containers/0/imagePullPolice'], describeObject(sts));
});

// And schema errors are caught too (a wrong type, not just an unknown name).
test('schema errors are reported', () => {
  const objects = render(path.join(repoRoot, 'deploy/k8s/base'));
  const i = objects.findIndex((o) => o.kind === 'StatefulSet');
  const broken = structuredClone(objects[i]);
  broken.spec.replicas = 'one';
  assert.notDeepEqual(schemaErrors(broken), []);
  const violations = checkPolicy(objects.map((o, j) => (j === i ? broken : o)));
  assert.ok(violations.some((v) => v.rule === 'schema'), 'checkPolicy did not report the schema error');
});
