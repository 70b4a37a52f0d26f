// Reading a corpus as contiguous blocks of lines, one per MPI rank, with
// word ids that agree with a one-process run's.
#ifndef ALIGNER_MPI_BLOCK_CORPUS_H_
#define ALIGNER_MPI_BLOCK_CORPUS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/corpus/vocabulary.h"
#include "aligner/pipeline/pipeline.h"
#include "boost/mpi/communicator.hpp"

namespace aligner::mpi {

// This rank's block of the corpus.
struct CorpusBlock {
  // Pairs [first_line, first_line + corpus.size()) of the whole corpus, with
  // the whole corpus's vocabularies and word ids.
  ParallelCorpus corpus;
  int64_t first_line = 0;
  int64_t total_lines = 0;
  // The whole corpus's report, as ReadBitext/ReadParallelFiles would give.
  CorpusReport report;
  // Token counts of the whole corpus (each rank holds only its own).
  int64_t total_source_tokens = 0;
  int64_t total_target_tokens = 0;
};

// Collective: every rank reads its own block of lines of the corpus files of
// `corpus` (input, or source and target), read as `options` say
// (ReadOptionsFor), and keeps only those. The lines are counted first (each rank reads through the
// files once without keeping anything, so different line counts are the same
// error as in one process), then each rank reads its block, numbering lines
// as in the whole file. Then the ranks agree on the vocabularies: without
// given vocabularies (options.source_vocabulary/target_vocabulary) words are
// numbered by decreasing frequency over the whole corpus, ties by first
// appearance, exactly as ParallelCorpus::NumberWordsByFrequency numbers one
// process's corpus; with them, known words keep their ids and new ones
// follow in order of first appearance. Every rank gets the same error (with
// the failing rank's number) if any rank fails, and one process's error when
// no line of the whole corpus can be aligned.
absl::StatusOr<CorpusBlock> ReadCorpusBlock(const boost::mpi::communicator& comm,
                                            const CorpusOptions& corpus,
                                            const CorpusReadOptions& options);

// Collective: CorpusFingerprint of the whole corpus, the sum (mod 2^64) of
// the blocks' fingerprints, each taken from its first line (in the
// direction the block is in).
uint64_t WholeCorpusFingerprint(const boost::mpi::communicator& comm, const CorpusBlock& block);

// Collective: replaces each rank's vocabularies with the union of all
// ranks', ids assigned in rank order of first appearance (starting from the
// given vocabularies, when not null) and, when `by_frequency`, renumbered by
// decreasing total count; renumbers each rank's tokens to match. Exposed
// for tests; ReadCorpusBlock calls it.
void UnifyVocabularies(const boost::mpi::communicator& comm, bool by_frequency,
                       ParallelCorpus* corpus);

}  // namespace aligner::mpi

#endif  // ALIGNER_MPI_BLOCK_CORPUS_H_
