// The box's FHIR API read back by a real FHIR client library (issue 26): fhir-kit-client, as an
// EHR's integration would use it. Written against the FHIR R4 RESTful API
// (http://hl7.org/fhir/R4/http.html, search.html, patient-operation-everything.html):
//   GET [base]/metadata                         CapabilityStatement
//   GET [base]/Patient/{id}                     read
//   GET [base]/Observation?patient={id}&_count=N   searchset, followed through Bundle.link "next"
//   GET [base]/Patient/{id}/$everything         searchset (paged the same way)
// every request with `Authorization: Bearer <token>`.
//
// readBackWithClient() returns what the client read, for the caller to validate (validate.mjs)
// and compare; it throws (with the client's error: status and OperationOutcome) when a request
// fails, and when a paged search does not end within maxPages.

import { Client } from 'fhir-kit-client';

/**
 * Reads a patient's data back through `baseUrl` (e.g. https://127.0.0.1:8443/fhir) as `token`.
 * options.pageSize: the _count asked for (small, so that paging is exercised);
 * options.requestOptions: passed to every fetch (e.g. { dispatcher } for a test certificate);
 * options.maxPages: a bound on the next links followed per search;
 * options.headers: more headers on every request (e.g. a portal session's Cookie, token null).
 * Returns { capabilityStatement, patient, observations, observationPages, everything,
 * everythingPages }: the resources (searchset entries with search.mode "match" or without a
 * mode, and for $everything every entry) and the number of pages each search took.
 */
export async function readBackWithClient(baseUrl, token, patientId, options = {}) {
  const { pageSize = 2, requestOptions = {}, maxPages = 1000, headers = {} } = options;
  const client = new Client({ baseUrl, bearerToken: token || undefined, requestOptions, customHeaders: headers });
  const capabilityStatement = await client.capabilityStatement();
  const patient = await client.read({ resourceType: 'Patient', id: String(patientId) });
  const observationSearch = await pages(client, await client.search({
    resourceType: 'Observation',
    searchParams: { patient: String(patientId), _count: pageSize },
  }), maxPages);
  const everythingSearch = await pages(client, await client.operation({
    name: '$everything', resourceType: 'Patient', id: String(patientId), method: 'GET',
  }), maxPages);
  return {
    capabilityStatement,
    patient,
    observations: observationSearch.resources.filter((r) => r.resourceType === 'Observation'),
    observationBundles: observationSearch.bundles,
    observationPages: observationSearch.bundles.length,
    everything: everythingSearch.resources,
    everythingBundles: everythingSearch.bundles,
    everythingPages: everythingSearch.bundles.length,
  };
}

/** Follows Bundle.link next with the client's nextPage() until there is none. */
async function pages(client, first, maxPages) {
  const bundles = [first];
  let bundle = first;
  for (;;) {
    if (!(bundle.link || []).some((l) => l.relation === 'next')) break;
    if (bundles.length >= maxPages) throw new Error(`a search went past ${maxPages} pages (a next link that never ends?)`);
    bundle = await client.nextPage({ bundle });
    bundles.push(bundle);
  }
  const resources = bundles.flatMap((b) => (b.entry || [])
    .filter((e) => !e.search || !e.search.mode || e.search.mode === 'match' || e.search.mode === 'include')
    .map((e) => e.resource).filter(Boolean));
  return { bundles, resources };
}
