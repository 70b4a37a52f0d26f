// The MPI library's parts against their one-process counterparts, run by
// CTest under `mpirun -np 3` (every rank runs every test; each compares its
// distributed result with what one process computes from the whole corpus).
#include "aligner/mpi/sharded_table.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/model2.h"
#include "aligner/model/model_registry.h"
#include "aligner/model/translation_table.h"
#include "aligner/mpi/block_corpus.h"
#include "aligner/mpi/collectives.h"
#include "aligner/mpi/distributed_training.h"
#include "boost/mpi/communicator.hpp"
#include "boost/mpi/environment.hpp"
#include "gtest/gtest.h"

namespace aligner::mpi {
namespace {

// A small random corpus with Zipf-like words, some empty pairs, the same on
// every rank (fixed seed).
ParallelCorpus WholeCorpus() {
  std::mt19937 random(7);
  ParallelCorpus corpus;
  std::vector<WordId> source, target;
  for (int k = 0; k < 200; ++k) {
    source.clear();
    target.clear();
    const int l = k % 17 == 0 ? 0 : 1 + random() % 9, m = 1 + random() % 9;
    for (int i = 0; i < l; ++i) {
      const std::string word = "s" + std::to_string(random() % (1 + random() % 60));
      source.push_back(corpus.mutable_source_vocabulary().Intern(word));
    }
    for (int j = 0; l > 0 && j < m; ++j) {  // l == 0: an unusable pair, both sides empty
      const std::string word = "t" + std::to_string(random() % (1 + random() % 50));
      target.push_back(corpus.mutable_target_vocabulary().Intern(word));
    }
    corpus.mutable_source_text().AddSentence(source);
    corpus.mutable_target_text().AddSentence(target);
  }
  return corpus;
}

// This rank's block of `whole`, as a reader of that block alone sees it:
// its own vocabularies in order of first appearance.
ParallelCorpus BlockOf(const ParallelCorpus& whole, const boost::mpi::communicator& comm) {
  const LineBlock block = BlockOfRank(whole.size(), comm.rank(), comm.size());
  ParallelCorpus corpus;
  std::vector<WordId> ids;
  for (int64_t k = block.first; k < block.end; ++k) {
    const SentencePair pair = whole.pair(k);
    ids.clear();
    for (WordId w : pair.source) {
      ids.push_back(corpus.mutable_source_vocabulary().Intern(whole.source_vocabulary().word(w)));
    }
    corpus.mutable_source_text().AddSentence(ids);
    ids.clear();
    for (WordId w : pair.target) {
      ids.push_back(corpus.mutable_target_vocabulary().Intern(whole.target_vocabulary().word(w)));
    }
    corpus.mutable_target_text().AddSentence(ids);
  }
  return corpus;
}

TEST(BlockOfRankTest, BlocksAreContiguousAndCoverEveryLine) {
  for (int64_t total : {0, 1, 5, 10, 1001}) {
    for (int size = 1; size <= 7; ++size) {
      int64_t next = 0;
      for (int rank = 0; rank < size; ++rank) {
        const LineBlock block = BlockOfRank(total, rank, size);
        EXPECT_EQ(block.first, next);
        EXPECT_LE(block.end - block.first, total / size + 1);
        next = block.end;
      }
      EXPECT_EQ(next, total);
    }
  }
}

TEST(UnifyVocabulariesTest, IdsAreThoseOfNumberWordsByFrequencyOnTheWholeCorpus) {
  boost::mpi::communicator comm;
  ParallelCorpus whole = WholeCorpus();
  ParallelCorpus block = BlockOf(whole, comm);
  whole.NumberWordsByFrequency();
  UnifyVocabularies(comm, /*by_frequency=*/true, &block);
  ASSERT_EQ(block.source_vocabulary().size(), whole.source_vocabulary().size());
  ASSERT_EQ(block.target_vocabulary().size(), whole.target_vocabulary().size());
  for (size_t id = 1; id < whole.source_vocabulary().size(); ++id) {
    EXPECT_EQ(block.source_vocabulary().word(id), whole.source_vocabulary().word(id)) << id;
  }
  for (size_t id = 1; id < whole.target_vocabulary().size(); ++id) {
    EXPECT_EQ(block.target_vocabulary().word(id), whole.target_vocabulary().word(id)) << id;
  }
  const LineBlock lines = BlockOfRank(whole.size(), comm.rank(), comm.size());
  for (int64_t k = lines.first; k < lines.end; ++k) {
    const SentencePair mine = block.pair(k - lines.first), theirs = whole.pair(k);
    EXPECT_EQ(std::vector<WordId>(mine.source.begin(), mine.source.end()),
              std::vector<WordId>(theirs.source.begin(), theirs.source.end()));
    EXPECT_EQ(std::vector<WordId>(mine.target.begin(), mine.target.end()),
              std::vector<WordId>(theirs.target.begin(), theirs.target.end()));
  }
}

class ShardedTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    whole_ = WholeCorpus();
    block_ = BlockOf(whole_, comm_);
    whole_.NumberWordsByFrequency();
    UnifyVocabularies(comm_, true, &block_);
    whole_table_ = TranslationTable::FromCorpus(whole_);
    local_ = std::make_shared<TranslationTable>(TranslationTable::FromCorpus(block_));
  }

  boost::mpi::communicator comm_;
  ParallelCorpus whole_, block_;
  TranslationTable whole_table_;
  std::shared_ptr<TranslationTable> local_;
};

TEST_F(ShardedTableTest, OwnedRowsAreTheWholeTablesAndStartUniformAsIt) {
  ShardedTranslationTable sharded(comm_, local_);
  EXPECT_TRUE(local_->is_uniform());
  EXPECT_EQ(local_->uniform_prob(), whole_table_.uniform_prob());
  const TranslationTable owned = sharded.OwnedRows();
  ASSERT_EQ(owned.num_source_words(), whole_table_.num_source_words());
  for (size_t e = 0; e < whole_table_.num_source_words(); ++e) {
    const bool mine = static_cast<int>(e % comm_.size()) == comm_.rank();
    const uint64_t length = whole_table_.row_end(e) - whole_table_.row_begin(e);
    ASSERT_EQ(owned.row_end(e) - owned.row_begin(e), mine ? length : 0) << "row " << e;
    for (uint64_t s = 0; mine && s < length; ++s) {
      EXPECT_EQ(owned.target(owned.row_begin(e) + s),
                whole_table_.target(whole_table_.row_begin(e) + s));
    }
  }
  EXPECT_EQ(Sum(comm_, owned.num_entries()), static_cast<int64_t>(whole_table_.num_entries()));
}

TEST_F(ShardedTableTest, MaximizeGivesTheWholeTablesEstimateBitForBit) {
  ShardedTranslationTable sharded(comm_, local_);
  // Counts of every pair's (e, f) links: the whole corpus's into the whole
  // table, each block's into its local table, from the same per-pair values.
  FixedPointArray whole_counts, local_counts;
  whole_counts.Resize(whole_table_.num_entries());
  local_counts.Resize(local_->num_entries());
  const LineBlock lines = BlockOfRank(whole_.size(), comm_.rank(), comm_.size());
  for (size_t k = 0; k < whole_.size(); ++k) {
    const SentencePair pair = whole_.pair(k);
    if (pair.source.empty() || pair.target.empty()) continue;
    const bool in_block =
        static_cast<int64_t>(k) >= lines.first && static_cast<int64_t>(k) < lines.end;
    for (size_t j = 0; j < pair.target.size(); ++j) {
      for (size_t i = 0; i <= pair.source.size(); ++i) {
        const WordId e = i == 0 ? kNullWord : pair.source[i - 1], f = pair.target[j];
        const double value = 1.0 / (1 + i + j * 0.37 + k * 0.011);
        whole_counts.Add(whole_table_.Find(e, f), value);
        if (in_block) local_counts.Add(local_->Find(e, f), value);
      }
    }
  }
  for (bool variational_bayes : {false, true}) {
    TranslationPrior prior;
    prior.variational_bayes = variational_bayes;
    EstimateTranslationTable(whole_counts, prior, &whole_table_);
    sharded.Maximize(local_counts, prior);
    for (size_t e = 0; e < local_->num_source_words(); ++e) {
      for (uint64_t s = local_->row_begin(e); s < local_->row_end(e); ++s) {
        const float expected = whole_table_.prob(whole_table_.Find(e, local_->target(s)));
        ASSERT_EQ(local_->prob(s), expected) << "e " << e << " f " << local_->target(s);
      }
    }
  }
  const TranslationTable gathered = sharded.GatherAtRoot();
  if (comm_.rank() == 0) {
    EXPECT_EQ(gathered.row_offsets(), whole_table_.row_offsets());
    ASSERT_EQ(gathered.num_entries(), whole_table_.num_entries());
    for (size_t s = 0; s < gathered.num_entries(); ++s) {
      ASSERT_EQ(gathered.target(s), whole_table_.target(s));
      ASSERT_EQ(gathered.prob(s), whole_table_.prob(s));
    }
  }
}

TEST_F(ShardedTableTest, PairLengthsAreTheWholeCorpuss) {
  const PairLengths expected = CountPairLengths(whole_);
  ASSERT_GT(expected.size(), 20u);
  EXPECT_EQ(GlobalPairLengths(comm_, block_), expected);
  // What the models build from them: the same Model 2 table, block for block.
  const AlignmentTable whole_table = AlignmentTable::FromCorpus(whole_, true);
  const AlignmentTable table = AlignmentTable::FromLengths(GlobalPairLengths(comm_, block_), true);
  EXPECT_EQ(table.probs(), whole_table.probs());
  for (const auto& [key, offset] : whole_table.blocks()) {
    EXPECT_EQ(table.Find(key >> 32, key & 0xffffffffu), static_cast<int64_t>(offset));
  }
}

}  // namespace
}  // namespace aligner::mpi

int main(int argc, char** argv) {
  boost::mpi::environment environment(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  // Only rank 0 prints; every rank's failures still fail its exit code.
  if (boost::mpi::communicator().rank() != 0) {
    delete ::testing::UnitTest::GetInstance()->listeners().Release(
        ::testing::UnitTest::GetInstance()->listeners().default_result_printer());
  }
  return RUN_ALL_TESTS();
}
