#include "stand_in_client.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/StreamCopier.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "vigil/core/json_text.hpp"
#include "vigil/core/time.hpp"
#include "vigil/crypto/bytes.hpp"
#include "vigil/crypto/random.hpp"

namespace vigil::cloudtest {
namespace fs = std::filesystem;
using Poco::JSON::Object;

namespace {

Object::Ptr parseObject(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Object::Ptr>();
}

std::string bioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace

StandIn::StandIn(const fs::path& dir, std::vector<std::string> extra) : dir_(dir) {
  fs::create_directories(dir_.parent_path());
  fs::remove(dir_ / "url");
  out_ = dir_.parent_path() / (dir_.filename().string() + "-serve.out");
  fs::remove(out_);
  std::vector<std::string> args = {"cloud", "serve", "--dir", dir_.string(), "--port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  testsupport::Process::Options options;
  options.args = args;
  options.stdoutFile = out_;
  options.stderrFile = dir_.parent_path() / (dir_.filename().string() + "-serve.err");
  process_ = std::make_unique<testsupport::Process>(DEVTOOL_PATH, options);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string out = testsupport::readText(out_);
    if (out.find("listening ") != std::string::npos && fs::exists(dir_ / "url")) break;
    BOOST_REQUIRE_MESSAGE(process_->running(), "vigil-devtool cloud serve exited early");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  url_ = testsupport::readText(dir_ / "url");
  BOOST_REQUIRE_MESSAGE(!url_.empty(), "vigil-devtool cloud serve wrote no DIR/url in 30 s");
  BOOST_REQUIRE(testsupport::readText(out_).find("listening " + url_ + "\n") != std::string::npos);
  port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
}

StandIn::~StandIn() {
  if (process_ && process_->running()) process_->stop();
}

int StandIn::stop(int sig) {
  process_->signal(sig);
  return process_->wait(std::chrono::seconds(10)).value_or(-1);
}

BoxIdentity::BoxIdentity()
    : sig(crypto::Ed25519Signer::generate()), enc(crypto::hpke::X25519KeyPair::generate()) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  BOOST_REQUIRE(key != nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  keyPem = bioText(bio);
  BIO_free(bio);
  X509_REQ* req = X509_REQ_new();
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Riverside Clinic"), -1, -1, 0);
  X509_REQ_set_pubkey(req, key);
  X509_REQ_sign(req, key, EVP_sha256());
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  csrPem = bioText(bio);
  BIO_free(bio);
  X509_REQ_free(req);
  EVP_PKEY_free(key);
}

std::string BoxIdentity::enrolBody(const std::string& code) const {
  return "{\"code\":" + core::jsonString(code) + ",\"boxName\":\"Riverside Clinic\"" +
         ",\"signingKey\":{\"kid\":" + core::jsonString(sigKid) +
         ",\"key\":" + core::jsonString(crypto::toBase64(sig.publicKey())) + "}" +
         ",\"encryptionKey\":{\"kid\":" + core::jsonString(encKid) +
         ",\"key\":" + core::jsonString(crypto::toBase64(enc.publicKey())) + "}" +
         ",\"csr\":" + core::jsonString(csrPem) + "}";
}

struct Client::Impl {
  int port = 0;
  Poco::Net::Context::Ptr context;
  bool keepAlive = false;
  std::unique_ptr<Poco::Net::HTTPSClientSession> session;

  Poco::Net::HTTPSClientSession& open() {
    if (!keepAlive || !session) {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(
          "127.0.0.1", static_cast<Poco::UInt16>(port), context);
      session->setTimeout(Poco::Timespan(20, 0));
      session->setKeepAlive(keepAlive);
    }
    return *session;
  }
};

Client::Client(int port, fs::path caFile, fs::path certFile, fs::path keyFile)
    : impl_(std::make_shared<Impl>()) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  Poco::Net::Context::Params params;
  params.caLocation = caFile.string();
  params.certificateFile = certFile.string();
  params.privateKeyFile = keyFile.string();
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.loadDefaultCAs = false;
  impl_->port = port;
  impl_->context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
}

Response Client::request(const std::string& method, const std::string& path,
                         const std::string& body) {
  try {
    Poco::Net::HTTPSClientSession& session = impl_->open();
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(impl_->keepAlive);
    if (method == "POST") {
      req.setContentType("application/json");
      req.setContentLength64(static_cast<Poco::Int64>(body.size()));
    }
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    Response out;
    out.status = static_cast<int>(resp.getStatus());
    out.keepAlive = resp.getKeepAlive();
    Poco::StreamCopier::copyToString(in, out.body);
    return out;
  } catch (const Poco::Exception& e) {
    impl_->session.reset();
    throw NoAnswer(e.displayText());
  }
}

void Client::keepAlive(bool on) {
  impl_->keepAlive = on;
  impl_->session.reset();
}

EnrolledBox EnrolledBox::enrol(const StandIn& standIn, const std::string& code,
                               const fs::path& files) {
  BoxIdentity identity;
  Client anonymous(standIn.port(), standIn.caFile());
  Response r = anonymous.request("POST", "/v1/boxes/enrol", identity.enrolBody(code));
  BOOST_REQUIRE_MESSAGE(r.status == 201, "enrolment answered " << r.status << " " << r.body);
  EnrolledBox box = fromAnswer(identity, r.body);
  fs::create_directories(files);
  box.certFile = files / (box.boxId + ".crt");
  box.keyFile = files / (box.boxId + ".key");
  writeFile(box.certFile, box.certPem);
  writeFile(box.keyFile, box.identity.keyPem);
  fs::permissions(box.keyFile, fs::perms::owner_read | fs::perms::owner_write,
                  fs::perm_options::replace);
  return box;
}

EnrolledBox EnrolledBox::fromAnswer(const BoxIdentity& identity, const std::string& body) {
  EnrolledBox box;
  box.identity = identity;
  Object::Ptr answer = parseObject(body);
  box.boxId = answer->getValue<std::string>("boxId");
  box.certPem = answer->getValue<std::string>("certificate");
  auto services = answer->getArray("services");
  for (std::size_t i = 0; i < services->size(); ++i) {
    Object::Ptr s = services->getObject(static_cast<unsigned>(i));
    ServiceKeys keys;
    keys.encKid = s->getObject("encryptionKey")->getValue<std::string>("kid");
    keys.encKey = crypto::fromBase64(s->getObject("encryptionKey")->getValue<std::string>("key"));
    keys.sigKid = s->getObject("signingKey")->getValue<std::string>("kid");
    keys.sigKey = crypto::fromBase64(s->getObject("signingKey")->getValue<std::string>("key"));
    box.services[s->getValue<std::string>("name")] = keys;
  }
  return box;
}

Client EnrolledBox::client(const StandIn& standIn) const {
  return Client(standIn.port(), standIn.caFile(), certFile, keyFile);
}

sync::Envelope EnrolledBox::seal(const std::string& service, const std::string& kind,
                                 const std::string& payload, const std::string& stream,
                                 std::int64_t seq, const std::string& id) const {
  sync::Header h;
  h.id = id.empty() ? crypto::randomUuid() : id;
  h.stream = stream;
  h.seq = seq;
  h.kind = kind;
  h.from = boxId;
  h.to = service;
  h.createdAt = sync::createdAtText(std::chrono::system_clock::now());
  auto it = services.find(service);
  const ServiceKeys& keys = it != services.end() ? it->second : services.begin()->second;
  h.recipientKid = keys.encKid;
  h.senderKid = identity.sigKid;
  return sync::seal(h, payload, keys.encKey, identity.sig);
}

std::string EnrolledBox::open(const sync::Envelope& envelope) const {
  return sync::open(
      envelope, identity.enc,
      [&](std::string_view kid) -> std::optional<crypto::Bytes> {
        auto it = services.find(envelope.header.from);
        if (it == services.end() || it->second.sigKid != kid) return std::nullopt;
        return it->second.sigKey;
      },
      boxId);
}

std::string currentCode(const fs::path& dir) {
  std::string code = testsupport::readText(dir / "enrolment-code");
  while (!code.empty() && code.back() == '\n') code.pop_back();
  return code;
}

InboxPage parseInbox(const std::string& body) {
  Object::Ptr obj = parseObject(body);
  InboxPage page;
  page.cursor = obj->getValue<std::string>("cursor");
  auto messages = obj->getArray("messages");
  for (std::size_t i = 0; i < messages->size(); ++i) {
    std::ostringstream text;
    messages->getObject(static_cast<unsigned>(i))->stringify(text);
    page.messages.push_back(sync::Envelope::fromJson(text.str()));
  }
  return page;
}

std::string member(const std::string& json, const std::string& name) {
  Object::Ptr obj = parseObject(json);
  if (!obj->has(name)) return "";
  return obj->get(name).convert<std::string>();
}

}  // namespace vigil::cloudtest
