// vigil-devtool sign / verify (issue 27): Ed25519 signatures with key ids for release bundles
// and device firmware images (the format: vigil/crypto/signed_artefact.hpp).
//
//   vigil-devtool sign keygen --out PREFIX            PREFIX.key (0600) and PREFIX.pub
//   vigil-devtool sign --key KEY --purpose P [--name NAME] [--out SIG] FILE
//   vigil-devtool verify --trusted PUB [--trusted PUB …] --purpose P [--sig SIG] FILE
//
// The signature goes to FILE.sig unless --out says otherwise; --name defaults to the file's
// name. verify exits 0 when a trusted key signed exactly this file for this purpose, 1 with the
// reason (untrusted_key, bad_signature, wrong_purpose, digest_mismatch, malformed) otherwise.

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "commands.hpp"
#include "vigil/core/files.hpp"
#include "vigil/core/progress.hpp"
#include "vigil/crypto/random.hpp"
#include "vigil/crypto/signed_artefact.hpp"

namespace vigil::devtool {
namespace {

namespace fs = std::filesystem;
using crypto::SignatureError;

/// SHA-256 and size of a file, with progress for files over 16 MiB.
std::pair<crypto::Digest256, std::uint64_t> digestOf(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot be read");
  const auto total = fs::file_size(path);
  std::optional<ProgressBar> bar;
  if (total > (16u << 20)) bar.emplace("sha256", total);
  crypto::Sha256Stream sha;
  std::vector<char> buf(1 << 20);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    sha.update(crypto::ByteView(reinterpret_cast<const std::uint8_t*>(buf.data()),
                                static_cast<std::size_t>(in.gcount())));
    if (bar) bar->update(sha.size());
  }
  if (bar) bar->finish();
  auto size = sha.size();
  return {sha.finish(), size};
}

void writeNew(const fs::path& path, const std::string& text, mode_t mode) {
  if (fs::exists(path)) throw std::runtime_error(path.string() + ": exists; not overwritten");
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw std::runtime_error(path.string() + ": cannot be written");
  ::chmod(path.c_str(), mode);
}

struct Options {
  std::vector<std::string> trusted;
  std::string key, purpose, name, out, sig, prefix;
  std::vector<std::string> files;
};

std::optional<Options> parse(std::span<const std::string> args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    std::optional<std::string> v;
    if (a == "--trusted" && (v = value()))
      o.trusted.push_back(*v);
    else if (a == "--key" && (v = value()))
      o.key = *v;
    else if (a == "--purpose" && (v = value()))
      o.purpose = *v;
    else if (a == "--name" && (v = value()))
      o.name = *v;
    else if (a == "--out" && (v = value()))
      o.out = *v;
    else if (a == "--sig" && (v = value()))
      o.sig = *v;
    else if (!a.starts_with("--"))
      o.files.push_back(a);
    else
      return std::nullopt;
  }
  return o;
}

int keygen(const Options& o) {
  if (o.out.empty()) {
    std::fprintf(stderr, "usage: vigil-devtool sign keygen --out PREFIX\n");
    return kExitInvalid;
  }
  const auto seed = crypto::randomKey();
  crypto::Ed25519Signer keyed(seed);
  writeNew(o.out + ".key", crypto::formatSigningKey(seed), 0600);
  writeNew(o.out + ".pub", crypto::formatPublicKey(keyed.publicKey()), 0644);
  std::printf("key %s: %s.key (keep it offline), %s.pub (give it to the boxes)\n",
              crypto::keyIdOf(keyed.publicKey()).c_str(), o.out.c_str(), o.out.c_str());
  return kExitOk;
}

}  // namespace

int runSign(std::span<const std::string> args) {
  auto o = parse(args.empty() || args[0] != "keygen" ? args : args.subspan(1));
  if (!o) {
    std::fprintf(stderr,
                 "usage: vigil-devtool sign keygen --out PREFIX\n"
                 "       vigil-devtool sign --key KEY --purpose release|firmware "
                 "[--name NAME] [--out SIG] FILE\n");
    return kExitInvalid;
  }
  if (!args.empty() && args[0] == "keygen") return keygen(*o);
  if (o->key.empty() || o->purpose.empty() || o->files.size() != 1) {
    std::fprintf(stderr,
                 "usage: vigil-devtool sign --key KEY --purpose release|firmware "
                 "[--name NAME] [--out SIG] FILE\n");
    return kExitInvalid;
  }
  const fs::path file = o->files[0];
  crypto::Ed25519Signer signer(crypto::parseSigningKey(files::readFile(o->key)));
  auto [sha, size] = digestOf(file);
  auto name = o->name.empty() ? file.filename().string() : o->name;
  auto signature = crypto::signArtefact(signer, o->purpose, name, size, sha);
  const auto out = o->out.empty() ? file.string() + ".sig" : o->out;
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  f << crypto::formatSignature(signature);
  f.close();
  if (!f) throw std::runtime_error(out + ": cannot be written");
  std::printf("signed %s (%llu bytes, sha256 %s) as %s with key %s: %s\n", name.c_str(),
              static_cast<unsigned long long>(size), crypto::toHex(sha).c_str(), o->purpose.c_str(),
              signature.keyId.c_str(), out.c_str());
  return kExitOk;
}

int runVerify(std::span<const std::string> args) {
  auto o = parse(args);
  if (!o || o->trusted.empty() || o->purpose.empty() || o->files.size() != 1) {
    std::fprintf(stderr,
                 "usage: vigil-devtool verify --trusted PUB [--trusted PUB ...] "
                 "--purpose release|firmware [--sig SIG] FILE\n");
    return kExitInvalid;
  }
  const fs::path file = o->files[0];
  try {
    std::vector<crypto::TrustedKey> trusted;
    for (const auto& t : o->trusted) trusted.push_back(crypto::parsePublicKey(files::readFile(t)));
    auto signature =
        crypto::parseSignature(files::readFile(o->sig.empty() ? file.string() + ".sig" : o->sig));
    auto [sha, size] = digestOf(file);
    const auto& key = crypto::verifyArtefact(signature, o->purpose, size, sha, trusted);
    std::printf("verified: %s signed by key %s as %s (%s)\n", file.filename().c_str(),
                key.id.c_str(), signature.purpose.c_str(), signature.name.c_str());
    return kExitOk;
  } catch (const SignatureError& e) {
    std::fprintf(stderr, "vigil-devtool verify: refused (%s): %s\n",
                 std::string(crypto::toString(e.reason)).c_str(), e.what());
    return kExitFailure;
  }
}

}  // namespace vigil::devtool
