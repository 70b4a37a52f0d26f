// GIZA++ formats: A3 alignment files and translation-table dumps.
#ifndef ALIGNER_IO_GIZA_H_
#define ALIGNER_IO_GIZA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/corpus/vocabulary.h"
#include "aligner/io/output_file.h"
#include "aligner/model/translation_table.h"

namespace aligner {

// One entry of an A3 file, in the model's direction: the source side is the
// one aligned to (with NULL), the target side the one generated.
struct A3Entry {
  int64_t sentence_number = 0;  // 1-based
  double score = 0;             // probability of the alignment
  std::vector<std::string> source_words;
  std::vector<std::string> target_words;
  std::vector<uint32_t> alignment;  // alignment[j] = i, 0 = NULL
};

// Formats the three lines of one entry, each ending in "\n":
//   # Sentence pair (n) source length l target length m alignment score : s
//   the target sentence
//   NULL ({ j ... }) word ({ j ... }) ...   (1-based target positions)
std::string FormatA3Entry(const A3Entry& entry);

// Builds an entry from a corpus pair and a Viterbi alignment.
A3Entry MakeA3Entry(int64_t sentence_number, const SentencePair& pair,
                    const Vocabulary& source_vocabulary, const Vocabulary& target_vocabulary,
                    const std::vector<uint32_t>& alignment, double log_prob);

// Parses an A3 file (ours or GIZA++'s A3.final).
absl::StatusOr<std::vector<A3Entry>> ReadA3File(const std::string& path);

enum class TranslationTableFormat {
  // fast_align's -p: "source<TAB>target<TAB>log probability", NULL as <eps>.
  kFastAlign,
  // "source target probability", NULL as NULL (GIZA++'s t-table with words).
  kProbability,
};

// Writes every entry with t(f|e) >= min_prob, rows in source-id order, to
// `out` (not committed).
void WriteTranslationTable(const TranslationTable& table, const Vocabulary& source_vocabulary,
                           const Vocabulary& target_vocabulary, TranslationTableFormat format,
                           double min_prob, OutputFile* out);
// The same into a new file at `path`.
absl::Status WriteTranslationTable(const TranslationTable& table,
                                   const Vocabulary& source_vocabulary,
                                   const Vocabulary& target_vocabulary,
                                   TranslationTableFormat format, double min_prob,
                                   const std::string& path);

}  // namespace aligner

#endif  // ALIGNER_IO_GIZA_H_
