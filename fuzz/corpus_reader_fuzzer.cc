// Fuzzes the corpus readers: the input bytes become a bitext file for
// ReadBitext, and are split in two for ReadParallelFiles. Checks, for plain
// (not gzip/zstd) input, that every line becomes exactly one pair, that
// unusable pairs are emptied on both sides, and that word ids are in range.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "aligner/corpus/parallel_corpus.h"
#include "fuzz/fuzz_util.h"

namespace {

using aligner::fuzz::MemFile;

bool Compressed(std::string_view bytes) {
  return bytes.substr(0, 2) == "\x1f\x8b" || bytes.substr(0, 4) == "\x28\xb5\x2f\xfd";
}

// Lines as LineReader counts them: a final line without "\n" counts too.
size_t CountLines(std::string_view bytes) {
  size_t lines = 0;
  for (char c : bytes) lines += c == '\n';
  if (!bytes.empty() && bytes.back() != '\n') ++lines;
  return lines;
}

void CheckCorpus(const aligner::ParallelCorpus& corpus, const aligner::CorpusReadOptions& options,
                 const aligner::CorpusReport& report) {
  CHECK(report.pairs == static_cast<int64_t>(corpus.size()));
  CHECK(report.malformed_lines + report.empty_pairs + report.too_long_pairs <= report.pairs);
  CHECK(report.too_large_pairs <= report.too_long_pairs);
  // A corpus with lines but none usable is an error, not a corpus.
  CHECK(report.pairs == 0 ||
        report.malformed_lines + report.empty_pairs + report.too_long_pairs < report.pairs);
  for (size_t k = 0; k < corpus.size(); ++k) {
    const aligner::SentencePair pair = corpus.pair(k);
    CHECK(pair.source.empty() == pair.target.empty());
    CHECK(pair.source.size() <= options.max_sentence_length);
    CHECK(pair.target.size() <= options.max_sentence_length);
    for (aligner::WordId e : pair.source) {
      CHECK(e != aligner::kNullWord && e < corpus.source_vocabulary().size());
    }
    for (aligner::WordId f : pair.target) {
      CHECK(f != aligner::kNullWord && f < corpus.target_vocabulary().size());
    }
  }
}

// The error for a file whose lines are all unusable.
bool NoUsableLine(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         std::string_view(status.message().data(), status.message().size())
                 .find("can be aligned") != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  aligner::CorpusReadOptions options;
  options.lowercase = (flags & 1) != 0;
  options.max_sentence_length = (flags & 2) != 0 ? 3 : 1000;

  {
    MemFile file(bytes);
    aligner::CorpusReport report;
    auto corpus = aligner::ReadBitext(file.path(), options, &report);
    if (!Compressed(bytes)) {
      CHECK(corpus.ok() || NoUsableLine(corpus.status()));
      if (corpus.ok()) CHECK(corpus->size() == CountLines(bytes));
    }
    if (corpus.ok()) CheckCorpus(*corpus, options, report);
  }

  // Two line-parallel files: the bytes split at a point the flags choose.
  const size_t split = bytes.size() * (flags >> 2) / 63;
  const std::string_view source = bytes.substr(0, split), target = bytes.substr(split);
  MemFile source_file(source), target_file(target);
  aligner::CorpusReport report;
  auto corpus =
      aligner::ReadParallelFiles(source_file.path(), target_file.path(), options, &report);
  if (!Compressed(source) && !Compressed(target)) {
    CHECK(corpus.ok() || NoUsableLine(corpus.status()) || CountLines(source) != CountLines(target));
    if (CountLines(source) != CountLines(target)) CHECK(!corpus.ok());
    if (corpus.ok()) CHECK(corpus->size() == CountLines(source));
  }
  if (corpus.ok()) CheckCorpus(*corpus, options, report);
  return 0;
}
