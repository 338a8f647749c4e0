#include "vigil/rx/ncpdp.hpp"

#include <algorithm>
#include <cctype>

namespace vigil::rx {
namespace {

/// A small writer: elements in order, text escaped.
class Xml {
 public:
  Xml& open(const std::string& name, const std::string& attrs = {}) {
    out_ += '<' + name + (attrs.empty() ? "" : " " + attrs) + '>';
    return *this;
  }
  Xml& close(const std::string& name) {
    out_ += "</" + name + '>';
    return *this;
  }
  Xml& leaf(const std::string& name, const std::string& text, const std::string& attrs = {}) {
    return open(name, attrs).text(text).close(name);
  }
  /// An element only when the text is not empty (optional elements).
  Xml& optionalLeaf(const std::string& name, const std::string& text) {
    return text.empty() ? *this : leaf(name, text);
  }
  Xml& text(const std::string& t) {
    out_ += xmlEscape(t);
    return *this;
  }
  std::string done() { return std::move(out_); }

 private:
  std::string out_ = R"(<?xml version="1.0" encoding="UTF-8"?>)";
};

void address(Xml& x, const std::string& line1, const std::string& city, const std::string& state,
             const std::string& postal) {
  x.open("Address")
      .leaf("AddressLine1", line1)
      .leaf("City", city)
      .leaf("StateProvince", state)
      .leaf("PostalCode", postal)
      .leaf("CountryCode", "US")
      .close("Address");
}

void header(Xml& x, const ScriptMessage& m) {
  x.open("Header")
      .leaf("To", m.pharmacyNcpdp, R"(Qualifier="P")")
      .leaf("From", m.clinicId, R"(Qualifier="C")")
      .leaf("MessageID", scriptId(m.messageId));
  if (!m.relatesTo.empty()) x.leaf("RelatesToMessageID", scriptId(m.relatesTo));
  x.leaf("SentTime", m.sentTime);
  if (m.epcsSigned)
    x.open("DigitalSignature", R"(Version="1.0")")
        .leaf("DigitalSignatureIndicator", "true")
        .close("DigitalSignature");
  x.leaf("PrescriberOrderNumber", scriptId(m.orderNumber)).close("Header");
}

void parties(Xml& x, const ScriptMessage& m) {
  x.open("Patient").open("HumanPatient").open("Name");
  x.leaf("LastName", m.patientLast).leaf("FirstName", m.patientFirst).close("Name");
  x.leaf("Gender", m.patientGender);
  x.open("DateOfBirth").leaf("Date", m.patientBirthDate).close("DateOfBirth");
  address(x, m.patientAddress1, m.patientCity, m.patientState, m.patientPostal);
  x.close("HumanPatient").close("Patient");

  x.open("Pharmacy").open("Identification").leaf("NCPDPID", m.pharmacyNcpdp);
  x.close("Identification").leaf("BusinessName", m.pharmacyName).close("Pharmacy");

  x.open("Prescriber").open("NonVeterinarian").open("Identification");
  x.leaf("NPI", m.prescriberNpi).optionalLeaf("DEANumber", m.prescriberDea);
  x.close("Identification").open("Name");
  x.leaf("LastName", m.prescriberLast).leaf("FirstName", m.prescriberFirst).close("Name");
  address(x, m.clinicAddress1, m.clinicCity, m.clinicState, m.clinicPostal);
  x.open("CommunicationNumbers").open("PrimaryTelephone").leaf("Number", m.clinicPhone);
  x.close("PrimaryTelephone").close("CommunicationNumbers");
  x.close("NonVeterinarian").close("Prescriber");
}

void medication(Xml& x, const ScriptMessage& m) {
  x.open("MedicationPrescribed").leaf("DrugDescription", m.drugDescription);
  auto dea = deaScheduleCode(m.schedule);
  if (!m.rxcui.empty() || dea) {
    x.open("DrugCoded");
    if (!m.rxcui.empty())
      x.open("DrugDBCode").leaf("Code", m.rxcui).leaf("Qualifier", "SCD").close("DrugDBCode");
    if (dea) x.open("DEASchedule").leaf("Code", *dea).close("DEASchedule");
    x.close("DrugCoded");
  }
  x.open("Quantity").leaf("Value", m.quantity).leaf("CodeListQualifier", "38");
  x.open("QuantityUnitOfMeasure").leaf("Code", quantityUnitCode(m.quantityUnit));
  x.close("QuantityUnitOfMeasure").close("Quantity");
  x.leaf("DaysSupply", std::to_string(m.daysSupply));
  x.open("WrittenDate").leaf("Date", m.writtenDate).close("WrittenDate");
  // Product selection: 0 substitution allowed, 1 dispense as written.
  x.leaf("Substitutions", m.substitution ? "0" : "1");
  x.leaf("NumberOfRefills", std::to_string(m.refills));
  x.optionalLeaf("Note", m.note);
  x.open("Sig").leaf("SigText", m.sig).close("Sig");
  x.close("MedicationPrescribed");
}

constexpr const char* kMessageAttrs =
    R"(xmlns="http://www.ncpdp.org/schema/SCRIPT" DatatypesVersion="2017071" )"
    R"(TransportVersion="2017071" TransactionDomain="SCRIPT" TransactionVersion="2017071" )"
    R"(StructuresVersion="2017071" ECLVersion="2017071")";

std::string message(const ScriptMessage& m, const std::string& body) {
  Xml x;
  x.open("Message", kMessageAttrs);
  header(x, m);
  x.open("Body").open(body);
  parties(x, m);
  medication(x, m);
  x.close(body).close("Body").close("Message");
  return x.done();
}

}  // namespace

std::optional<std::string> deaScheduleCode(int schedule) {
  switch (schedule) {
    case 2:
      return "C48672";
    case 3:
      return "C48675";
    case 4:
      return "C48676";
    case 5:
      return "C48677";
    default:
      return std::nullopt;
  }
}

std::string quantityUnitCode(const std::string& unit) {
  std::string u = unit;
  std::transform(u.begin(), u.end(), u.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (u == "tablet") return "C48542";
  if (u == "capsule") return "C48480";
  if (u == "ml") return "C28254";
  return "C38046";
}

std::string xmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t' && ch != '\n') break;
        out += ch;
    }
  }
  return out;
}

std::string scriptId(const std::string& uuid) {
  std::string out;
  for (char ch : uuid)
    if (ch != '-') out.push_back(ch);
  return out.substr(0, 35);
}

std::string newRxXml(const ScriptMessage& m) {
  return message(m, "NewRx");
}
std::string cancelRxXml(const ScriptMessage& m) {
  return message(m, "CancelRx");
}

}  // namespace vigil::rx
