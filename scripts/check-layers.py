#!/usr/bin/env python3
"""The architecture's rules, checked (issue 19). Exit 1 with one line per breach.

1. Layers: a library includes only its own headers and those of libraries below it
   (LAYERS, written by hand from docs/architecture.md), and only libraries its CMake target
   links (directly or through them).
2. Tables: SQL text naming a table appears only in the table's owner (OWNERS).
3. The library table of docs/architecture.md names every library CMake builds, with the
   same folder and the same direct dependencies.
4. Size: no source file over 800 lines (FILE_LIMIT), no function over 120 (FUNCTION_LIMIT,
   from the line its signature starts on to its closing brace, lambdas inside included).

Usage: check-layers.py [repository root]
"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))

# Layer of each library (a library may include only libraries of a lower layer, and its own).
# The HTTP layer (web, webapi) sits above every domain library: only app (and tests) include it.
LAYERS = {
    "core": 0,
    "devices": 1, "store": 1, "crypto": 1, "events": 1, "pki": 1, "gateway": 1,
    # X12 health care EDI (issue 24): 837P/835/999/277CA text in and out, on core only; billing
    # (the box) and the cloud stand-in's clearinghouse both use it.
    "x12": 1,
    "security": 2, "registry": 2,
    # Several nodes on one PostgreSQL (issue 29): the event relay between the nodes' buses,
    # on events and the store's listener; only app includes it.
    "cluster": 2,
    # The backup archive (issue 27): scrypt or HPKE, AES-256-GCM chunks, records; on crypto only
    # (what goes into an archive is the app's choice: vigild backup / restore).
    "backup": 2,
    "readings": 3, "ingest": 3,
    # The cloud link's outbox and inbox (issue 20): the domain libraries above it (licensing,
    # rx, billing) write their entries through it.
    "sync": 3,
    # Patients' consent e-signature (issue 21), on the registry's patient records; video (layer
    # 4) enforces telehealth consent through it.
    "patients": 3,
    # Signed updates and device firmware (issue 27): release bundles and the firmware catalog on
    # crypto's signed artefacts; the offers go to the registry's devices of the image's model.
    # Owns no table (the catalog is a directory).
    "update": 3,
    # Clinical notes (issue 23): on security, registry and store; encounters are referenced by
    # kind and id (visits and async cases live above), not included.
    "notes": 3,
    # alerts judge stored readings, read through the readings query library (issue 19), so they
    # sit above it; nothing at layer 4 includes alerts (only webapi and app do).
    "alerts": 4, "video": 4, "ble": 4, "fleet": 4,
    # The cloud stand-in (vigil-devtool cloud): the services' side of the cloud link, on sync's
    # envelope, pki's CA and its own SQLite file.
    "cloudsim": 4,
    # Patient invitations (issue 21): the invitation e-mail leaves through the cloud link's
    # outbox in the invitation's own transaction, so onboarding sits above sync and patients.
    "onboarding": 4,
    # State licensing (issue 22): provider NPIs and licenses, the eligibility check, and the
    # registry lookups through the cloud link (license.lookup / license.verification).
    "licensing": 4,
    # Scheduling (issue 22): availability, bookings and the waitlist; a video booking creates
    # its visit through video (layer 4) in the booking's transaction.
    "scheduling": 5,
    # The on-demand queue (issue 22): duty, requests, matching by licensing, the start that
    # creates its video visit through video in the same write job. Beside scheduling (neither
    # includes the other).
    "ondemand": 5,
    # Async care (issue 23): cases close with a note (notes, layer 3), strip photos with
    # patients' image parser (layer 3) and escalate to alerts' covering provider (layer 4), so
    # they sit above alerts, beside scheduling (booking a visit is a link to its page).
    "cases": 5,
    # RPM billing (issue 24): device days from readings and enrolments (layer 3), the provider's
    # NPI from licensing and visit durations from video (layer 4), so it sits at layer 5 beside
    # scheduling, ondemand and cases (none of them includes another).
    "billing": 5,
    # E-prescribing (issue 25): prescriptions need licensing's NPI and license check (layer 4),
    # the patient record (patients), EPCS factors (security) and route through sync, so rx sits
    # at layer 5, beside scheduling (docs/architecture.md planned layer 4 before licensing was
    # known to be a dependency).
    "rx": 5,
    # Patient satisfaction (issue 30): surveys after video visits (video, layer 4), their notices
    # through sync and the patient record's contact (layer 3); beside scheduling (the patient's
    # channel comes from scheduling's reminder settings through a function the app injects).
    "surveys": 5,
    # FHIR R4 mapping (issue 21's record download; issue 26's API extends it): reads the domain
    # libraries (patients, readings; video's visits and scheduling's appointments later), below
    # the HTTP layer.
    "fhir": 6,
    # The worklist (issue 23): one clinician's work read from alerts, video, notes and RPM
    # enrolments (and the async cases through a source the app adds); owns no table.
    "worklist": 6,
    # The practice reports (issue 30): figures from the domain libraries that own them
    # (scheduling, ondemand, cases, alerts, billing, surveys), suppression and CSV; owns no table.
    "analytics": 6,
    "web": 7,
    "webapi": 8,
    "demo": 9,
    "app": 10,
}

# Include prefix (vigil/<name>/) of each library when it differs from the library's name.
INCLUDE_NAME = {"webapi": "web"}

# Includes that are not allowed even where the layers would allow them.
FORBIDDEN = [
    # The gateways hand messages to ingest; they keep no tables of their own.
    ("gateway", "store"),
    ("ble", "store"),
]

# Table -> the libraries whose SQL may name it. `readings` is written by ingest and read
# through the readings query library only.
OWNERS = {
    "settings": {"store"}, "schema_migrations": {"store"}, "sqlite_schema": {"store"},
    # PostgreSQL's catalogs: read by the store alone (migrations, store check).
    "information_schema": {"store"}, "pg_am": {"store"}, "pg_class": {"store"},
    "pg_extension": {"store"}, "pg_index": {"store"}, "pg_namespace": {"store"},
    "pg_locks": {"store"},
    "users": {"security"}, "sessions": {"security"}, "recovery_codes": {"security"},
    "sign_in_failures": {"security"}, "sign_in_unknown_failures": {"security"},
    "sign_in_unknown_locks": {"security"}, "user_mfa": {"security"}, "care_team": {"security"},
    "audit_log": {"security"}, "audit_chain": {"security"}, "audit_checkpoints": {"security"},
    "audit_justifications": {"security"}, "data_keys": {"security"},
    "staff_groups": {"security"}, "staff_group_members": {"security"},
    "patients": {"registry"}, "devices": {"registry"}, "device_assignments": {"registry"},
    "ble_links": {"registry"},
    "readings": {"ingest", "readings"}, "reading_rows": {"ingest", "readings"},
    "reading_codes": {"ingest", "readings"}, "reading_receipt_hours": {"ingest", "readings"},
    # The alert node's queue (issue 29): ingest adds, readings' query takes and removes.
    "readings_to_judge": {"ingest", "readings"},
    "quarantine": {"ingest"}, "quarantine_usage": {"ingest"},
    "alerts": {"alerts"}, "alert_events": {"alerts"}, "alert_rules": {"alerts"},
    "alert_suppressions": {"alerts"}, "escalation_chains": {"alerts"},
    "escalation_chain_steps": {"alerts"}, "oncall_coverage": {"alerts"},
    "visits": {"video"}, "visit_participants": {"video"}, "visit_messages": {"video"},
    "visit_documents": {"video"}, "visit_quality": {"video"},
    # Several nodes (issue 29): the node each visit's room is pinned to.
    "visit_rooms": {"video"},
    "sync_outbox": {"sync"}, "sync_streams": {"sync"}, "sync_inbox": {"sync"},
    "sync_state": {"sync"}, "sync_inbox_refused": {"sync"},
    # The cloud stand-in's own database (DIR/cloud.db), not the box's.
    "cloud_codes": {"cloudsim"}, "cloud_boxes": {"cloudsim"}, "cloud_accepted": {"cloudsim"},
    "cloud_streams": {"cloudsim"}, "cloud_inbox": {"cloudsim"}, "cloud_prescriptions": {"cloudsim"},
    "cloud_notifications": {"cloudsim"},
    "consent_documents": {"patients"}, "consents": {"patients"},
    "rpm_enrolments": {"patients"}, "rpm_enrolment_devices": {"patients"},
    "patient_invitations": {"onboarding"},
    "provider_profiles": {"licensing"}, "provider_licenses": {"licensing"},
    "billing_time": {"billing"}, "billing_time_revisions": {"billing"},
    "billing_fee_schedule": {"billing"}, "claims": {"billing"}, "claim_lines": {"billing"},
    "claim_status_events": {"billing"}, "claim_submissions": {"billing"},
    "claim_submission_claims": {"billing"}, "remittances": {"billing"},
    "remittance_claims": {"billing"}, "remittance_lines": {"billing"},
    "remittance_adjustments": {"billing"}, "remittance_provider_adjustments": {"billing"},
    "patient_record_versions": {"patients"},
    "patient_intake": {"patients"},
    "insurance_card_images": {"patients"},
    "schedule_settings": {"scheduling"}, "schedule_templates": {"scheduling"},
    "schedule_template_types": {"scheduling"}, "schedule_exceptions": {"scheduling"},
    "appointment_types": {"scheduling"}, "appointments": {"scheduling"},
    "appointment_claims": {"scheduling"}, "appointment_patient_claims": {"scheduling"},
    "waitlist_entries": {"scheduling"}, "waitlist_offers": {"scheduling"},
    "reminder_settings": {"scheduling"}, "appointment_reminders": {"scheduling"},
    "waitlist_offer_notices": {"scheduling"},
    "calendar_feeds": {"scheduling"},
    "ondemand_duty": {"ondemand"}, "ondemand_requests": {"ondemand"},
    "note_templates": {"notes"}, "notes": {"notes"}, "note_versions": {"notes"},
    "note_addenda": {"notes"}, "referrals": {"notes"},
    "cases": {"cases"}, "case_messages": {"cases"}, "case_photos": {"cases"},
    "rx_drugs": {"rx"}, "rx_dea_registrations": {"rx"}, "rx_epcs_approvals": {"rx"},
    "rx_state_rules": {"rx"}, "prescriptions": {"rx"}, "prescription_events": {"rx"},
    "visit_surveys": {"surveys"}, "visit_survey_notices": {"surveys"},
    "fhir_clients": {"fhir"}, "fhir_client_jtis": {"fhir"}, "fhir_access_tokens": {"fhir"},
}

# Words after FROM/INTO/JOIN/UPDATE/TABLE in our SQL that are not tables of ours.
NOT_TABLES = {
    "pragma_table_info", "json_each", "excluded",
    "to",  # vigild's usage text: "audit export FROM TO ... from FROM to TO"
}

# Breaches still being worked on (issue 19): "<file>: <rule detail>" lines. Empty when done.
KNOWN = set()

FILE_LIMIT = 800
FUNCTION_LIMIT = 120
SOURCE_DIRS = ["daemon", "web", "gateway", "devices", "firmware-tools"]
SOURCE_EXT = (".cpp", ".hpp", ".h", ".cc")


def rel(path):
    return os.path.relpath(path, ROOT)


def cmake_libraries():
    """{library: (folder, set of direct vigil:: deps)} from add_library/target_link_libraries."""
    libs = {}
    for base, _, files in os.walk(ROOT):
        if "/build" in base or "/node_modules" in base or "/.git" in base or "/tests" in rel(base).join("//"):
            continue
        if "CMakeLists.txt" not in files:
            continue
        text = open(os.path.join(base, "CMakeLists.txt"), encoding="utf-8").read()
        text = re.sub(r"#[^\n]*", "", text)
        for m in re.finditer(r"add_library\(vigil_([a-z0-9_]+)\s+(?!ALIAS|INTERFACE)", text):
            name = m.group(1)
            if name in ("devtool_provision",):
                continue
            libs.setdefault(name, [rel(base), set()])
        for m in re.finditer(r"target_link_libraries\(vigil_([a-z0-9_]+)\s+([^)]*)\)", text):
            name = m.group(1)
            if name not in libs:
                continue
            deps = set(re.findall(r"vigil::([a-z0-9_]+)", m.group(2))) - {"options"}
            libs[name][1] |= deps
    return libs


def library_of(path, libs):
    """The library whose folder holds `path` (the deepest match)."""
    best = None
    for name, (folder, _) in libs.items():
        if path == folder or path.startswith(folder + "/"):
            if best is None or len(folder) > len(libs[best][0]):
                best = name
    # web/src/api is the webapi library, the rest of web/ is web.
    if best == "web" and (path.startswith("web/src/api/") or path.startswith("web/include/vigil/web/api/")):
        return "webapi"
    return best


def transitive(name, libs, seen=None):
    seen = set() if seen is None else seen
    for dep in libs.get(name, ("", set()))[1]:
        if dep not in seen:
            seen.add(dep)
            transitive(dep, libs, seen)
    return seen


def string_literals(text):
    """The file's C++ string literals, adjacent ones joined (as the compiler does)."""
    out = []
    for m in re.finditer(r'((?:"(?:[^"\\\n]|\\.)*"\s*)+)', text):
        parts = re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(1))
        out.append("".join(parts))
    return out


def code_only(text):
    """The text with comments, string and character literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isdigit():  # digit separator: 1'000
                out.append(c)
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


NOT_FUNCTION = re.compile(r"^(?:if|for|while|switch|catch|do|else|try|namespace|class|struct|enum|union|extern)\b")


def long_functions(text, limit):
    """(name, first line, lines) of each function definition longer than `limit` lines."""
    code = code_only(text)
    found = []
    stack = []  # for each open brace: (is_function, start line, name)
    head_start = 0
    for i, c in enumerate(code):
        if c in ";{}":
            if c == "{":
                head = code[head_start:i]
                flat = " ".join(head.split())
                m = re.search(r"([A-Za-z_~][\w:~]*(?:operator\S*)?)\s*\(", flat)
                is_function = (
                    not any(f for f, _, _ in stack)
                    and m is not None
                    and not NOT_FUNCTION.match(flat)
                    and re.search(r"\)\s*(?:const|noexcept|override|final|mutable|->\s*[\w:<>,\s*&]+|\s)*$", flat)
                    and "=" not in flat.split("(")[0]
                    and not re.search(r"\]\s*\(", flat)
                )
                start = code.count("\n", 0, head_start + len(head) - len(head.lstrip())) + 1
                stack.append((bool(is_function), start, m.group(1) if m else ""))
            elif c == "}" and stack:
                is_function, start, name = stack.pop()
                end = code.count("\n", 0, i) + 1
                if is_function and end - start + 1 > limit:
                    found.append((name, start, end - start + 1))
            head_start = i + 1
    return found


SQL = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN|TABLE)\s+([a-z_]+)\b")


def main():
    libs = cmake_libraries()
    include_to_lib = {INCLUDE_NAME.get(n, n): n for n in libs if n != "webapi"}
    breaches = []

    def breach(line):
        if line not in KNOWN:
            breaches.append(line)

    for top in SOURCE_DIRS:
        for base, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if not f.endswith(SOURCE_EXT):
                    continue
                path = rel(os.path.join(base, f))
                text = open(os.path.join(ROOT, path), encoding="utf-8", errors="replace").read()
                lines = text.count("\n")
                if lines > FILE_LIMIT:
                    breach(f"{path}: {lines} lines (at most {FILE_LIMIT})")
                if path.endswith((".cpp", ".cc")):
                    for name, start, count in long_functions(text, FUNCTION_LIMIT):
                        breach(f"{path}:{start}: function {name} is {count} lines (at most {FUNCTION_LIMIT})")
                lib = library_of(path, libs)
                if lib is None:
                    continue
                allowed = transitive(lib, libs) | {lib}
                for inc in sorted(set(re.findall(r'#include\s+"vigil/([a-z0-9_]+)/', text))):
                    target = include_to_lib.get(inc)
                    if inc == "web" and lib == "webapi":
                        target = "web"
                    if target is None or target == lib:
                        continue
                    if lib == "webapi" and inc == "web":
                        continue
                    if (lib, target) in FORBIDDEN:
                        breach(f"{path}: {lib} includes vigil/{inc}/ (forbidden)")
                    elif LAYERS.get(target, 99) >= LAYERS.get(lib, -1) and lib != target:
                        breach(f"{path}: {lib} (layer {LAYERS.get(lib)}) includes vigil/{inc}/ (layer {LAYERS.get(target)})")
                    elif target not in allowed:
                        breach(f"{path}: {lib} includes vigil/{inc}/ but its CMake target does not link vigil::{target}")
                for lit in string_literals(text):
                    for table in SQL.findall(lit):
                        owners = OWNERS.get(table)
                        if owners is None and table not in NOT_TABLES:
                            breach(f"{path}: SQL on table {table}, which OWNERS does not list (add its owner)")
                        elif owners is not None and lib not in owners:
                            breach(f"{path}: SQL on table {table} outside its owner ({', '.join(sorted(owners))})")

    # The architecture document's library table against CMake.
    doc = open(os.path.join(ROOT, "docs/architecture.md"), encoding="utf-8").read()
    rows = {}
    for m in re.finditer(r"^\| `vigil::([a-z0-9_]+)` \| `([^`]+)` \| ([^|]*) \|", doc, re.M):
        deps = set()
        for d in m.group(3).split(","):
            d = d.strip()
            if re.fullmatch(r"[a-z0-9_]+", d):
                deps.add(d)
        rows[m.group(1)] = (m.group(2), deps)
    for name, (folder, deps) in sorted(libs.items()):
        if name.startswith("testsupport"):
            continue
        if name not in rows:
            breach(f"docs/architecture.md: library vigil::{name} ({folder}) is not in the table")
            continue
        dfolder, ddeps = rows[name]
        ddeps = {d for d in ddeps if d in libs}  # SQLite, libmosquitto, Poco: not ours to check
        if dfolder != folder:
            breach(f"docs/architecture.md: vigil::{name} is in {folder}, the table says {dfolder}")
        if ddeps != deps:
            breach(f"docs/architecture.md: vigil::{name} links {', '.join(sorted(deps)) or '-'}, "
                   f"the table says {', '.join(sorted(ddeps)) or '-'}")
    for name in rows:
        if name not in libs and not name.startswith("testsupport"):
            breach(f"docs/architecture.md: vigil::{name} is in the table but CMake builds no such library")

    for b in sorted(set(breaches)):
        print(b)
    if breaches:
        print(f"check-layers: {len(set(breaches))} breach(es) of the architecture's rules (scripts/check-layers.py)")
        return 1
    print("check-layers: every library keeps its layer, every table its owner")
    return 0


if __name__ == "__main__":
    sys.exit(main())
