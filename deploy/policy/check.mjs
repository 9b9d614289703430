#!/usr/bin/env node
// Checks kustomizations without a cluster: renders each with `kubectl
// kustomize`, validates every object against the Kubernetes schemas
// (kubernetes-models), rejects unknown fields, and applies the deployment
// policy (rules.mjs). Exit status 0 when everything passes.
//
//   node deploy/policy/check.mjs [--profile base|overlay|prod] DIR...
//   node deploy/policy/check.mjs --rules        # lists the rules
//
// Without --profile: overlays/prod -> prod, other overlays -> overlay,
// anything else -> base.
import path from 'node:path';
import { render } from './lib.mjs';
import { RULES, checkPolicy } from './rules.mjs';

export function profileFor(dir) {
  const parts = path.resolve(dir).split(path.sep);
  const i = parts.lastIndexOf('overlays');
  if (i < 0) return 'base';
  return parts[i + 1] === 'prod' ? 'prod' : 'overlay';
}

function main(argv) {
  let profile = null;
  const dirs = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--profile') profile = argv[++i];
    else if (argv[i] === '--rules') {
      for (const [id, text] of Object.entries(RULES)) console.log(`${id.padEnd(26)} ${text}`);
      return 0;
    } else dirs.push(argv[i]);
  }
  if (dirs.length === 0) {
    console.error('usage: check.mjs [--profile base|overlay|prod] DIR...');
    return 2;
  }
  let failed = 0;
  for (const dir of dirs) {
    const p = profile || profileFor(dir);
    let violations;
    try {
      const objects = render(dir);
      violations = checkPolicy(objects, { profile: p });
      if (violations.length === 0) console.log(`ok   ${dir} (${objects.length} objects, profile ${p})`);
    } catch (e) {
      violations = [{ rule: 'render', object: '-', message: e.message }];
    }
    if (violations.length) {
      failed++;
      console.log(`FAIL ${dir} (profile ${p}):`);
      for (const v of violations) console.log(`  [${v.rule}] ${v.object}: ${v.message}`);
    }
  }
  return failed ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
