// The container image is what the manifests expect: a tag per server image
// they name, with the entrypoint they rely on (they set no command), the
// non-root uid:gid they run as, the ports they declare; the layer's layout
// (binaries root-owned and identical to the build's, /data owned by the
// service user, /tmp sticky, no shell, the data files content-server reads);
// every library the binaries load inside the image; and, as root, each server
// started from the image in a read-only root with exactly the manifest's
// args, probed, and stopped. Also checks deploy/container/Dockerfile against
// the same expectations.
//
//   node tests/deploy/image.test.mjs --layout OCI_DIR --buf BUF
//        --binary content-server=PATH [--binary events-server=PATH]
//        [--kustomization DIR]... [--dockerfile PATH] [--dev-sh PATH]
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseQuantity, podTemplates, render, repoRoot } from '../../deploy/policy/lib.mjs';
import { ServerProcess, imageBinary, makeWorkDir, planServer, serversInStartOrder } from './podrun.mjs';

const opts = { binaries: new Map(), kustomizations: [], layout: null, buf: null,
               dockerfile: path.join(repoRoot, 'deploy/container/Dockerfile'), devSh: path.join(repoRoot, 'scripts/dev.sh') };
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--layout') opts.layout = path.resolve(next());
    else if (a === '--buf') opts.buf = path.resolve(next());
    else if (a === '--binary') { const v = next(); opts.binaries.set(v.split('=')[0], path.resolve(v.slice(v.indexOf('=') + 1))); }
    else if (a === '--kustomization') opts.kustomizations.push(path.resolve(next()));
    else if (a === '--dockerfile') opts.dockerfile = path.resolve(next());
    else if (a === '--dev-sh') opts.devSh = path.resolve(next());
    else throw new Error(`unknown argument ${a}`);
  }
  if (opts.kustomizations.length === 0) {
    opts.kustomizations = ['base', 'overlays/dev', 'overlays/prod'].map((d) => path.join(repoRoot, 'deploy/k8s', d));
  }
  assert.ok(opts.layout, '--layout is required');
}

const isRoot = process.getuid?.() === 0;
let work;
const images = new Map(); // tag -> { config, layerBlob, entries: Map path -> entry, rootfs }

function blob(digest) {
  const [alg, hex] = digest.split(':');
  return path.join(opts.layout, 'blobs', alg, hex);
}
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

// tar -tv listing with numeric owners: path -> { mode, uid, gid, type, link }.
function listLayer(file) {
  const r = spawnSync('tar', ['--numeric-owner', '-tvzf', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const entries = new Map();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S{10})\s+(\d+)\/(\d+)\s+\d+\s+\S+\s+\S+\s+(.*)$/.exec(line);
    if (!m) continue;
    let name = m[4];
    let link = null;
    const arrow = name.indexOf(' -> ');
    if (m[1][0] === 'l' && arrow >= 0) {
      link = name.slice(arrow + 4);
      name = name.slice(0, arrow);
    }
    name = '/' + name.replace(/^\.?\//, '').replace(/\/$/, '');
    entries.set(name, { perms: m[1], type: m[1][0], uid: Number(m[2]), gid: Number(m[3]), link });
  }
  return entries;
}

// The manifests' containers, by image tag.
function manifestContainers() {
  const out = new Map();
  for (const dir of opts.kustomizations) {
    const objects = render(dir);
    for (const p of podTemplates(objects)) {
      for (const c of p.spec.containers || []) {
        const tag = imageBinary(c.image);
        if (!out.has(tag)) out.set(tag, []);
        out.get(tag).push({ dir, objects, pod: p, container: c });
      }
    }
  }
  return out;
}
let containersByTag;

before(() => {
  assert.ok(fs.existsSync(path.join(opts.layout, 'index.json')), `${opts.layout} is not an OCI layout (build it with deploy/container/build-oci-image.sh)`);
  work = makeWorkDir('newsdesk-image-');
  const index = readJson(path.join(opts.layout, 'index.json'));
  for (const m of index.manifests) {
    const tag = m.annotations?.['org.opencontainers.image.ref.name'];
    const manifest = readJson(blob(m.digest));
    assert.equal(manifest.layers.length, 1, `${tag}: expected one layer`);
    const layerBlob = blob(manifest.layers[0].digest);
    const shared = [...images.values()].find((img) => img.layerBlob === layerBlob);
    images.set(tag, { config: readJson(blob(manifest.config.digest)), layerBlob,
                      entries: shared ? shared.entries : listLayer(layerBlob) });
  }
  // All tags share the layer: unpack it once.
  const rootfs = path.join(work, 'rootfs');
  fs.mkdirSync(rootfs);
  const first = [...images.values()][0];
  const r = spawnSync('tar', ['--numeric-owner', '-xzf', first.layerBlob, '-C', rootfs], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const img of images.values()) img.rootfs = rootfs;
  containersByTag = manifestContainers();
});

after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the layout has a tag for every server image the manifests run', () => {
  for (const [tag, uses] of containersByTag) {
    const servers = uses.filter((u) => u.pod.owner.kind === 'StatefulSet');
    if (servers.length === 0) continue;
    assert.ok(images.has(tag), `no tag ${tag} in ${opts.layout} (images: ${[...images.keys()].join(', ')})`);
  }
});

test('each image config matches the manifests: entrypoint, user, ports, stop signal', () => {
  for (const [tag, img] of images) {
    const cfg = img.config.config;
    assert.deepEqual(cfg.Entrypoint, [`/usr/local/bin/${tag}`], `${tag}: entrypoint`);
    assert.ok(!cfg.Cmd || cfg.Cmd.length === 0, `${tag}: Cmd must be empty; the manifests pass args`);
    assert.equal(img.config.os, 'linux');
    assert.equal(img.config.architecture, 'amd64');
    assert.match(cfg.User || '', /^\d+:\d+$/, `${tag}: User must be numeric uid:gid for runAsNonRoot`);
    const [uid, gid] = cfg.User.split(':').map(Number);
    assert.notEqual(uid, 0, `${tag}: runs as root`);
    for (const u of containersByTag.get(tag) || []) {
      const where = `${path.relative(repoRoot, u.dir)} ${u.pod.owner.kind}/${u.pod.owner.metadata.name}`;
      assert.equal(u.container.command, undefined, `${where}: sets command; the image entrypoint must run`);
      const psc = u.pod.spec.securityContext || {};
      const sc = u.container.securityContext || {};
      assert.equal(sc.runAsUser ?? psc.runAsUser, uid, `${where}: runAsUser differs from the image user`);
      assert.equal(sc.runAsGroup ?? psc.runAsGroup, gid, `${where}: runAsGroup differs from the image group`);
      if (u.pod.owner.kind === 'StatefulSet') {
        assert.equal(psc.fsGroup, gid, `${where}: fsGroup should be the image group (the data volume's group)`);
        const grpc = (u.container.ports || []).find((p) => p.name === 'grpc');
        assert.ok(cfg.ExposedPorts && `${grpc.containerPort}/tcp` in cfg.ExposedPorts,
                  `${tag}: does not expose ${grpc.containerPort}/tcp, the manifests' grpc port`);
        assert.equal(cfg.StopSignal, 'SIGTERM', `${tag}: stop signal`);
      }
    }
  }
});

test('the layer: root-owned binaries identical to the build, /data and /tmp, users, data files, no shell', () => {
  for (const [tag, img] of images) {
    const e = img.entries;
    const entry = e.get(`/usr/local/bin/${tag}`);
    assert.ok(entry, `${tag}: /usr/local/bin/${tag} missing`);
    assert.equal(entry.type, '-', `${tag}: entrypoint is not a regular file`);
    assert.equal(entry.perms, '-rwxr-xr-x', `${tag}: entrypoint mode`);
    assert.deepEqual([entry.uid, entry.gid], [0, 0], `${tag}: entrypoint must be root-owned (not writable by the service user)`);
    const built = opts.binaries.get(tag);
    if (built) assert.equal(sha256(path.join(img.rootfs, 'usr/local/bin', tag)), sha256(built), `${tag}: differs from ${built}`);

    const [uid, gid] = img.config.config.User.split(':').map(Number);
    const data = e.get('/data');
    assert.ok(data && data.type === 'd', '/data missing');
    assert.deepEqual([data.uid, data.gid], [uid, gid], '/data must belong to the service user');
    const tmp = e.get('/tmp');
    assert.ok(tmp && tmp.perms === 'drwxrwxrwt', '/tmp must be a sticky world-writable directory');
    for (const [p, v] of e) {
      if (p !== '/data' && v.uid !== 0) assert.fail(`${p} is owned by uid ${v.uid}; only /data may be`);
      if (v.type !== 'l' && v.type !== 'd' && /^.{8}w/.test(v.perms)) assert.fail(`${p} is world-writable`);
    }
    for (const sh of ['/usr/bin/sh', '/usr/bin/bash', '/usr/bin/dash', '/usr/bin/busybox']) {
      assert.ok(!e.has(sh), `${sh} in the image: nothing at run time needs a shell`);
    }
    const passwd = fs.readFileSync(path.join(img.rootfs, 'etc/passwd'), 'utf8');
    assert.match(passwd, new RegExp(`^[a-z]+:x:${uid}:${gid}:`, 'm'), '/etc/passwd has no entry for the service user');
    if (images.has('content-server')) {
      for (const f of ['/usr/share/hunspell/pl_PL.aff', '/usr/share/hunspell/pl_PL.dic']) assert.ok(e.has(f), `${f} missing (content-server reads it)`);
    }
    for (const [link, target] of [['/lib', 'usr/lib'], ['/lib64', 'usr/lib64'], ['/bin', 'usr/bin']]) {
      assert.equal(e.get(link)?.link, target, `${link} should link to ${target} (merged /usr)`);
    }
  }
});

test('every library the binaries load is in the image', () => {
  for (const tag of images.keys()) {
    const rootfs = images.get(tag).rootfs;
    const r = spawnSync(path.join(rootfs, 'usr/lib64/ld-linux-x86-64.so.2'),
                        ['--inhibit-cache', '--library-path', path.join(rootfs, 'usr/lib/x86_64-linux-gnu'),
                         path.join(rootfs, 'usr/local/bin', tag), '--helpfull'], { encoding: 'utf8', env: {} });
    const out = `${r.stdout}${r.stderr}`;
    assert.doesNotMatch(out, /error while loading shared libraries/, `${tag}: ${out}`);
    assert.match(out, /--[a-z_]+ \(/, `${tag} did not print its flags: ${out}`);
  }
});

test('as root: each server runs from the image, read-only root, as the manifest says, and stops on SIGTERM', async (t) => {
  if (!isRoot) {
    t.skip('needs root (chroot and bind mounts); the layout and library checks above still ran');
    return;
  }
  assert.ok(opts.buf && fs.existsSync(opts.buf), `buf not found at ${opts.buf}`);
  const dir = opts.kustomizations.find((d) => d.endsWith(path.join('overlays', 'dev'))) || opts.kustomizations[0];
  const objects = render(dir);
  const namespace = objects.find((x) => x.metadata?.namespace)?.metadata.namespace || 'default';
  const started = new Map();
  const running = [];
  try {
    for (const p of serversInStartOrder(objects, namespace)) {
      const tag = imageBinary(p.spec.containers[0].image);
      if (!images.has(tag)) continue;
      const img = images.get(tag);
      const plan = await planServer(objects, p, { namespace, workDir: path.join(work, 'run'), started, mode: 'chroot' });
      // The kubelet's ownership: volumes writable by fsGroup, Secrets group-readable.
      const fsGroup = p.spec.securityContext?.fsGroup;
      const runAs = `${p.spec.securityContext.runAsUser}:${p.spec.securityContext.runAsGroup}`;
      const mountArgs = [];
      for (const m of plan.mounts) {
        if (m.volume?.emptyDir && m.mount.mountPath === '/tmp') {
          mountArgs.push('--tmpfs', `/tmp:${parseQuantity(m.volume.emptyDir.sizeLimit || '64Mi')}`);
          continue;
        }
        fs.chownSync(m.hostDir, 0, fsGroup);
        fs.chmodSync(m.hostDir, 0o2775);
        mountArgs.push('--bind', `${m.hostDir}:${m.mount.mountPath}${m.mount.readOnly ? ':ro' : ''}`);
      }
      const entrypoint = img.config.config.Entrypoint;
      const args = [img.rootfs, runAs, ...mountArgs, '--', ...entrypoint, ...plan.args];
      t.diagnostic(`${plan.name}: ${entrypoint.join(' ')} ${plan.args.join(' ')} (as ${runAs})`);
      const env = Object.fromEntries((img.config.config.Env || []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      const proc = new ServerProcess(plan, 'unshare', ['--mount', '--propagation', 'private',
                                                       path.join(repoRoot, 'tests/deploy/run_in_rootfs.sh'), ...args],
                                     { cwd: '/', env: { ...env, HOSTNAME: `${plan.name}-0`, ...plan.env, PATH: env.PATH || plan.env.PATH } });
      running.push(proc);
      started.set(p.owner, plan);
      await proc.waitStarted(opts.buf);
      for (const kind of ['readinessProbe', 'livenessProbe']) {
        const r = proc.probe(opts.buf, kind);
        assert.ok(r.ok, `${plan.name}: ${kind}: ${r.output}\n${proc.stderr}`);
      }
    }
    assert.ok(running.length > 0, 'no server image to run');
  } finally {
    for (const proc of [...running].reverse()) {
      const r = await proc.terminate();
      assert.ok(!r.killed && r.exit.code === 0, `${proc.plan.name}: SIGTERM -> ${JSON.stringify(r)}\n${proc.stderr}`);
      assert.ok(proc.stderr.includes('"message":"stopped"'), `${proc.plan.name}: no "stopped" log line\n${proc.stderr}`);
      const notJson = proc.jsonLogLines().filter((l) => l.notJson !== undefined);
      assert.deepEqual(notJson, [], `${proc.plan.name}: stderr lines that are not JSON (a library complaining about the image?)`);
    }
  }
});

// --- deploy/container/Dockerfile ---------------------------------------------

function dockerfileStages(text) {
  // As Docker does: comment lines go first (also inside a continued RUN), then continuations join.
  const joined = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ');
  const stages = [];
  for (const line of joined.split('\n')) {
    const l = line.trim();
    if (!l || l.startsWith('#')) continue;
    const [instr, ...rest] = l.split(/\s+/);
    const arg = rest.join(' ');
    if (/^FROM$/i.test(instr)) {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(arg);
      stages.push({ from: m[1], name: m[2] || null, lines: [] });
    } else if (stages.length) {
      stages[stages.length - 1].lines.push({ instr: instr.toUpperCase(), arg });
    }
  }
  return stages;
}

test('the Dockerfile builds the same images: stages, entrypoints, user, runtime packages', () => {
  const stages = dockerfileStages(fs.readFileSync(opts.dockerfile, 'utf8'));
  const byName = new Map(stages.map((s) => [s.name, s]));
  assert.equal(byName.get('build')?.from, 'debian:bookworm', 'the build stage must be FROM debian:bookworm');
  const runtime = byName.get('runtime');
  assert.equal(runtime?.from, 'debian:bookworm-slim', 'the runtime stage must be FROM debian:bookworm-slim');
  const user = (stage) => stage.lines.filter((l) => l.instr === 'USER').map((l) => l.arg).pop();
  const chain = (stage) => {
    const out = [];
    for (let s = stage; s; s = byName.get(s.from)) out.unshift(s);
    return out;
  };
  for (const [tag, img] of images) {
    const stage = byName.get(tag);
    assert.ok(stage, `no Dockerfile target ${tag}`);
    const entry = stage.lines.filter((l) => l.instr === 'ENTRYPOINT').pop();
    assert.ok(entry, `target ${tag} has no ENTRYPOINT`);
    assert.deepEqual(JSON.parse(entry.arg), img.config.config.Entrypoint, `target ${tag}: exec-form ENTRYPOINT like the OCI image`);
    const u = chain(stage).map(user).filter(Boolean).pop();
    assert.equal(u, img.config.config.User, `target ${tag}: USER`);
    assert.ok(chain(stage).some((s) => s === runtime), `target ${tag} does not build on the runtime stage`);
  }
  // Runtime packages: the build stage lists the owners of the binaries' ldd
  // closure with runtime-packages.sh, the runtime stage installs that list
  // and the data packages. The list must equal what the OCI image carries.
  const build = byName.get('build');
  const buildRun = build.lines.filter((l) => l.instr === 'RUN').map((l) => l.arg).join(' ');
  assert.match(buildRun, /deploy\/container\/runtime-packages\.sh \/out\/\* > \/pkgs\/runtime-packages\.txt/,
               'the build stage does not list the runtime packages with runtime-packages.sh');
  const run = runtime.lines.filter((l) => l.instr === 'RUN').map((l) => l.arg).join(' ');
  assert.ok(runtime.lines.some((l) => l.instr === 'COPY' && l.arg.includes('/pkgs/runtime-packages.txt')), 'the runtime stage does not copy the package list');
  const m = /xargs -a \/tmp\/runtime-packages\.txt\s+apt-get install\s+(.*?)(;|&&|$)/.exec(run);
  assert.ok(m, 'the runtime stage does not install the listed packages');
  const dataPackages = m[1].split(/\s+/).filter((w) => w && !w.startsWith('-'));
  for (const p of ['ca-certificates', 'hunspell-pl']) assert.ok(dataPackages.includes(p), `the runtime stage does not install ${p}`);
  const built = [...opts.binaries.entries()].filter(([tag]) => images.has(tag)).map(([, file]) => file);
  const r = spawnSync(path.join(repoRoot, 'deploy/container/runtime-packages.sh'), built, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const listed = r.stdout.split('\n').filter(Boolean);
  const rootfs = [...images.values()][0].rootfs;
  const inImage = fs.readFileSync(path.join(rootfs, 'usr/share/doc/newsdesk-image-packages.txt'), 'utf8').split('\n')
    .filter((p) => p && !dataPackages.includes(p));
  assert.deepEqual(listed, inImage, 'runtime-packages.sh and the OCI image disagree on the runtime packages');
});

test("the Dockerfile's build stage can read scripts/dev.sh's APT_PACKAGES", () => {
  const r = spawnSync('bash', ['-c', 'set -eu; eval "$(sed -n \'/^readonly APT_PACKAGES=(/,/^)/p\' "$1")"; printf "%s\\n" "${APT_PACKAGES[@]}"', 'x', opts.devSh],
                      { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const pkgs = r.stdout.split('\n').filter(Boolean);
  for (const p of ['cmake', 'ninja-build', 'libgrpc++-dev', 'librocksdb-dev']) assert.ok(pkgs.includes(p), `APT_PACKAGES lacks ${p}: ${pkgs.join(' ')}`);
});
