// Fuzzes the model-file loader. The input is the body of a model file (after
// the magic line and version); the target adds the header and the checksum
// so that the fuzzer reaches the section parser and ReadModel instead of
// stopping at a checksum mismatch. A second pass parses the raw bytes as a
// whole file. A model that loads must align sentence pairs over its
// vocabularies without touching memory out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "aligner/decode/decoder.h"
#include "aligner/io/model_file.h"
#include "aligner/model/model_io.h"
#include "fuzz/fuzz_util.h"

namespace {

uint64_t Fnv1a(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

void Exercise(const aligner::ModelReader& reader) {
  auto loaded = aligner::ReadModel(reader);
  if (!loaded.ok()) return;
  const size_t source_words = loaded->source_vocabulary.size();
  const size_t target_words = loaded->target_vocabulary.size();
  // Short pairs over the known words (and one id past them, an unknown word).
  for (uint32_t l = 1; l <= 3; ++l) {
    for (uint32_t m = 1; m <= 3; ++m) {
      std::vector<aligner::WordId> source, target;
      for (uint32_t i = 0; i < l; ++i) source.push_back(1 + (i * 7) % source_words);
      for (uint32_t j = 0; j < m; ++j) target.push_back(1 + (j * 5) % target_words);
      const aligner::SentencePair pair{source, target};
      for (const double threshold : {-1.0, 0.5}) {
        aligner::DecodeOptions options;
        options.posterior_threshold = threshold;
        aligner::DecodedPair decoded;
        aligner::DecodePair(*loaded->model, pair, options, &decoded);
        for (const aligner::Link& link : decoded.links) {
          CHECK(link.source < l && link.target < m);
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::string file = "ALIGNER MODEL\n";
  const uint32_t version = aligner::kModelFormatVersion;
  file.append(reinterpret_cast<const char*>(&version), sizeof(version));
  file.append(body.data(), body.size());
  const uint64_t hash = Fnv1a(file);
  file.append(reinterpret_cast<const char*>(&hash), sizeof(hash));
  auto reader = aligner::ModelReader::Parse(file, "fuzz");
  if (reader.ok()) Exercise(*reader);

  auto raw = aligner::ModelReader::Parse(std::string(body), "fuzz-raw");
  if (raw.ok()) Exercise(*raw);
  return 0;
}
