// Fuzzes the gold-alignment readers: ReadGoldFile in both formats with
// options chosen by the first byte, and ParseGoldLine. Every entry read must
// keep the GoldAlignment invariant: both lists sorted, no duplicates, no link
// both sure and possible.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "aligner/io/gold.h"
#include "fuzz/fuzz_util.h"

namespace {

using aligner::fuzz::MemFile;

void CheckGold(const aligner::GoldAlignment& gold) {
  auto strictly_sorted = [](const aligner::SentenceLinks& links) {
    return std::adjacent_find(links.begin(), links.end(),
                              [](const aligner::Link& a, const aligner::Link& b) {
                                return !(a < b);
                              }) == links.end();
  };
  CHECK(strictly_sorted(gold.sure));
  CHECK(strictly_sorted(gold.possible));
  for (const aligner::Link& link : gold.possible) {
    CHECK(!std::binary_search(gold.sure.begin(), gold.sure.end(), link));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  aligner::GoldOptions options;
  options.one_based = (flags & 1) != 0;
  options.reverse = (flags & 2) != 0;
  options.first_sentence_id = (flags & 4) != 0 ? 0 : 1;
  const size_t hint = flags >> 4;

  auto line = aligner::ParseGoldLine(bytes, options);
  if (line.ok()) CheckGold(*line);

  MemFile file(bytes);
  for (const aligner::GoldFormat format :
       {aligner::GoldFormat::kPharaohSurePossible, aligner::GoldFormat::kNaacl}) {
    auto gold = aligner::ReadGoldFile(file.path(), format, options, hint);
    if (!gold.ok()) continue;
    if (format == aligner::GoldFormat::kNaacl) CHECK(gold->size() >= hint);
    for (const aligner::GoldAlignment& entry : *gold) CheckGold(entry);
  }
  return 0;
}
