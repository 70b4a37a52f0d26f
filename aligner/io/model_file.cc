#include "aligner/io/model_file.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "aligner/base/status_macros.h"
#include "aligner/base/string_view.h"
#include "aligner/io/output_file.h"

namespace aligner {
namespace {

constexpr char kMagic[] = "ALIGNER MODEL\n";
constexpr size_t kMagicSize = sizeof(kMagic) - 1;

enum SectionType : uint8_t { kString = 1, kDouble = 2, kFloat = 3, kUint32 = 4, kUint64 = 5 };

uint64_t Fnv1a(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

template <typename T>
void AppendPod(std::string* out, T value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// Reads fixed-size values from a byte range, failing past its end.
class Cursor {
 public:
  Cursor(std::string_view bytes, size_t offset) : bytes_(bytes), offset_(offset) {}
  template <typename T>
  bool Read(T* value) {
    if (bytes_.size() - offset_ < sizeof(T)) return false;
    std::memcpy(value, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return true;
  }
  bool Skip(size_t n, size_t* start) {
    if (bytes_.size() - offset_ < n) return false;
    *start = offset_;
    offset_ += n;
    return true;
  }
  size_t offset() const { return offset_; }

 private:
  std::string_view bytes_;
  size_t offset_;
};

size_t ElementSize(uint8_t type) {
  switch (type) {
    case kString:
      return 1;
    case kFloat:
    case kUint32:
      return 4;
    case kDouble:
    case kUint64:
      return 8;
  }
  return 0;
}

}  // namespace

void ModelWriter::Put(std::string_view name, uint8_t type, uint64_t count, const void* data,
                      size_t bytes) {
  AppendPod<uint32_t>(&body_, static_cast<uint32_t>(name.size()));
  body_.append(name.data(), name.size());
  AppendPod<uint8_t>(&body_, type);
  AppendPod<uint64_t>(&body_, count);
  body_.append(static_cast<const char*>(data), bytes);
  ++num_sections_;
}

void ModelWriter::PutString(std::string_view name, std::string_view value) {
  Put(name, kString, value.size(), value.data(), value.size());
}
void ModelWriter::PutDoubles(std::string_view name, absl::Span<const double> v) {
  Put(name, kDouble, v.size(), v.data(), v.size() * sizeof(double));
}
void ModelWriter::PutFloats(std::string_view name, absl::Span<const float> v) {
  Put(name, kFloat, v.size(), v.data(), v.size() * sizeof(float));
}
void ModelWriter::PutUint32s(std::string_view name, absl::Span<const uint32_t> v) {
  Put(name, kUint32, v.size(), v.data(), v.size() * sizeof(uint32_t));
}
void ModelWriter::PutUint64s(std::string_view name, absl::Span<const uint64_t> v) {
  Put(name, kUint64, v.size(), v.data(), v.size() * sizeof(uint64_t));
}

std::string ModelWriter::Serialize() const {
  std::string out(kMagic, kMagicSize);
  AppendPod<uint32_t>(&out, kModelFormatVersion);
  AppendPod<uint32_t>(&out, num_sections_);
  out += body_;
  AppendPod<uint64_t>(&out, Fnv1a(out));
  return out;
}

absl::Status ModelWriter::WriteTo(const std::string& path) const {
  ASSIGN_OR_RETURN(auto out, OutputFile::Open(path));
  out->Write(Serialize());
  return out->Commit();
}

absl::StatusOr<ModelReader> ModelReader::Open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open model file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read model file ", path));
  return Parse(std::move(buffer).str(), path);
}

absl::StatusOr<ModelReader> ModelReader::Parse(std::string bytes, const std::string& origin) {
  auto error = [&](const std::string& what) {
    return absl::DataLossError(absl::StrCat(origin, ": not a valid model file: ", what));
  };
  if (bytes.size() < kMagicSize || bytes.compare(0, kMagicSize, kMagic) != 0) {
    return error("it does not start with the model file header");
  }
  if (bytes.size() < kMagicSize + 8 + 8) return error("truncated");
  uint64_t stored_hash;
  std::memcpy(&stored_hash, bytes.data() + bytes.size() - 8, 8);
  const std::string_view content(bytes.data(), bytes.size() - 8);
  Cursor cursor(content, kMagicSize);
  uint32_t version = 0, num_sections = 0;
  cursor.Read(&version);
  if (version != kModelFormatVersion) {
    return error(absl::StrCat("format version ", version, ", this aligner reads version ",
                              kModelFormatVersion));
  }
  if (Fnv1a(content) != stored_hash) return error("checksum mismatch (truncated or corrupted)");
  cursor.Read(&num_sections);
  ModelReader reader;
  reader.origin_ = origin;
  for (uint32_t k = 0; k < num_sections; ++k) {
    uint32_t name_size = 0;
    size_t name_start = 0;
    uint8_t type = 0;
    uint64_t count = 0;
    if (!cursor.Read(&name_size) || !cursor.Skip(name_size, &name_start) || !cursor.Read(&type) ||
        !cursor.Read(&count)) {
      return error("truncated section header");
    }
    const size_t element = ElementSize(type);
    if (element == 0) return error(absl::StrCat("unknown section type ", type));
    if (count > content.size() / element) return error("section larger than the file");
    Section section{type, count, 0, static_cast<size_t>(count) * element};
    if (!cursor.Skip(section.bytes, &section.offset)) return error("truncated section");
    reader.sections_[std::string(content.substr(name_start, name_size))] = section;
  }
  if (cursor.offset() != content.size()) return error("trailing bytes after the last section");
  reader.bytes_ = std::move(bytes);
  return reader;
}

bool ModelReader::Has(std::string_view name) const { return sections_.contains(ToAbsl(name)); }

absl::StatusOr<const ModelReader::Section*> ModelReader::Find(std::string_view name,
                                                              uint8_t type) const {
  auto it = sections_.find(ToAbsl(name));
  if (it == sections_.end()) {
    return absl::DataLossError(
        absl::StrCat(origin_, ": model file has no section '", ToAbsl(name), "'"));
  }
  if (it->second.type != type) {
    return absl::DataLossError(
        absl::StrCat(origin_, ": model file section '", ToAbsl(name), "' has the wrong type"));
  }
  return &it->second;
}

template <typename T>
absl::StatusOr<std::vector<T>> ModelReader::GetArray(std::string_view name, uint8_t type) const {
  ASSIGN_OR_RETURN(const Section* section, Find(name, type));
  std::vector<T> values(section->count);
  if (section->bytes > 0)
    std::memcpy(values.data(), bytes_.data() + section->offset, section->bytes);
  return values;
}

absl::StatusOr<std::string> ModelReader::GetString(std::string_view name) const {
  ASSIGN_OR_RETURN(const Section* section, Find(name, kString));
  return bytes_.substr(section->offset, section->bytes);
}
absl::StatusOr<std::vector<double>> ModelReader::GetDoubles(std::string_view name) const {
  return GetArray<double>(name, kDouble);
}
absl::StatusOr<std::vector<float>> ModelReader::GetFloats(std::string_view name) const {
  return GetArray<float>(name, kFloat);
}
absl::StatusOr<std::vector<uint32_t>> ModelReader::GetUint32s(std::string_view name) const {
  return GetArray<uint32_t>(name, kUint32);
}
absl::StatusOr<std::vector<uint64_t>> ModelReader::GetUint64s(std::string_view name) const {
  return GetArray<uint64_t>(name, kUint64);
}

absl::StatusOr<double> ModelReader::GetScalar(std::string_view name) const {
  ASSIGN_OR_RETURN(auto values, GetDoubles(name));
  if (values.size() != 1) return Corrupt(absl::StrCat(ToAbsl(name), " is not a scalar"));
  return values[0];
}

absl::StatusOr<uint64_t> ModelReader::GetUint64(std::string_view name) const {
  ASSIGN_OR_RETURN(auto values, GetUint64s(name));
  if (values.size() != 1) return Corrupt(absl::StrCat(ToAbsl(name), " is not a scalar"));
  return values[0];
}

absl::Status ModelReader::Corrupt(std::string_view what) const {
  return absl::DataLossError(absl::StrCat(origin_, ": not a valid model file: ", ToAbsl(what)));
}

}  // namespace aligner
