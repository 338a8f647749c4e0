// vigil-devtool cloud: the cloud stand-in (docs/cloud-api.md, "The stand-in"). `serve` runs the
// four services over HTTPS on 127.0.0.1 until SIGTERM/SIGINT; `code` makes a one-time enrolment
// code; `send` queues a message from a service to a box (optionally spoiled, for tests of the
// box's inbound checks); `show` prints what the stand-in holds.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "vigil/cloudsim/cloud.hpp"
#include "vigil/cloudsim/cloud_server.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/json_text.hpp"

namespace vigil::devtool {
namespace {

constexpr const char* kUsage =
    "usage: vigil-devtool cloud serve --dir DIR [--port N] [faults] [--record FILE]\n"
    "       vigil-devtool cloud code --dir DIR\n"
    "       vigil-devtool cloud send --dir DIR --box BOXID --kind KIND --payload JSON\n"
    "                                [--tamper ct|sig|header] [--wrong-key]\n"
    "       vigil-devtool cloud send --dir DIR --box BOXID --kind KIND --x12 FILE [--batch ID]\n"
    "       vigil-devtool cloud show --dir DIR [--json]\n"
    "\n"
    "serve: the licensing, pharmacy, clearinghouse and notify services of docs/cloud-api.md on\n"
    "https://127.0.0.1:N (--port 0 or none: a free port), state in DIR (created on first use);\n"
    "prints \"listening <url>\" and writes DIR/url; stops on SIGTERM or SIGINT.\n"
    "  --fail-rate P       answer 503 (before applying) to a fraction P of requests\n"
    "  --latency-ms N      delay every answer by N ms\n"
    "  --drop-responses    apply a random 25% of accepted entries, then close without answering\n"
    "  --duplicate         each inbox page also returns the previously delivered message\n"
    "  --reorder           each inbox page comes newest first\n"
    "  --down-for S        for S seconds after start, close every connection before TLS\n"
    "  --seed N            seed of --fail-rate's and --drop-responses' random choices (default "
    "20)\n"
    "  --record FILE       append \"id stream seq kind\" per first acceptance\n"
    "code: a new one-time enrolment code, valid 24 h (also in DIR/enrolment-code).\n"
    "send: a message of KIND (license.status, license.verification, rx.status, claim.ack,\n"
    "claim.status, remittance, notify.status) from its service to the box's inbox; for the\n"
    "clearinghouse's kinds --x12 FILE makes the payload {\"batch\": ID (--batch, default\n"
    "\"manual\"), \"x12\": the file's text} (a 999, 277CA or 835); --tamper ct flips a\n"
    "ciphertext byte (re-signed: does_not_open), sig a signature byte (bad_signature), header\n"
    "changes createdAt after signing (bad_signature); --wrong-key signs with a key the box was\n"
    "never given (unknown_key).\n";

struct Options {
  std::map<std::string, std::string> values;
  std::vector<std::string> flags;
  bool has(const std::string& flag) const {
    for (const auto& f : flags)
      if (f == flag) return true;
    return false;
  }
  std::optional<std::string> get(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  std::string need(const std::string& name) const {
    auto v = get(name);
    if (!v) throw ValidationError(name + ": required");
    return *v;
  }
};

const std::vector<std::string> kFlags = {"--drop-responses", "--duplicate", "--reorder", "--json",
                                         "--wrong-key"};
const std::vector<std::string> kValued = {
    "--dir", "--port", "--fail-rate", "--latency-ms", "--down-for", "--seed", "--record",
    "--box", "--kind", "--payload",   "--tamper",     "--x12",      "--batch"};

Options parse(std::span<const std::string> args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool flag = false, valued = false;
    for (const auto& f : kFlags) flag = flag || a == f;
    for (const auto& v : kValued) valued = valued || a == v;
    if (flag) {
      o.flags.push_back(a);
    } else if (valued && i + 1 < args.size()) {
      o.values[a] = args[++i];
    } else {
      throw ValidationError(a + ": unknown option or missing value");
    }
  }
  return o;
}

double number(const Options& o, const std::string& name, double fallback, double min, double max) {
  auto v = o.get(name);
  if (!v) return fallback;
  double d = 0;
  try {
    std::size_t used = 0;
    d = std::stod(*v, &used);
    if (used != v->size()) throw std::invalid_argument("trailing");
  } catch (const std::logic_error&) {
    throw ValidationError(name + ": not a number");
  }
  if (!(d >= min && d <= max)) throw ValidationError(name + ": out of range");
  return d;
}

int serve(const Options& o) {
  cloudsim::Faults faults;
  faults.failRate = number(o, "--fail-rate", 0, 0, 1);
  faults.latency =
      std::chrono::milliseconds(static_cast<long>(number(o, "--latency-ms", 0, 0, 600'000)));
  faults.dropResponses = o.has("--drop-responses");
  faults.duplicate = o.has("--duplicate");
  faults.reorder = o.has("--reorder");
  faults.downFor = std::chrono::seconds(static_cast<long>(number(o, "--down-for", 0, 0, 86'400)));
  faults.seed = static_cast<std::uint64_t>(number(o, "--seed", 20, 0, 1e15));
  int port = static_cast<int>(number(o, "--port", 0, 0, 65535));

  // SIGTERM and SIGINT are taken by sigwait below, in this thread only: block them before any
  // thread starts so none of the server's threads receives them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  cloudsim::Cloud cloud(o.need("--dir"), o.get("--record").value_or(""));
  cloud.ensureCode();
  cloudsim::CloudServer server(cloud, port, faults);
  server.start();
  std::printf("listening %s\n", server.url().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stopSignals, &sig);
  server.stop();
  return kExitOk;
}

int send(const Options& o) {
  cloudsim::SendOptions options;
  if (auto t = o.get("--tamper")) {
    if (*t == "ct")
      options.tamper = cloudsim::Tamper::ct;
    else if (*t == "sig")
      options.tamper = cloudsim::Tamper::sig;
    else if (*t == "header")
      options.tamper = cloudsim::Tamper::header;
    else
      throw ValidationError("--tamper: must be ct, sig or header");
  }
  options.wrongKey = o.has("--wrong-key");
  std::string payload;
  if (auto file = o.get("--x12")) {
    if (o.get("--payload")) throw ValidationError("--x12: not with --payload");
    std::ifstream in(*file, std::ios::binary);
    if (!in) throw ValidationError("--x12: cannot read the file");
    std::ostringstream text;
    text << in.rdbuf();
    payload = "{\"batch\":" + core::jsonString(o.get("--batch").value_or("manual")) +
              ",\"x12\":" + core::jsonString(text.str()) + "}";
  } else {
    payload = o.need("--payload");
  }
  cloudsim::Cloud cloud(o.need("--dir"));
  std::string id = cloud.send(o.need("--box"), o.need("--kind"), payload, options);
  std::printf("%s\n", id.c_str());
  return kExitOk;
}

}  // namespace

int runCloud(std::span<const std::string> args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitInvalid : kExitOk;
  }
  Options o;
  try {
    o = parse(args.subspan(1));
  } catch (const ValidationError& e) {
    std::fprintf(stderr, "vigil-devtool cloud: %s\n%s", e.what(), kUsage);
    return kExitInvalid;
  }
  try {
    if (args[0] == "serve") return serve(o);
    if (args[0] == "send") return send(o);
    if (args[0] == "code") {
      cloudsim::Cloud cloud(o.need("--dir"));
      std::printf("%s\n", cloud.newCode().c_str());
      return kExitOk;
    }
    if (args[0] == "show") {
      cloudsim::Cloud cloud(o.need("--dir"));
      std::fputs(cloud.show(o.has("--json")).c_str(), stdout);
      return kExitOk;
    }
  } catch (const ValidationError& e) {
    std::fprintf(stderr, "vigil-devtool cloud %s: %s\n", args[0].c_str(), e.what());
    return kExitInvalid;
  } catch (const NotFound& e) {
    std::fprintf(stderr, "vigil-devtool cloud %s: %s\n", args[0].c_str(), e.what());
    return kExitInvalid;
  }
  std::fprintf(stderr, "vigil-devtool cloud: unknown subcommand '%s'\n%s", args[0].c_str(), kUsage);
  return kExitInvalid;
}

}  // namespace vigil::devtool
