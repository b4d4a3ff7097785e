// SPDX-License-Identifier: BSD-3-Clause
// Offline validation of deploy/kubernetes/ (run by scripts/k8s-validate.sh, which installs
// the pinned packages of package.json into a cache directory and runs this file from there).
//
// 1. Render: the base and every overlay (kustomization.yaml: resources, patches; patches are
//    strategic merge - lists of named objects merged by name, null deletes a key - or JSON
//    6902 add/replace/remove with a target). Anything else in a kustomization fails.
// 2. Schemas: every document against the Kubernetes API schemas of kubernetes-models (core,
//    apps, policy: required fields, types, enums, formats), plus unknown fields (the
//    schemas allow them; the API server would drop them silently: a typo such as
//    `resource:` would be lost), from the models' type declarations. The Multus
//    NetworkAttachmentDefinition (a CRD, not in kubernetes-models) against its CRD's
//    schema, written below, and its spec.config as a CNI configuration.
// 3. Policies of doc/deployment.md: Guaranteed QoS (requests == limits for every resource,
//    cpu and memory given, whole CPUs), hugepages requested with a hugepage emptyDir of the
//    same size, liveness/readiness exec probes through mixplanectl health, a preStop drain
//    whose delay is below the grace period, only the documented capabilities, the ESP
//    Secret read-only, the Multus networks and SR-IOV resources matching, PDB and Service
//    selecting the pods.
//
// Usage: node validate.mjs ROOT      (ROOT = deploy/kubernetes). Exit 0, or 1 with a line per
// failure: "FAIL <where> <Kind/name>: <rule>".
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

// This file runs from the cache directory the packages were installed in.
const modules = path.join(path.dirname(fileURLToPath(import.meta.url)), "node_modules");
const root = process.argv[2];
if (!root) {
	console.error("usage: node validate.mjs DEPLOY_KUBERNETES_DIR");
	process.exit(2);
}
let failures = 0;
let passes = 0;
function fail(where, obj, rule) {
	failures++;
	console.log(`FAIL ${where} ${obj ? `${obj.kind}/${obj.metadata?.name}` : "-"}: ${rule}`);
}
function ok(where, obj, rule) {
	passes++;
	if (process.env.K8S_VALIDATE_VERBOSE)
		console.log(`ok   ${where} ${obj ? `${obj.kind}/${obj.metadata?.name}` : "-"}: ${rule}`);
}
function check(cond, where, obj, rule) {
	if (cond)
		ok(where, obj, rule);
	else
		fail(where, obj, rule);
	return cond;
}

// ---- loading and rendering ------------------------------------------------------------

function loadDocs(file) {
	// YAML 1.1, as Kubernetes reads it (sigs.k8s.io/yaml): 0400 is octal, as in defaultMode.
	const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { version: "1.1" });
	const out = [];
	for (const d of docs) {
		if (d.errors.length)
			throw new Error(`${file}: ${d.errors[0].message}`);
		const v = d.toJS();
		if (v !== null && v !== undefined)
			out.push(v);
	}
	return out;
}

const KUSTOMIZATION_KEYS = new Set(["apiVersion", "kind", "resources", "patches"]);
const PATCH_KEYS = new Set(["path", "target"]);
const TARGET_KEYS = new Set(["kind", "name"]);

function isObj(v) {
	return v !== null && typeof v === "object" && !Array.isArray(v);
}

// Strategic merge (the subset used here): maps merge recursively, null deletes a key,
// lists of objects with `name` merge by name (containers, volumes, env, ports), other
// lists are replaced.
function smp(base, patch, where) {
	if (!isObj(base) || !isObj(patch))
		return structuredClone(patch);
	const out = structuredClone(base);
	for (const [k, v] of Object.entries(patch)) {
		if (k.startsWith("$"))
			throw new Error(`${where}: strategic merge directive ${k} is not supported`);
		if (v === null) {
			delete out[k];
		} else if (Array.isArray(v) && Array.isArray(out[k]) &&
			   v.every((e) => isObj(e) && typeof e.name === "string") &&
			   out[k].every((e) => isObj(e) && typeof e.name === "string")) {
			const list = out[k];
			for (const e of v) {
				const i = list.findIndex((x) => x.name === e.name);
				if (i < 0)
					list.push(structuredClone(e));
				else
					list[i] = smp(list[i], e, where);
			}
		} else if (isObj(v) && isObj(out[k])) {
			out[k] = smp(out[k], v, where);
		} else {
			out[k] = structuredClone(v);
		}
	}
	return out;
}

function pointer(p, where) {
	if (!p.startsWith("/"))
		throw new Error(`${where}: JSON pointer ${p} must start with /`);
	return p.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function json6902(doc, ops, where) {
	const out = structuredClone(doc);
	for (const op of ops) {
		if (!isObj(op) || !["add", "replace", "remove"].includes(op.op))
			throw new Error(`${where}: JSON 6902 op ${JSON.stringify(op?.op)} is not supported ` +
					"(add, replace, remove)");
		const keys = pointer(op.path, where);
		let cur = out;
		for (const k of keys.slice(0, -1)) {
			if (cur === null || typeof cur !== "object" || !(k in cur))
				throw new Error(`${where}: ${op.op} ${op.path}: no such path`);
			cur = cur[Array.isArray(cur) ? Number(k) : k];
		}
		const last = keys[keys.length - 1];
		if (Array.isArray(cur)) {
			const i = last === "-" ? cur.length : Number(last);
			if (!Number.isInteger(i) || i < 0 || i > cur.length || (op.op !== "add" && i >= cur.length))
				throw new Error(`${where}: ${op.op} ${op.path}: bad index`);
			if (op.op === "add")
				cur.splice(i, 0, structuredClone(op.value));
			else if (op.op === "replace")
				cur[i] = structuredClone(op.value);
			else
				cur.splice(i, 1);
		} else {
			if (cur === null || typeof cur !== "object")
				throw new Error(`${where}: ${op.op} ${op.path}: parent is not an object`);
			if (op.op !== "add" && !(last in cur))
				throw new Error(`${where}: ${op.op} ${op.path}: no such path`);
			if (op.op === "remove")
				delete cur[last];
			else
				cur[last] = structuredClone(op.value);
		}
	}
	return out;
}

function render(dir) {
	const kfile = path.join(dir, "kustomization.yaml");
	const where = path.relative(root, kfile);
	const [k] = loadDocs(kfile);
	for (const key of Object.keys(k))
		if (!KUSTOMIZATION_KEYS.has(key))
			throw new Error(`${where}: field ${key} is not supported by this validator`);
	if (k.apiVersion !== "kustomize.config.k8s.io/v1beta1" || k.kind !== "Kustomization")
		throw new Error(`${where}: not a kustomize.config.k8s.io/v1beta1 Kustomization`);
	let docs = [];
	for (const r of k.resources ?? []) {
		const p = path.join(dir, r);
		if (fs.statSync(p).isDirectory())
			docs = docs.concat(render(p));
		else
			docs = docs.concat(loadDocs(p));
	}
	for (const pt of k.patches ?? []) {
		for (const key of Object.keys(pt))
			if (!PATCH_KEYS.has(key))
				throw new Error(`${where}: patches[].${key} is not supported (path, target)`);
		for (const key of Object.keys(pt.target ?? {}))
			if (!TARGET_KEYS.has(key))
				throw new Error(`${where}: patches[].target.${key} is not supported (kind, name)`);
		const pw = path.relative(root, path.join(dir, pt.path));
		const body = loadDocs(path.join(dir, pt.path));
		if (body.length !== 1)
			throw new Error(`${pw}: one patch per file`);
		const patch = body[0];
		const t = Array.isArray(patch) ? pt.target
			: { kind: patch.kind, name: patch.metadata?.name, ...(pt.target ?? {}) };
		if (!t || !t.kind || !t.name)
			throw new Error(`${pw}: a JSON 6902 patch needs a target (kind and name)`);
		const i = docs.findIndex((d) => d.kind === t.kind && d.metadata?.name === t.name);
		if (i < 0)
			throw new Error(`${pw}: target ${t.kind}/${t.name} is not among the resources`);
		if (!Array.isArray(patch) && patch.apiVersion !== docs[i].apiVersion)
			throw new Error(`${pw}: apiVersion ${patch.apiVersion} differs from the target's`);
		docs[i] = Array.isArray(patch) ? json6902(docs[i], patch, pw) : smp(docs[i], patch, pw);
	}
	return docs;
}

// ---- schemas --------------------------------------------------------------------------

const MODELS = {
	"v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
	"v1/Secret": "kubernetes-models/v1/Secret",
	"v1/Service": "kubernetes-models/v1/Service",
	"apps/v1/StatefulSet": "kubernetes-models/apps/v1/StatefulSet",
	"apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
	"policy/v1/PodDisruptionBudget": "kubernetes-models/policy/v1/PodDisruptionBudget",
};

// The type declarations of kubernetes-models: interface name -> { prop: type text }.
const ifaces = new Map();
function indexDecls(dir) {
	for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, e.name);
		if (e.isDirectory()) {
			if (e.name !== "_schemas" && e.name !== "node_modules")
				indexDecls(p);
			continue;
		}
		if (!e.name.endsWith(".d.ts"))
			continue;
		const text = fs.readFileSync(p, "utf8");
		const m = text.match(/^export interface (\w+)(?: extends [\w, ]+)? \{\n([\s\S]*?)\n\}/m);
		if (!m)
			continue;
		const body = m[2].replace(/\/\*\*[\s\S]*?\*\//g, "");
		const props = {};
		for (const pm of body.matchAll(/"([^"]+)"\??:\s*((?:\{[^}]*\})|[^;]+);/g))
			props[pm[1]] = pm[2].replace(/\s+/g, " ").trim();
		const names = [m[1]];
		const al = text.match(/export type \{([^}]*)\}/);
		if (al)
			for (const a of al[1].split(",")) {
				const [from, to] = a.trim().split(/\s+as\s+/);
				if (from === m[1] && to)
					names.push(to);
			}
		for (const n of names)
			ifaces.set(n, props);
	}
}

// Unknown fields: walk the object with the declared types.
function unknownFields(v, type, at, out) {
	type = type.trim();
	let m;
	if ((m = type.match(/^Array<(.+)>$/))) {
		if (Array.isArray(v))
			v.forEach((e, i) => unknownFields(e, m[1], `${at}[${i}]`, out));
		return;
	}
	if ((m = type.match(/^\{ \[key: string\]: (.+); \}$/))) {
		if (isObj(v))
			for (const [k, e] of Object.entries(v))
				unknownFields(e, m[1], `${at}.${k}`, out);
		return;
	}
	const props = ifaces.get(type);
	if (!props || !isObj(v))
		return;
	for (const [k, e] of Object.entries(v)) {
		if (!(k in props))
			out.push(`${at}.${k}`.replace(/^\./, ""));
		else
			unknownFields(e, props[k], `${at}.${k}`, out);
	}
}

// The Multus CRD (k8snetworkplumbingwg/multus-cni, deployments/multus-daemonset.yml:
// network-attachment-definitions.k8s.cni.cncf.io, version v1): apiVersion, kind, metadata
// (an object), spec.config (a string, a JSON CNI configuration). Anything else is unknown.
function validateNad(doc, where) {
	const errs = [];
	for (const k of Object.keys(doc))
		if (!["apiVersion", "kind", "metadata", "spec"].includes(k))
			errs.push(`unknown field ${k}`);
	if (!isObj(doc.metadata))
		errs.push("metadata must be an object");
	if (doc.spec !== undefined) {
		if (!isObj(doc.spec))
			errs.push("spec must be an object");
		else
			for (const [k, v] of Object.entries(doc.spec))
				if (k !== "config")
					errs.push(`unknown field spec.${k}`);
				else if (typeof v !== "string")
					errs.push("spec.config must be a string");
	}
	unknownFields(doc.metadata, "IIoK8sApimachineryPkgApisMetaV1ObjectMeta", "metadata", errs);
	let cni = null;
	try {
		cni = JSON.parse(doc.spec?.config ?? "");
	} catch (e) {
		errs.push(`spec.config is not JSON: ${e.message}`);
	}
	if (cni) {
		if (typeof cni.cniVersion !== "string" || typeof cni.type !== "string")
			errs.push("spec.config needs cniVersion and type");
		if (cni.name !== doc.metadata?.name)
			errs.push(`spec.config name ${cni.name} differs from metadata.name`);
	}
	check(errs.length === 0, where, doc, "NetworkAttachmentDefinition (Multus CRD schema, CNI " +
	      "config)" + (errs.length ? ": " + errs.join("; ") : ""));
}

async function validateSchema(doc, where) {
	if (doc.apiVersion === "k8s.cni.cncf.io/v1" && doc.kind === "NetworkAttachmentDefinition")
		return validateNad(doc, where);
	const id = `${doc.apiVersion}/${doc.kind}`;
	const mod = MODELS[id];
	if (!check(mod !== undefined, where, doc, `kind ${id} is one this validator knows`))
		return;
	const exp = await import(mod);
	const Model = exp[doc.kind];
	try {
		new Model(doc).validate();
		ok(where, doc, `schema of ${id}`);
	} catch (e) {
		fail(where, doc, `schema of ${id}: ${e.message.replace(/\s+/g, " ")}`);
	}
	const iface = `IIoK8sApi${doc.apiVersion === "v1" ? "Core" : ""}` +
		`${doc.apiVersion.split("/").map((s) => s[0].toUpperCase() + s.slice(1)).join("")}` +
		`${doc.kind}`;
	if (!check(ifaces.has(iface), where, doc, `type declarations of ${iface} found`))
		return;
	const unknown = [];
	unknownFields(doc, iface, "", unknown);
	check(unknown.length === 0, where, doc, "no unknown fields" +
	      (unknown.length ? `: ${unknown.join(", ")}` : ""));
}

// ---- policies -------------------------------------------------------------------------

// A Kubernetes quantity in its base unit (cores for cpu, bytes otherwise).
function quantity(q) {
	const m = String(q).match(/^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/);
	if (!m)
		return NaN;
	const mult = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2,
		       Gi: 1024 ** 3, Ti: 1024 ** 4 }[m[2]] ?? 1;
	return Number(m[1]) * mult;
}

const CAPS = new Set(["IPC_LOCK", "NET_RAW", "NET_ADMIN", "SYS_RAWIO"]);

function execOf(probe) {
	return (probe?.exec?.command ?? []).join(" ");
}

function policies(docs, where) {
	const byKind = (k) => docs.filter((d) => d.kind === k);
	const workloads = docs.filter((d) => ["StatefulSet", "Deployment"].includes(d.kind));
	check(workloads.length === 1, where, null, "one mixplane workload (StatefulSet or Deployment)");
	const nads = new Map(byKind("NetworkAttachmentDefinition").map((n) => [n.metadata.name, n]));
	for (const w of workloads) {
		const pod = w.spec?.template ?? {};
		const spec = pod.spec ?? {};
		const labels = pod.metadata?.labels ?? {};
		const sel = w.spec?.selector?.matchLabels ?? {};
		check(Object.keys(sel).length > 0 &&
		      Object.entries(sel).every(([k, v]) => labels[k] === v), where, w,
		      "the selector selects the pod template's labels");
		check(w.kind === "StatefulSet", where, w, "a StatefulSet (stable identity per MRFP)");
		const c = (spec.containers ?? []).find((x) => x.name === "mixplane");
		if (!check(c !== undefined, where, w, "a container named mixplane"))
			continue;
		check(typeof c.image === "string" && c.image.length > 0, where, w,
		      "an image (the API server requires one; the schema does not)");
		// Guaranteed QoS (every container: this pod has one)
		check((spec.containers ?? []).length === 1 && !(spec.initContainers ?? []).length,
		      where, w, "one container (Guaranteed QoS and CPU pinning are per container)");
		const req = c.resources?.requests ?? {}, lim = c.resources?.limits ?? {};
		const keys = new Set([...Object.keys(req), ...Object.keys(lim)]);
		const uneq = [...keys].filter((k) => !(k in req) || !(k in lim) ||
					       quantity(req[k]) !== quantity(lim[k]));
		check(uneq.length === 0, where, w, "Guaranteed QoS: requests == limits" +
		      (uneq.length ? ` (differ: ${uneq.join(", ")})` : ""));
		check("cpu" in lim && "memory" in lim, where, w, "cpu and memory limits given");
		const cpu = quantity(lim.cpu);
		check(Number.isInteger(cpu) && cpu >= 2, where, w,
		      `whole CPUs, at least 2 (static CPU manager; a control core and a worker): ${lim.cpu}`);
		const huge = [...keys].filter((k) => k.startsWith("hugepages-"));
		check(huge.length === 1 && quantity(lim[huge[0]]) > 0, where, w,
		      `one hugepage size requested (${huge.join(", ") || "none"})`);
		const hv = (spec.volumes ?? []).filter((v) => String(v.emptyDir?.medium ?? "").startsWith("HugePages"));
		const medium = hv[0]?.emptyDir?.medium;
		const size = huge[0]?.slice("hugepages-".length);
		check(hv.length === 1 && (medium === "HugePages" || medium === `HugePages-${size}`) &&
		      (c.volumeMounts ?? []).some((m) => m.name === hv[0].name && m.mountPath === "/dev/hugepages"),
		      where, w, `a hugepage emptyDir (medium ${medium}) of the size requested (${size}) mounted at /dev/hugepages`);
		// probes
		check(execOf(c.livenessProbe).startsWith("mixplanectl health live"), where, w,
		      "livenessProbe: exec mixplanectl health live");
		check(execOf(c.readinessProbe).startsWith("mixplanectl health ready"), where, w,
		      "readinessProbe: exec mixplanectl health ready");
		const pre = c.lifecycle?.preStop?.exec?.command ?? [];
		const dm = pre.join(" ").match(/^mixplanectl drain delay (\d+) wait$/);
		if (check(dm !== null, where, w, "preStop: exec mixplanectl drain delay N wait")) {
			const delay = Number(dm[1]);
			const grace = spec.terminationGracePeriodSeconds ?? 30;
			check(delay >= 1 && delay <= 86400 && grace > delay, where, w,
			      `terminationGracePeriodSeconds (${grace}) > the drain delay (${delay})`);
		}
		// security
		const sc = c.securityContext ?? {};
		const add = sc.capabilities?.add ?? [];
		check((sc.capabilities?.drop ?? []).includes("ALL") && add.every((x) => CAPS.has(x)) &&
		      add.includes("IPC_LOCK") && sc.privileged !== true && sc.allowPrivilegeEscalation === false,
		      where, w, `capabilities: drop ALL, add only ${[...CAPS].join(", ")} (${add.join(", ")}), ` +
		      "not privileged, no privilege escalation");
		const uid = sc.runAsUser ?? spec.securityContext?.runAsUser;
		check(uid === 0, where, w, "runAsUser 0: the added capabilities are effective " +
		      `(Kubernetes sets no ambient capabilities for another uid; runAsUser ${uid})`);
		const esp = (spec.volumes ?? []).find((v) => v.secret?.secretName === "mixplane-esp");
		const espm = esp && (c.volumeMounts ?? []).find((m) => m.name === esp.name);
		check(esp !== undefined && espm?.readOnly === true && ((esp.secret.defaultMode ?? 0o644) & 0o077) === 0,
		      where, w, "the ESP Secret mounted read-only, mode without group/other bits");
		const sock = (c.env ?? []).find((e) => e.name === "MIXPLANE_SOCKET")?.value;
		check(sock !== undefined && (c.volumeMounts ?? []).some((m) =>
			path.dirname(sock) === m.mountPath && (spec.volumes ?? []).some((v) => v.name === m.name && v.emptyDir)),
		      where, w, `the CLI socket (${sock}) in an emptyDir volume`);
		for (const v of spec.volumes ?? [])
			if (v.configMap)
				check(byKind("ConfigMap").some((m) => m.metadata.name === v.configMap.name),
				      where, w, `ConfigMap ${v.configMap.name} is among the resources`);
		// Multus and SR-IOV
		const nets = String(pod.metadata?.annotations?.["k8s.v1.cni.cncf.io/networks"] ?? "")
			.split(",").map((s) => s.trim()).filter(Boolean);
		check(nets.length === 2 && nets.every((n) => nads.has(n)), where, w,
		      `the Multus networks (${nets.join(", ")}) are NetworkAttachmentDefinitions of the set`);
		for (const n of nets) {
			const rn = nads.get(n)?.metadata?.annotations?.["k8s.v1.cni.cncf.io/resourceName"];
			if (rn)
				check(quantity(lim[rn]) >= 1, where, w, `network ${n}: its SR-IOV resource ${rn} requested`);
		}
		for (const k of keys)
			if (k.includes("/"))
				check([...nads.values()].some((n) =>
					n.metadata?.annotations?.["k8s.v1.cni.cncf.io/resourceName"] === k),
				      where, w, `device resource ${k} belongs to a network of the pod`);
		const mport = (c.ports ?? []).find((p) => p.name === "metrics");
		check(mport?.containerPort === 9464, where, w, "port metrics 9464/TCP (Prometheus)");
		for (const p of byKind("PodDisruptionBudget")) {
			const ps = p.spec?.selector?.matchLabels ?? {};
			check(Object.keys(ps).length > 0 && Object.entries(ps).every(([k, v]) => labels[k] === v),
			      where, p, "the PodDisruptionBudget selects the pods");
		}
		if (w.kind === "StatefulSet")
			check(byKind("Service").some((s) => s.metadata?.name === w.spec?.serviceName &&
						     s.spec?.clusterIP === "None"), where, w,
			      `serviceName names a headless Service of the set (${w.spec?.serviceName})`);
		for (const s of byKind("Service")) {
			const ss = s.spec?.selector ?? {};
			check(Object.keys(ss).length > 0 && Object.entries(ss).every(([k, v]) => labels[k] === v) &&
			      (s.spec?.ports ?? []).every((p) => typeof p.targetPort !== "string" ||
							  (c.ports ?? []).some((cp) => cp.name === p.targetPort)),
			      where, s, "the Service selects the pods and targets their named ports");
		}
	}
	check(byKind("PodDisruptionBudget").length === 1, where, null, "a PodDisruptionBudget");
}

// ---- main -----------------------------------------------------------------------------

indexDecls(path.join(modules, "kubernetes-models"));
indexDecls(path.join(modules, "@kubernetes-models", "apimachinery"));

const sets = [["base", path.join(root, "base")]];
const odir = path.join(root, "overlays");
if (fs.existsSync(odir))
	for (const o of fs.readdirSync(odir).sort())
		sets.push([`overlays/${o}`, path.join(odir, o)]);
// K8S_VALIDATE_RENDER=overlays/NAME (or base): print that set as rendered, nothing else.
const only = process.env.K8S_VALIDATE_RENDER;
if (only) {
	const set = sets.find(([n]) => n === only);
	if (!set) {
		console.error(`no set ${only} (${sets.map(([n]) => n).join(", ")})`);
		process.exit(2);
	}
	console.log(render(set[1]).map((d) => YAML.stringify(d)).join("---\n"));
	process.exit(0);
}
// K8S_VALIDATE_WRITE_CONFIG=DIR: write the base's ConfigMap mixplane-config (its files, as
// the pod mounts them at /etc/mixplane) into DIR, nothing else.
const wdir = process.env.K8S_VALIDATE_WRITE_CONFIG;
if (wdir) {
	const cm = render(sets[0][1]).find((d) => d.kind === "ConfigMap" &&
					       d.metadata?.name === "mixplane-config");
	for (const [k, v] of Object.entries(cm?.data ?? {}))
		fs.writeFileSync(path.join(wdir, k), v);
	process.exit(cm ? 0 : 1);
}
for (const [name, dir] of sets) {
	let docs;
	try {
		docs = render(dir);
	} catch (e) {
		fail(name, null, `render: ${e.message}`);
		continue;
	}
	check(docs.length > 0, name, null, `rendered ${docs.length} documents`);
	for (const d of docs)
		await validateSchema(d, name);
	policies(docs, name);
}
const edir = path.join(root, "examples");
if (fs.existsSync(edir))
	for (const f of fs.readdirSync(edir).sort().filter((x) => x.endsWith(".yaml")))
		for (const d of loadDocs(path.join(edir, f)))
			await validateSchema(d, `examples/${f}`);
console.log(`k8s-validate: ${sets.length} set(s) (base and ${sets.length - 1} overlay(s)), ` +
	    `${passes} check(s) passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
