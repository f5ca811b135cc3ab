// Validates Kubernetes objects against the Kubernetes API's JSON schemas with the npm kubernetes-models validators
// (pinned in package.json; the schemas of Kubernetes 1.27). Reads a JSON array of objects (rendered manifests,
// e.g. `kubectl kustomize` output converted by tests/k8s/test_manifests.py) on stdin; prints one line per object
// and exits 0 when all are valid, 1 when any is invalid or has a kind without a schema. An unknown field or a
// wrong type is an error (the schemas forbid additional properties). Usage: node validate_k8s.mjs < objects.json
import { readFileSync } from 'node:fs';

// "apps/v1" -> "apps/v1", "v1" (the core group) -> "v1": the package's folder layout.
function modulePath(apiVersion, kind) {
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) return null;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

async function validateOne(object) {
  const name = `${object.kind}/${object.metadata?.name ?? '?'} (${object.apiVersion})`;
  const path = modulePath(object.apiVersion ?? '', object.kind ?? '');
  if (!path) return `${name}: no apiVersion/kind`;
  let model;
  try {
    model = (await import(path))[object.kind];
  } catch {
    return `${name}: no schema in kubernetes-models for this kind`;
  }
  if (typeof model !== 'function') return `${name}: no schema in kubernetes-models for this kind`;
  try {
    new model(object).validate();
  } catch (error) {
    return `${name}: ${error.message}`;
  }
  console.log(`valid: ${name}`);
  return null;
}

const objects = JSON.parse(readFileSync(0, 'utf8'));
if (!Array.isArray(objects) || objects.length === 0) {
  console.error('invalid: expected a non-empty JSON array of Kubernetes objects on stdin');
  process.exit(1);
}
let failures = 0;
for (const object of objects) {
  const problem = await validateOne(object);
  if (problem) {
    console.error(`invalid: ${problem}`);
    failures += 1;
  }
}
process.exit(failures ? 1 : 0);
