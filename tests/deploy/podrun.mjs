// Runs the servers the way the rendered manifests describe them, on this
// machine: the container's args and environment exactly as the kubelet would
// build them (ConfigMap values, $(VAR) expansion), with only the things a
// cluster provides mapped to local ones — each listening port to a free
// loopback port, each volume mount to a temporary directory (or, in a
// chroot, a bind mount at the same path), and each --*_target Service name
// to the loopback port of the server behind it. Then it asks the manifest's
// own probes (grpc.health.v1.Health/Check with the probe's service, through
// buf curl) and stops the servers with SIGTERM within the pod's
// terminationGracePeriodSeconds.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  containerArgs, flagsOf, parseHostPort, podTemplates, resolveTarget,
} from '../../deploy/policy/lib.mjs';
import { parseImage } from '../../deploy/policy/rules.mjs';

export const IMAGE_PATH = '/usr/local/bin:/usr/bin';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The image's binary name: newsdesk/content-server:0.1.0 -> content-server.
export function imageBinary(image) {
  return parseImage(String(image)).name.split('/').pop();
}

// The flags a binary defines (absl --helpfull).
export function definedFlags(binary) {
  const r = spawnSync(binary, ['--helpfull'], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.error) throw new Error(`cannot run ${binary}: ${r.error.message}`);
  const flags = new Set();
  for (const m of `${r.stdout}\n${r.stderr}`.matchAll(/^\s+--([A-Za-z0-9_]+) \(/gm)) flags.add(m[1]);
  if (!flags.has('listen')) throw new Error(`${binary} --helpfull lists no --listen flag:\n${r.stdout}${r.stderr}`);
  return flags;
}

// StatefulSets in dependency order: a server named by another's --*_target
// starts first.
export function serversInStartOrder(objects, namespace) {
  const servers = podTemplates(objects).filter((p) => p.owner.kind === 'StatefulSet');
  const deps = new Map();
  for (const p of servers) {
    const d = new Set();
    for (const c of p.spec.containers || []) {
      for (const [name, value] of flagsOf(containerArgs(c, objects, { podName: 'x', namespace }).args)) {
        if (!name.endsWith('_target')) continue;
        const r = resolveTarget(objects, value, namespace);
        if (!r.error) d.add(r.workload);
      }
    }
    deps.set(p, d);
  }
  const ordered = [];
  const visit = (p, stack = new Set()) => {
    if (ordered.includes(p)) return;
    if (stack.has(p)) throw new Error(`dependency cycle at ${p.owner.metadata.name}`);
    stack.add(p);
    for (const w of deps.get(p)) visit(servers.find((s) => s.owner === w), stack);
    ordered.push(p);
  };
  servers.forEach((p) => visit(p));
  return ordered;
}

function underMount(mounts, file) {
  let best = null;
  for (const m of mounts) {
    const dir = m.mountPath.replace(/\/+$/, '');
    if ((file === dir || file.startsWith(dir + '/')) && (!best || dir.length > best.mountPath.length)) best = m;
  }
  return best;
}

// Plans one server: { name, binary, container, args, env, ports: Map
// containerPort->local, mounts: [{mount, volume, hostDir}], probes }.
// mode 'host': volume paths in flags are rewritten to the host directories;
// mode 'chroot': paths stay as in the manifest (the caller bind-mounts).
// `started` maps workloads already planned to their plans (for targets).
export async function planServer(objects, p, { namespace, workDir, secrets = new Map(), started = new Map(), mode = 'host' }) {
  const container = p.spec.containers[0];
  const name = p.owner.metadata.name;
  const { args: manifestArgs, env, errors } = containerArgs(container, objects, { podName: `${name}-0`, namespace });
  if (errors.length) throw new Error(`${name}: ${errors.join('; ')}`);

  // Ports: every containerPort gets a free loopback port.
  const ports = new Map();
  for (const cp of container.ports || []) ports.set(cp.containerPort, await freePort());

  // Volumes: claims and emptyDirs are fresh directories, Secrets come from
  // the test's --secret NAME=DIR, ConfigMaps from the rendered objects.
  const volumes = new Map((p.spec.volumes || []).map((v) => [v.name, v]));
  const claims = new Set((p.owner.spec.volumeClaimTemplates || []).map((c) => c.metadata.name));
  const mounts = [];
  for (const m of container.volumeMounts || []) {
    const hostDir = path.join(workDir, name, 'volumes', m.name);
    fs.mkdirSync(hostDir, { recursive: true });
    const v = volumes.get(m.name);
    if (claims.has(m.name) || v?.emptyDir || v?.persistentVolumeClaim) {
      // an empty volume, as a fresh PersistentVolume or emptyDir is
    } else if (v?.secret) {
      const src = secrets.get(v.secret.secretName);
      if (!src) {
        throw new Error(`${name} mounts Secret ${v.secret.secretName}; give the test its files with --secret ${v.secret.secretName}=DIR`);
      }
      const items = v.secret.items || fs.readdirSync(src).map((k) => ({ key: k, path: k }));
      for (const it of items) {
        const from = path.join(src, it.key);
        if (!fs.existsSync(from)) throw new Error(`Secret ${v.secret.secretName} (${src}) has no key ${it.key}`);
        fs.mkdirSync(path.dirname(path.join(hostDir, it.path)), { recursive: true });
        fs.copyFileSync(from, path.join(hostDir, it.path));
        fs.chmodSync(path.join(hostDir, it.path), 0o444);
      }
    } else if (v?.configMap) {
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === v.configMap.name);
      for (const [k, val] of Object.entries(cm?.data || {})) fs.writeFileSync(path.join(hostDir, k), String(val));
    } else {
      throw new Error(`${name}: volume ${m.name} of an unsupported type`);
    }
    mounts.push({ mount: m, volume: v, hostDir });
  }

  const args = manifestArgs.map((a) => {
    const m = /^(--?[A-Za-z0-9_]+)=(.*)$/s.exec(a);
    if (!m) return a;
    const [, flag, value] = m;
    const fname = flag.replace(/^-+/, '');
    if (fname === 'listen' || fname.endsWith('_listen')) {
      const hp = parseHostPort(value);
      if (!hp || !ports.has(hp.port)) throw new Error(`${name}: ${a} listens on a port that is not a containerPort`);
      return `${flag}=127.0.0.1:${ports.get(hp.port)}`;
    }
    if (fname.endsWith('_target')) {
      const r = resolveTarget(objects, value, namespace);
      if (r.error) throw new Error(`${name}: ${a}: ${r.error}`);
      const plan = started.get(r.workload);
      if (!plan) throw new Error(`${name}: ${a} names ${r.workload.metadata.name}, which is not running`);
      return `${flag}=127.0.0.1:${plan.ports.get(r.containerPort)}`;
    }
    if (mode === 'host' && value.startsWith('/')) {
      const mm = underMount(container.volumeMounts || [], value);
      if (mm) {
        const entry = mounts.find((x) => x.mount === mm);
        return `${flag}=${path.join(entry.hostDir, value.slice(mm.mountPath.replace(/\/+$/, '').length))}`;
      }
    }
    return a;
  });

  return {
    name,
    owner: p.owner,
    binaryName: imageBinary(container.image),
    container,
    manifestArgs,
    args,
    // The container's environment: the image's PATH, the hostname the
    // kubelet sets, and what the manifest gives. Nothing inherited.
    env: { PATH: IMAGE_PATH, HOSTNAME: `${name}-0`, ...env },
    ports,
    mounts,
    terminationGracePeriodSeconds: p.spec.terminationGracePeriodSeconds ?? 30,
  };
}

// One native-gRPC-probe equivalent: Health/Check with the probe's service on
// the probe's port. Returns { ok, output }.
export function healthCheck(buf, port, service, timeoutSeconds = 2) {
  const r = spawnSync(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--connect-timeout', String(timeoutSeconds),
                            '--timeout', `${timeoutSeconds}s`, '-d', JSON.stringify({ service: service || '' }),
                            `http://127.0.0.1:${port}/grpc.health.v1.Health/Check`], { encoding: 'utf8' });
  // buf prints its whole usage on a bad flag: keep the end.
  const output = `${r.stdout}${r.stderr}`.trim().split('\n').slice(-4).join('\n');
  let status = null;
  try {
    status = JSON.parse(r.stdout).status;
  } catch {
    // not a reply
  }
  return { ok: r.status === 0 && status === 'SERVING', output };
}

// A started server process with its stderr collected.
export class ServerProcess {
  constructor(plan, command, commandArgs, { cwd, env }) {
    this.plan = plan;
    this.stderr = '';
    this.exit = null;
    this.proc = spawn(command, commandArgs, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => { this.stderr += d; });
    this.proc.stderr.on('data', (d) => { this.stderr += d; });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.proc.on('error', (e) => {
        this.stderr += `spawn error: ${e.message}\n`;
        this.exit = { code: -1, signal: null };
        resolve(this.exit);
      });
    });
  }

  // Polls the startup probe until SERVING, as the kubelet would (bounded by
  // the probe's own budget, at most `capSeconds`).
  async waitStarted(buf, capSeconds = 60) {
    const probe = this.plan.container.startupProbe;
    const port = this.plan.ports.get(probe.grpc.port);
    const budget = Math.min((probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3), capSeconds);
    const deadline = Date.now() + budget * 1000;
    let last = '';
    while (Date.now() < deadline) {
      if (this.exit) throw new Error(`${this.plan.name} exited (${JSON.stringify(this.exit)}) before its startup probe passed:\n${this.stderr}`);
      const r = healthCheck(buf, port, probe.grpc.service, probe.timeoutSeconds ?? 1);
      if (r.ok) return;
      last = r.output;
      await sleep(200);
    }
    throw new Error(`${this.plan.name}: startup probe not SERVING within ${budget}s: ${last}\n${this.stderr}`);
  }

  probe(buf, kind) {
    const probe = this.plan.container[kind];
    return healthCheck(buf, this.plan.ports.get(probe.grpc.port), probe.grpc.service, probe.timeoutSeconds ?? 1);
  }

  // SIGTERM, then the pod's terminationGracePeriodSeconds before the kubelet
  // would SIGKILL. Returns { exit, seconds }.
  async terminate() {
    const begin = Date.now();
    if (!this.exit) this.proc.kill('SIGTERM');
    const grace = this.plan.terminationGracePeriodSeconds;
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), grace * 1000); });
    const r = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (r === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.exited;
      return { exit: { code: null, signal: 'SIGKILL' }, seconds: grace, killed: true };
    }
    return { exit: this.exit, seconds: (Date.now() - begin) / 1000, killed: false };
  }

  jsonLogLines() {
    return this.stderr.split('\n').filter((l) => l.trim()).map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return { notJson: l };
      }
    });
  }
}

export function makeWorkDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
