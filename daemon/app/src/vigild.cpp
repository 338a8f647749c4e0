#include "vigil/app/vigild.hpp"

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>

#include <filesystem>
#include <iostream>

#include "alerts_subsystem.hpp"
#include "api_wiring.hpp"
#include "backup_command.hpp"
#include "ingest_subsystem.hpp"
#include "periodic_task.hpp"
#include "setup_command.hpp"
#ifdef VIGIL_HAVE_BLE
#include "ble_subsystem.hpp"
#endif
#include "reload_signal.hpp"
#include "security_subsystem.hpp"
#include "store_subsystem.hpp"
#include "sync_subsystem.hpp"
#include "systemd_notify.hpp"
#include "update_command.hpp"
#include "vigil/core/error.hpp"
#include "vigil/core/log.hpp"
#include "vigil/core/metrics.hpp"
#include "vigil/core/progress.hpp"
#include "vigil/demo/demo_clinic.hpp"
#include "vigil/demo/demo_rx.hpp"
#include "vigil/rx/drugs.hpp"
#include "vigil/security/audit_log.hpp"
#include "vigil/security/cli.hpp"
#include "vigil/sync/cli.hpp"
#include "vigil/sync/sync_metrics.hpp"
#include "web_subsystem.hpp"
#ifdef VIGIL_WITH_VIDEO
#include "video_subsystem.hpp"
#endif

namespace vigil::app {
namespace {

const char* kUsage = "[--config FILE] [--set key=value ...] [COMMAND ...]";

const char* kCommands =
    "Commands (without one, vigild runs the service):\n"
    "  setup [--answers FILE] [--no-start]\n"
    "                           first boot, as root: data and key directories, the box CA and\n"
    "                           certificates, the broker, the clinic's settings, the first admin\n"
    "                           (one-time password), the cloud link; asks on a terminal\n"
    "  config sample            print a sample configuration with every key and its default\n"
    "  config reference         print the configuration reference (Markdown)\n"
    "  config check             validate the configuration and exit\n"
    "  store check              PRAGMA integrity_check of the database (exit 65 on damage)\n"
    "  store backup FILE        consistent online backup of the database alone to FILE\n"
    "  backup FILE (--passphrase-file F | --recipient F)\n"
    "                           one encrypted archive of the box: a database snapshot (taken\n"
    "                           while vigild runs), the master key and link keys, recordings,\n"
    "                           the device CA and the configuration file\n"
    "  backup keygen IDENTITY RECIPIENT\n"
    "                           an X25519 key pair for --recipient (keep IDENTITY off the box)\n"
    "  restore FILE (--passphrase-file F | --identity F) [--data-dir DIR]\n"
    "                           check the whole archive, restore it onto an empty data directory,\n"
    "                           then run store check and audit verify\n"
    "  audit verify [--anchor FILE]\n"
    "                           check the audit hash chain and its signed checkpoints (and that\n"
    "                           the log still holds the checkpoint anchored in FILE)\n"
    "  audit anchor FILE        write the latest signed checkpoint to FILE, to keep off the box\n"
    "  audit export FROM TO     write audit entries (JSON Lines) from FROM to TO (ISO dates)\n"
    "  keys rotate              create a new data key for new writes\n"
    "  keys reencrypt           move every encrypted field to the active data key\n"
    "  sync status [--json]     the cloud link's outbox: backlog per stream, oldest entry, what\n"
    "                           holds each stream, the last success and the last error\n"
    "  sync retry ID            send a refused outbox entry again (audited)\n"
    "  sync cancel ID           give up on an outbox entry; its stream goes on (audited)\n"
    "  sync enrol CODE [NAME]   enrol this box with the cloud (sync.url) using a one-time code\n"
    "  update FILE.deb [--signature SIG] [--allow-downgrade]\n"
    "                           install a release bundle only when a trusted release key\n"
    "                           (update.trusted_keys_dir) signed it (SIG: FILE.deb.sig) and it is\n"
    "                           vigil newer than this one; exit 80-86 name the refusal\n"
    "  firmware add MODEL VERSION FILE [--signature SIG]\n"
    "                           register a device firmware image signed by a trusted firmware key\n"
    "                           (update.firmware_keys_dir); the running box offers it to the\n"
    "                           model's devices on their config topic\n"
    "  firmware list            the registered firmware images\n"
    "  rx import-rxterms FILE   load the NLM's RxTerms file (RxTermsYYYYMM.txt) into the drug "
    "list\n"
    "  demo seed BUNDLES_DIR    create the demo clinic once (users, patients, devices; with\n"
    "                           90 days of practice history unless --clinic-only) and\n"
    "                           print its logins; device bundles go to BUNDLES_DIR\n";

}  // namespace

Vigild::Vigild() {
  setUnixOptions(true);
}
Vigild::~Vigild() = default;

void Vigild::defineOptions(Poco::Util::OptionSet& options) {
  ServerApplication::defineOptions(options);
  options.addOption(Poco::Util::Option("help", "h", "print this help and exit"));
  options.addOption(Poco::Util::Option("version", "V", "print the version and exit"));
  options.addOption(
      Poco::Util::Option("config", "c", "configuration file").argument("FILE").repeatable(false));
  options.addOption(Poco::Util::Option("set", "s", "override one configuration key")
                        .argument("KEY=VALUE")
                        .repeatable(true));
  options.addOption(
      Poco::Util::Option("anchor", "", "audit verify: the anchor file written by `audit anchor`")
          .argument("FILE")
          .repeatable(false));
  options.addOption(Poco::Util::Option("json", "", "sync status: print JSON"));
  options.addOption(Poco::Util::Option("answers", "", "setup: the answer file (no questions)")
                        .argument("FILE")
                        .repeatable(false));
  options.addOption(Poco::Util::Option("no-start", "", "setup: do not start the services"));
  options.addOption(Poco::Util::Option(
      "clinic-only", "", "demo seed: the clinic without its 90 days of practice history"));
  options.addOption(
      Poco::Util::Option("service-user", "", "setup: the account vigild runs as (vigil)")
          .argument("USER")
          .repeatable(false));
  const char* backupOptions[][3] = {
      {"passphrase-file", "backup, restore: the file holding the archive's passphrase", "FILE"},
      {"recipient", "backup: lock the archive to this X25519 public key file instead", "FILE"},
      {"identity", "restore: the X25519 private key file of a --recipient archive", "FILE"},
      {"data-dir", "restore: restore into DIR (database and keys at their defaults for it)",
       "DIR"}};
  for (const auto& o : backupOptions)
    options.addOption(Poco::Util::Option(o[0], "", o[1]).argument(o[2]).repeatable(false));
  options.addOption(
      Poco::Util::Option("signature", "", "update, firmware add: the detached signature file")
          .argument("FILE")
          .repeatable(false));
  options.addOption(Poco::Util::Option(
      "allow-downgrade", "", "update: install an older (or the same) version of vigil too"));
}

void Vigild::handleOption(const std::string& name, const std::string& value) {
  ServerApplication::handleOption(name, value);
  if (name == "help") {
    printHelp();
    earlyExit_ = kExitOk;
    stopOptionsProcessing();
  } else if (name == "version") {
    std::cout << "vigild " << VIGIL_VERSION << "\n";
    earlyExit_ = kExitOk;
    stopOptionsProcessing();
  } else if (name == "config") {
    configFile_ = value;
  } else if (name == "anchor") {
    anchorFile_ = value;
  } else if (name == "json") {
    json_ = true;
  } else if (name == "answers") {
    answersFile_ = value;
  } else if (name == "no-start") {
    noStart_ = true;
  } else if (name == "clinic-only") {
    clinicOnly_ = true;
  } else if (name == "service-user") {
    serviceUser_ = value;
  } else if (name == "passphrase-file") {
    passphraseFile_ = value;
  } else if (name == "recipient") {
    recipientFile_ = value;
  } else if (name == "identity") {
    identityFile_ = value;
  } else if (name == "data-dir") {
    dataDir_ = value;
  } else if (name == "signature") {
    signatureFile_ = value;
  } else if (name == "allow-downgrade") {
    allowDowngrade_ = true;
  } else if (name == "set") {
    auto eq = value.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "vigild: --set expects KEY=VALUE, got '" << value << "'\n";
      earlyExit_ = kExitUsage;
      stopOptionsProcessing();
      return;
    }
    overrides_.emplace_back(value.substr(0, eq), value.substr(eq + 1));
  }
}

void Vigild::printHelp() {
  Poco::Util::HelpFormatter help(options());
  help.setCommand("vigild");
  help.setUsage(kUsage);
  help.setHeader("Vigil appliance daemon: remote patient monitoring and telemedicine.");
  help.setFooter(kCommands);
  help.format(std::cout);
}

void Vigild::initialize(Poco::Util::Application& self) {
  // Poco's own configuration layering is not used: vigild's keys are validated by Config.
  ServerApplication::initialize(self);
}

void Vigild::uninitialize() {
  ServerApplication::uninitialize();
}

int Vigild::main(const std::vector<std::string>& args) {
  if (earlyExit_) return *earlyExit_;
  try {
    config_ = std::make_unique<Config>(configFile_.empty() ? Config::defaults()
                                                           : Config::load(configFile_));
    for (const auto& [k, v] : overrides_) config_->set(k, v);
    config_->checkCombinations();
    log::setLevel(log::parseLevel(config_->string("log.level")));
  } catch (const FileMissing& e) {
    std::cerr << "vigild: " << e.what() << "\n";
    return kExitNoInput;
  } catch (const ConfigError& e) {
    std::cerr << "vigild: configuration error: " << e.what() << "\n";
    return kExitConfig;
  }
  if (args.empty()) return runService();
  // Commands print their results on stdout; keep the log to warnings unless asked otherwise.
  if (config_->string("log.level") == "info") log::setLevel(log::Level::warn);
  return runCommand(args);
}

int Vigild::runCommand(const std::vector<std::string>& args) {
  const auto& cmd = args[0];
  auto sub = args.size() > 1 ? args[1] : std::string{};
  if (cmd == "config" && sub == "sample" && args.size() == 2) {
    std::cout << renderSampleConfig();
    return kExitOk;
  }
  if (cmd == "config" && sub == "reference" && args.size() == 2) {
    std::cout << renderConfigReference();
    return kExitOk;
  }
  if (cmd == "config" && sub == "check" && args.size() == 2) {
    std::cout << "configuration ok\n";
    return kExitOk;
  }
  if ((cmd == "audit" &&
       ((sub == "verify" && args.size() == 2) || (sub == "anchor" && args.size() == 3) ||
        (sub == "export" && args.size() == 4))) ||
      (cmd == "keys" && (sub == "rotate" || sub == "reencrypt") && args.size() == 2) ||
      (cmd == "demo" && sub == "seed" && args.size() == 3) ||
      (cmd == "rx" && sub == "import-rxterms" && args.size() == 3) ||
      (cmd == "sync" && (sub == "retry" || sub == "cancel") && args.size() == 3) ||
      (cmd == "sync" && sub == "enrol" && (args.size() == 3 || args.size() == 4)))
    return securityCommand(args);
  if (cmd == "setup" && args.size() == 1) {
    try {
      return runSetup(*this, SetupOptions{configFile_, answersFile_, noStart_, serviceUser_});
    } catch (const vigil::Error& e) {
      std::cerr << "vigild: setup failed: " << e.what() << "\n";
      return kExitSoftware;
    }
  }
  if (cmd == "store" && sub == "check" && args.size() == 2) return storeCheck();
  if (cmd == "sync" && sub == "status" && args.size() == 2) return syncStatus();
  if (cmd == "store" && sub == "backup" && args.size() == 3) return storeBackup(args[2]);
  if (cmd == "backup" && sub == "keygen" && args.size() == 4)
    return runBackupKeygen(args[2], args[3]);
  if (cmd == "backup" && args.size() == 2) return backupCommand(args[1]);
  if (cmd == "restore" && args.size() == 2) return restoreCommand(args[1]);
  if ((cmd == "update" && args.size() == 2) ||
      (cmd == "firmware" &&
       ((sub == "add" && args.size() == 5) || (sub == "list" && args.size() == 2))))
    return updateCommand(args);
  std::cerr << "vigild: unknown command '";
  for (std::size_t i = 0; i < args.size(); ++i) std::cerr << (i ? " " : "") << args[i];
  std::cerr << "' (see vigild --help)\n";
  return kExitUsage;
}

int Vigild::securityCommand(const std::vector<std::string>& args) {
  auto path = storeName(*config_);
  // The demo seed and enrolment may be a new box's first commands (the demo enrols before it
  // seeds: its prescription goes through the link); the others need the box's data.
  bool creates = args[0] == "demo" || (args[0] == "sync" && args[1] == "enrol");
  moveLegacyMasterKey(*config_);
  if (!creates && !storeExists(*config_)) {
    std::cerr << "vigild: " << path << ": database does not exist\n";
    return kExitNoInput;
  }
  if (!creates && !std::filesystem::exists(masterKeyPath(*config_))) {
    std::cerr << "vigild: " << masterKeyPath(*config_) << ": master key does not exist\n";
    return kExitNoInput;
  }
  Poco::AutoPtr<StoreSubsystem> store(new StoreSubsystem(*config_));
  Poco::AutoPtr<SecuritySubsystem> sec(new SecuritySubsystem(*config_, *store));
  int rc = kExitOk;
  try {
    store->start(*this);
    sec->start(*this);
    auto& db = store->database();
    const auto& what = args[0] + " " + args[1];
    if (what == "audit verify") {
      rc = security::runAuditVerify(db, sec->audit(), std::cout, stderr, anchorFile_);
      if (rc != 0) rc = kExitDataErr;
    } else if (what == "audit anchor") {
      security::runAuditAnchor(db, sec->audit(), args[2], std::cout);
    } else if (what == "audit export") {
      security::runAuditExport(db, sec->audit(), args[2], args[3], std::cout);
    } else if (what == "demo seed") {
      demo::DemoSettings settings;
      settings.dataDir = config_->string("data.dir");
      settings.mqttPort = static_cast<int>(config_->integer("mqtt.port"));
      settings.practiceHistory = !clinicOnly_;
#ifdef VIGIL_WITH_VIDEO
      settings.video = config_->boolean("video.enabled");
#endif
      const demo::DemoServices services{db, sec->keys(), sec->audit(), sec->accounts()};
      rc = demo::seedDemoClinic(settings, services, args[2], std::cout);
      // With the box enrolled with the cloud (the demo's stand-in): a prescription that vigild's
      // link delivers to the stand-in's pharmacy, which fills it (issue 25).
      if (rc == 0 && !config_->string("sync.url").empty()) {
        sync::Outbox outbox(db, sec->audit(), SystemClock::instance(), backoffPolicy(*config_));
        sync::Link link(db, sec->audit(), outbox, SystemClock::instance(), linkOptions(*config_));
        demo::ensureDemoPrescription(services, link);
      }
    } else if (what == "sync retry" || what == "sync cancel" || what == "sync enrol") {
      // The link without its thread: its keys seal a cancelled entry's stream.skip and enrol.
      sync::Outbox outbox(db, sec->audit(), SystemClock::instance(), backoffPolicy(*config_));
      sync::Link link(db, sec->audit(), outbox, SystemClock::instance(), linkOptions(*config_));
      if (args[1] == "retry") {
        sync::runSyncRetry(outbox, security::consoleActor(), args[2], std::cout);
      } else if (args[1] == "cancel") {
        sync::runSyncCancel(outbox, security::consoleActor(), args[2], std::cout);
      } else {
        auto e = link.enrol(security::consoleActor(), args[2],
                            args.size() == 4 ? args[3] : std::string("Vigil box"));
        std::cout << "enrolled: box " << e.boxId << " with " << e.services.size()
                  << " cloud services; keys in " << linkOptions(*config_).keysDir.string() << "\n";
      }
    } else if (what == "rx import-rxterms") {
      rx::DrugCatalog drugs(db);
      std::unique_ptr<ProgressBar> bar;
      auto r = drugs.importRxTerms(args[2], [&bar](std::uint64_t done, std::uint64_t total) {
        if (!bar) bar = std::make_unique<ProgressBar>("rxterms", total);
        bar->update(done);
      });
      if (bar) bar->finish();
      std::cout << "rxterms: " << r.imported << " drugs imported, " << r.skipped
                << " rows skipped (retired or suppressed), " << r.rows << " rows read\n";
    } else if (what == "keys rotate") {
      security::runKeysRotate(db, sec->keys(), sec->audit(), SystemClock::instance(), std::cout);
    } else {
      security::runKeysReencrypt(db, sec->keys(), sec->audit(), std::cout);
    }
  } catch (const vigil::Error& e) {
    std::cerr << "vigild: " << args[0] << " " << args[1] << " failed: " << e.what() << "\n";
    rc = kExitDataErr;
  }
  sec->stop();
  store->stop();
  return rc;
}

int Vigild::storeCheck() {
  auto path = storeName(*config_);
  if (!storeExists(*config_)) {
    std::cerr << "vigild: " << path << ": database does not exist\n";
    return kExitNoInput;
  }
  try {
    auto problems = onPostgres(*config_)
                        ? store::checkIntegrityPostgres(config_->string("store.conninfo"))
                        : store::checkIntegrity(path);
    if (problems.empty()) {
      std::cout << "store ok: " << path << "\n";
      return kExitOk;
    }
    std::cout << "store damaged: " << problems.size() << " problem(s)\n";
    for (const auto& p : problems) std::cout << "  " << p << "\n";
    return kExitDataErr;
  } catch (const StoreError& e) {
    std::cerr << "vigild: store check failed: " << e.what() << "\n";
    return kExitDataErr;
  }
}

int Vigild::syncStatus() {
  auto path = storeName(*config_);
  if (!storeExists(*config_)) {
    std::cerr << "vigild: " << path << ": database does not exist\n";
    return kExitNoInput;
  }
  Poco::AutoPtr<StoreSubsystem> store(new StoreSubsystem(*config_));
  int rc = kExitOk;
  try {
    store->start(*this);
    rc = sync::runSyncStatus(store->database(), SystemClock::instance(), std::cout, json_);
  } catch (const vigil::Error& e) {
    std::cerr << "vigild: sync status failed: " << e.what() << "\n";
    rc = kExitDataErr;
  }
  store->stop();
  return rc;
}

int Vigild::storeBackup(const std::string& target) {
  auto path = storeName(*config_);
  if (!storeExists(*config_)) {
    std::cerr << "vigild: " << path << ": database does not exist\n";
    return kExitNoInput;
  }
  try {
    ProgressBar bar("backup", 1);
    auto progress = [&](int done, int total) {
      bar.setTotal(static_cast<std::uint64_t>(total));
      bar.update(static_cast<std::uint64_t>(done));
    };
    if (onPostgres(*config_)) {
      store::backupPostgres(config_->string("store.conninfo"), target, progress);
    } else {
      store::backupDatabase(path, target, progress);
    }
    bar.finish();
    std::cout << "backup written: " << target << "\n";
    return kExitOk;
  } catch (const StoreError& e) {
    std::cerr << "vigild: backup failed: " << e.what() << "\n";
    return kExitCantCreate;
  }
}

int Vigild::backupCommand(const std::string& archive) {
  auto rc = runBackup(*config_, archive,
                      {passphraseFile_, recipientFile_, identityFile_, dataDir_, configFile_});
  // A copy of every record left the database: on record, as the console (an attempt that did
  // not get as far as the database is not).
  if (rc != kExitUsage && rc != kExitNoInput)
    recordBoxEvent("box.backup", archive, rc == kExitOk ? "archive_written" : "archive_failed");
  return rc;
}

void Vigild::recordBoxEvent(const std::string& action, const std::string& archive,
                            const std::string& reason) {
  Poco::AutoPtr<StoreSubsystem> store(new StoreSubsystem(*config_));
  Poco::AutoPtr<SecuritySubsystem> sec(new SecuritySubsystem(*config_, *store));
  try {
    store->start(*this);
    sec->start(*this);
    const auto name = std::filesystem::path(archive).filename().string();
    store->database().writeSync([&](store::Connection& c) {
      sec->audit().append(
          c, security::auditEventFor(security::consoleActor(), action, "box_archive", name,
                                     std::nullopt,
                                     reason == "archive_failed" ? security::AuditOutcome::failure
                                                                : security::AuditOutcome::success,
                                     reason));
    });
  } catch (const vigil::Error& e) {
    std::cerr << "vigild: " << action << " could not be audited: " << e.what() << "\n";
  }
  sec->stop();
  store->stop();
}

int Vigild::updateCommand(const std::vector<std::string>& args) {
  UpdateAudit audit = [this](const std::string& action, const std::string& objectType,
                             const std::string& name, bool success, const std::string& reason) {
    recordConsoleEvent(action, objectType, name, success, reason);
  };
  if (args[0] == "firmware") return runFirmwareCommand(*config_, args, signatureFile_, audit);
  return runUpdate(*config_, args[1], {signatureFile_, allowDowngrade_}, audit);
}

void Vigild::recordConsoleEvent(const std::string& action, const std::string& objectType,
                                const std::string& name, bool success, const std::string& reason) {
  // A box before its first boot (no database or master key yet) has no audit log to write to.
  if (!storeExists(*config_) || !std::filesystem::exists(masterKeyPath(*config_))) return;
  Poco::AutoPtr<StoreSubsystem> store(new StoreSubsystem(*config_));
  Poco::AutoPtr<SecuritySubsystem> sec(new SecuritySubsystem(*config_, *store));
  try {
    store->start(*this);
    sec->start(*this);
    store->database().writeSync([&](store::Connection& c) {
      sec->audit().append(
          c,
          security::auditEventFor(
              security::consoleActor(), action, objectType, name, std::nullopt,
              success ? security::AuditOutcome::success : security::AuditOutcome::failure, reason));
    });
  } catch (const vigil::Error& e) {
    std::cerr << "vigild: " << action << " could not be audited: " << e.what() << "\n";
  }
  sec->stop();
  store->stop();
}

int Vigild::restoreCommand(const std::string& archive) {
  auto rc = runRestore(*config_, archive,
                       {passphraseFile_, recipientFile_, identityFile_, dataDir_, configFile_});
  if (rc != kExitOk) return rc;
  // The restored box's own checks, the code paths of `store check` and `audit verify`; the
  // restore is on record in the restored box's audit log (after its integrity check, before the
  // chain's).
  auto storeRc = storeCheck();
  if (storeRc == kExitOk) recordBoxEvent("box.restore", archive, "restored");
  auto auditRc = securityCommand({"audit", "verify"});
  if (storeRc != kExitOk || auditRc != kExitOk) {
    std::cout << "restore: the restored box FAILS its checks (see above)\n";
    return kExitDataErr;
  }
  std::cout << "restore: done; the restored box passes store check and audit verify\n";
  return kExitOk;
}

int Vigild::runService() {
  blockServiceSignals();  // before any thread starts (reload_signal.hpp)
  SystemdNotifier notifier;
  std::vector<Poco::AutoPtr<ServiceSubsystem>> started;
  auto started_at = std::chrono::steady_clock::now();
  auto& metrics = Metrics::global();
  metrics.gauge("vigil_build_info", "Build information", {{"version", VIGIL_VERSION}}).set(1);
  metrics.callbackGauge("vigil_uptime_seconds", "Seconds since vigild started", [started_at] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
  });

  Poco::AutoPtr<StoreSubsystem> store(new StoreSubsystem(*config_));
  Poco::AutoPtr<SecuritySubsystem> security(new SecuritySubsystem(*config_, *store));
  Poco::AutoPtr<WebSubsystem> web(new WebSubsystem(*config_));
  web->addReadinessCheck({"store", [s = store.get()] { return s->isOpen(); }});
  std::vector<Poco::AutoPtr<ServiceSubsystem>> order{
      Poco::AutoPtr<ServiceSubsystem>(store.get(), true),
      Poco::AutoPtr<ServiceSubsystem>(security.get(), true)};
  Poco::AutoPtr<SyncSubsystem> syncing(new SyncSubsystem(*config_, *store, *security));
  order.emplace_back(syncing.get(), true);
  Poco::AutoPtr<AlertsSubsystem> alerting(new AlertsSubsystem(*config_, *store, *security));
  order.emplace_back(alerting.get(), true);
  if (clustered(*config_))  // the load balancer's check of the alert queue's backend
    web->setAlertNode([a = alerting.get()] { return a->isAlertNode(); });
  // Ingest runs for the broker, for BLE, or both (BLE alone: a clinic without home devices).
  bool bleWanted = false;
#ifdef VIGIL_HAVE_BLE
  bleWanted = config_->boolean("ble.enabled");
#endif
  Poco::AutoPtr<IngestSubsystem> ingest;
  if (config_->boolean("mqtt.enabled") || bleWanted) {
    ingest = new IngestSubsystem(*config_, *store, *security, *alerting);
    web->addReadinessCheck({"ingest", [i = ingest.get()] { return i->ready(); }});
    order.emplace_back(ingest.get(), true);
  }
  web::BleAdmin* bleAdmin = nullptr;
#ifdef VIGIL_HAVE_BLE
  Poco::AutoPtr<BleSubsystem> bleSubsystem;
  if (bleWanted) {
    bleSubsystem = new BleSubsystem(*config_, *store, *ingest);
    bleAdmin = &bleSubsystem->admin();
    order.emplace_back(bleSubsystem.get(), true);
  }
#else
  if (config_->boolean("ble.enabled")) log::info("ble.off", {{"reason", "built without BLE"}});
#endif
#ifdef VIGIL_WITH_VIDEO
  Poco::AutoPtr<VideoSubsystem> video;
  if (config_->boolean("video.enabled")) {
    video = new VideoSubsystem(*config_, *store, *security);
    order.emplace_back(video.get(), true);
  }
#endif
  std::unique_ptr<ApiWiring> api;
  web->onStart([&](web::Router& router, web::Gate& gate) {
    api = std::make_unique<ApiWiring>(*config_, *store, *security, *alerting, *syncing, bleAdmin,
                                      ingest.get());
    web::addApiRoutes(router, api->services());
#ifdef VIGIL_WITH_VIDEO
    if (video) {
      auto visitApi = video->api();
      visitApi.patients = api->services().patients;  // names the patients of visit lists
      visitApi.audit = api->services().audit;
      visitApi.db = api->services().db;
      web::addVisitRoutes(router, visitApi);
      if (auto elsewhere = video->roomElsewhere()) api->setVisitRoomElsewhere(std::move(elsewhere));
    }
#endif
    gate = web::makeApiGate(api->services());
  });
  order.emplace_back(web.get(), true);

  int rc = kExitOk;
  try {
    for (auto& s : order) {
      log::info("subsystem.starting", {{"name", s->name()}});
      s->start(*this);
      started.push_back(s);
    }
    // SIGHUP (systemctl reload vigild): pick up data keys made by `vigild keys rotate`.
    ReloadSignal reload([&] { security->keys().reload(store->database()); });
    // The cloud link's gauges (vigil_sync_*), from the outbox every 15 s: what is waiting does
    // not change faster than that matters, and a scrape then costs no query.
    sync::SyncMetrics syncMetrics(metrics);
    PeriodicTask syncGauges("sync_metrics", std::chrono::seconds{15}, [&] {
      syncMetrics.update(sync::outboxStatus(store->database()), SystemClock::instance().now());
    });
    log::info("vigild.ready", {{"version", VIGIL_VERSION}, {"port", unsigned{web->port()}}});
    notifier.ready();
    if (config_->boolean("systemd.watchdog")) notifier.startWatchdog();
    waitForTerminationRequest();
    log::info("vigild.stopping");
  } catch (const std::exception& e) {
    std::cerr << "vigild: start-up failed: " << e.what() << "\n";
    log::error("vigild.startup_failed");
    rc = kExitUnavailable;
  }
  notifier.stopping();
  notifier.stopWatchdog();
  for (auto it = started.rbegin(); it != started.rend(); ++it) {
    try {
      (*it)->stop();
    } catch (const std::exception&) {
      log::error("subsystem.stop_failed", {{"name", (*it)->name()}});
    }
  }
  log::info("vigild.stopped", {{"exit", rc}});
  return rc;
}

}  // namespace vigil::app
