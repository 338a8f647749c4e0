#pragma once
// SMART on FHIR scopes (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html)
// for backend services: what a registered client may do, as granted with its access token.
//
// Forms understood, for the `system/` context only (a backend service acts for the practice,
// not for one user or one patient):
//   v2: system/<Type>.<perms>  perms a subset of "cruds" in that order ("rs", "c", "cruds")
//   v1: system/<Type>.read (= rs), system/<Type>.write (= cud), system/<Type>.* (= cruds)
//   <Type> a resource type name or "*".
// Anything else (patient/, user/, openid, launch, a malformed scope) is not granted; the box
// offers read, search and create only (update and delete of clinical data stay in the portal).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::fhir {

/// The interactions a scope can grant that the box serves.
enum class Interaction { create, read, search };

/// One parsed system scope.
struct SystemScope {
  std::string resourceType;  // "Observation" or "*"
  bool create = false, read = false, update = false, remove = false, search = false;
  /// The scope in v2 form ("system/Observation.rs"): what a token response lists.
  std::string text() const;
};

/// Parses one scope; nullopt when it is not a system scope this box understands.
std::optional<SystemScope> parseSystemScope(std::string_view scope);

/// A client's grant: its id and the scopes its token carries.
struct ClientGrant {
  std::int64_t clientId = 0;
  std::vector<SystemScope> scopes;
  /// True when some scope grants `interaction` on `resourceType`.
  bool allows(std::string_view resourceType, Interaction interaction) const;
  /// The scopes as a space-separated string (v2 form).
  std::string scopeText() const;
};

/// The scopes of `requested` (space-separated) that `registered` also grants, each narrowed
/// to the permissions both have; unknown scopes dropped. The token endpoint's answer.
std::vector<SystemScope> narrowScopes(std::string_view requested,
                                      const std::vector<SystemScope>& registered);

}  // namespace vigil::fhir
