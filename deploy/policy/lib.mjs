// Shared helpers for the deploy checks: rendering kustomizations, schema
// validation with kubernetes-models, unknown-field detection, and reading a
// pod spec the way the kubelet does ($(VAR) expansion, env from ConfigMaps).
//
// npm packages come from ./.tools (npm install --prefix ./.tools
// kubernetes-models@4.5.1 yaml@2.9.1), like buf; kubectl (>= 1.21, for
// kustomize components) renders.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const toolsDir = process.env.NEWSDESK_TOOLS_DIR || path.join(repoRoot, '.tools');

// The npm packages the checks need, pinned (kubernetes-models 5.x needs Node 22).
export const NPM_PACKAGES = { 'kubernetes-models': '4.5.1', yaml: '2.9.1' };

const toolsRequire = createRequire(path.join(toolsDir, 'package.json'));

export function requireTool(name) {
  try {
    return toolsRequire(name);
  } catch (e) {
    if (e.code === 'MODULE_NOT_FOUND') {
      const spec = Object.entries(NPM_PACKAGES).map(([n, v]) => `${n}@${v}`).join(' ');
      throw new Error(`npm package '${name}' is not installed in ${toolsDir}; install the deploy check tools with:\n` +
                      `  npm install --prefix ./.tools --save-exact ${spec}`);
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

export const kubectl = process.env.KUBECTL || 'kubectl';
let kustomizeChecked = false;

// kustomize components need kustomize v3.7+ (kubectl 1.21+). Debian 12's
// kubernetes-client is kubectl 1.20 with kustomize v2.0.3, which cannot.
export function checkKubectl() {
  if (kustomizeChecked) return;
  const r = spawnSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (r.error && r.error.code === 'ENOENT') {
    throw new Error(`'${kubectl}' not found: the deploy checks render with \`kubectl kustomize\` ` +
                    '(kubectl >= 1.21; set KUBECTL to use another binary)');
  }
  let info = {};
  try {
    info = JSON.parse(r.stdout);
  } catch {
    // Old clients print no JSON for -o json; the version check below fails.
  }
  const v = /^v?(\d+)\.(\d+)/.exec(info.kustomizeVersion || '');
  if (!v || Number(v[1]) < 4) {
    throw new Error(`${kubectl} has kustomize ${info.kustomizeVersion || '(unknown)'}; the manifests use kustomize ` +
                    'components and need kubectl >= 1.21 (kustomize v4+). Debian 12\'s kubernetes-client (1.20) ' +
                    'is too old.');
  }
  kustomizeChecked = true;
}

// Renders a kustomization directory into plain objects.
export function render(dir) {
  checkKubectl();
  const r = spawnSync(kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${r.stderr || r.error}`);
  return parseYamlStream(r.stdout, dir);
}

export function parseYamlStream(text, where = 'input') {
  const YAML = requireTool('yaml');
  const docs = YAML.parseAllDocuments(text);
  const out = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${where}: YAML error: ${doc.errors[0].message}`);
    const obj = doc.toJS();
    if (obj) out.push(obj);
  }
  return out;
}

export function describe(obj) {
  const ns = obj.metadata?.namespace ? `${obj.metadata.namespace}/` : '';
  return `${obj.kind}/${ns}${obj.metadata?.name}`;
}

// ---------------------------------------------------------------------------
// Schemas (kubernetes-models) and unknown fields
// ---------------------------------------------------------------------------

function modelClass(obj) {
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') return null;
  const file = path.join(toolsDir, 'node_modules', 'kubernetes-models', ...obj.apiVersion.split('/'), `${obj.kind}.js`);
  if (!/^[A-Za-z0-9.\/]+$/.test(obj.apiVersion) || !/^[A-Za-z0-9]+$/.test(obj.kind) || !fs.existsSync(file)) {
    requireTool('kubernetes-models'); // a clear message when the package itself is missing
    return null;
  }
  return toolsRequire(file)[obj.kind] || null;
}

// Errors from the object's OpenAPI schema (types, formats, required fields),
// as kubernetes-models reports them. Unknown fields pass this check.
export function schemaErrors(obj) {
  const Model = modelClass(obj);
  if (!Model) return [`no Kubernetes schema for apiVersion ${obj.apiVersion}, kind ${obj.kind}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    return [e.message];
  }
}

// JSON pointers of fields the schema does not define. kubernetes-models'
// validators are generated code that reads each property the schema names
// (`data.image`, `data.imagePullPolicy`, ...) and enumerates only maps
// (labels, resources.limits, ConfigMap data); a property of an object that the
// validator neither read nor enumerated is unknown to the schema — the API
// server would drop it (or reject it with strict field validation).
export function unknownFields(obj) {
  const Model = modelClass(obj);
  if (!Model) return [];
  const read = new Set();
  const enumerated = new Set();
  const key = (p) => JSON.stringify(p);
  const track = (value, p) => {
    if (value === null || typeof value !== 'object') return value;
    return new Proxy(value, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && Object.prototype.hasOwnProperty.call(target, prop)) {
          read.add(key([...p, prop]));
          return track(target[prop], [...p, prop]);
        }
        return Reflect.get(target, prop, receiver);
      },
      ownKeys(target) {
        enumerated.add(key(p));
        return Reflect.ownKeys(target);
      },
    });
  };
  try {
    Model.prototype.validate.call(track(obj, []));
  } catch {
    // Schema errors are schemaErrors()'s business.
  }
  const unknown = [];
  const walk = (value, p) => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...p, String(i)]));
      return;
    }
    const isMap = enumerated.has(key(p));
    for (const [k, v] of Object.entries(value)) {
      const child = [...p, k];
      if (!isMap && !read.has(key(child))) {
        unknown.push('/' + child.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/'));
        continue;
      }
      walk(v, child);
    }
  };
  walk(obj, []);
  return unknown;
}

// ---------------------------------------------------------------------------
// Reading pod specs
// ---------------------------------------------------------------------------

// Workloads and their pod templates.
export function podTemplates(objects) {
  const out = [];
  for (const obj of objects) {
    let template = null;
    if (['StatefulSet', 'Deployment', 'DaemonSet', 'ReplicaSet', 'Job'].includes(obj.kind)) template = obj.spec?.template;
    else if (obj.kind === 'CronJob') template = obj.spec?.jobTemplate?.spec?.template;
    else if (obj.kind === 'Pod') template = { metadata: obj.metadata, spec: obj.spec };
    if (template) out.push({ owner: obj, template, spec: template.spec || {}, labels: template.metadata?.labels || {} });
  }
  return out;
}

export function findObject(objects, kind, name) {
  return objects.find((o) => o.kind === kind && o.metadata?.name === name);
}

// The environment the kubelet gives a container: envFrom (ConfigMaps, Secrets
// as placeholders), then env (with $(VAR) expansion of earlier values,
// ConfigMap keys, and the downward API's pod name and namespace).
// Returns { env, errors }.
export function containerEnv(container, objects, { podName = 'pod-0', namespace = 'default' } = {}) {
  const env = {};
  const errors = [];
  for (const from of container.envFrom || []) {
    const prefix = from.prefix || '';
    if (from.configMapRef) {
      const cm = findObject(objects, 'ConfigMap', from.configMapRef.name);
      if (!cm) {
        if (!from.configMapRef.optional) errors.push(`envFrom: ConfigMap ${from.configMapRef.name} is not in the manifests`);
        continue;
      }
      for (const [k, v] of Object.entries(cm.data || {})) env[prefix + k] = String(v);
    } else if (from.secretRef) {
      errors.push(`envFrom: Secret ${from.secretRef.name}: secrets belong in mounted files, not the environment`);
    }
  }
  for (const e of container.env || []) {
    if ('value' in e) {
      env[e.name] = expandVars(String(e.value ?? ''), env).value;
    } else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const cm = findObject(objects, 'ConfigMap', ref.name);
      if (!cm || !(ref.key in (cm.data || {}))) {
        if (!ref.optional) errors.push(`env ${e.name}: ConfigMap ${ref.name} key ${ref.key} is not in the manifests`);
        continue;
      }
      env[e.name] = String(cm.data[ref.key]);
    } else if (e.valueFrom?.fieldRef) {
      const field = e.valueFrom.fieldRef.fieldPath;
      if (field === 'metadata.name') env[e.name] = podName;
      else if (field === 'metadata.namespace') env[e.name] = namespace;
      else errors.push(`env ${e.name}: fieldRef ${field} is not modelled by the deploy checks`);
    } else if (e.valueFrom?.secretKeyRef) {
      errors.push(`env ${e.name}: secrets belong in mounted files, not the environment`);
    } else {
      errors.push(`env ${e.name}: unsupported value source`);
    }
  }
  return { env, errors };
}

// Kubernetes' $(VAR) expansion of command, args and env values: $(VAR)
// becomes the variable's value when defined, $$ is a literal $, and an
// undefined reference stays as written (returned in `undefinedRefs`).
export function expandVars(s, env) {
  const undefinedRefs = [];
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$') {
      out += '$';
      i++;
    } else if (s[i] === '$' && s[i + 1] === '(') {
      const end = s.indexOf(')', i + 2);
      if (end < 0) {
        out += s.slice(i);
        break;
      }
      const name = s.slice(i + 2, end);
      if (Object.prototype.hasOwnProperty.call(env, name)) out += env[name];
      else {
        out += s.slice(i, end + 1);
        undefinedRefs.push(name);
      }
      i = end;
    } else {
      out += s[i];
    }
  }
  return { value: out, undefinedRefs };
}

// The variables $(VAR) references in a string.
export function referencedVars(s) {
  const out = [];
  const re = /\$\$|\$\(([^)]*)\)/g;
  let m;
  while ((m = re.exec(s)) !== null) if (m[1] !== undefined) out.push(m[1]);
  return out;
}

// The container's command line after expansion: { args, errors, env }.
export function containerArgs(container, objects, podInfo) {
  const { env, errors } = containerEnv(container, objects, podInfo);
  const args = [];
  for (const a of [...(container.command || []), ...(container.args || [])]) {
    const { value, undefinedRefs } = expandVars(String(a), env);
    for (const name of undefinedRefs) errors.push(`argument '${a}' refers to undefined variable ${name}`);
    args.push(value);
  }
  return { args, env, errors };
}

// --name=value flags (absl style) -> Map name -> value ('' for a bare --name).
export function flagsOf(args) {
  const flags = new Map();
  for (const a of args) {
    const m = /^--?([A-Za-z0-9_]+)(?:=(.*))?$/s.exec(a);
    if (m) flags.set(m[1], m[2] ?? '');
  }
  return flags;
}

// host:port, [v6]:port, or dns:///host:port -> { host, port } (port a number).
export function parseHostPort(s) {
  const t = String(s).replace(/^dns:\/\/[^/]*\//, '');
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(t);
  if (!m) return null;
  return { host: m[1], port: Number(m[2]) };
}

// absl durations: "20s", "1m30s", "168h", "250ms", "1.5s", "inf" -> seconds.
export function parseDuration(s) {
  const units = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 };
  const str = String(s).trim();
  if (str === '0') return 0;
  if (!/^(\d+(\.\d+)?(h|ms|us|ns|m|s))+$/.test(str)) return NaN;
  let total = 0;
  for (const m of str.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|ns|m|s)/g)) total += Number(m[1]) * units[m[2]];
  return total;
}

// Kubernetes quantities ("250m", "2Gi", "1.5", "100M") -> a number.
export function parseQuantity(q) {
  const m = /^([0-9.]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(String(q));
  if (!m) return NaN;
  const mult = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
                 Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  return Number(m[1]) * (m[2] ? mult[m[2]] : 1);
}

export function selectorMatches(selector, labels) {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels || {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions || []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In': if (!has || !e.values.includes(labels[e.key])) return false; break;
      case 'NotIn': if (has && e.values.includes(labels[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

// The Service that `host` (name, name.ns, name.ns.svc[.cluster.local]) names.
export function serviceForHost(objects, host, namespace) {
  const parts = host.split('.');
  const name = parts[0];
  if (parts.length > 1 && parts[1] !== namespace) return null;
  if (parts.length > 2 && !(parts[2] === 'svc' && (parts.length === 3 || parts.slice(3).join('.') === 'cluster.local'))) {
    return null;
  }
  return findObject(objects, 'Service', name) || null;
}

// Follows host:port through a Service to the pod template and container port
// that serve it: { service, servicePort, workload, container, containerPort }
// or { error }.
export function resolveTarget(objects, target, namespace) {
  const hp = parseHostPort(target);
  if (!hp) return { error: `'${target}' is not host:port` };
  const service = serviceForHost(objects, hp.host, namespace);
  if (!service) return { error: `'${hp.host}' is not the DNS name of a Service in the manifests` };
  const servicePort = (service.spec?.ports || []).find((p) => p.port === hp.port);
  if (!servicePort) return { error: `Service ${service.metadata.name} has no port ${hp.port}` };
  const pods = podTemplates(objects).filter((p) => selectorMatches({ matchLabels: service.spec?.selector || {} }, p.labels));
  if (pods.length !== 1) return { error: `Service ${service.metadata.name} selects ${pods.length} workloads, expected 1` };
  const [pod] = pods;
  const targetPort = servicePort.targetPort ?? servicePort.port;
  for (const container of pod.spec.containers || []) {
    for (const cp of container.ports || []) {
      if ((typeof targetPort === 'string' && cp.name === targetPort) || cp.containerPort === targetPort) {
        return { service, servicePort, workload: pod.owner, pod, container, containerPort: cp.containerPort };
      }
    }
  }
  return { error: `Service ${service.metadata.name} port ${hp.port} targets ${targetPort}, which no container declares` };
}
