// Patient search through blind indexes (issue 21).
//
// Trade-off: names are encrypted, so SQL cannot compare prefixes. Each patient row keeps HMAC
// blind indexes of its normalised given name, family name and birth date, and of the first
// three characters of each normalised name. A name token of three letters or more selects the
// candidates whose given or family prefix index equals the token's first three letters; only
// those candidates' two name fields are decrypted to confirm the whole token is a prefix. With
// n patients sharing a 3-letter prefix that is n decryptions, not one per patient. Shorter
// tokens ("Li", "Bo") match a whole name through the full-name index. Every word other than a
// date may also be a whole MRN (one more index lookup). Someone holding the
// database learns which patients share a name, a 3-letter name prefix or a birth date (the
// indexes are equal), not the names themselves (docs/security.md). Each index has its own label
// (the HMAC input starts with it), so equal values in different fields do not match.

#include <algorithm>
#include <cctype>
#include <set>

#include "vigil/core/error.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/blind_index.hpp"
#include "vigil/crypto/field_cipher.hpp"
#include "vigil/registry/registry.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::registry {
namespace {

using store::Connection;

constexpr const char* kGivenLabel = "patients.given_name";
constexpr const char* kFamilyLabel = "patients.family_name";
constexpr const char* kBirthLabel = "patients.birth_date";
constexpr const char* kGivenPrefixLabel = "patients.given_name.prefix3";
constexpr const char* kFamilyPrefixLabel = "patients.family_name.prefix3";

std::optional<store::Blob> indexOf(const crypto::BlindIndex& index, const char* label,
                                   const std::string& value) {
  if (value.empty()) return std::nullopt;
  auto d = index.compute(label, value);
  return store::Blob(d.begin(), d.end());
}

store::Blob blobOf(const crypto::BlindIndex& index, const char* label, const std::string& value) {
  auto d = index.compute(label, value);
  return store::Blob(d.begin(), d.end());
}

std::size_t codePoints(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool isDate(const std::string& token) {
  return token.size() == 10 && token[4] == '-' && token[7] == '-' &&
         core::parseDate(token).has_value();
}

bool hasDigit(const std::string& token) {
  return std::any_of(token.begin(), token.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

std::vector<std::string> tokensOf(const std::string& query) {
  if (query.size() > PatientRepository::kMaxSearchLength)
    throw ValidationError("q: at most 100 characters");
  std::vector<std::string> tokens;
  std::string current;
  for (char ch : query + " ") {
    if (std::isspace(static_cast<unsigned char>(ch)) || ch == ',') {
      if (!current.empty()) tokens.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(ch);
    }
  }
  if (tokens.empty()) throw ValidationError("q: give a name, an MRN or a birth date");
  if (tokens.size() > PatientRepository::kMaxSearchTokens)
    throw ValidationError("q: at most 4 words");
  return tokens;
}

std::set<std::int64_t> idsWhere(Connection& c, const std::string& sql,
                                const std::vector<store::Blob>& keys) {
  auto s = c.prepare(sql);
  for (std::size_t i = 0; i < keys.size(); ++i) s.bind(static_cast<int>(i + 1), keys[i]);
  std::set<std::int64_t> out;
  while (s.step()) out.insert(s.get<std::int64_t>(0));
  return out;
}

}  // namespace

std::string PatientRepository::normalizeName(std::string_view name) {
  std::string out;
  for (char ch : name) {
    const auto u = static_cast<unsigned char>(ch);
    if (u < 0x80) {
      if (std::isalpha(u)) out.push_back(static_cast<char>(std::tolower(u)));
      continue;  // blanks, hyphens, apostrophes, dots, digits: not part of a name's letters
    }
    out.push_back(ch);
  }
  return out;
}

std::string PatientRepository::namePrefix(std::string_view normalizedName) {
  std::size_t seen = 0, i = 0;
  for (; i < normalizedName.size(); ++i) {
    if ((static_cast<unsigned char>(normalizedName[i]) & 0xC0) != 0x80) {
      if (seen == 3) break;
      ++seen;
    }
  }
  return std::string(normalizedName.substr(0, i));
}

void PatientRepository::writeSearchIndexesIn(Connection& c, const Patient& p) const {
  const auto given = normalizeName(p.givenName);
  const auto family = normalizeName(p.familyName);
  auto s = c.prepare(
      "UPDATE patients SET given_name_bidx = ?1, family_name_bidx = ?2, birth_date_bidx = ?3, "
      "given_prefix_bidx = ?4, family_prefix_bidx = ?5 WHERE id = ?6");
  s.bindAll(indexOf(index_, kGivenLabel, given), indexOf(index_, kFamilyLabel, family),
            indexOf(index_, kBirthLabel, p.birthDate),
            indexOf(index_, kGivenPrefixLabel, namePrefix(given)),
            indexOf(index_, kFamilyPrefixLabel, namePrefix(family)), p.id);
  s.run();
}

std::size_t PatientRepository::fillSearchIndexes() {
  return db_.writeSync([&](Connection& c) {
    std::vector<std::int64_t> ids;
    auto s = c.prepare(
        "SELECT id FROM patients WHERE given_name_bidx IS NULL AND family_name_bidx IS NULL "
        "AND birth_date_bidx IS NULL");
    while (s.step()) ids.push_back(s.get<std::int64_t>(0));
    std::size_t filled = 0;
    for (auto id : ids) {
      auto p = getIn(c, id);
      if (!p || (p->givenName.empty() && p->familyName.empty() && p->birthDate.empty())) continue;
      writeSearchIndexesIn(c, *p);
      ++filled;
    }
    return filled;
  });
}

std::vector<std::int64_t> PatientRepository::searchIn(
    Connection& c, const std::string& query,
    const std::optional<std::vector<std::int64_t>>& within) {
  const auto tokens = tokensOf(query);
  std::optional<std::set<std::int64_t>> result;
  if (within) result.emplace(within->begin(), within->end());
  for (const auto& token : tokens) {
    std::set<std::int64_t> matches;
    if (isDate(token)) {
      matches = idsWhere(c, "SELECT id FROM patients WHERE birth_date_bidx = ?1",
                         {blobOf(index_, kBirthLabel, token)});
    } else if (hasDigit(token)) {
      if (auto id = findByMrnIn(c, token)) matches.insert(*id);
    } else {
      // MRNs without digits ("MRN-B") exist: a name word may also be a whole MRN.
      if (auto id = findByMrnIn(c, token)) matches.insert(*id);
      const auto name = normalizeName(token);
      if (name.empty()) throw ValidationError("q: a word has no letters or digits");
      if (codePoints(name) < 3) {
        matches = idsWhere(c,
                           "SELECT id FROM patients WHERE given_name_bidx = ?1 OR "
                           "family_name_bidx = ?2",
                           {blobOf(index_, kGivenLabel, name), blobOf(index_, kFamilyLabel, name)});
      } else {
        const auto prefix = namePrefix(name);
        auto candidates = idsWhere(c,
                                   "SELECT id FROM patients WHERE given_prefix_bidx = ?1 OR "
                                   "family_prefix_bidx = ?2",
                                   {blobOf(index_, kGivenPrefixLabel, prefix),
                                    blobOf(index_, kFamilyPrefixLabel, prefix)});
        if (result) {  // only candidates still in the running need their names decrypted
          std::erase_if(candidates, [&](std::int64_t id) { return !result->count(id); });
        }
        auto& names =
            c.cached("SELECT given_name_enc, family_name_enc FROM patients WHERE id = ?1");
        for (auto id : candidates) {
          names.bind(1, id);
          if (names.step()) {
            auto startsWith = [&](int col, const char* column) {
              auto b = names.get<std::optional<store::Blob>>(col);
              return b && normalizeName(
                              cipher_.decryptText({"patients", column, std::to_string(id)}, *b))
                              .starts_with(name);
            };
            if (startsWith(0, "given_name") || startsWith(1, "family_name")) matches.insert(id);
          }
          names.reset();
        }
      }
    }
    if (result) {
      std::erase_if(*result, [&](std::int64_t id) { return !matches.count(id); });
    } else {
      result = std::move(matches);
    }
  }
  return {result->begin(), result->end()};
}

std::vector<std::int64_t> PatientRepository::duplicateCandidatesIn(Connection& c,
                                                                   const Patient& p) {
  const auto given = normalizeName(p.givenName);
  const auto family = normalizeName(p.familyName);
  if (given.empty() || family.empty() || p.birthDate.empty()) return {};
  auto ids =
      idsWhere(c,
               "SELECT id FROM patients WHERE given_name_bidx = ?1 AND family_name_bidx = ?2 "
               "AND birth_date_bidx = ?3 AND active = 1",
               {blobOf(index_, kGivenLabel, given), blobOf(index_, kFamilyLabel, family),
                blobOf(index_, kBirthLabel, p.birthDate)});
  return {ids.begin(), ids.end()};
}

std::vector<std::int64_t> PatientRepository::search(
    const std::string& query, const std::optional<std::vector<std::int64_t>>& within) {
  return db_.read([&](Connection& c) { return searchIn(c, query, within); });
}

}  // namespace vigil::registry
