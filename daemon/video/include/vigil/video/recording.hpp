#pragma once
// Recording a participant's media to an encrypted WebM file (issue 9, "recording only with
// consent": the consent check is VisitService's, before anyone starts a RoomRecording).
//
// Design: the room's pipeline keeps forwarding only; a recording taps the participant's tees
// with appsink branches (RTP as received) and feeds a pipeline of its own:
//   appsrc(RTP) -> rtpjitterbuffer -> depayloader -> webmmux (streamable) -> appsink
// Depayloading unwraps the codec frames from RTP; nothing is decoded or re-encoded. The muxed
// bytes never touch the disk in clear: they are cut into chunks of up to 256 KiB, each sealed
// with the field cipher (AES-256-GCM, AAD = visit_recordings/content/<recording id>:<chunk no>,
// so chunks cannot be reordered, dropped from the middle or moved to another recording) and
// appended to the file as [u32 big-endian length][ciphertext]. A truncated tail loses at most
// the last chunk. decryptRecording() reverses it for authorised playback.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

typedef struct _GstElement GstElement;  // NOLINT: GStreamer's C type

namespace vigil::crypto {
class FieldCipher;
}

namespace vigil::video {

/// One running recording of one participant's audio and video.
class RoomRecording {
 public:
  /// Starts the recording pipeline writing `path` (created, must not exist). `recordingId`
  /// binds every chunk to this recording. Throws Error when GStreamer or the file fails.
  RoomRecording(std::string recordingId, std::filesystem::path path,
                const crypto::FieldCipher& cipher);
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

/// Deletes recording files (*.rec) in `dir` last written before `before` (the retention
/// setting, video.recording_retention_days); returns how many. A missing dir is empty.
int purgeRecordings(const std::filesystem::path& dir, std::filesystem::file_time_type before);

/// Decrypts a recording file made with `recordingId`; throws CryptoError if a chunk was
/// altered, reordered or moved, Error if the file cannot be read.
std::string decryptRecording(const std::filesystem::path& path, const std::string& recordingId,
                             const crypto::FieldCipher& cipher);

}  // namespace vigil::video
