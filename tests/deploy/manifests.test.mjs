// Renders kustomizations (kubectl kustomize) and checks every object against
// the Kubernetes schemas, for unknown fields, and against the deployment
// policy (deploy/policy/rules.mjs).
//
//   node tests/deploy/manifests.test.mjs [--profile P] DIR...
// Without DIRs: the base, every overlay, and the base with every component.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { describe as describeObject, render, repoRoot, schemaErrors, unknownFields } from '../../deploy/policy/lib.mjs';
import { checkPolicy } from '../../deploy/policy/rules.mjs';
import { profileFor } from '../../deploy/policy/check.mjs';

const argv = process.argv.slice(2);
let profileOverride = null;
const dirs = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--profile') profileOverride = argv[++i];
  else dirs.push(path.resolve(argv[i]));
}
if (dirs.length === 0) {
  dirs.push(path.join(repoRoot, 'deploy/k8s/base'));
  const overlays = path.join(repoRoot, 'deploy/k8s/overlays');
  for (const o of fs.readdirSync(overlays).sort()) dirs.push(path.join(overlays, o));
  dirs.push(path.join(repoRoot, 'tests/deploy/kustomize/all-components'));
}

for (const dir of dirs) {
  const name = path.relative(repoRoot, dir);
  const profile = profileOverride || profileFor(dir);
  test(`${name} (profile ${profile})`, async (t) => {
    const objects = render(dir);
    assert.ok(objects.length > 0, 'renders no objects');
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ['StatefulSet', 'Service', 'PodDisruptionBudget', 'NetworkPolicy', 'ConfigMap']) {
      assert.ok(kinds.has(kind), `renders no ${kind}`);
    }

    await t.test('every object validates against the Kubernetes schemas', () => {
      const errors = objects.flatMap((o) => schemaErrors(o).map((e) => `${describeObject(o)}: ${e}`));
      assert.deepEqual(errors, []);
    });

    await t.test('no object has fields the schemas do not define', () => {
      const errors = objects.flatMap((o) => unknownFields(o).map((p) => `${describeObject(o)}: ${p}`));
      assert.deepEqual(errors, []);
    });

    await t.test('the deployment policy holds', () => {
      const violations = checkPolicy(objects, { profile }).map((v) => `[${v.rule}] ${v.object}: ${v.message}`);
      assert.deepEqual(violations, []);
    });
  });
}
