// Fuzzes the GIZA++ A3 reader: ReadA3File on the bytes; every entry read
// must format (FormatA3Entry) and read back to the same words and alignment.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "aligner/io/giza.h"
#include "fuzz/fuzz_util.h"

using aligner::fuzz::MemFile;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  MemFile file(bytes);
  auto entries = aligner::ReadA3File(file.path());
  if (!entries.ok()) return 0;
  std::string formatted;
  for (const aligner::A3Entry& entry : *entries) {
    CHECK(entry.alignment.size() == entry.target_words.size());
    for (uint32_t i : entry.alignment) CHECK(i <= entry.source_words.size());
    formatted += aligner::FormatA3Entry(entry);
  }
  MemFile again_file(formatted);
  auto again = aligner::ReadA3File(again_file.path());
  CHECK(again.ok());
  CHECK(again->size() == entries->size());
  for (size_t k = 0; k < entries->size(); ++k) {
    CHECK((*again)[k].sentence_number == (*entries)[k].sentence_number);
    CHECK((*again)[k].source_words == (*entries)[k].source_words);
    CHECK((*again)[k].target_words == (*entries)[k].target_words);
    CHECK((*again)[k].alignment == (*entries)[k].alignment);
  }
  return 0;
}
