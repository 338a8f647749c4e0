#include "vigil/rx/drugs.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/store/database.hpp"
#include "vigil/store/sqlite.hpp"

namespace vigil::rx {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// The starter list. Ingredient RXCUIs (TTY IN) and, where checked, clinical drug RXCUIs (TTY
// SCD) from RxNorm (U.S. National Library of Medicine); the SCD column is empty where it was
// not checked. Schedules from 21 CFR 1308.12-15 (tramadol C-IV since 2014, 79 FR 37623).
// clang-format off
const std::vector<Drug> kStarter = {
  // rxcui     ingredient  name                                             generic            strength    form     route      sched
  {0, "314076",  "29046",  "lisinopril 10 MG Oral Tablet",                  "lisinopril",      "10 mg",    "Tab",   "Oral",     0, "starter"},
  {0, "314077",  "29046",  "lisinopril 20 MG Oral Tablet",                  "lisinopril",      "20 mg",    "Tab",   "Oral",     0, "starter"},
  {0, "861007",  "6809",   "metformin hydrochloride 500 MG Oral Tablet",    "metformin",       "500 mg",   "Tab",   "Oral",     0, "starter"},
  {0, "197361",  "17767",  "amlodipine 5 MG Oral Tablet",                   "amlodipine",      "5 mg",     "Tab",   "Oral",     0, "starter"},
  {0, "",        "83367",  "atorvastatin 20 MG Oral Tablet",                "atorvastatin",    "20 mg",    "Tab",   "Oral",     0, "starter"},
  {0, "",        "435",    "albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", "albuterol",       "90 mcg/actuat", "Inhal", "Inhalant", 0, "starter"},
  {0, "312941",  "36437",  "sertraline 50 MG Oral Tablet",                  "sertraline",      "50 mg",    "Tab",   "Oral",     0, "starter"},
  {0, "",        "52175",  "losartan potassium 50 MG Oral Tablet",          "losartan",        "50 mg",    "Tab",   "Oral",     0, "starter"},
  {0, "310798",  "5487",   "hydrochlorothiazide 25 MG Oral Tablet",         "hydrochlorothiazide", "25 mg", "Tab",  "Oral",     0, "starter"},
  {0, "197499",  "2409",   "chlorthalidone 25 MG Oral Tablet",              "chlorthalidone",  "25 mg",    "Tab",   "Oral",     0, "starter"},
  {0, "",        "6918",   "metoprolol succinate 50 MG Extended Release Oral Tablet", "metoprolol", "50 mg", "Tab", "Oral",   0, "starter"},
  {0, "",        "10582",  "levothyroxine sodium 0.05 MG Oral Tablet",      "levothyroxine",   "50 mcg",   "Tab",   "Oral",     0, "starter"},
  {0, "",        "7646",   "omeprazole 20 MG Delayed Release Oral Capsule", "omeprazole",      "20 mg",    "Cap",   "Oral",     0, "starter"},
  {0, "",        "723",    "amoxicillin 500 MG Oral Capsule",               "amoxicillin",     "500 mg",   "Cap",   "Oral",     0, "starter"},
  {0, "",        "18631",  "azithromycin 250 MG Oral Tablet",               "azithromycin",    "250 mg",   "Tab",   "Oral",     0, "starter"},
  {0, "",        "8640",   "prednisone 10 MG Oral Tablet",                  "prednisone",      "10 mg",    "Tab",   "Oral",     0, "starter"},
  {0, "",        "4603",   "furosemide 40 MG Oral Tablet",                  "furosemide",      "40 mg",    "Tab",   "Oral",     0, "starter"},
  {0, "",        "25480",  "gabapentin 300 MG Oral Capsule",                "gabapentin",      "300 mg",   "Cap",   "Oral",     0, "starter"},
  {0, "",        "4493",   "fluoxetine 20 MG Oral Capsule",                 "fluoxetine",      "20 mg",    "Cap",   "Oral",     0, "starter"},
  {0, "",        "88249",  "montelukast 10 MG Oral Tablet",                 "montelukast",     "10 mg",    "Tab",   "Oral",     0, "starter"},
  {0, "",        "11289",  "warfarin sodium 5 MG Oral Tablet",              "warfarin",        "5 mg",     "Tab",   "Oral",     0, "starter"},
  {0, "",        "2231",   "cephalexin 500 MG Oral Capsule",                "cephalexin",      "500 mg",   "Cap",   "Oral",     0, "starter"},
  // Controlled substances.
  {0, "1049621", "7804",   "oxycodone hydrochloride 5 MG Oral Tablet",      "oxycodone",       "5 mg",     "Tab",   "Oral",     2, "starter"},
  {0, "",        "7052",   "morphine sulfate 15 MG Oral Tablet",            "morphine",        "15 mg",    "Tab",   "Oral",     2, "starter"},
  {0, "",        "6901",   "methylphenidate hydrochloride 10 MG Oral Tablet", "methylphenidate", "10 mg",  "Tab",   "Oral",     2, "starter"},
  {0, "",        "10379",  "testosterone cypionate 200 MG/ML Injectable Solution", "testosterone", "200 mg/mL", "Inj", "Intramuscular", 3, "starter"},
  {0, "",        "1819",   "buprenorphine 8 MG Sublingual Tablet",          "buprenorphine",   "8 mg",     "Tab",   "Sublingual", 3, "starter"},
  {0, "835603",  "10689",  "tramadol hydrochloride 50 MG Oral Tablet",      "tramadol",        "50 mg",    "Tab",   "Oral",     4, "starter"},
  {0, "308048",  "596",    "alprazolam 0.5 MG Oral Tablet",                 "alprazolam",      "0.5 mg",   "Tab",   "Oral",     4, "starter"},
  {0, "",        "6470",   "lorazepam 1 MG Oral Tablet",                    "lorazepam",       "1 mg",     "Tab",   "Oral",     4, "starter"},
  {0, "",        "39993",  "zolpidem tartrate 10 MG Oral Tablet",           "zolpidem",        "10 mg",    "Tab",   "Oral",     4, "starter"},
  {0, "",        "2598",   "clonazepam 0.5 MG Oral Tablet",                 "clonazepam",      "0.5 mg",   "Tab",   "Oral",     4, "starter"},
  {0, "",        "187832", "pregabalin 75 MG Oral Capsule",                 "pregabalin",      "75 mg",    "Cap",   "Oral",     5, "starter"},
  {0, "",        "623404", "lacosamide 50 MG Oral Tablet",                  "lacosamide",      "50 mg",    "Tab",   "Oral",     5, "starter"},
};

// Ingredients the product knows as controlled (21 CFR 1308.12-15), by generic name.
const std::map<std::string, int, std::less<>> kControlled = {
  {"oxycodone", 2}, {"hydrocodone", 2}, {"morphine", 2}, {"hydromorphone", 2}, {"fentanyl", 2},
  {"methadone", 2}, {"oxymorphone", 2}, {"tapentadol", 2}, {"codeine", 2},
  {"methylphenidate", 2}, {"amphetamine", 2}, {"dextroamphetamine", 2},
  {"lisdexamfetamine", 2}, {"dexmethylphenidate", 2},
  {"buprenorphine", 3}, {"testosterone", 3}, {"ketamine", 3}, {"dronabinol", 3},
  {"tramadol", 4}, {"alprazolam", 4}, {"lorazepam", 4}, {"clonazepam", 4}, {"diazepam", 4},
  {"temazepam", 4}, {"zolpidem", 4}, {"eszopiclone", 4}, {"zaleplon", 4}, {"modafinil", 4},
  {"armodafinil", 4}, {"phentermine", 4}, {"carisoprodol", 4}, {"phenobarbital", 4},
  {"suvorexant", 4}, {"lemborexant", 4},
  {"pregabalin", 5}, {"lacosamide", 5}, {"brivaracetam", 5}, {"cenobamate", 5},
};
// clang-format on

std::string searchKey(const Drug& d) {
  return lower(d.name + " " + d.generic);
}

Drug rowToDrug(store::Statement& s) {
  Drug d;
  d.id = s.getInt64(0);
  d.rxcui = s.isNull(1) ? "" : s.getText(1);
  d.ingredientRxcui = s.isNull(2) ? "" : s.getText(2);
  d.name = s.getText(3);
  d.generic = s.getText(4);
  d.strength = s.getText(5);
  d.form = s.getText(6);
  d.route = s.getText(7);
  d.schedule = static_cast<int>(s.getInt64(8));
  d.source = s.getText(9);
  return d;
}

constexpr const char* kColumns =
    "id, rxcui, ingredient_rxcui, name, generic, strength, form, route, schedule, source";

/// Inserts or (same RXCUI) updates one drug.
void upsertIn(store::Connection& c, const Drug& d) {
  c.execute(
      "INSERT INTO rx_drugs (rxcui, ingredient_rxcui, name, generic, strength, form, route, "
      "schedule, source, search) VALUES (NULLIF(?1, ''), NULLIF(?2, ''), ?3, ?4, ?5, ?6, ?7, ?8, "
      "?9, ?10) ON CONFLICT (rxcui) DO UPDATE SET ingredient_rxcui = excluded.ingredient_rxcui, "
      "name = excluded.name, generic = excluded.generic, strength = excluded.strength, "
      "form = excluded.form, route = excluded.route, schedule = excluded.schedule, "
      "search = excluded.search",
      d.rxcui, d.ingredientRxcui, d.name, d.generic, d.strength, d.form, d.route,
      static_cast<std::int64_t>(d.schedule), d.source, searchKey(d));
}

std::vector<std::string> splitPipes(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : line) {
    if (ch == '|') {
      out.push_back(cur);
      cur.clear();
    } else if (ch != '\r') {
      cur.push_back(ch);
    }
  }
  out.push_back(cur);
  return out;
}

std::string ingredientsOf(const std::string& fullGeneric) {
  std::string out;
  std::size_t start = 0;
  while (start <= fullGeneric.size()) {
    auto end = fullGeneric.find(" / ", start);
    std::istringstream words{
        fullGeneric.substr(start, end == std::string::npos ? std::string::npos : end - start)};
    std::string part;
    for (std::string w; words >> w && !std::isdigit(static_cast<unsigned char>(w[0]));)
      part += (part.empty() ? "" : " ") + w;
    if (!part.empty()) out += (out.empty() ? "" : " / ") + part;
    if (end == std::string::npos) break;
    start = end + 3;
  }
  return lower(out.empty() ? fullGeneric : out);
}

}  // namespace

const std::vector<Drug>& starterDrugs() {
  return kStarter;
}

int scheduleOfIngredient(std::string_view generic) {
  auto it = kControlled.find(lower(generic));
  return it == kControlled.end() ? 0 : it->second;
}

int DrugCatalog::loadStarterList() {
  return db_.writeSync([](store::Connection& c) {
    if (c.queryValue<std::int64_t>("SELECT count(*) FROM rx_drugs WHERE source = 'starter'")
            .value_or(0) > 0)
      return 0;
    int n = 0;
    for (const auto& d : kStarter) {
      if (!d.rxcui.empty()) {
        upsertIn(c, d);
      } else {
        c.execute(
            "INSERT INTO rx_drugs (rxcui, ingredient_rxcui, name, generic, strength, form, route, "
            "schedule, source, search) VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'starter', ?8)",
            d.ingredientRxcui, d.name, d.generic, d.strength, d.form, d.route,
            static_cast<std::int64_t>(d.schedule), searchKey(d));
      }
      ++n;
    }
    return n;
  });
}

std::vector<Drug> DrugCatalog::search(std::string_view query, int limit) {
  return db_.read([&](store::Connection& c) { return searchIn(c, query, limit); });
}

std::vector<Drug> DrugCatalog::searchIn(store::Connection& c, std::string_view query, int limit) {
  if (limit < 1 || limit > 50) throw ValidationError("limit: 1 to 50");
  std::vector<std::string> words;
  std::istringstream in{lower(query)};
  for (std::string w; in >> w && words.size() < 5;) words.push_back(w);
  if (words.empty() || query.size() > 100) throw ValidationError("q: 1 to 100 characters");
  std::string sql = std::string("SELECT ") + kColumns + " FROM rx_drugs WHERE 1 = 1";
  for (std::size_t i = 0; i < words.size(); ++i)
    sql += " AND instr(search, ?" + std::to_string(i + 1) + ") > 0";
  sql += " ORDER BY source = 'starter' DESC, name LIMIT " + std::to_string(limit);
  auto s = c.prepare(sql);
  for (std::size_t i = 0; i < words.size(); ++i) s.bind(static_cast<int>(i + 1), words[i]);
  std::vector<Drug> out;
  while (s.step()) out.push_back(rowToDrug(s));
  return out;
}

std::optional<Drug> DrugCatalog::getIn(store::Connection& c, std::int64_t id) {
  auto s = c.prepare(std::string("SELECT ") + kColumns + " FROM rx_drugs WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return rowToDrug(s);
}

ImportResult DrugCatalog::importRxTerms(
    const std::filesystem::path& file,
    const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw FileMissing("rxterms file: cannot be read");
  std::error_code ec;
  const auto total = static_cast<std::uint64_t>(std::filesystem::file_size(file, ec));
  std::string line;
  if (!std::getline(in, line)) throw ValidationError("rxterms file: empty");
  auto header = splitPipes(line);
  std::map<std::string, std::size_t, std::less<>> col;
  for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  for (const char* need : {"RXCUI", "TTY", "FULL_NAME", "FULL_GENERIC_NAME", "DISPLAY_NAME",
                           "ROUTE", "NEW_DOSE_FORM", "STRENGTH", "SUPPRESS_FOR", "IS_RETIRED"})
    if (!col.contains(need))
      throw ValidationError(std::string("rxterms file: no ") + need + " column in the header");
  ImportResult result;
  std::vector<Drug> batch;
  auto flush = [&] {
    if (batch.empty()) return;
    db_.writeSync([&](store::Connection& c) {
      for (const auto& d : batch) upsertIn(c, d);
    });
    result.imported += static_cast<std::int64_t>(batch.size());
    batch.clear();
  };
  std::uint64_t done = line.size() + 1;
  while (std::getline(in, line)) {
    done += line.size() + 1;
    if (line.empty() || line == "\r") continue;
    ++result.rows;
    auto f = splitPipes(line);
    auto field = [&](const char* name) -> std::string {
      auto i = col.at(name);
      return i < f.size() ? f[i] : std::string();
    };
    const auto rxcui = field("RXCUI");
    const auto generic = field("FULL_GENERIC_NAME");
    const bool digits = !rxcui.empty() && rxcui.size() <= 12 &&
                        std::all_of(rxcui.begin(), rxcui.end(), [](char ch) {
                          return std::isdigit(static_cast<unsigned char>(ch));
                        });
    if (!digits || field("FULL_NAME").empty() || !field("IS_RETIRED").empty() ||
        !field("SUPPRESS_FOR").empty()) {
      ++result.skipped;
      continue;
    }
    Drug d;
    d.rxcui = rxcui;
    d.name = field("FULL_NAME");
    // The ingredients: of each part of FULL_GENERIC_NAME (parts split by " / "), the words
    // before the strength ("acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral Tablet" ->
    // "acetaminophen / oxycodone hydrochloride"); a branded row's generic name is its clinical
    // drug's, so the ingredients are the same.
    d.generic = ingredientsOf(generic);
    d.strength = field("STRENGTH");
    d.form = field("NEW_DOSE_FORM");
    d.route = field("ROUTE");
    // Salts and combinations ("oxycodone hydrochloride", "acetaminophen / oxycodone"): the
    // strictest controlled ingredient named.
    for (const auto& [name, sched] : kControlled)
      if (d.generic.find(name) != std::string::npos)
        d.schedule = d.schedule == 0 ? sched : std::min(d.schedule, sched);
    d.source = "rxterms";
    batch.push_back(std::move(d));
    if (batch.size() >= 2000) flush();
    if (progress) progress(std::min(done, total), total);
  }
  flush();
  if (progress) progress(total, total);
  log::info("rx.rxterms_imported",
            {{"rows", result.rows}, {"imported", result.imported}, {"skipped", result.skipped}});
  return result;
}

}  // namespace vigil::rx
