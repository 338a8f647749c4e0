// The latency the box's video relay adds, what a visit costs it in CPU, and how many concurrent
// two-party visits it carries (issues #9 and #28).
//
//   box:     a real vigild (BoxFixture: real Mosquitto, data dir, plain HTTP on loopback) with
//            video.max_participants=2; visits are scheduled, joined and admitted through the
//            portal API by a signed-in provider (TOTP) and one signed-in patient per visit, and
//            each participant's signalling goes over the real /api/v1/visits/{id}/media
//            WebSocket, so the media goes client -> VideoRooms/RoomRelay (webrtcbin, ICE,
//            DTLS-SRTP) -> client exactly as in a clinic;
//   clients: two GStreamer webrtcbin clients per visit in this process (tests/video's
//            WebrtcTestClient, NACK/RTX negotiated as browsers do; received RTP is not decoded);
//   CPUs:    for the ceiling, on a machine with two or more, this process (the clients) runs on
//            CPU 0 and every vigild thread on CPU 1 (sched_setaffinity), so the relay's figures
//            are its own and not the load generator's (`shared` as the sixth argument: both use
//            every CPU); the latency ramp runs unpinned, as the earlier records did;
//   latency: VP8 640x480 at 30 fps (a moving zone plate) at VIDEO_KBPS plus Opus per
//            participant; 1, 2, 4 ... MAX_VISITS visits (kept running, the next step adds to them),
//            first as pairs of clients connected directly (the baseline, no box), then through
//            the box; "relay adds" is the box's percentile minus the direct one at the same number
//            of visits;
//   ceiling: light clients (VP8 160x120 at 15 fps, 100 kbit/s, Opus at complexity 0: one core
//            cannot encode for dozens of full ones) in steps of 4 visits up to CEILING_VISITS,
//            direct and through the box, each ramp stopping after the first step with 1 % loss
//            or more; a step the direct clients could not carry either is the clients' limit;
//   window:  each step is measured over SECONDS (the ceiling: half, at least 5 s) after a 5 s
//            warm-up; every RTP packet leaving a sender's payloader is stamped (media, sequence
//            number, timestamp) and looked up as it comes out of the receiver's webrtcbin (after
//            its jitter buffer, before any depayloader); loss = packets never seen within 1.5 s
//            after the window / packets sent; latency = payloader -> receiver's webrtcbin, one
//            steady clock;
//   CPU:     vigild's utime+stime from /proc/<pid>/stat over the window, as % of one core, and
//            per visit; this process's (the clients') beside it.
//
// Usage: bench_video [MAX_VISITS=8] [SECONDS=10] [VIDEO_KBPS=1000] [RELAY_LATENCY_MS=-1: the
// configuration's default] [CEILING_VISITS=0: no ceiling ramp] [split|shared]
// Prints Markdown tables (scripts/bench.sh puts them into docs/benchmarks.md).
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "vigil/core/log.hpp"
#include "vigil/testsupport/box_fixture.hpp"
#include "vigil/testsupport/portal_client.hpp"
#include "webrtc_test_client.hpp"

using namespace vigil;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using video::test::RtpObserver;
using video::test::WebrtcTestClient;
using video::test::WebrtcTestClientOptions;

namespace {

/// From media flowing to the window (ICE, DTLS, the first keyframes and encoder ramp-up).
constexpr auto kWarmUp = 5s;

double ms(Steady::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

/// One direction of one visit: what the sender stamped and what the receiver matched.
struct Flow {
  std::mutex mu;
  std::unordered_map<std::uint64_t, Steady::time_point> sent;  // stamped in the window
  std::uint64_t sentCount = 0;
  std::uint64_t videoBytes = 0;  // sent in the window
  std::vector<double> latencyMs;
  std::atomic<std::uint64_t> received{0};  // any packet, in or out of the window
};

/// Every flow of the run and whether senders stamp now.
struct Flows {
  std::vector<std::unique_ptr<Flow>> flows;
  std::atomic<bool> stamping{false};

  explicit Flows(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) flows.push_back(std::make_unique<Flow>());
  }
  /// The observer of a client sending on `out` and receiving on `in`.
  RtpObserver observer(std::size_t out, std::size_t in) {
    return [this, out, in](bool sent, bool video, std::uint64_t key, std::size_t bytes) {
      const auto now = Steady::now();
      if (sent) {
        if (!stamping) return;
        Flow& f = *flows[out];
        std::lock_guard lock(f.mu);
        if (f.sent.emplace(key, now).second) ++f.sentCount;
        if (video) f.videoBytes += bytes;
        return;
      }
      Flow& f = *flows[in];
      ++f.received;
      std::lock_guard lock(f.mu);
      auto it = f.sent.find(key);
      if (it == f.sent.end()) return;
      f.latencyMs.push_back(ms(now - it->second));
      f.sent.erase(it);
    };
  }
  void reset() {
    for (auto& f : flows) {
      std::lock_guard lock(f->mu);
      f->sent.clear();
      f->sentCount = 0;
      f->videoBytes = 0;
      f->latencyMs.clear();
    }
  }
};

/// The outcome of one measured window over flows [first, last).
struct Window {
  std::uint64_t sent = 0;
  std::uint64_t lost = 0;
  std::uint64_t videoBytes = 0;
  std::size_t senders = 0;
  double seconds = 1.0;
  std::vector<double> latencyMs;
  /// Video bitrate one participant sent, on average.
  double videoKbps() const {
    return senders ? 8.0 * static_cast<double>(videoBytes) / 1000.0 / seconds /
                         static_cast<double>(senders)
                   : 0.0;
  }
  double lossPct() const {
    return sent ? 100.0 * static_cast<double>(lost) / static_cast<double>(sent) : 100.0;
  }
};

Window collect(Flows& flows, std::size_t first, std::size_t last) {
  Window w;
  for (std::size_t i = first; i < last; ++i) {
    Flow& f = *flows.flows[i];
    std::lock_guard lock(f.mu);
    w.sent += f.sentCount;
    w.lost += f.sent.size();
    w.videoBytes += f.videoBytes;
    ++w.senders;
    w.latencyMs.insert(w.latencyMs.end(), f.latencyMs.begin(), f.latencyMs.end());
  }
  return w;
}

/// CPU seconds (user + system) of a process, from /proc/<pid>/stat.
double processCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return 0.0;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 0; fields >> f; ++i) {  // i = 0 is field 3 (state)
    if (i == 11) utime = std::stoull(f);
    if (i == 12) {
      stime = std::stoull(f);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double selfCpuSeconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return s(r.ru_utime) + s(r.ru_stime);
}

/// A participant's signalling WebSocket to vigild, read on its own thread into its client.
class MediaSocket {
 public:
  MediaSocket(int port, const testsupport::PortalClient& who, std::int64_t visitId) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    Poco::Net::HTTPRequest req(
        Poco::Net::HTTPRequest::HTTP_GET,
        "/api/v1/visits/" + std::to_string(visitId) + "/media?csrf=" + who.csrf(),
        Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Cookie", who.cookie());
    req.set("Origin", "http://127.0.0.1:" + std::to_string(port));
    Poco::Net::HTTPResponse resp;
    try {
      ws_ = std::make_unique<Poco::Net::WebSocket>(session, req, resp);
    } catch (const Poco::Exception& e) {
      throw std::runtime_error("media socket refused: " + std::to_string(resp.getStatus()) + " " +
                               e.displayText());
    }
    ws_->setReceiveTimeout(Poco::Timespan(0, 200'000));
  }
  ~MediaSocket() {
    stopReading();
    try {
      ws_->shutdown();
    } catch (const Poco::Exception&) {
    }
  }
  MediaSocket(const MediaSocket&) = delete;
  MediaSocket& operator=(const MediaSocket&) = delete;

  void send(const std::string& json) {
    std::lock_guard lock(sendMu_);
    try {
      ws_->sendFrame(json.data(), static_cast<int>(json.size()));
    } catch (const Poco::Exception&) {
    }
  }
  /// Stops delivering vigild's messages (before the client goes).
  void stopReading() {
    stop_ = true;
    if (reader_.joinable()) reader_.join();
  }
  /// Starts delivering vigild's messages to `client`.
  void attach(std::shared_ptr<WebrtcTestClient> client) {
    client_ = std::move(client);
    reader_ = std::thread([this] { read(); });
  }

 private:
  void read() {
    std::vector<char> buf(256 * 1024);
    while (!stop_) {
      int flags = 0;
      int n = 0;
      try {
        n = ws_->receiveFrame(buf.data(), static_cast<int>(buf.size()), flags);
      } catch (const Poco::TimeoutException&) {
        continue;
      } catch (const Poco::Exception&) {
        return;
      }
      const int op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
      if (n <= 0 || op == Poco::Net::WebSocket::FRAME_OP_CLOSE) return;
      if (op != Poco::Net::WebSocket::FRAME_OP_TEXT) continue;
      try {
        client_->receive(std::string(buf.data(), static_cast<std::size_t>(n)));
      } catch (const std::exception&) {
      }
    }
  }

  std::unique_ptr<Poco::Net::WebSocket> ws_;
  std::mutex sendMu_;
  std::shared_ptr<WebrtcTestClient> client_;
  std::thread reader_;
  std::atomic<bool> stop_{false};
};

/// One visit through the box: both participants' sockets and clients.
struct BoxVisit {
  std::unique_ptr<MediaSocket> providerSocket, patientSocket;
  std::shared_ptr<WebrtcTestClient> provider, patient;
  ~BoxVisit() {
    // No more messages into the clients, then the clients (no more out), then the sockets.
    if (providerSocket) providerSocket->stopReading();
    if (patientSocket) patientSocket->stopReading();
    provider.reset();
    patient.reset();
    providerSocket.reset();
    patientSocket.reset();
  }
};

bool waitUntil(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto deadline = Steady::now() + limit;
  while (Steady::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

/// Waits until every flow in [first, last) receives packets again (its receiver is connected).
bool flowing(Flows& flows, std::size_t first, std::size_t last) {
  std::vector<std::uint64_t> before;
  for (std::size_t i = first; i < last; ++i) before.push_back(flows.flows[i]->received.load());
  return waitUntil(
      [&] {
        for (std::size_t i = first; i < last; ++i)
          if (flows.flows[i]->received.load() < before[i - first] + 100) return false;
        return true;
      },
      60s);
}

/// Runs one measured window over flows [first, last): stamps for `seconds`, then lets the
/// last packets arrive.
Window measure(Flows& flows, std::size_t first, std::size_t last, std::chrono::seconds seconds) {
  flows.reset();
  flows.stamping = true;
  std::this_thread::sleep_for(seconds);
  flows.stamping = false;
  std::this_thread::sleep_for(1500ms);
  auto w = collect(flows, first, last);
  w.seconds = static_cast<double>(seconds.count());
  return w;
}

std::int64_t checkedId(const testsupport::PortalClient::Reply& r, const char* what) {
  auto id = testsupport::jsonInt(r.body, "id");
  if (r.status != 201 || !id)
    throw std::runtime_error(std::string(what) + ": " + std::to_string(r.status) + " " + r.body);
  return *id;
}

void expectOk(const testsupport::PortalClient::Reply& r, const char* what) {
  if (r.status != 200)
    throw std::runtime_error(std::string(what) + ": " + std::to_string(r.status) + " " + r.body);
}

/// Puts one thread (or a process's main thread) on one CPU.
void pinThread(pid_t tid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<std::size_t>(cpu), &set);
  sched_setaffinity(tid, sizeof(set), &set);
}

/// Puts every thread of a running process on one CPU (threads it starts later inherit it).
void pinProcess(pid_t pid, int cpu) {
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec))
    pinThread(static_cast<pid_t>(std::stol(task.path().filename().string())), cpu);
}

/// Two clients connected to each other directly (the baseline: no box).
struct DirectPair {
  std::mutex mu;
  std::shared_ptr<WebrtcTestClient> a, b;
  ~DirectPair() {
    std::shared_ptr<WebrtcTestClient> ga, gb;
    {
      std::lock_guard lock(mu);
      ga.swap(a);
      gb.swap(b);
    }
  }
};

/// One step of a ramp: how many visits ran, what was measured.
struct Step {
  int visits = 0;
  bool connected = true;
  Window w;
  double boxCpu = 0.0;  // % of one core (through the box only)
  double selfCpu = 0.0;
};

/// What a ramp needs to open one more visit (flows 2i and 2i+1 are its two directions).
using OpenVisit = std::function<void(std::size_t i)>;

/// Opens visits up to each step in turn and measures each step; stops after the first step that
/// loses 1 % or more, or does not connect.
std::vector<Step> ramp(Flows& flows, const std::vector<int>& steps, std::chrono::seconds seconds,
                       const OpenVisit& open, std::size_t& opened, pid_t box, const char* what) {
  std::vector<Step> out;
  for (int step : steps) {
    std::fprintf(stderr, "%s: %d visits...\n", what, step);
    while (static_cast<int>(opened) < step) open(opened++);
    const std::size_t last = 2 * opened;
    Step s;
    s.visits = step;
    if (!flowing(flows, 0, last)) {
      s.connected = false;
      out.push_back(s);
      break;
    }
    std::this_thread::sleep_for(kWarmUp);
    const double box0 = box > 0 ? processCpuSeconds(box) : 0.0;
    const double self0 = selfCpuSeconds();
    const auto t0 = Steady::now();
    s.w = measure(flows, 0, last, seconds);
    const double wall = ms(Steady::now() - t0) / 1000.0;
    if (box > 0) s.boxCpu = 100.0 * (processCpuSeconds(box) - box0) / wall;
    s.selfCpu = 100.0 * (selfCpuSeconds() - self0) / wall;
    out.push_back(s);
    if (s.w.lossPct() >= 1.0) break;
  }
  return out;
}

/// The box, its provider, and a patient account per visit.
struct Box {
  testsupport::BoxFixture& fixture;
  testsupport::PortalClient& provider;
  std::vector<std::int64_t> patients;  // patient record per account
  std::vector<std::int64_t> ids;       // portal user ids: the provider, then one per patient
  std::vector<std::unique_ptr<testsupport::PortalClient>> signedIn;
};

/// Schedules, joins and admits the visit of patient account `n` and connects both clients.
std::unique_ptr<BoxVisit> openBoxVisit(Box& box, std::size_t n, const WebrtcTestClientOptions& co,
                                       Flows& flows, std::size_t out) {
  const auto nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  auto patient = std::make_unique<testsupport::PortalClient>(box.fixture.webPort());
  patient->signIn("patient-" + std::to_string(n) + "@clinic.test");
  const auto patientUser = box.ids[n + 1];
  std::ostringstream body;
  body << "{\"patientId\":" << box.patients[n] << ",\"providerUserId\":" << box.ids[0]
       << ",\"patientUserId\":" << patientUser << ",\"startsAtMs\":" << nowMs - 60'000
       << ",\"endsAtMs\":" << nowMs + 3'600'000 << "}";
  const auto visitId =
      checkedId(box.provider.request("POST", "/api/v1/visits", body.str()), "schedule");
  const auto path = "/api/v1/visits/" + std::to_string(visitId);
  expectOk(patient->request("POST", path + "/check-in", R"({"state":"CA"})"), "check-in");
  expectOk(box.provider.request("POST", path + "/join"), "provider join");
  expectOk(patient->request("POST", path + "/join"), "patient join");
  expectOk(box.provider.request("POST", path + "/admit",
                                "{\"userId\":" + std::to_string(patientUser) + "}"),
           "admit");
  auto v = std::make_unique<BoxVisit>();
  const int port = box.fixture.webPort();
  v->providerSocket = std::make_unique<MediaSocket>(port, box.provider, visitId);
  v->patientSocket = std::make_unique<MediaSocket>(port, *patient, visitId);
  auto* ps = v->providerSocket.get();
  auto* qs = v->patientSocket.get();
  v->provider = std::make_shared<WebrtcTestClient>(
      [ps](const std::string& json) { ps->send(json); }, co, flows.observer(out, out + 1));
  v->patient = std::make_shared<WebrtcTestClient>([qs](const std::string& json) { qs->send(json); },
                                                  co, flows.observer(out + 1, out));
  ps->attach(v->provider);
  qs->attach(v->patient);
  box.signedIn.push_back(std::move(patient));
  return v;
}

std::unique_ptr<DirectPair> openDirectPair(WebrtcTestClientOptions co, Flows& flows,
                                           std::size_t out) {
  // Two webrtcbins that both negotiate NACK/RTX with each other lost every video packet here
  // (GStreamer 1.22; through the box they do not): the direct pairs go without. Nothing is lost
  // on loopback to ask for, so it changes nothing measured.
  co.nack = false;
  auto pair = std::make_unique<DirectPair>();
  DirectPair* p = pair.get();
  auto to = [p](bool toB) {
    return [p, toB](const std::string& json) {
      std::shared_ptr<WebrtcTestClient> c;
      {
        std::lock_guard lock(p->mu);
        c = toB ? p->b : p->a;
      }
      if (c) c->receive(json);
    };
  };
  // Neither sends before a offers, so both exist by then.
  auto a = std::make_shared<WebrtcTestClient>(to(true), co, flows.observer(out, out + 1));
  auto b = std::make_shared<WebrtcTestClient>(to(false), co, flows.observer(out + 1, out));
  {
    std::lock_guard lock(p->mu);
    p->a = a;
    p->b = b;
  }
  a->offer();
  return pair;
}

/// One phase: a direct ramp (the baseline), then the same steps through the box.
struct PhaseResult {
  std::vector<Step> direct, box;
};

PhaseResult runPhase(Box& box, std::size_t& accountsUsed, const WebrtcTestClientOptions& co,
                     const std::vector<int>& steps, std::chrono::seconds seconds,
                     const char* name) {
  const auto most = static_cast<std::size_t>(steps.back());
  PhaseResult r;
  {
    Flows flows(2 * most);
    std::vector<std::unique_ptr<DirectPair>> pairs;
    std::size_t opened = 0;
    r.direct = ramp(
        flows, steps, seconds,
        [&](std::size_t i) { pairs.push_back(openDirectPair(co, flows, 2 * i)); }, opened, -1,
        (std::string(name) + ", direct").c_str());
    pairs.clear();
  }
  {
    Flows flows(2 * most);
    std::vector<std::unique_ptr<BoxVisit>> visits;
    std::size_t opened = 0;
    r.box = ramp(
        flows, steps, seconds,
        [&](std::size_t i) {
          visits.push_back(openBoxVisit(box, accountsUsed++, co, flows, 2 * i));
        },
        opened, box.fixture.pid(), (std::string(name) + ", through the box").c_str());
    visits.clear();
  }
  return r;
}

void printTableHead() {
  std::printf(
      "| visits | path | video kbit/s per participant | RTP packets sent | lost %% | latency p50 "
      "ms | p99 ms | relay adds p50 ms | relay adds p99 ms | vigild CPU %% | vigild CPU %% per "
      "visit | clients' CPU %% |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
}

/// The rows of one phase, direct and through the box at each number of visits; returns the most
/// visits the box carried under 1 % loss.
int printPhase(const PhaseResult& r) {
  printTableHead();
  int carried = 0;
  for (std::size_t i = 0; i < std::max(r.direct.size(), r.box.size()); ++i) {
    const Step* d = i < r.direct.size() ? &r.direct[i] : nullptr;
    const Step* b = i < r.box.size() ? &r.box[i] : nullptr;
    const int visits = d ? d->visits : b->visits;
    double d50 = 0, d99 = 0;
    if (d && !d->connected)
      std::printf("| %d | direct | did not connect within 60 s |||||||||\n", visits);
    if (d && d->connected) {
      d50 = percentile(d->w.latencyMs, 50);
      d99 = percentile(d->w.latencyMs, 99);
      std::printf("| %d | direct (no box) | %.0f | %llu | %.2f | %.1f | %.1f | | | | | %.0f |\n",
                  visits, d->w.videoKbps(), static_cast<unsigned long long>(d->w.sent),
                  d->w.lossPct(), d50, d99, d->selfCpu);
    }
    if (b && !b->connected)
      std::printf("| %d | through the box | did not connect within 60 s |||||||||\n", visits);
    if (b && b->connected) {
      const double p50 = percentile(b->w.latencyMs, 50), p99 = percentile(b->w.latencyMs, 99);
      char add50[32] = "", add99[32] = "";  // empty without a direct figure to subtract
      if (d && d->connected) {
        std::snprintf(add50, sizeof add50, "%.1f", p50 - d50);
        std::snprintf(add99, sizeof add99, "%.1f", p99 - d99);
      }
      std::printf(
          "| %d | through the box | %.0f | %llu | %.2f | %.1f | %.1f | %s | %s | %.0f | %.1f | "
          "%.0f |\n",
          visits, b->w.videoKbps(), static_cast<unsigned long long>(b->w.sent), b->w.lossPct(), p50,
          p99, add50, add99, b->boxCpu, b->boxCpu / visits, b->selfCpu);
      if (b->w.lossPct() < 1.0) carried = visits;
    }
  }
  std::fflush(stdout);
  return carried;
}

int lastUnderOnePercent(const std::vector<Step>& steps) {
  int carried = 0;
  for (const auto& s : steps)
    if (s.connected && s.w.lossPct() < 1.0) carried = s.visits;
  return carried;
}

}  // namespace

int main(int argc, char** argv) {
  const int maxVisits = argc > 1 ? std::stoi(argv[1]) : 8;
  const auto seconds = std::chrono::seconds(argc > 2 ? std::stol(argv[2]) : 10);
  const int kbps = argc > 3 ? std::stoi(argv[3]) : 1000;
  // The relay's receive jitter buffer (video.latency_ms); -1: the configuration's default.
  const int relayLatencyMs = argc > 4 ? std::stoi(argv[4]) : -1;
  const int ceilingVisits = argc > 5 ? std::stoi(argv[5]) : 0;
  const bool split =
      (argc > 6 ? std::string(argv[6]) != "shared" : true) && sysconf(_SC_NPROCESSORS_ONLN) >= 2;
  if (maxVisits < 1 || seconds < 2s || kbps < 50 || relayLatencyMs > 1000 || ceilingVisits < 0 ||
      maxVisits + ceilingVisits > 60) {
    std::fprintf(stderr,
                 "usage: bench_video [MAX_VISITS>=1] [SECONDS>=2] [VIDEO_KBPS>=50] "
                 "[RELAY_LATENCY_MS -1|0..1000] [CEILING_VISITS>=0, with MAX_VISITS <= 60] "
                 "[split|shared]\n");
    return 64;
  }
  log::setLevel(log::Level::error);
  std::vector<int> latencySteps;
  for (int v = 1; v < maxVisits; v *= 2) latencySteps.push_back(v);
  latencySteps.push_back(maxVisits);
  std::vector<int> ceilingSteps;
  for (int v = 4; v <= ceilingVisits; v += 4) ceilingSteps.push_back(v);

  // The box: one provider for every visit, one patient (with a portal account) per visit.
  std::fprintf(stderr, "starting the box...\n");
  const int accounts = maxVisits + (ceilingSteps.empty() ? 0 : ceilingSteps.back());
  const int mostAtOnce = std::max(maxVisits, ceilingVisits);
  testsupport::BoxFixture::Options o;
  for (int i = 0; i < accounts; ++i) o.deviceUids.push_back("video-" + std::to_string(i));
  o.settings = {"video.max_participants=2",
                "web.max_websockets=" + std::to_string(std::min(1024, 2 * mostAtOnce + 8)),
                "web.max_media_websockets=" + std::to_string(std::min(1024, 2 * mostAtOnce + 8)),
                // One provider in every visit: a media socket per visit.
                "web.max_websockets_per_user=64",
                "web.threads=" + std::to_string(std::min(256, 4 * mostAtOnce + 16))};
  if (relayLatencyMs >= 0)
    o.settings.push_back("video.latency_ms=" + std::to_string(relayLatencyMs));
  o.start = false;
  testsupport::BoxFixture fixture(o);
  std::vector<std::int64_t> patients;
  for (const auto& uid : o.deviceUids) patients.push_back(fixture.patientOf(uid));
  std::vector<testsupport::PortalUser> users{
      {security::Role::provider, "dr.video@clinic.test", "Dr Video", {}, patients}};
  users.push_back({security::Role::admin, "admin.video@clinic.test", "Admin Video", {}, {}});
  for (int i = 0; i < accounts; ++i)
    users.push_back({security::Role::patient,
                     "patient-" + std::to_string(i) + "@clinic.test",
                     "Patient " + std::to_string(i),
                     patients[static_cast<std::size_t>(i)],
                     {},
                     true});  // signs the telehealth consent: no video visit without it
  const auto ids = testsupport::seedPortalUsers(fixture.dataDir(), fixture.databasePath(), users);
  fixture.start();
  // Issue 22: a provider joins only where licensed for the patient's state, which each patient
  // gives at check-in: the admin records a California license.
  {
    testsupport::PortalClient admin(fixture.webPort());
    admin.signIn("admin.video@clinic.test");
    const auto r =
        admin.request("POST", "/api/v1/providers/" + std::to_string(ids[0]) + "/licenses",
                      R"({"state":"CA","type":"MD","number":"A123456","expiresOn":"2030-06-30"})");
    if (r.status != 201 && r.status != 200)
      throw std::runtime_error("license: " + std::to_string(r.status) + " " + r.body);
  }
  std::vector<std::int64_t> patientIds(ids.begin() + 2, ids.end());
  patientIds.insert(patientIds.begin(), ids[0]);
  testsupport::PortalClient provider(fixture.webPort());
  provider.signIn("dr.video@clinic.test");
  Box box{fixture, provider, patients, patientIds, {}};
  std::size_t accountsUsed = 0;

  WebrtcTestClientOptions co;
  co.width = 640;
  co.height = 480;
  co.fps = 30;
  co.videoKbps = kbps;
  co.screen = false;
  co.decode = false;
  // A moving zone plate: the encoder spends about its target bitrate (a camera's packet rate);
  // the ball undershoots it tenfold and snow overshoots it eightfold.
  co.pattern = "zone-plate kt=2 kx2=20 ky2=20";
  std::printf("Relay: video.latency_ms=%s. CPU in %% of one core.\n\n",
              relayLatencyMs >= 0 ? std::to_string(relayLatencyMs).c_str() : "default");
  std::printf(
      "Latency (clients and vigild on both CPUs): VP8 %dx%d at %d fps (%d kbit/s target) + Opus "
      "per participant; %lld s windows; "
      "loss = RTP packets sent and never received; latency = sender's payloader -> receiver's "
      "webrtcbin; relay adds = through the box - direct, same number of visits.\n\n",
      co.width, co.height, co.fps, kbps, static_cast<long long>(seconds.count()));
  const int carried = printPhase(runPhase(box, accountsUsed, co, latencySteps, seconds, "latency"));
  std::printf("\nVisits carried with under 1 %% loss (full clients): %d (of at most %d tried).\n",
              carried, maxVisits);
  if (ceilingSteps.empty()) return 0;

  WebrtcTestClientOptions light = co;
  light.width = 160;
  light.height = 120;
  light.fps = 15;
  light.videoKbps = 100;
  light.cheapAudio = true;
  const auto ceilingSeconds = std::max(5s, seconds / 2);
  // Every thread of this process (the clients) on CPU 0 from now on, every vigild thread on CPU 1
  // (threads started later inherit their starter's CPU).
  if (split) {
    pinProcess(getpid(), 0);
    pinProcess(fixture.pid(), 1);
  }
  std::printf(
      "\nCeiling (%s): light clients, VP8 %dx%d at %d fps (%d kbit/s) + Opus (complexity 0); %lld "
      "s "
      "windows.\n\n",
      split ? "clients on CPU 0, vigild on CPU 1" : "clients and vigild on both CPUs", light.width,
      light.height, light.fps, light.videoKbps, static_cast<long long>(ceilingSeconds.count()));
  const auto r = runPhase(box, accountsUsed, light, ceilingSteps, ceilingSeconds, "ceiling");
  const int ceiling = printPhase(r);
  std::printf(
      "\nVisits carried with under 1 %% loss (light clients): %d through the box; the same "
      "clients connected directly: %d (of at most %d tried).\n",
      ceiling, lastUnderOnePercent(r.direct), ceilingVisits);
  return 0;
}
