#include "aligner/decode/output_formats.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aligner/base/status_macros.h"

namespace aligner {

A3Entry MakeA3Entry(int64_t sentence_number, const SentencePair& pair,
                    const Vocabulary& source_vocabulary, const Vocabulary& target_vocabulary,
                    const std::vector<uint32_t>& alignment, double log_prob) {
  A3Entry entry;
  entry.sentence_number = sentence_number;
  entry.score = std::exp(log_prob);
  for (WordId e : pair.source) entry.source_words.push_back(source_vocabulary.word(e));
  for (WordId f : pair.target) entry.target_words.push_back(target_vocabulary.word(f));
  entry.alignment = alignment;
  entry.alignment.resize(pair.target.size(), 0);
  return entry;
}

void WriteTranslationTable(const TranslationTable& table, const Vocabulary& source_vocabulary,
                           const Vocabulary& target_vocabulary, TranslationTableFormat format,
                           double min_prob, OutputFile* out) {
  std::string line;
  for (WordId e = 0; e < table.num_source_words(); ++e) {
    const std::string& source =
        e == kNullWord ? (format == TranslationTableFormat::kFastAlign ? std::string("<eps>")
                                                                       : std::string("NULL"))
                       : source_vocabulary.word(e);
    for (uint64_t s = table.row_begin(e); s < table.row_end(e); ++s) {
      const double p = table.prob(s);
      if (p < min_prob) continue;
      line.clear();
      if (format == TranslationTableFormat::kFastAlign) {
        absl::StrAppend(&line, source, "\t", target_vocabulary.word(table.target(s)), "\t",
                        absl::StrFormat("%.9g", std::log(p)), "\n");
      } else {
        absl::StrAppend(&line, source, " ", target_vocabulary.word(table.target(s)), " ",
                        absl::StrFormat("%.9g", p), "\n");
      }
      out->Write(line);
    }
  }
}

absl::Status WriteTranslationTable(const TranslationTable& table,
                                   const Vocabulary& source_vocabulary,
                                   const Vocabulary& target_vocabulary,
                                   TranslationTableFormat format, double min_prob,
                                   const std::string& path) {
  ASSIGN_OR_RETURN(auto out, OutputFile::Open(path));
  WriteTranslationTable(table, source_vocabulary, target_vocabulary, format, min_prob, out.get());
  return out->Commit();
}

}  // namespace aligner
