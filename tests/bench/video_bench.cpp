// How many concurrent two-party video visits the box relays, what each costs it in CPU, and the
// latency the relay adds (issue #9's benchmark).
//
//   box:     a real vigild (BoxFixture: real Mosquitto, data dir, plain HTTP on loopback) with
//            video.max_participants=2; visits are scheduled, joined and admitted through the
//            portal API by a signed-in provider (TOTP) and one signed-in patient per visit, and
//            each participant's signalling goes over the real /api/v1/visits/{id}/media
//            WebSocket, so the media goes client -> VideoRooms/RoomRelay (webrtcbin, ICE,
//            DTLS-SRTP) -> client exactly as in a clinic;
//   clients: two GStreamer webrtcbin clients per visit in this process (tests/video's
//            WebrtcTestClient: VP8 640x480 at 30 fps from videotestsrc (a moving zone plate) at
//            VIDEO_KBPS, Opus from audiotestsrc; no screen share; received RTP is not decoded, to
//            leave the CPU to the relay);
//   ramp:    1, 2, 4, ... visits (kept running, the next step adds to them) up to MAX_VISITS,
//            stopping after the first step with 1 % loss or more; each step is measured over
//            SECONDS after a 5 s warm-up;
//   loss:    every RTP packet leaving a sender's payloader during the window is stamped (media,
//            sequence number, timestamp) and looked up when it comes out of the receiver's
//            webrtcbin (after its jitter buffer, before any depayloader); loss = packets never
//            seen within 1.5 s after the window / packets sent;
//   latency: the same stamps give payloader -> receiver webrtcbin time per packet (audio and
//            video), one steady clock; the baseline is the same two clients connected directly
//            (one offers to the other, no box) in the same run, so "relay adds" is the
//            difference of the percentiles;
//   CPU:     vigild's utime+stime from /proc/<pid>/stat over the window, as % of one core, and
//            per visit; the bench process's own CPU (the clients' encoders) is shown beside it,
//            because on a small machine the clients compete with the relay for the same cores.
//
// Usage: bench_video [MAX_VISITS=16] [SECONDS=10] [VIDEO_KBPS=1000] [RELAY_LATENCY_MS=config
// default] Prints Markdown tables (scripts/bench.sh puts them into docs/benchmarks.md).
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
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

}  // namespace

int main(int argc, char** argv) {
  const int maxVisits = argc > 1 ? std::stoi(argv[1]) : 16;
  const auto seconds = std::chrono::seconds(argc > 2 ? std::stol(argv[2]) : 10);
  const int kbps = argc > 3 ? std::stoi(argv[3]) : 1000;
  // The relay's receive jitter buffer (video.latency_ms); unset: the configuration's default.
  const int relayLatencyMs = argc > 4 ? std::stoi(argv[4]) : -1;
  if (maxVisits < 1 || seconds < 2s || kbps < 50 || relayLatencyMs > 1000) {
    std::fprintf(stderr,
                 "usage: bench_video [MAX_VISITS>=1] [SECONDS>=2] [VIDEO_KBPS>=50] "
                 "[RELAY_LATENCY_MS 0..1000]\n");
    return 64;
  }
  log::setLevel(log::Level::error);
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
  // Flows 0 and 1: the baseline; then two per visit.
  Flows flows(2 + 2 * static_cast<std::size_t>(maxVisits));

  // Baseline: the same two clients connected directly (no box).
  std::fprintf(stderr, "baseline: two clients connected directly...\n");
  Window direct;
  double directSelfCpu = 0.0;
  {
    // Each forwards to the other; neither sends before a offers, so both exist by then.
    std::mutex mu;
    std::shared_ptr<WebrtcTestClient> a, b;
    auto to = [&mu](std::shared_ptr<WebrtcTestClient>& peer) {
      return [&mu, &peer](const std::string& json) {
        std::shared_ptr<WebrtcTestClient> p;
        {
          std::lock_guard lock(mu);
          p = peer;
        }
        if (p) p->receive(json);
      };
    };
    {
      auto na = std::make_shared<WebrtcTestClient>(to(b), co, flows.observer(0, 1));
      auto nb = std::make_shared<WebrtcTestClient>(to(a), co, flows.observer(1, 0));
      std::lock_guard lock(mu);
      a = na;
      b = nb;
    }
    a->offer();
    if (!flowing(flows, 0, 2)) {
      std::fprintf(stderr, "the direct clients exchanged no media\n");
      return 1;
    }
    std::this_thread::sleep_for(kWarmUp);
    const double cpu0 = selfCpuSeconds();
    const auto t0 = Steady::now();
    direct = measure(flows, 0, 2, seconds);
    directSelfCpu = 100.0 * (selfCpuSeconds() - cpu0) / (ms(Steady::now() - t0) / 1000.0);
    std::shared_ptr<WebrtcTestClient> ga, gb;
    {
      std::lock_guard lock(mu);
      ga.swap(a);
      gb.swap(b);
    }
  }

  // The box: one provider for every visit, one patient (with a portal account) per visit.
  std::fprintf(stderr, "starting the box...\n");
  testsupport::BoxFixture::Options o;
  for (int i = 0; i < maxVisits; ++i) o.deviceUids.push_back("video-" + std::to_string(i));
  o.settings = {"video.max_participants=2",
                "web.max_websockets=" + std::to_string(std::min(1024, 2 * maxVisits + 8)),
                "web.threads=" + std::to_string(std::min(256, 2 * maxVisits + 8))};
  if (relayLatencyMs >= 0)
    o.settings.push_back("video.latency_ms=" + std::to_string(relayLatencyMs));
  o.start = false;
  testsupport::BoxFixture box(o);
  std::vector<std::int64_t> patients;
  for (const auto& uid : o.deviceUids) patients.push_back(box.patientOf(uid));
  std::vector<testsupport::PortalUser> users{
      {security::Role::provider, "dr.video@clinic.test", "Dr Video", {}, patients}};
  for (int i = 0; i < maxVisits; ++i)
    users.push_back({security::Role::patient,
                     "patient-" + std::to_string(i) + "@clinic.test",
                     "Patient " + std::to_string(i),
                     patients[static_cast<std::size_t>(i)],
                     {},
                     true});  // signs the telehealth consent: no video visit without it
  const auto ids = testsupport::seedPortalUsers(box.dataDir(), box.databasePath(), users);
  box.start();
  testsupport::PortalClient provider(box.webPort());
  provider.signIn("dr.video@clinic.test");

  std::printf(
      "VP8 %dx%d at %d fps (%d kbit/s target) + Opus per participant; %lld s windows; loss = RTP "
      "packets sent and never received; latency = sender's payloader -> receiver's webrtcbin; "
      "CPU in %% of one core.\n\n",
      co.width, co.height, co.fps, kbps, static_cast<long long>(seconds.count()));
  std::printf(
      "| path | visits | video kbit/s per participant | RTP packets sent | lost %% | latency p50 "
      "ms | p99 ms | relay adds p50 "
      "ms | relay adds p99 ms | vigild CPU %% | vigild CPU %% per visit | clients' CPU %% |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  const double d50 = percentile(direct.latencyMs, 50), d99 = percentile(direct.latencyMs, 99);
  std::printf(
      "| direct (no box), 2 clients | 1 | %.0f | %llu | %.2f | %.1f | %.1f | | | | | %.0f |\n",
      direct.videoKbps(), static_cast<unsigned long long>(direct.sent), direct.lossPct(), d50, d99,
      directSelfCpu);
  std::fflush(stdout);

  std::vector<std::unique_ptr<testsupport::PortalClient>> patientClients;
  std::vector<std::unique_ptr<BoxVisit>> visits;
  int carried = 0;
  const auto now = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  for (int step = 1;; step = std::min(step * 2, maxVisits)) {
    std::fprintf(stderr, "%d visits...\n", step);
    while (static_cast<int>(visits.size()) < step) {
      const auto i = visits.size();
      auto patient = std::make_unique<testsupport::PortalClient>(box.webPort());
      patient->signIn("patient-" + std::to_string(i) + "@clinic.test");
      const auto patientUser = ids[i + 1];
      std::ostringstream body;
      body << "{\"patientId\":" << patients[i] << ",\"providerUserId\":" << ids[0]
           << ",\"patientUserId\":" << patientUser << ",\"startsAtMs\":" << now() - 60'000
           << ",\"endsAtMs\":" << now() + 3'600'000 << "}";
      const auto visitId =
          checkedId(provider.request("POST", "/api/v1/visits", body.str()), "schedule");
      const auto path = "/api/v1/visits/" + std::to_string(visitId);
      expectOk(provider.request("POST", path + "/join"), "provider join");
      expectOk(patient->request("POST", path + "/join"), "patient join");
      expectOk(provider.request("POST", path + "/admit",
                                "{\"userId\":" + std::to_string(patientUser) + "}"),
               "admit");
      auto v = std::make_unique<BoxVisit>();
      const std::size_t out = 2 + 2 * i;
      v->providerSocket = std::make_unique<MediaSocket>(box.webPort(), provider, visitId);
      v->patientSocket = std::make_unique<MediaSocket>(box.webPort(), *patient, visitId);
      auto* ps = v->providerSocket.get();
      auto* qs = v->patientSocket.get();
      v->provider = std::make_shared<WebrtcTestClient>(
          [ps](const std::string& json) { ps->send(json); }, co, flows.observer(out, out + 1));
      v->patient = std::make_shared<WebrtcTestClient>(
          [qs](const std::string& json) { qs->send(json); }, co, flows.observer(out + 1, out));
      ps->attach(v->provider);
      qs->attach(v->patient);
      visits.push_back(std::move(v));
      patientClients.push_back(std::move(patient));
    }
    const std::size_t last = 2 + 2 * visits.size();
    if (!flowing(flows, 2, last)) {
      std::printf("| through the box | %d | did not connect within 60 s | | | | | | | | | |\n",
                  step);
      break;
    }
    std::this_thread::sleep_for(kWarmUp);
    const double box0 = processCpuSeconds(box.pid());
    const double self0 = selfCpuSeconds();
    const auto t0 = Steady::now();
    const Window w = measure(flows, 2, last, seconds);
    const double wall = ms(Steady::now() - t0) / 1000.0;
    const double boxCpu = 100.0 * (processCpuSeconds(box.pid()) - box0) / wall;
    const double selfCpu = 100.0 * (selfCpuSeconds() - self0) / wall;
    const double p50 = percentile(w.latencyMs, 50), p99 = percentile(w.latencyMs, 99);
    std::printf(
        "| through the box | %d | %.0f | %llu | %.2f | %.1f | %.1f | %.1f | %.1f | %.0f | %.1f | "
        "%.0f |\n",
        step, w.videoKbps(), static_cast<unsigned long long>(w.sent), w.lossPct(), p50, p99,
        p50 - d50, p99 - d99, boxCpu, boxCpu / step, selfCpu);
    std::fflush(stdout);
    if (w.lossPct() >= 1.0) break;
    carried = step;
    if (step == maxVisits) break;
  }
  std::printf("\nVisits carried with under 1 %% loss: %d (of at most %d tried).\n", carried,
              maxVisits);
  visits.clear();
  return 0;
}
