#!/usr/bin/env node
// The manifests and the binaries agree: renders a kustomization, starts each
// StatefulSet's binary with exactly the args and environment the manifest
// gives its container (see podrun.mjs for what is mapped to local
// equivalents), runs the manifest's startup, readiness and liveness probes
// against it, checks its logs are JSON lines on stderr, that it writes
// nothing outside its volumes (its working directory stays empty), and that
// SIGTERM stops it with exit status 0 within terminationGracePeriodSeconds.
//
//   node tests/deploy/manifest_binaries.mjs --kustomization DIR --buf BUF
//        --binary content-server=PATH [--binary events-server=PATH]
//        [--allow-missing events-server] [--pending-flags a,b,c]
//        [--secret NAME=DIR]... [--secrets-dir DIR]
//
// --pending-flags names flags the manifests may use before the binaries define
// them (work in progress elsewhere): when a rendered container uses one the
// binary lacks, the run is skipped (exit 77, reported) instead of failed. Any
// other undefined flag fails. --allow-missing skips servers whose binary was
// not built (and those that depend on them).
import fs from 'node:fs';
import path from 'node:path';
import { containerArgs, flagsOf, render } from '../../deploy/policy/lib.mjs';
import {
  ServerProcess, definedFlags, makeWorkDir, planServer, serversInStartOrder,
} from './podrun.mjs';

const SKIP = 77;

function parseArgs(argv) {
  const o = { binaries: new Map(), allowMissing: new Set(), pending: new Set(), secrets: new Map(), kustomization: null, buf: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--kustomization') o.kustomization = next();
    else if (a === '--buf') o.buf = path.resolve(next());
    else if (a === '--binary') { const [k, v] = next().split('='); o.binaries.set(k, path.resolve(v)); }
    else if (a === '--allow-missing') next().split(',').filter(Boolean).forEach((x) => o.allowMissing.add(x));
    else if (a === '--pending-flags') next().split(',').filter(Boolean).forEach((x) => o.pending.add(x.replace(/^-+/, '')));
    else if (a === '--secret') { const [k, v] = next().split('='); o.secrets.set(k, path.resolve(v)); }
    else if (a === '--secrets-dir') {
      // One directory per Secret, named like it (deploy/k8s/make-tls-secrets.sh makes these).
      const dir = path.resolve(next());
      for (const name of fs.readdirSync(dir)) if (!o.secrets.has(name)) o.secrets.set(name, path.join(dir, name));
    }
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.kustomization || !o.buf) throw new Error('--kustomization and --buf are required');
  if (!fs.existsSync(o.buf)) throw new Error(`buf not found at ${o.buf} (./scripts/dev.sh installs it into .tools)`);
  return o;
}

let passed = 0;
let failed = 0;
const ok = (msg) => { passed++; console.log(`ok - ${msg}`); };
const notOk = (msg, detail = '') => { failed++; console.log(`not ok - ${msg}${detail ? `\n${detail.replace(/^/gm, '    ')}` : ''}`); };

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const objects = render(o.kustomization);
  const namespace = objects.find((x) => x.metadata?.namespace)?.metadata.namespace || 'default';
  const servers = serversInStartOrder(objects, namespace);
  console.log(`# ${o.kustomization}: ${servers.map((p) => p.owner.metadata.name).join(', ')}`);

  // Which binaries run, and do they know every flag the manifests pass?
  const skipped = new Set();
  const pendingUse = [];
  for (const p of servers) {
    const name = p.owner.metadata.name;
    const c = p.spec.containers[0];
    const binaryName = c.image.split('@')[0].split('/').pop().split(':')[0];
    const binary = o.binaries.get(binaryName);
    if (!binary || !fs.existsSync(binary)) {
      if (o.allowMissing.has(binaryName)) {
        console.log(`# SKIP ${name}: ${binaryName} was not built`);
        skipped.add(p.owner);
        continue;
      }
      throw new Error(`no binary for image ${c.image} (pass --binary ${binaryName}=PATH)`);
    }
    const defined = definedFlags(binary);
    const used = [...flagsOf(containerArgs(c, objects, { podName: `${name}-0`, namespace }).args).keys()];
    const missing = used.filter((f) => !defined.has(f));
    const unexpected = missing.filter((f) => !o.pending.has(f));
    if (unexpected.length) {
      notOk(`${name}: the manifest passes flags ${binaryName} does not define: ${unexpected.map((f) => `--${f}`).join(' ')}`);
    } else {
      ok(`${name}: ${binaryName} defines every flag the manifest passes${missing.length ? ' except pending ones' : ''}`);
    }
    if (missing.length) pendingUse.push(`${name} uses --${missing.join(', --')} which ${binaryName} does not define yet`);
  }
  if (failed) return;
  if (pendingUse.length) {
    console.log(`# SKIP: pending flags (see --pending-flags in tests/deploy.cmake):\n#   ${pendingUse.join('\n#   ')}`);
    process.exitCode = SKIP;
    return;
  }

  const workDir = makeWorkDir('newsdesk-deploy-');
  const running = [];
  const started = new Map();
  try {
    for (const p of servers) {
      if (skipped.has(p.owner)) continue;
      const plan = await planServer(objects, p, { namespace, workDir, secrets: o.secrets, started });
      const cwd = path.join(workDir, plan.name, 'cwd');
      fs.mkdirSync(cwd, { recursive: true });
      const binary = o.binaries.get(plan.binaryName);
      console.log(`# ${plan.name}: ${plan.binaryName} ${plan.args.join(' ')}`);
      const proc = new ServerProcess(plan, binary, plan.args, { cwd, env: plan.env });
      running.push(proc);
      started.set(p.owner, plan);
      try {
        await proc.waitStarted(o.buf);
        ok(`${plan.name}: startupProbe (grpc port ${plan.container.startupProbe.grpc.port}` +
           `${plan.container.startupProbe.grpc.service ? `, service ${plan.container.startupProbe.grpc.service}` : ''}) is SERVING`);
      } catch (e) {
        notOk(`${plan.name}: startupProbe`, e.message);
        continue;
      }
      for (const kind of ['readinessProbe', 'livenessProbe']) {
        const r = proc.probe(o.buf, kind);
        const g = plan.container[kind].grpc;
        const what = `${plan.name}: ${kind} (grpc port ${g.port}${g.service ? `, service ${g.service}` : ''})`;
        if (r.ok) ok(`${what} is SERVING`);
        else notOk(`${what} is SERVING`, r.output);
      }
    }
  } finally {
    // Stop in reverse start order, as a namespace deletion would not
    // guarantee, but a rollout of the dependents first would.
    for (const proc of [...running].reverse()) {
      const { plan } = proc;
      const t = await proc.terminate();
      if (!t.killed && t.exit.code === 0) {
        ok(`${plan.name}: SIGTERM -> exit 0 in ${t.seconds.toFixed(1)}s (terminationGracePeriodSeconds ${plan.terminationGracePeriodSeconds})`);
      } else {
        notOk(`${plan.name}: SIGTERM -> exit 0 within ${plan.terminationGracePeriodSeconds}s`, `${JSON.stringify(t)}\n${proc.stderr}`);
      }
      const lines = proc.jsonLogLines();
      const bad = lines.filter((l) => l.notJson !== undefined);
      if (bad.length === 0 && lines.some((l) => l.message === 'serving') && lines.some((l) => l.message === 'stopped')) {
        ok(`${plan.name}: logs are JSON lines on stderr (serving ... stopped)`);
      } else {
        notOk(`${plan.name}: logs are JSON lines on stderr with "serving" and "stopped"`, proc.stderr);
      }
      const cwd = path.join(workDir, plan.name, 'cwd');
      const stray = fs.readdirSync(cwd);
      if (stray.length === 0) ok(`${plan.name}: wrote nothing outside its volumes`);
      else notOk(`${plan.name}: wrote ${stray.join(', ')} into its working directory (the root filesystem is read-only)`);
    }
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().then(() => {
  console.log(`${passed} passed, ${failed} failed`);
  if (failed) process.exitCode = 1;
}, (e) => {
  console.log(`not ok - ${e.message}`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exitCode = 1;
});
