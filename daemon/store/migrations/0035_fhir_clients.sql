-- 0035 SMART on FHIR backend services (issue 26, docs/fhir.md; owned by vigil::fhir): the EHR
-- clients an admin registered with their public keys, the assertion ids (jti) each client has
-- used (kept until the assertion's exp, so a replay inside its lifetime is refused), and the
-- access tokens issued (only their SHA-256: a copy of this table grants nothing). Times are
-- INTEGER milliseconds since the Unix epoch, UTC. Nothing here is PHI.

-- One registered client. client_id: random, shown to the admin, the assertion's iss and sub.
-- jwks: the pasted JWK or JWKS (public keys only, checked at registration); jwks_url: where the
-- client publishes its JWKS instead (https). scopes: the registered system scopes, v2 form,
-- space-separated. disabled_at: the client gets no tokens and its tokens stop working.
CREATE TABLE fhir_clients (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  client_id   TEXT NOT NULL UNIQUE,
  jwks        TEXT,
  jwks_url    TEXT,
  scopes      TEXT NOT NULL,
  created_by  INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  disabled_at INTEGER,
  disabled_by INTEGER,
  CHECK (jwks IS NOT NULL OR jwks_url IS NOT NULL)
);

-- The assertion ids a client used, until their exp (then pruned).
CREATE TABLE fhir_client_jtis (
  client     INTEGER NOT NULL REFERENCES fhir_clients (id),
  jti        TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (client, jti)
);
CREATE INDEX fhir_client_jtis_by_expiry ON fhir_client_jtis (expires_at);

-- The access tokens issued: SHA-256 of the token, the client, the granted scopes (v2 form).
CREATE TABLE fhir_access_tokens (
  token_hash BLOB PRIMARY KEY,
  client     INTEGER NOT NULL REFERENCES fhir_clients (id),
  scopes     TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX fhir_access_tokens_by_expiry ON fhir_access_tokens (expires_at);
