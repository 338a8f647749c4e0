#pragma once
// Recording a participant's media to an encrypted WebM file (issue 9, "recording only with
// consent": the consent check is VisitService's, before anyone starts a RoomRecording).
//
// Design: the room's pipeline keeps forwarding only; a recording taps the participant's tees
// with appsink branches (RTP as received) and feeds a pipeline of its own:
//   appsrc(RTP) -> rtpjitterbuffer -> depayloader -> webmmux (streamable) -> appsink
// (an H.264 room muxes to Matroska instead: WebM has no H.264). Depayloading unwraps the codec
// frames from RTP; nothing is decoded or re-encoded. The muxed
// bytes never touch the disk in clear: they are cut into chunks of up to 256 KiB, each sealed
// with the field cipher (AES-256-GCM, AAD = visit_recordings/content/<recording id>:<chunk no>,
// so chunks cannot be reordered, dropped from the middle or moved to another recording) and
// appended to the file as [u32 big-endian length][ciphertext]. The last chunk is sealed with
// ":end" after its number in the AAD, so a file cut at a chunk boundary (or never finished: the
// daemon stopped mid-visit) is told apart from a whole one: it still plays, marked incomplete,
// and decryptRecording() refuses it unless asked to accept it. decryptRecording() and
// RecordingReader reverse the format for authorised playback.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/video/room_relay.hpp"  // VideoCodec

typedef struct _GstElement GstElement;  // NOLINT: GStreamer's C type

namespace vigil::crypto {
class FieldCipher;
}

namespace vigil::video {

/// Writes a recording file: plaintext in, sealed chunks out (the format above). Not
/// thread-safe: RoomRecording serialises its calls.
class RecordingWriter {
 public:
  /// Creates `path` (it must not exist; mode 0600). Throws Error.
  RecordingWriter(std::string recordingId, const std::filesystem::path& path,
                  const crypto::FieldCipher& cipher);
  /// Appends plaintext, sealing every full chunk that more bytes follow (the last chunk waits
  /// for finish(), which marks it).
  void append(std::string_view bytes);
  /// Seals what is pending (possibly nothing) as the end-marked last chunk and closes the file
  /// (idempotent).
  void finish();
  /// Bytes written to the file so far (ciphertext and framing).
  std::uint64_t bytesWritten() const { return written_; }

 private:
  void seal(std::size_t n, bool last);
  std::string id_;
  const crypto::FieldCipher& cipher_;
  std::ofstream file_;
  std::string pending_;
  std::uint64_t chunk_ = 0;
  std::uint64_t written_ = 0;
};

/// Random access to a recording's plaintext for authorised playback (HTTP ranges): reads the
/// chunk lengths once, then decrypts only the chunks a range touches.
class RecordingReader {
 public:
  /// Throws Error when the file cannot be read, CryptoError when its framing is broken.
  RecordingReader(const std::filesystem::path& path, std::string recordingId,
                  const crypto::FieldCipher& cipher);
  /// The plaintext (WebM) size in bytes.
  std::uint64_t size() const { return size_; }
  /// True when the file ends with its end-marked chunk; false for a recording cut short (the
  /// daemon stopped mid-visit, or chunks were removed from its end).
  bool complete() const { return complete_; }
  /// Up to `length` plaintext bytes from `offset` (fewer at the end). Throws CryptoError if a
  /// chunk was altered, reordered or moved.
  std::string read(std::uint64_t offset, std::uint64_t length) const;

 private:
  struct Chunk {
    std::uint64_t fileOffset;   // of its ciphertext (after the length)
    std::uint32_t sealedBytes;  // ciphertext length
    std::uint64_t plainOffset;  // of its first plaintext byte
  };
  std::filesystem::path path_;
  std::string id_;
  const crypto::FieldCipher& cipher_;
  std::vector<Chunk> chunks_;
  std::uint64_t size_ = 0;
  bool complete_ = false;
};

/// One stored recording of a visit (from its file name; sizes are the encrypted file's).
struct RecordingInfo {
  std::string id;  // "user-<user id>-<start ms>": opaque in URLs, unique within the visit
  std::int64_t userId = 0;
  std::int64_t startedAtMs = 0;
  std::uint64_t fileBytes = 0;
};

/// The recordings of a visit in `dir` (files "visit-<visit>-user-<user>-<ms>.rec"), oldest
/// first. A missing dir has none.
std::vector<RecordingInfo> listRecordings(const std::filesystem::path& dir, std::int64_t visitId);
/// How many recordings a visit has and their encrypted size.
struct RecordingTotals {
  int count = 0;
  std::uint64_t fileBytes = 0;
};
/// The totals of every visit with recordings in `dir`, by visit id, from one scan of the
/// directory (the admin list of visits). A missing dir has none.
std::map<std::int64_t, RecordingTotals> recordingTotals(const std::filesystem::path& dir);
/// The file and the cipher binding id of a visit's recording; nullopt when `id` is not of the
/// form listRecordings gives (so no path can be smuggled in) or no such file exists.
struct RecordingFile {
  std::filesystem::path path;
  std::string recordingId;
};
std::optional<RecordingFile> findRecording(const std::filesystem::path& dir, std::int64_t visitId,
                                           std::string_view id);

/// One running recording of one participant's audio and video.
class RoomRecording {
 public:
  /// Starts the recording pipeline writing `path` (created, must not exist). `recordingId`
  /// binds every chunk to this recording. Throws Error when GStreamer or the file fails.
  RoomRecording(std::string recordingId, std::filesystem::path path,
                const crypto::FieldCipher& cipher, VideoCodec codec = VideoCodec::vp8);
  /// stop()s.
  ~RoomRecording();
  RoomRecording(const RoomRecording&) = delete;
  RoomRecording& operator=(const RoomRecording&) = delete;

  /// The appsink elements the relay links to the participant's audio and video tees (owned
  /// by the caller's pipeline once added; they push into this recording).
  GstElement* makeTap(bool video);
  /// Ends the streams, waits (bounded) for the muxer to finish, seals the last chunk.
  void stop();
  /// Bytes written to the file so far (ciphertext and framing).
  std::uint64_t bytesWritten() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

/// The media type of decrypted recording bytes from their EBML header: "video/webm" or
/// "video/x-matroska" (an H.264 room's recordings).
std::string recordingMediaType(std::string_view head);

/// Deletes recording files (*.rec) in `dir` last written before `before` (the retention
/// setting, video.recording_retention_days); returns how many. A missing dir is empty.
int purgeRecordings(const std::filesystem::path& dir, std::filesystem::file_time_type before);

/// Decrypts a recording file made with `recordingId`; throws CryptoError if a chunk was
/// altered, reordered or moved, Error if the file cannot be read. A file without its
/// end-marked last chunk (cut short) throws CryptoError, unless `complete` is given: then it
/// is decrypted as far as it goes and *complete says whether it was whole.
std::string decryptRecording(const std::filesystem::path& path, const std::string& recordingId,
                             const crypto::FieldCipher& cipher, bool* complete = nullptr);

}  // namespace vigil::video
