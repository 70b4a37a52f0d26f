#include "aligner/mpi/block_corpus.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aligner/base/status_macros.h"
#include "aligner/io/input_file.h"
#include "aligner/mpi/collectives.h"
#include "boost/mpi/collectives.hpp"
#include "boost/serialization/string.hpp"
#include "boost/serialization/vector.hpp"

namespace aligner::mpi {
namespace {

absl::StatusOr<int64_t> CountLines(const std::string& path) {
  auto reader = LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::string line;
  while ((*reader)->Next(&line)) {
  }
  if (!(*reader)->status().ok()) return (*reader)->status();
  return (*reader)->line_number();
}

// The number of lines of the corpus, with the errors one process gives for
// unreadable files and parallel files of different lengths.
absl::StatusOr<int64_t> CountCorpusLines(const CorpusOptions& files) {
  for (const std::string* path : {&files.input, &files.source, &files.target}) {
    if (*path == "-") {
      return absl::InvalidArgumentError(
          "aligner-mpi cannot read stdin ('-'): every rank reads the input files itself");
    }
  }
  if (!files.input.empty()) return CountLines(files.input);
  auto source_lines = CountLines(files.source);
  if (!source_lines.ok()) return source_lines.status();
  auto target_lines = CountLines(files.target);
  if (!target_lines.ok()) return target_lines.status();
  if (*source_lines != *target_lines) {
    return absl::InvalidArgumentError(
        absl::StrCat("the parallel files have different line counts: ", files.source, " has ",
                     *source_lines, " lines, ", files.target, " has ", *target_lines));
  }
  return *source_lines;
}

// One side's words (ids 1.. in order) and their token counts in `text`.
struct SideWords {
  std::vector<std::string> words;
  std::vector<uint64_t> counts;

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& words& counts;
  }
};

SideWords WordsOf(const Vocabulary& vocabulary, const EncodedText& text) {
  SideWords side;
  side.counts.assign(vocabulary.size(), 0);
  for (size_t k = 0; k < text.num_sentences(); ++k) {
    for (WordId w : text.sentence(k)) ++side.counts[w];
  }
  side.counts.erase(side.counts.begin());  // NULL
  side.words.reserve(vocabulary.size() - 1);
  for (size_t id = 1; id < vocabulary.size(); ++id) {
    side.words.push_back(vocabulary.word(static_cast<WordId>(id)));
  }
  return side;
}

void UnifySide(const boost::mpi::communicator& comm, bool by_frequency, Vocabulary* vocabulary,
               EncodedText* text) {
  const SideWords local = WordsOf(*vocabulary, *text);
  std::vector<SideWords> all;
  boost::mpi::gather(comm, local, all, 0);
  std::vector<std::string> words;  // ids 1.. of the whole corpus
  if (comm.rank() == 0) {
    // Interning the ranks' words in rank order gives every word its first
    // appearance in the whole file, as one process's reader does.
    Vocabulary merged;
    std::vector<uint64_t> counts(1, 0);
    for (const SideWords& side : all) {
      for (size_t k = 0; k < side.words.size(); ++k) {
        const WordId id = merged.Intern(side.words[k]);
        if (id >= counts.size()) counts.resize(id + 1, 0);
        counts[id] += side.counts[k];
      }
    }
    all.clear();
    // The order of ParallelCorpus::NumberWordsByFrequency (IdsByFrequency).
    std::vector<WordId> order(merged.size());
    for (size_t w = 0; w < order.size(); ++w) order[w] = static_cast<WordId>(w);
    if (by_frequency) {
      std::stable_sort(order.begin() + 1, order.end(),
                       [&](WordId a, WordId b) { return counts[a] > counts[b]; });
    }
    words.reserve(order.size() - 1);
    for (size_t rank = 1; rank < order.size(); ++rank) words.push_back(merged.word(order[rank]));
  }
  boost::mpi::broadcast(comm, words, 0);
  Vocabulary unified;
  for (const std::string& word : words) unified.Intern(word);
  std::vector<WordId> new_ids(vocabulary->size(), kNullWord);
  for (size_t id = 1; id < vocabulary->size(); ++id) {
    new_ids[id] = *unified.Find(vocabulary->word(static_cast<WordId>(id)));
  }
  text->Renumber(new_ids);
  *vocabulary = std::move(unified);
}

}  // namespace

void UnifyVocabularies(const boost::mpi::communicator& comm, bool by_frequency,
                       ParallelCorpus* corpus) {
  UnifySide(comm, by_frequency, &corpus->mutable_source_vocabulary(),
            &corpus->mutable_source_text());
  UnifySide(comm, by_frequency, &corpus->mutable_target_vocabulary(),
            &corpus->mutable_target_text());
}

absl::StatusOr<CorpusBlock> ReadCorpusBlock(const boost::mpi::communicator& comm,
                                            const CorpusOptions& files,
                                            const CorpusReadOptions& options) {
  CorpusBlock block;
  absl::StatusOr<int64_t> total = CountCorpusLines(files);
  absl::Status status = AgreeOnStatus(comm, total.status());
  if (!status.ok()) return status;
  // Every rank counted the same files; rank 0's count decides.
  int64_t total_lines = *total;
  boost::mpi::broadcast(comm, total_lines, 0);
  const LineBlock lines = BlockOfRank(total_lines, comm.rank(), comm.size());
  CorpusReadOptions block_options = options;
  block_options.first_line = lines.first;
  block_options.end_line = lines.end;
  CorpusReport report;
  absl::StatusOr<ParallelCorpus> corpus =
      files.input.empty() ? ReadParallelFiles(files.source, files.target, block_options, &report)
                          : ReadBitext(files.input, block_options, &report);
  if (corpus.ok() && static_cast<int64_t>(corpus->size()) != lines.end - lines.first) {
    corpus = absl::DataLossError(absl::StrCat("read ", corpus->size(), " lines of lines ",
                                              lines.first + 1, "-", lines.end,
                                              ": the input changed while being read"));
  }
  status = AgreeOnStatus(comm, corpus.status());
  if (!status.ok()) return status;
  block.corpus = std::move(*corpus);
  block.first_line = lines.first;
  block.total_lines = total_lines;

  // The whole corpus's report: sums, and the first line over all blocks.
  block.report.pairs = total_lines;
  block.report.usable_pairs = Sum(comm, report.usable_pairs);
  block.report.malformed_lines = Sum(comm, report.malformed_lines);
  block.report.empty_pairs = Sum(comm, report.empty_pairs);
  block.report.too_long_pairs = Sum(comm, report.too_long_pairs);
  block.report.too_large_pairs = Sum(comm, report.too_large_pairs);
  const auto first_nonzero = [&](int64_t line) {
    const int64_t none = INT64_MAX;
    const int64_t first = -Max(comm, -(line == 0 ? none : line));  // the minimum over ranks
    return first == none ? 0 : first;
  };
  block.report.first_malformed_line = first_nonzero(report.first_malformed_line);
  block.report.first_too_long_line = first_nonzero(report.first_too_long_line);
  block.report.first_too_large_line = first_nonzero(report.first_too_large_line);
  // The same report on every rank, so the same answer.
  if (files.input.empty()) {
    RETURN_IF_ERROR(CheckSomePairUsable(block.report, options, files.source, files.target));
  } else {
    RETURN_IF_ERROR(CheckSomePairUsable(block.report, options, files.input));
  }

  const bool fixed_ids =
      options.source_vocabulary != nullptr || options.target_vocabulary != nullptr;
  UnifyVocabularies(comm, !fixed_ids, &block.corpus);
  block.total_source_tokens = Sum(comm, block.corpus.source_text().num_tokens());
  block.total_target_tokens = Sum(comm, block.corpus.target_text().num_tokens());
  return block;
}

uint64_t WholeCorpusFingerprint(const boost::mpi::communicator& comm, const CorpusBlock& block) {
  const uint64_t own = CorpusFingerprint(block.corpus, static_cast<uint64_t>(block.first_line));
  uint64_t sum = 0;  // unsigned: wraps as CorpusFingerprint's sum does
  for (const uint64_t part : AllGatherV(comm, {own})) sum += part;
  return sum;
}

}  // namespace aligner::mpi
