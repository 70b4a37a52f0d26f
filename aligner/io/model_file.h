// A versioned, checksummed binary container for trained models: named
// sections of strings and numeric arrays.
#ifndef ALIGNER_IO_MODEL_FILE_H_
#define ALIGNER_IO_MODEL_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace aligner {

// Layout: the magic line "ALIGNER MODEL\n", a uint32 format version, a
// uint32 section count, then per section: uint32 name length, name, uint8
// type, uint64 element count, payload; finally a 64-bit FNV-1a hash of every
// byte before it. Little-endian, as the machines we run on. A reader checks
// magic, version, every length against the file size, and the hash, so a
// truncated, corrupted or foreign file is an error, never garbage.
inline constexpr uint32_t kModelFormatVersion = 1;

class ModelWriter {
 public:
  void PutString(std::string_view name, std::string_view value);
  void PutDoubles(std::string_view name, absl::Span<const double> values);
  void PutFloats(std::string_view name, absl::Span<const float> values);
  void PutUint32s(std::string_view name, absl::Span<const uint32_t> values);
  void PutUint64s(std::string_view name, absl::Span<const uint64_t> values);

  // Writes the file atomically (temporary name, then rename).
  absl::Status WriteTo(const std::string& path) const;
  // The serialized bytes, for tests and fuzzing.
  std::string Serialize() const;

 private:
  void Put(std::string_view name, uint8_t type, uint64_t count, const void* data, size_t bytes);
  uint32_t num_sections_ = 0;
  std::string body_;
};

class ModelReader {
 public:
  static absl::StatusOr<ModelReader> Open(const std::string& path);
  // Parses serialized bytes; `origin` names them in errors.
  static absl::StatusOr<ModelReader> Parse(std::string bytes, const std::string& origin);

  bool Has(std::string_view name) const;
  absl::StatusOr<std::string> GetString(std::string_view name) const;
  absl::StatusOr<std::vector<double>> GetDoubles(std::string_view name) const;
  absl::StatusOr<std::vector<float>> GetFloats(std::string_view name) const;
  absl::StatusOr<std::vector<uint32_t>> GetUint32s(std::string_view name) const;
  absl::StatusOr<std::vector<uint64_t>> GetUint64s(std::string_view name) const;
  // A section of one double, or of one uint64.
  absl::StatusOr<double> GetScalar(std::string_view name) const;
  absl::StatusOr<uint64_t> GetUint64(std::string_view name) const;

  // The error for a section whose content is invalid: "<origin>: not a valid
  // model file: <what>".
  absl::Status Corrupt(std::string_view what) const;

  const std::string& origin() const { return origin_; }

 private:
  struct Section {
    uint8_t type;
    uint64_t count;
    size_t offset;  // of the payload in bytes_
    size_t bytes;
  };
  absl::StatusOr<const Section*> Find(std::string_view name, uint8_t type) const;
  template <typename T>
  absl::StatusOr<std::vector<T>> GetArray(std::string_view name, uint8_t type) const;

  std::string origin_;
  std::string bytes_;
  absl::flat_hash_map<std::string, Section> sections_;
};

}  // namespace aligner

#endif  // ALIGNER_IO_MODEL_FILE_H_
