// The deployment policy of issue 6 (and the Secret rules of issue 7), checked
// on rendered manifests without a cluster. checkPolicy() returns violations;
// an empty list means the manifests pass. Each rule has an id that the tests
// and the fixtures under tests/deploy/fixtures name.
import {
  containerArgs, describe, findObject, flagsOf, parseDuration, parseHostPort, parseQuantity, podTemplates,
  referencedVars, resolveTarget, schemaErrors, selectorMatches, unknownFields,
} from './lib.mjs';

// Time RocksDB may need to close (flush memtables, sync) after the gRPC grace
// period: terminationGracePeriodSeconds >= shutdown_grace + this.
export const DB_CLOSE_BUDGET_SECONDS = 15;
// The servers' --shutdown_grace default (services/common/server.cc).
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 10;
// Flags that name a file holding a credential: it must come from a Secret.
const CREDENTIAL_FLAG = /(token|tls|cert|key|ca|password|secret)[a-z_]*_file$/;
// Volume types the "restricted" Pod Security Standard allows.
const RESTRICTED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim',
                                 'projected', 'secret'];
const PSS_LABEL = 'pod-security.kubernetes.io/enforce';
const PART_OF = 'app.kubernetes.io/part-of';

export const RULES = {
  'schema': 'every object validates against the Kubernetes OpenAPI schemas (kubernetes-models)',
  'no-unknown-fields': 'no field the Kubernetes schemas do not define (e.g. imagePullPolice)',
  'no-committed-secrets': 'Secrets are created by operators, never rendered from the repository',
  'labels': `every object carries ${PART_OF}: newsdesk`,
  'namespace-restricted': 'an overlay renders its Namespace with the "restricted" Pod Security Standard enforced, and every object in it',
  'statefulset': 'each server is a StatefulSet with replicas: 1, a headless serviceName, and its --db_path on a volumeClaimTemplate volume',
  'service': 'each server has a ClusterIP Service with a port named grpc that reaches the port --listen serves',
  'headless-service': "each StatefulSet's serviceName is a headless Service selecting its pods",
  'probes': 'native gRPC startup, readiness and liveness probes on a declared port that a --listen/--health_listen flag serves',
  'resources': 'every container requests and limits cpu and memory, requests <= limits; emptyDirs fit the ephemeral-storage limit',
  'pod-security': 'restricted Pod Security Standard: non-root uid, no privilege escalation, drop ALL, seccomp RuntimeDefault, no host namespaces',
  'read-only-root': 'readOnlyRootFilesystem, writable only the data volume(s) and an emptyDir at /tmp; Secret/ConfigMap mounts readOnly',
  'service-account': 'no service account token mounted, no service links in the environment',
  'termination-grace': `terminationGracePeriodSeconds >= --shutdown_grace + ${DB_CLOSE_BUDGET_SECONDS}s for closing RocksDB`,
  'pod-disruption-budget': "a PodDisruptionBudget selects each StatefulSet's pods",
  'network-policy': 'default deny; clients reach both gRPC ports; events reaches content; metrics only from the monitoring namespace; DNS',
  'config-map-flags': 'tunable flags come from a ConfigMap: every $(VAR) resolves and every ConfigMap key is used',
  'service-targets': 'every --*_target flag names a Service port that reaches the right server',
  'credentials-from-secrets': 'every credential file flag points into a read-only Secret volume that provides that file',
  'image': 'images are tagged (never :latest) with an explicit imagePullPolicy; the image entrypoint is used (no command)',
  'prod-pinned': 'prod: images from a registry with a release tag or digest; a storageClassName on every volume claim',
};

function violation(rule, obj, message) {
  return { rule, object: obj ? describe(obj) : '-', message };
}

function containersOf(spec) {
  return [...(spec.initContainers || []), ...(spec.containers || [])];
}

// Only StatefulSets are servers (the services own a disk).
function servers(objects) {
  return podTemplates(objects).filter((p) => p.owner.kind === 'StatefulSet');
}

function namespaceOf(objects) {
  const ns = objects.find((o) => o.metadata?.namespace)?.metadata.namespace;
  return ns || 'default';
}

function podInfo(p, namespace) {
  return { podName: `${p.owner.metadata.name}-0`, namespace };
}

// Ports a container's listen flags serve: --listen, --health_listen, --metrics_listen, ...
function listenedPorts(flags) {
  const ports = new Map();
  for (const [name, value] of flags) {
    if (name === 'listen' || name.endsWith('_listen')) {
      const hp = parseHostPort(value);
      if (hp) ports.set(hp.port, name);
    }
  }
  return ports;
}

function checkObjects(objects, out) {
  for (const obj of objects) {
    for (const e of schemaErrors(obj)) out.push(violation('schema', obj, e));
    for (const p of unknownFields(obj)) out.push(violation('no-unknown-fields', obj, `unknown field ${p}`));
    if (obj.kind === 'Secret') {
      out.push(violation('no-committed-secrets', obj, 'Secrets must not be rendered from the repository (docs/DEPLOY.md, Secrets)'));
    }
    if (obj.metadata?.labels?.[PART_OF] !== 'newsdesk') out.push(violation('labels', obj, `missing label ${PART_OF}: newsdesk`));
  }
}

function checkNamespace(objects, out, { requireNamespace }) {
  if (!requireNamespace) return;
  const namespaces = objects.filter((o) => o.kind === 'Namespace');
  if (namespaces.length !== 1) {
    out.push(violation('namespace-restricted', null, `expected exactly one Namespace, found ${namespaces.length}`));
    return;
  }
  const [ns] = namespaces;
  if (ns.metadata?.labels?.[PSS_LABEL] !== 'restricted') {
    out.push(violation('namespace-restricted', ns, `label ${PSS_LABEL} must be "restricted"`));
  }
  for (const obj of objects) {
    if (obj.kind !== 'Namespace' && obj.metadata?.namespace !== ns.metadata.name) {
      out.push(violation('namespace-restricted', obj, `not in namespace ${ns.metadata.name}`));
    }
  }
}

function checkServer(p, objects, namespace, out) {
  const sts = p.owner;
  const spec = sts.spec || {};
  const podSpec = p.spec;
  if (spec.replicas !== 1) out.push(violation('statefulset', sts, `replicas must be 1 (RocksDB has one writer), is ${spec.replicas}`));
  const claims = (spec.volumeClaimTemplates || []).map((c) => c.metadata?.name);
  if (claims.length === 0) out.push(violation('statefulset', sts, 'no volumeClaimTemplates for the data directory'));

  // Headless Service governing the pods.
  const headless = findObject(objects, 'Service', spec.serviceName);
  if (!headless) {
    out.push(violation('headless-service', sts, `serviceName ${spec.serviceName} is not a Service in the manifests`));
  } else {
    if (headless.spec?.clusterIP !== 'None') out.push(violation('headless-service', headless, 'clusterIP must be None'));
    if (!selectorMatches({ matchLabels: headless.spec?.selector || {} }, p.labels) || !headless.spec?.selector) {
      out.push(violation('headless-service', headless, `does not select the pods of ${describe(sts)}`));
    }
  }
  if (!selectorMatches(spec.selector, p.labels)) {
    out.push(violation('statefulset', sts, 'spec.selector does not match the pod template labels'));
  }

  const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget' && selectorMatches(o.spec?.selector, p.labels));
  if (pdbs.length !== 1) out.push(violation('pod-disruption-budget', sts, `${pdbs.length} PodDisruptionBudgets select its pods, expected 1`));

  for (const container of podSpec.containers || []) {
    const { args, errors } = containerArgs(container, objects, podInfo(p, namespace));
    for (const e of errors) out.push(violation('config-map-flags', sts, `container ${container.name}: ${e}`));
    const flags = flagsOf(args);
    const mounts = container.volumeMounts || [];
    const listened = listenedPorts(flags);
    const declared = new Map((container.ports || []).map((cp) => [cp.containerPort, cp]));

    // Data directory on a claim.
    const dbPath = flags.get('db_path');
    if (!dbPath) {
      out.push(violation('statefulset', sts, `container ${container.name} has no --db_path`));
    } else {
      const m = mountFor(mounts, dbPath);
      if (!m || !claims.includes(m.name)) {
        out.push(violation('statefulset', sts, `--db_path=${dbPath} is not on a volumeClaimTemplate volume`));
      } else if (m.readOnly) {
        out.push(violation('statefulset', sts, `--db_path=${dbPath} is on a read-only mount`));
      }
    }

    // Every listened port is declared, and every declared port is listened on.
    for (const [port, flag] of listened) {
      if (!declared.has(port)) out.push(violation('probes', sts, `--${flag} port ${port} is not a containerPort`));
    }
    for (const [port] of declared) {
      if (!listened.has(port)) out.push(violation('probes', sts, `containerPort ${port} is served by no --*listen flag`));
    }
    const grpcPort = (container.ports || []).find((cp) => cp.name === 'grpc');
    if (!grpcPort) out.push(violation('service', sts, `container ${container.name} has no port named grpc`));
    else if (listened.get(grpcPort.containerPort) !== 'listen') {
      out.push(violation('service', sts, `port grpc (${grpcPort.containerPort}) is not the --listen port`));
    }

    for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const probe = container[kind];
      if (!probe) {
        out.push(violation('probes', sts, `container ${container.name} has no ${kind}`));
        continue;
      }
      if (!probe.grpc || probe.exec || probe.httpGet || probe.tcpSocket) {
        out.push(violation('probes', sts, `${kind} must be a native grpc probe`));
        continue;
      }
      if (!declared.has(probe.grpc.port)) {
        out.push(violation('probes', sts, `${kind} port ${probe.grpc.port} is not a containerPort`));
      } else if (!['listen', 'health_listen'].includes(listened.get(probe.grpc.port))) {
        out.push(violation('probes', sts, `${kind} port ${probe.grpc.port} is served by no --listen/--health_listen flag`));
      }
    }

    // Graceful shutdown fits in the termination grace period.
    const grace = flags.has('shutdown_grace') ? parseDuration(flags.get('shutdown_grace')) : DEFAULT_SHUTDOWN_GRACE_SECONDS;
    const tgps = podSpec.terminationGracePeriodSeconds ?? 30;
    if (Number.isNaN(grace)) {
      out.push(violation('termination-grace', sts, `--shutdown_grace=${flags.get('shutdown_grace')} is not a duration`));
    } else if (tgps < grace + DB_CLOSE_BUDGET_SECONDS) {
      out.push(violation('termination-grace', sts,
                         `terminationGracePeriodSeconds ${tgps} < shutdown_grace ${grace}s + ${DB_CLOSE_BUDGET_SECONDS}s`));
    }

    // Tunables from a ConfigMap, all of them used.
    const cmRefs = (container.envFrom || []).filter((e) => e.configMapRef).map((e) => e.configMapRef.name);
    if (cmRefs.length === 0) out.push(violation('config-map-flags', sts, `container ${container.name} takes no ConfigMap`));
    const used = new Set([...(container.command || []), ...(container.args || [])].flatMap((a) => referencedVars(String(a))));
    for (const e of container.env || []) for (const v of referencedVars(String(e.value ?? ''))) used.add(v);
    for (const name of cmRefs) {
      const cm = findObject(objects, 'ConfigMap', name);
      for (const k of Object.keys(cm?.data || {})) {
        if (!used.has(k)) out.push(violation('config-map-flags', cm, `key ${k} is used by no flag of ${describe(sts)}`));
      }
    }

    // --*_target flags reach a server through its Service.
    for (const [name, value] of flags) {
      if (!name.endsWith('_target')) continue;
      const r = resolveTarget(objects, value, namespace);
      if (r.error) {
        out.push(violation('service-targets', sts, `--${name}=${value}: ${r.error}`));
        continue;
      }
      const targetFlags = flagsOf(containerArgs(r.container, objects, podInfo(r.pod, namespace)).args);
      const listenedThere = listenedPorts(targetFlags);
      if (listenedThere.get(r.containerPort) !== 'listen') {
        out.push(violation('service-targets', sts, `--${name}=${value} reaches port ${r.containerPort} of ${describe(r.workload)}, not its --listen port`));
      }
      if (r.servicePort.name !== 'grpc') {
        out.push(violation('service-targets', sts, `--${name}=${value} uses Service port ${r.servicePort.name}, not grpc`));
      }
    }
  }

  // A ClusterIP Service with a grpc port for this server.
  const services = objects.filter((o) => o.kind === 'Service' && o.spec?.clusterIP !== 'None' && o.spec?.selector &&
                                         selectorMatches({ matchLabels: o.spec.selector }, p.labels));
  const withGrpc = services.filter((s) => (s.spec.ports || []).some((sp) => sp.name === 'grpc'));
  if (withGrpc.length === 0) out.push(violation('service', sts, 'no ClusterIP Service with a port named grpc selects its pods'));
  for (const s of withGrpc) {
    const sp = s.spec.ports.find((x) => x.name === 'grpc');
    const r = resolveTarget(objects, `${s.metadata.name}:${sp.port}`, namespace);
    const listen = r.error ? null : parseHostPort(flagsOf(containerArgs(r.container, objects, podInfo(r.pod, namespace)).args).get('listen') || '');
    if (r.error || !listen || listen.port !== r.containerPort) {
      out.push(violation('service', s, `port grpc does not reach the --listen port of ${describe(sts)}${r.error ? `: ${r.error}` : ''}`));
    }
  }
}

function mountFor(mounts, file) {
  let best = null;
  for (const m of mounts) {
    const dir = m.mountPath.replace(/\/+$/, '');
    if ((file === dir || file.startsWith(dir + '/')) && (!best || dir.length > best.mountPath.length)) best = m;
  }
  return best;
}

function checkPods(objects, namespace, out, { requireTags }) {
  for (const p of podTemplates(objects)) {
    const owner = p.owner;
    const spec = p.spec;
    const psc = spec.securityContext || {};
    const claims = (owner.spec?.volumeClaimTemplates || []).map((c) => c.metadata?.name);
    const volumes = new Map((spec.volumes || []).map((v) => [v.name, v]));

    if (spec.automountServiceAccountToken !== false) out.push(violation('service-account', owner, 'automountServiceAccountToken must be false'));
    if (spec.enableServiceLinks !== false) out.push(violation('service-account', owner, 'enableServiceLinks must be false'));
    for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[f]) out.push(violation('pod-security', owner, `${f} must not be set`));
    if (psc.runAsNonRoot !== true) out.push(violation('pod-security', owner, 'pod securityContext.runAsNonRoot must be true'));
    for (const v of spec.volumes || []) {
      const type = Object.keys(v).find((k) => k !== 'name');
      if (!RESTRICTED_VOLUME_TYPES.includes(type)) out.push(violation('pod-security', owner, `volume ${v.name} of type ${type} is not allowed`));
    }

    for (const c of containersOf(spec)) {
      const sc = c.securityContext || {};
      const where = `container ${c.name}`;
      const uid = sc.runAsUser ?? psc.runAsUser;
      if (!(Number.isInteger(uid) && uid > 0)) out.push(violation('pod-security', owner, `${where}: runAsUser must be a non-zero uid`));
      const gid = sc.runAsGroup ?? psc.runAsGroup;
      if (gid === 0) out.push(violation('pod-security', owner, `${where}: runAsGroup must not be 0`));
      if (sc.runAsNonRoot === false) out.push(violation('pod-security', owner, `${where}: runAsNonRoot must not be false`));
      if (sc.allowPrivilegeEscalation !== false) out.push(violation('pod-security', owner, `${where}: allowPrivilegeEscalation must be false`));
      if (sc.privileged) out.push(violation('pod-security', owner, `${where}: privileged`));
      if (!(sc.capabilities?.drop || []).includes('ALL')) out.push(violation('pod-security', owner, `${where}: capabilities must drop ALL`));
      if ((sc.capabilities?.add || []).length) out.push(violation('pod-security', owner, `${where}: adds capabilities`));
      const seccomp = (sc.seccompProfile || psc.seccompProfile || {}).type;
      if (!['RuntimeDefault', 'Localhost'].includes(seccomp)) out.push(violation('pod-security', owner, `${where}: seccompProfile must be RuntimeDefault`));
      for (const port of c.ports || []) if (port.hostPort) out.push(violation('pod-security', owner, `${where}: hostPort`));

      if (sc.readOnlyRootFilesystem !== true) out.push(violation('read-only-root', owner, `${where}: readOnlyRootFilesystem must be true`));
      let tmp = false;
      for (const m of c.volumeMounts || []) {
        const v = volumes.get(m.name);
        if (m.subPath || m.subPathExpr) out.push(violation('read-only-root', owner, `${where}: mount ${m.name} uses subPath (never updated on Secret rotation)`));
        if (v?.emptyDir && m.mountPath === '/tmp') {
          tmp = true;
          if (!v.emptyDir.sizeLimit) out.push(violation('read-only-root', owner, `${where}: the /tmp emptyDir needs a sizeLimit`));
          continue;
        }
        const isClaim = claims.includes(m.name) || v?.persistentVolumeClaim;
        if (!m.readOnly && !isClaim) {
          out.push(violation('read-only-root', owner, `${where}: mount ${m.name} at ${m.mountPath} is writable; only data volumes and /tmp may be`));
        }
        if (!v && !claims.includes(m.name)) out.push(violation('read-only-root', owner, `${where}: mount ${m.name} has no volume`));
      }
      if (!tmp) out.push(violation('read-only-root', owner, `${where}: no emptyDir mounted at /tmp`));

      // Resources.
      for (const r of ['cpu', 'memory']) {
        const req = c.resources?.requests?.[r];
        const lim = c.resources?.limits?.[r];
        if (req === undefined) out.push(violation('resources', owner, `${where}: no ${r} request`));
        if (lim === undefined) out.push(violation('resources', owner, `${where}: no ${r} limit`));
        if (req !== undefined && lim !== undefined && parseQuantity(req) > parseQuantity(lim)) {
          out.push(violation('resources', owner, `${where}: ${r} request ${req} exceeds limit ${lim}`));
        }
      }

      // emptyDirs count against the ephemeral-storage limit: exceeding it evicts the pod.
      const ephemeral = c.resources?.limits?.['ephemeral-storage'];
      const emptyDirTotal = (c.volumeMounts || []).map((m) => volumes.get(m.name)?.emptyDir?.sizeLimit)
        .filter(Boolean).reduce((sum, q) => sum + parseQuantity(q), 0);
      if (ephemeral !== undefined && emptyDirTotal > parseQuantity(ephemeral)) {
        out.push(violation('resources', owner, `${where}: emptyDir sizeLimits exceed the ephemeral-storage limit ${ephemeral}`));
      }

      // Images.
      const image = String(c.image || '');
      const ref = parseImage(image);
      if (requireTags && !ref.tag && !ref.digest) out.push(violation('image', owner, `${where}: image ${image} has no tag or digest`));
      if (ref.tag === 'latest') out.push(violation('image', owner, `${where}: image ${image} uses :latest`));
      if (!['IfNotPresent', 'Always'].includes(c.imagePullPolicy)) {
        out.push(violation('image', owner, `${where}: imagePullPolicy must be set (IfNotPresent or Always)`));
      }
      if (c.command) out.push(violation('image', owner, `${where}: command overrides the image entrypoint`));

      // Credentials come from Secret files.
      const { args } = containerArgs(c, objects, podInfo(p, namespace));
      for (const [name, value] of flagsOf(args)) {
        if (!CREDENTIAL_FLAG.test(name)) continue;
        const m = mountFor(c.volumeMounts || [], value);
        const v = m && volumes.get(m.name);
        const secret = v?.secret;
        if (!m || !secret) {
          out.push(violation('credentials-from-secrets', owner, `${where}: --${name}=${value} is not in a Secret volume`));
          continue;
        }
        if (!m.readOnly) out.push(violation('credentials-from-secrets', owner, `${where}: Secret mount ${m.name} must be readOnly`));
        const rel = value.slice(m.mountPath.replace(/\/+$/, '').length + 1);
        if (secret.items && !secret.items.some((it) => it.path === rel)) {
          out.push(violation('credentials-from-secrets', owner, `${where}: Secret ${secret.secretName} provides no ${rel} for --${name}`));
        }
      }
    }
  }
}

export function parseImage(image) {
  let rest = image;
  let digest = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  const tag = colon > slash ? rest.slice(colon + 1) : null;
  const name = colon > slash ? rest.slice(0, colon) : rest;
  const first = name.split('/')[0];
  const registry = name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : null;
  return { name, tag, digest, registry };
}

function checkProd(objects, out) {
  for (const p of podTemplates(objects)) {
    for (const c of containersOf(p.spec)) {
      const ref = parseImage(String(c.image || ''));
      if (!ref.registry) out.push(violation('prod-pinned', p.owner, `container ${c.name}: image ${c.image} names no registry`));
      const release = ref.digest ? /^sha256:[0-9a-f]{64}$/.test(ref.digest) : /^v?\d+\.\d+\.\d+([-.+][0-9A-Za-z.-]+)?$/.test(ref.tag || '');
      if (!release) out.push(violation('prod-pinned', p.owner, `container ${c.name}: image ${c.image} is not pinned to a release tag or digest`));
    }
    for (const claim of p.owner.spec?.volumeClaimTemplates || []) {
      if (!claim.spec?.storageClassName) {
        out.push(violation('prod-pinned', p.owner, `volumeClaimTemplate ${claim.metadata?.name} has no storageClassName`));
      }
    }
  }
}

// ---------------------------------------------------------------------------
// NetworkPolicy: a small evaluator of the pod-to-pod semantics
// ---------------------------------------------------------------------------

function nsLabels(objects, namespace) {
  const ns = findObject(objects, 'Namespace', namespace);
  return { ...(ns?.metadata?.labels || {}), 'kubernetes.io/metadata.name': namespace };
}

function peerMatches(peer, policyNamespace, pod) {
  if (peer.ipBlock) return false;
  const nsOk = peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, pod.nsLabels) : pod.namespace === policyNamespace;
  const podOk = peer.podSelector ? selectorMatches(peer.podSelector, pod.labels) : true;
  return nsOk && podOk;
}

function portMatches(rulePorts, port, protocol, portName) {
  if (!rulePorts || rulePorts.length === 0) return true;
  return rulePorts.some((rp) => (rp.protocol || 'TCP') === protocol &&
    (rp.port === undefined || rp.port === port || (portName && rp.port === portName) ||
     (typeof rp.port === 'number' && rp.endPort && port >= rp.port && port <= rp.endPort)));
}

// Whether `src` may open a connection to `dst` on port/protocol under the
// rendered NetworkPolicies (both the egress side and the ingress side).
export function connectionAllowed(policies, src, dst, port, protocol = 'TCP', portName = null) {
  const applies = (pol, pod, type) => {
    if (pol.metadata.namespace !== pod.namespace) return false;
    const types = pol.spec?.policyTypes || (pol.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress']);
    return types.includes(type) && selectorMatches(pol.spec?.podSelector || {}, pod.labels);
  };
  const ingress = policies.filter((pol) => applies(pol, dst, 'Ingress'));
  const egress = policies.filter((pol) => applies(pol, src, 'Egress'));
  const ingressOk = ingress.length === 0 || ingress.some((pol) => (pol.spec.ingress || []).some((rule) =>
    (!rule.from || rule.from.length === 0 || rule.from.some((peer) => peerMatches(peer, dst.namespace, src))) &&
    portMatches(rule.ports, port, protocol, portName)));
  const egressOk = egress.length === 0 || egress.some((pol) => (pol.spec.egress || []).some((rule) =>
    (!rule.to || rule.to.length === 0 || rule.to.some((peer) => peerMatches(peer, src.namespace, dst))) &&
    portMatches(rule.ports, port, protocol, portName)));
  return ingressOk && egressOk;
}

function checkNetworkPolicies(objects, namespace, out) {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((pol) => ({
    ...pol, metadata: { ...pol.metadata, namespace: pol.metadata?.namespace || namespace } }));
  const denyAll = policies.find((pol) => Object.keys(pol.spec?.podSelector || {}).length === 0 &&
    ['Ingress', 'Egress'].every((t) => (pol.spec?.policyTypes || []).includes(t)) &&
    !(pol.spec?.ingress || []).length && !(pol.spec?.egress || []).length);
  if (!denyAll) out.push(violation('network-policy', null, 'no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)'));

  const pod = (ns, labels) => ({ namespace: ns, labels, nsLabels: nsLabels(objects, ns) });
  const client = pod('newsdesk-clients', { 'newsdesk.io/client': 'true' });
  const stranger = pod(namespace, { 'app.kubernetes.io/name': 'something-else' });
  const monitoring = pod('monitoring', { 'app.kubernetes.io/name': 'prometheus' });
  const dns = pod('kube-system', { 'k8s-app': 'kube-dns' });
  const say = (obj, msg) => out.push(violation('network-policy', obj, msg));

  const srv = servers(objects).map((p) => ({ p, self: pod(namespace, p.labels), containers: p.spec.containers || [] }));
  for (const { p, self, containers } of srv) {
    const sts = p.owner;
    for (const c of containers) {
      for (const cp of c.ports || []) {
        const port = cp.containerPort;
        if (cp.name === 'grpc') {
          if (!connectionAllowed(policies, client, self, port, 'TCP', cp.name)) say(sts, `a client pod (newsdesk.io/client) cannot reach grpc port ${port}`);
          if (connectionAllowed(policies, stranger, self, port, 'TCP', cp.name)) say(sts, `an unlabelled pod in the namespace reaches grpc port ${port}`);
          if (connectionAllowed(policies, monitoring, self, port, 'TCP', cp.name)) say(sts, `the monitoring namespace reaches grpc port ${port}`);
        } else if (cp.name === 'metrics') {
          if (!connectionAllowed(policies, monitoring, self, port, 'TCP', cp.name)) say(sts, `the monitoring namespace cannot reach metrics port ${port}`);
          if (connectionAllowed(policies, client, self, port, 'TCP', cp.name)) say(sts, `a client pod reaches metrics port ${port}`);
          if (connectionAllowed(policies, stranger, self, port, 'TCP', cp.name)) say(sts, `an unlabelled pod reaches metrics port ${port}`);
        } else if (cp.name === 'health') {
          if (connectionAllowed(policies, client, self, port, 'TCP', cp.name)) say(sts, `a client pod reaches health port ${port}`);
        }
      }
      for (const proto of ['UDP', 'TCP']) {
        if (!connectionAllowed(policies, self, dns, 53, proto)) say(sts, `cannot reach the cluster DNS (${proto} 53)`);
      }
      // Dependencies named by --*_target are reachable; other servers are not.
      const { args } = containerArgs(c, objects, podInfo(p, namespace));
      const targets = new Set();
      for (const [name, value] of flagsOf(args)) {
        if (!name.endsWith('_target')) continue;
        const r = resolveTarget(objects, value, namespace);
        if (r.error) continue; // service-targets reports it
        targets.add(r.workload);
        if (!connectionAllowed(policies, self, pod(namespace, r.pod.labels), r.containerPort)) {
          say(sts, `--${name}=${value}: cannot reach ${describe(r.workload)} port ${r.containerPort}`);
        }
      }
      for (const other of srv) {
        if (other.p === p || targets.has(other.p.owner)) continue;
        for (const oc of other.containers) {
          for (const cp of oc.ports || []) {
            if (connectionAllowed(policies, self, other.self, cp.containerPort)) {
              say(sts, `reaches ${describe(other.p.owner)} port ${cp.containerPort} without a --*_target dependency`);
            }
          }
        }
      }
    }
  }
}

// profile: 'base' (no namespace), 'overlay' (a Namespace), 'prod' (overlay + pinned).
export function checkPolicy(objects, { profile = 'base' } = {}) {
  const out = [];
  const namespace = namespaceOf(objects);
  checkObjects(objects, out);
  checkNamespace(objects, out, { requireNamespace: profile !== 'base' });
  const srv = servers(objects);
  if (srv.length === 0) out.push(violation('statefulset', null, 'no StatefulSet in the manifests'));
  for (const p of srv) checkServer(p, objects, namespace, out);
  // The base leaves image tags to the overlays.
  checkPods(objects, namespace, out, { requireTags: profile !== 'base' });
  checkNetworkPolicies(objects, namespace, out);
  if (profile === 'prod') checkProd(objects, out);
  return out;
}
