// Writers for what decoding and training produce, over the text formats of
// aligner/io: GIZA A3 entries of decoded pairs and translation-table dumps.
#ifndef ALIGNER_DECODE_OUTPUT_FORMATS_H_
#define ALIGNER_DECODE_OUTPUT_FORMATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/corpus/vocabulary.h"
#include "aligner/io/giza.h"
#include "aligner/io/output_file.h"
#include "aligner/model/translation_table.h"

namespace aligner {

// Builds an entry from a corpus pair and a Viterbi alignment.
A3Entry MakeA3Entry(int64_t sentence_number, const SentencePair& pair,
                    const Vocabulary& source_vocabulary, const Vocabulary& target_vocabulary,
                    const std::vector<uint32_t>& alignment, double log_prob);

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

#endif  // ALIGNER_DECODE_OUTPUT_FORMATS_H_
