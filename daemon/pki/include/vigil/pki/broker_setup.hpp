#pragma once
// Everything the Mosquitto broker needs under one data directory, created on first run and
// left alone afterwards: the CA, the server certificate, the service client certificate (vigild),
// the password file, the ACL and the rendered mosquitto.conf. Used by scripts/dev-broker.sh (via
// vigil-devtool), the appliance's first boot and the integration-test fixture, so all three run
// the same configuration.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/core/clock.hpp"
#include "vigil/pki/device_provisioner.hpp"

namespace vigil::pki {

/// File locations under a data directory (documented in docs/provisioning.md).
struct BrokerLayout {
  explicit BrokerLayout(const std::filesystem::path& dataDir);
  std::filesystem::path dataDir;
  std::filesystem::path pkiDir;          // <data>/pki: the CA
  std::filesystem::path clientsDir;      // <data>/pki/clients: service client certs
  std::filesystem::path brokerDir;       // <data>/mosquitto
  std::filesystem::path configFile;      // mosquitto.conf
  std::filesystem::path aclFile;         // acl
  std::filesystem::path passwordFile;    // passwd
  std::filesystem::path runDir;          // run/: written by the broker
  std::filesystem::path pidFile;         // run/mosquitto.pid
  std::filesystem::path serverCert;      // server.pem
  std::filesystem::path serverKey;       // server.key
  std::filesystem::path persistenceDir;  // persistence/
  std::filesystem::path endpointFile;    // endpoint: host and ports devices are told
  std::filesystem::path clientCert(std::string_view name) const;
  std::filesystem::path clientKey(std::string_view name) const;
};

/// How the broker listens; the defaults suit a development box.
struct BrokerSettings {
  std::string bindAddress = "127.0.0.1";
  int certificatePort = 8883;
  int passwordPort = 8884;
  std::string publicHost = "127.0.0.1";  // the host devices are told to connect to
  std::vector<std::string> serverDnsNames = {"localhost"};  // the host name is added
  std::vector<std::string> serverIps = {"127.0.0.1"};
  std::string serviceClient = "vigild";
  // Cluster node ids (vigild's cluster.node_id, docs/scale-out.md): each gets a service
  // certificate of its own, CN `<serviceClient>-<node>`, in clientsDir, and the ACL gives it the
  // service client's rights. Certificates of nodes no longer listed stay valid until revoked.
  std::vector<std::string> clusterNodes;
  std::string logDest = "stderr";
  // Mosquitto's `user`; empty: the user running prepareBroker. When it is another user (root
  // preparing for "mosquitto"), the broker files get that user's group (setgid broker dir, so
  // files replaced later keep it), the broker owns run/ and persistence/, and the data and PKI
  // directories become traversable (0711) so it can read ca.pem and crl.pem; ca.key stays 0600.
  std::string brokerUser;  // or "file
                           // /path/mosquitto.log" when run with -d
};

/// The templates from image/mosquitto/, compiled in.
std::string_view mosquittoConfTemplate();
std::string_view aclTemplate();

/// Replaces every @KEY@ with its value; throws vigil::ConfigError if a placeholder is left.
std::string renderTemplate(std::string_view text, const std::map<std::string, std::string>& values);

/// The provisioner settings that match a prepared broker.
ProvisionerConfig provisionerConfigFor(const BrokerLayout& layout, const BrokerSettings& settings);

/// The endpoint prepareBroker last recorded in <broker>/endpoint (defaults when absent), so the
/// devtool writes the right host and ports into bundles.
BrokerEndpoint readEndpoint(const BrokerLayout& layout);

/// Creates what is missing (CA, server and service certificates, password file) and rewrites
/// the ACL and mosquitto.conf. Idempotent; certificates are re-issued only when missing, no
/// longer valid, or (server) lacking a required name.
void prepareBroker(const BrokerLayout& layout, const BrokerSettings& settings,
                   const Clock& clock = SystemClock::instance());

}  // namespace vigil::pki
