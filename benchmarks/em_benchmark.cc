// Micro benchmarks of the EM inner loops on the shipped 10k-pair Hansards
// slice: the E-step of each model per sentence pair, and the M-step.
//   scripts/build.sh -DALIGNER_BUILD_BENCHMARKS=ON && build/em_benchmark
#include <memory>
#include <string>

#include "aligner/corpus/parallel_corpus.h"
#include "aligner/model/diagonal_model.h"
#include "aligner/model/model1.h"
#include "aligner/model/translation_table.h"
#include "aligner/train/em_trainer.h"
#include "benchmark/benchmark.h"

namespace aligner {
namespace {

const ParallelCorpus& Corpus() {
  static const ParallelCorpus* corpus = [] {
    CorpusReport report;
    const std::string dir = ALIGNER_TEST_DATA_DIR;
    auto read = ReadParallelFiles(dir + "/hansards10k.fr.gz", dir + "/hansards10k.en.gz",
                                  CorpusReadOptions(), &report);
    if (!read.ok()) std::abort();
    return new ParallelCorpus(std::move(*read));
  }();
  return *corpus;
}

// A model after two EM iterations, so probabilities are realistic.
template <typename Model>
std::unique_ptr<Model> TrainedModel(std::unique_ptr<Model> model) {
  EmTrainer trainer(Corpus(), 1);
  trainer.Iterate(model.get(), 1);
  trainer.Iterate(model.get(), 2);
  return model;
}

std::shared_ptr<TranslationTable> Table() {
  return std::make_shared<TranslationTable>(TranslationTable::FromCorpus(Corpus()));
}

// One thread's E-step over the whole slice; items = links (l + 1) * m.
template <typename Model>
void RunExpectationStep(benchmark::State& state, const Model& model) {
  ExpectedCounts counts;
  model.InitCounts(&counts);
  int64_t links = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < Corpus().size(); ++k) model.AddExpectedCounts(Corpus().pair(k), &counts);
    links += counts.links;
    counts.links = 0;
  }
  state.SetItemsProcessed(links);
}

void BM_Model1ExpectationStep(benchmark::State& state) {
  auto model = TrainedModel(std::make_unique<Model1>(Table(), true, TranslationPrior()));
  RunExpectationStep(state, *model);
}
BENCHMARK(BM_Model1ExpectationStep)->Unit(benchmark::kMillisecond);

void BM_DiagonalExpectationStep(benchmark::State& state) {
  auto model = TrainedModel(
      std::make_unique<DiagonalModel>(Table(), true, TranslationPrior{true, 0.01},
                                      DiagonalOptions(), DiagonalModel::CountLengths(Corpus())));
  RunExpectationStep(state, *model);
}
BENCHMARK(BM_DiagonalExpectationStep)->Unit(benchmark::kMillisecond);

// The translation-table M-step, maximum likelihood (arg 0) and variational
// Bayes (arg 1); items = table entries.
void BM_TranslationMaximizationStep(benchmark::State& state) {
  auto model = TrainedModel(std::make_unique<Model1>(Table(), true, TranslationPrior()));
  EmTrainer trainer(Corpus(), 1);
  const ExpectedCounts& counts = trainer.ExpectationStep(*model);
  TranslationTable table = model->translation_table();
  const TranslationPrior prior{state.range(0) == 1, 0.01};
  for (auto _ : state) EstimateTranslationTable(counts.translation(), prior, &table);
  state.SetItemsProcessed(state.iterations() * table.num_entries());
}
BENCHMARK(BM_TranslationMaximizationStep)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace aligner
