// Fuzzes the Pharaoh reader: ParsePharaoh on the bytes as one line (a
// parsed line must format and parse back to the same links), and
// ReadPharaohFile on them as a file (one entry per line, or an error naming
// the line that ParsePharaoh rejects).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "aligner/io/pharaoh.h"
#include "fuzz/fuzz_util.h"

namespace {

using aligner::fuzz::MemFile;

bool Compressed(std::string_view bytes) {
  return bytes.substr(0, 2) == "\x1f\x8b" || bytes.substr(0, 4) == "\x28\xb5\x2f\xfd";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto links = aligner::ParsePharaoh(bytes);
  if (links.ok()) {
    const std::string formatted = aligner::FormatPharaoh(*links);
    auto again = aligner::ParsePharaoh(formatted);
    CHECK(again.ok());
    CHECK(*again == *links);
  }

  MemFile file(bytes);
  auto entries = aligner::ReadPharaohFile(file.path());
  if (Compressed(bytes)) return 0;
  // The same lines split by hand, as LineReader does ("\n", then one "\r").
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < bytes.size();) {
    size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) end = bytes.size();
    std::string_view line = bytes.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  bool all_ok = true;
  for (size_t k = 0; k < lines.size() && all_ok; ++k) {
    auto parsed = aligner::ParsePharaoh(lines[k]);
    if (!parsed.ok()) {
      all_ok = false;
      CHECK(!entries.ok());
      const std::string where = ":" + std::to_string(k + 1) + ": ";
      CHECK(std::string(entries.status().message()).find(where) != std::string::npos);
    } else if (entries.ok()) {
      CHECK((*entries)[k] == *parsed);
    }
  }
  if (all_ok) {
    CHECK(entries.ok());
    CHECK(entries->size() == lines.size());
  }
  return 0;
}
