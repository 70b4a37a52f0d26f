// aligner-mpi: `aligner align | train | symmetric` across MPI processes,
//   mpirun -np N aligner-mpi align --source corpus.fr --target corpus.en -d -o -v > out
// It takes exactly `aligner`'s options: they are parsed by the CLI's own
// parsers (aligner/cli/flags.h) into the pipeline's options structs, which
// hold the only defaults. Only the driver differs: each rank reads one block
// of the corpus, the translation table is sharded by source word, and rank 0
// writes the outputs, which are bit-identical to `aligner`'s.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aligner/base/huge_pages.h"
#include "aligner/base/status_macros.h"
#include "aligner/cli/flags.h"
#include "aligner/decode/agreement_decoder.h"
#include "aligner/io/giza.h"
#include "aligner/io/output_file.h"
#include "aligner/mpi/block_corpus.h"
#include "aligner/mpi/collectives.h"
#include "aligner/mpi/distributed_training.h"
#include "aligner/pipeline/pipeline.h"
#include "boost/mpi/communicator.hpp"
#include "boost/mpi/environment.hpp"

namespace aligner::mpi {
namespace {

constexpr char kUsage[] =
    "usage: mpirun -np N aligner-mpi <command> [options]\n"
    "\n"
    "Commands (each takes exactly the options of `aligner <command>`):\n"
    "  align      train on a corpus and write its alignment\n"
    "  train      train and save a model file (--model-file)\n"
    "  symmetric  train and align both directions, write OUT.forward, OUT.reverse and the\n"
    "             symmetrized alignment\n"
    "\n"
    "Not yet under MPI: --stream and stdin ('-') as input.\n";

constexpr char kHelpNote[] =
    "aligner-mpi: run as 'mpirun -np N aligner-mpi <command> [options]'; the options are "
    "aligner's:\n\n";

// What `aligner` does that aligner-mpi does not do yet.
absl::Status CheckSupported(const AlignOptions& options) {
  if (options.stream) return absl::InvalidArgumentError("--stream is not supported by aligner-mpi");
  return absl::OkStatus();
}
// Everything `aligner symmetric` does, its fertility models included.
absl::Status CheckSupported(const SymmetricOptions&) { return absl::OkStatus(); }

// Runs a parsed command on every rank, as cli::RunParsed runs it in one
// process: its help or usage error (exit 2) printed by rank 0, or the run,
// whose progress rank 0 reports ("aligner-mpi <command>: ..."; --quiet keeps
// only warnings). `run` returns the same status on every rank.
template <typename Options, typename RunFn>
int RunParsed(const boost::mpi::communicator& comm, const char* command,
              const cli::Parsed<Options>& parsed, RunFn run) {
  const bool root = comm.rank() == 0;
  if (parsed.help) {
    if (root) std::cout << kHelpNote << parsed.help_text;
    return 0;
  }
  absl::Status status = parsed.status;
  if (status.ok()) status = CheckSupported(parsed.options);
  if (!status.ok()) {
    if (root) {
      std::fprintf(stderr, "aligner-mpi %s: %s\nRun 'aligner-mpi %s --help' for the options.\n",
                   command, std::string(status.message()).c_str(), command);
    }
    return 2;
  }
  const bool quiet = parsed.quiet;
  const Logger log = [root, command, quiet](const std::string& line) {
    if (!root || (quiet && line.rfind("warning: ", 0) != 0)) return;
    std::fprintf(stderr, "aligner-mpi %s: %s\n", command, line.c_str());
  };
  // Rank 0's binding stands for all: mpirun binds every rank alike.
  WarnIfThreadsExceedCpus(parsed.options.threads, log);
  status = run(parsed.options, log);
  if (status.ok()) return 0;
  if (root) {
    std::fprintf(stderr, "aligner-mpi %s: error: %s\n", command,
                 std::string(status.message()).c_str());
  }
  return 1;
}

template <typename... Args>
void Log(const Logger& log, const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (log) log(absl::StrFormat(format, args...));
}

// An output file open at rank 0 only; `wanted` on every rank.
struct RootOutput {
  bool wanted = false;
  std::unique_ptr<OutputFile> file;
};

// Collective: opens each (path, output) at rank 0, skipping empty paths.
absl::Status OpenAtRoot(const boost::mpi::communicator& comm,
                        std::initializer_list<std::pair<std::string, RootOutput*>> outputs) {
  absl::Status status;
  for (const auto& [path, out] : outputs) {
    out->wanted = !path.empty();
    if (!out->wanted || comm.rank() != 0 || !status.ok()) continue;
    auto file = OutputFile::Open(path);
    if (file.ok()) {
      out->file = std::move(*file);
    } else {
      status = file.status();
    }
  }
  return AgreeOnStatus(comm, status);
}

// Collective: commits every wanted output at rank 0 (after `status`, the
// run's own, when OK).
absl::Status CommitAtRoot(const boost::mpi::communicator& comm, absl::Status status,
                          std::initializer_list<RootOutput*> outputs) {
  if (comm.rank() == 0) {
    for (RootOutput* out : outputs) {
      if (out->file != nullptr && status.ok()) status = out->file->Commit();
    }
  }
  return AgreeOnStatus(comm, status);
}

// Collective: this rank's block, with the pipeline's warnings and size line.
absl::StatusOr<CorpusBlock> ReadBlock(const boost::mpi::communicator& comm,
                                      const CorpusOptions& options, const LoadedModel* vocabularies,
                                      bool reverse, const Logger& log) {
  const auto start = std::chrono::steady_clock::now();
  const CorpusReadOptions read = ReadOptionsFor(options, vocabularies, reverse);
  ASSIGN_OR_RETURN(CorpusBlock block, ReadCorpusBlock(comm, options, read));
  for (const std::string& warning : UnusablePairWarnings(block.report, read)) {
    Log(log, "%s", warning);
  }
  if (reverse) {
    block.corpus.SwapSides();
    std::swap(block.total_source_tokens, block.total_target_tokens);
  }
  // Words are numbered: from now on ids are only spelled (A3, -p, model
  // files), never looked up.
  block.corpus.mutable_source_vocabulary().DropLookup();
  block.corpus.mutable_target_vocabulary().DropLookup();
  Log(log,
      "read %d pairs (%d source, %d target tokens; %d and %d word types) in %.2fs on %d ranks "
      "(largest block %d pairs)",
      block.total_lines, block.total_source_tokens, block.total_target_tokens,
      block.corpus.source_vocabulary().size() - 1, block.corpus.target_vocabulary().size() - 1,
      SecondsSince(start), comm.size(), (block.total_lines + comm.size() - 1) / comm.size());
  return block;
}

// Collective: the sizes the benchmark reads (scripts/benchmark_mpi.sh).
void LogTableSizes(const boost::mpi::communicator& comm, const DistributedModel& trained,
                   double seconds, const Logger& log) {
  const ShardedTranslationTable& sharded = *trained.sharded_table;
  const int64_t owned = static_cast<int64_t>(sharded.num_owned_entries());
  const int64_t largest_local = Max(comm, static_cast<int64_t>(sharded.local().num_entries()));
  const int64_t largest_owned = Max(comm, owned);
  const int64_t total_entries = Sum(comm, owned);
  const int64_t largest_bytes = Max(comm, static_cast<int64_t>(sharded.bytes_sent_per_iteration()));
  Log(log,
      "trained in %.2fs; table entries: %d in all, largest rank %d local and %d owned; "
      "largest rank sends %d bytes per iteration",
      seconds, total_entries, largest_local, largest_owned, largest_bytes);
}

// Collective: `aligner align` and `train` (RunAlign of the pipeline), each
// rank training on and aligning its block.
absl::Status RunAlign(const boost::mpi::communicator& comm, const AlignOptions& options,
                      const Logger& log) {
  // A checkpoint to resume from: every rank loads it (its vocabularies
  // number the corpus's words, as in one process) and keeps of its table
  // only the probabilities of the entries it holds.
  std::unique_ptr<LoadedModel> resume;
  if (!options.resume.empty()) {
    absl::StatusOr<LoadedModel> checkpoint = LoadCheckpoint(options);
    RETURN_IF_ERROR(AgreeOnStatus(comm, checkpoint.status()));
    resume = std::make_unique<LoadedModel>(std::move(*checkpoint));
  }
  // A loaded model brings its direction, casing and vocabularies; every
  // rank loads it (aligning new text needs the whole table on each).
  std::unique_ptr<LoadedModel> loaded;
  CorpusOptions corpus_options = options.corpus;
  if (!options.load_model.empty()) {
    absl::StatusOr<LoadedModel> model = LoadModel(options.load_model);
    RETURN_IF_ERROR(AgreeOnStatus(comm, model.status()));
    loaded = std::make_unique<LoadedModel>(std::move(*model));
    if (options.reverse != loaded->metadata.reverse) {
      Log(log, "note: %s was trained in the %s direction; aligning in that direction",
          options.load_model, loaded->metadata.reverse ? "reverse" : "forward");
    }
    UseModelCorpusOptions(loaded->metadata, &corpus_options);
  }
  const bool reverse = loaded ? loaded->metadata.reverse : options.reverse;
  ASSIGN_OR_RETURN(
      CorpusBlock block,
      ReadBlock(comm, corpus_options, loaded ? loaded.get() : resume.get(), reverse, log));
  const ParallelCorpus& corpus = block.corpus;

  EmTrainer trainer(corpus, options.threads);
  DistributedModel trained;
  if (!loaded) {
    const auto start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(const TrainingOptions training, ResolveDefaults(options.training, false));
    // The run is the whole corpus's, as one process fingerprints it.
    const ModelMetadata checkpoint_metadata =
        CheckpointMetadata(WholeCorpusFingerprint(comm, block), block.total_lines, options);
    TrainingCheckpoint resume_at;
    std::unique_ptr<AlignmentModel> resume_model;
    if (resume) {
      RETURN_IF_ERROR(AgreeOnStatus(
          comm, CheckResumeFingerprint(options.resume, resume->metadata.run_fingerprint,
                                       checkpoint_metadata.run_fingerprint)));
      resume_at = {resume->metadata.checkpoint_stage, resume->metadata.checkpoint_iteration};
      Log(log, "%s", ResumeNote(options, *resume));
      resume_model = std::move(resume->model);
      resume.reset();
    }
    // Rank 0 writes each checkpoint from the gathered table: the file one
    // process writes (atomically, as there).
    DistributedCheckpointWriter checkpoint;
    if (!options.checkpoint.empty()) {
      checkpoint = [&](const AlignmentModel& m, const TranslationTable& whole,
                       const TrainingCheckpoint& done) -> absl::Status {
        if (comm.rank() != 0) return absl::OkStatus();
        ModelMetadata metadata = checkpoint_metadata;
        metadata.checkpoint_stage = done.stage;
        metadata.checkpoint_iteration = done.iteration;
        return SaveModelWithTable(m, whole, corpus.source_vocabulary(), corpus.target_vocabulary(),
                                  metadata, options.checkpoint);
      };
    }
    absl::StatusOr<DistributedModel> model = DistributedTrainModel(
        comm, corpus, training, &trainer,
        [&](const IterationReport& r) { Log(log, "%s", FormatIterationReport(r)); }, checkpoint,
        std::move(resume_model), resume_at);
    RETURN_IF_ERROR(AgreeOnStatus(comm, model.status()));
    trained = std::move(*model);
    trainer.ReleaseCounts();
    LogTableSizes(comm, trained, SecondsSince(start), log);
  }
  const AlignmentModel& model = loaded ? *loaded->model : *trained.model;

  // The outputs are opened (at rank 0) only now: their paths were checked
  // before any work (ValidateAlignOptions), and a job killed while training
  // leaves no temporary file behind, whatever time mpirun gives the other
  // ranks to clean up.
  RootOutput output, a3_output, ttable_output, model_output, posteriors_output;
  RETURN_IF_ERROR(OpenAtRoot(comm, {{options.output, &output},
                                    {options.a3_output, &a3_output},
                                    {options.ttable_output, &ttable_output},
                                    {options.model_output, &model_output},
                                    {options.posteriors_output, &posteriors_output}}));

  if (output.wanted || a3_output.wanted || posteriors_output.wanted) {
    const auto start = std::chrono::steady_clock::now();
    DecodeOptions decode;
    decode.reverse = reverse;
    decode.posterior_threshold = options.posterior_threshold.value_or(-1);
    decode.link_posteriors = posteriors_output.wanted;
    std::string links, posteriors, a3;
    trainer.Run([&] {
      DecodeCorpus(model, corpus, decode, [&](size_t k, const DecodedPair& pair) {
        if (output.wanted) links += PharaohLine(pair.links, options.print_scores, pair.log_prob);
        if (posteriors_output.wanted) posteriors += PosteriorsLine(pair.link_posteriors);
        if (a3_output.wanted) {
          a3 += FormatA3Entry(MakeA3Entry(block.first_line + k + 1, corpus.pair(k),
                                          corpus.source_vocabulary(), corpus.target_vocabulary(),
                                          pair.alignment, pair.log_prob));
        }
      });
    });
    if (output.wanted) WriteInRankOrder(comm, links, output.file.get());
    if (posteriors_output.wanted) WriteInRankOrder(comm, posteriors, posteriors_output.file.get());
    if (a3_output.wanted) WriteInRankOrder(comm, a3, a3_output.file.get());
    Log(log, "aligned in %.2fs", SecondsSince(start));
  }

  absl::Status status;
  if (ttable_output.wanted || model_output.wanted) {
    // Rank 0 alone holds the whole trained table, only now, for writing it.
    if (!loaded) {
      TranslationTable whole = trained.sharded_table->GatherAtRoot();
      if (comm.rank() == 0) *trained.local_table = std::move(whole);
    }
    if (comm.rank() == 0 && ttable_output.wanted) {
      WriteTranslationTable(model.translation_table(), corpus.source_vocabulary(),
                            corpus.target_vocabulary(), options.ttable_format,
                            options.ttable_min_prob, ttable_output.file.get());
    }
    if (comm.rank() == 0 && model_output.wanted) {
      ModelWriter writer;
      status = WriteModel(model, corpus.source_vocabulary(), corpus.target_vocabulary(),
                          MetadataFor(options), &writer);
      if (status.ok()) model_output.file->Write(writer.Serialize());
    }
  }
  // Everything is complete: only now do the files get their names.
  return CommitAtRoot(comm, status,
                      {&output, &a3_output, &ttable_output, &model_output, &posteriors_output});
}

// Collective: `symmetric` by agreement (the pipeline's RunByAgreement), both
// directions trained together with two sharded tables.
absl::Status RunByAgreement(const boost::mpi::communicator& comm, const SymmetricOptions& options,
                            const Logger& log) {
  ASSIGN_OR_RETURN(const TrainingOptions training, ResolveDefaults(options.training, true));
  const SymmetricPaths paths = SymmetricOutputPaths(options);

  ASSIGN_OR_RETURN(const CorpusBlock block, ReadBlock(comm, options.corpus, nullptr, false, log));
  const ParallelCorpus& corpus = block.corpus;
  ParallelCorpus reverse_corpus = corpus;
  reverse_corpus.SwapSides();

  AgreementTrainer trainer(corpus, reverse_corpus, options.threads, options.agreement_options);
  const auto train_start = std::chrono::steady_clock::now();
  absl::StatusOr<DistributedAgreementModels> models = DistributedTrainByAgreement(
      comm, corpus, reverse_corpus, training, &trainer,
      [&](const AgreementIterationReport& r) { Log(log, "%s", FormatAgreementReport(r)); });
  RETURN_IF_ERROR(AgreeOnStatus(comm, models.status()));
  Log(log, "trained both directions in %.2fs", SecondsSince(train_start));
  trainer.ReleaseCounts();
  // Opened only now, as in RunAlign.
  RootOutput forward_output, reverse_output, agreement_output;
  RETURN_IF_ERROR(OpenAtRoot(comm, {{paths.forward, &forward_output},
                                    {paths.reverse, &reverse_output},
                                    {paths.agreement, &agreement_output}}));

  const auto decode_start = std::chrono::steady_clock::now();
  const DecodeOptions decode = AgreementDecodeOptions(options);
  std::string forward_links, reverse_links, agreement_links;
  trainer.Run([&] {
    DecodeByAgreement(
        *models->forward.model, *models->reverse.model, corpus, reverse_corpus, decode,
        options.agreement_threshold,
        [&](size_t, const AgreementDecodedPair& pair) {
          forward_links +=
              PharaohLine(pair.forward.links, options.print_scores, pair.forward.log_prob);
          reverse_links +=
              PharaohLine(pair.reverse.links, options.print_scores, pair.reverse.log_prob);
          agreement_links += PharaohLine(pair.agreement, false, 0);
        },
        nullptr, trainer.forward_fertility(), trainer.reverse_fertility(),
        options.agreement_options.fertility_sweeps);
  });
  WriteInRankOrder(comm, forward_links, forward_output.file.get());
  WriteInRankOrder(comm, reverse_links, reverse_output.file.get());
  WriteInRankOrder(comm, agreement_links, agreement_output.file.get());
  Log(log, "aligned in %.2fs", SecondsSince(decode_start));
  RETURN_IF_ERROR(
      CommitAtRoot(comm, absl::OkStatus(), {&forward_output, &reverse_output, &agreement_output}));
  absl::Status status;
  if (comm.rank() == 0) {
    status = SymmetrizeFiles(paths.forward, paths.reverse, options.heuristic, paths.combined);
  }
  RETURN_IF_ERROR(AgreeOnStatus(comm, status));
  Log(log, "wrote %s, %s, %s and %s", paths.forward, paths.reverse, paths.combined,
      paths.agreement);
  return absl::OkStatus();
}

// Collective: `symmetric` (the pipeline's RunSymmetric); without agreement
// the two directions one after the other, each on every rank.
absl::Status RunSymmetric(const boost::mpi::communicator& comm, const SymmetricOptions& options,
                          const Logger& log) {
  if (options.agreement) return RunByAgreement(comm, options, log);
  const AlignOptions forward = DirectionOptions(options, false);
  const AlignOptions reverse = DirectionOptions(options, true);
  RETURN_IF_ERROR(RunAlign(comm, forward, log));
  RETURN_IF_ERROR(RunAlign(comm, reverse, log));
  const std::string combined = SymmetricOutputPaths(options).combined;
  absl::Status status;
  if (comm.rank() == 0) {
    status = SymmetrizeFiles(forward.output, reverse.output, options.heuristic, combined);
  }
  RETURN_IF_ERROR(AgreeOnStatus(comm, status));
  Log(log, "wrote %s, %s and %s", forward.output, reverse.output, combined);
  return absl::OkStatus();
}

void OnFatalSignal(int signal) {
  RemovePendingOutputFiles();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

}  // namespace
}  // namespace aligner::mpi

int main(int argc, char** argv) {
  using namespace aligner;  // NOLINT
  MapLargeBlocksOnTheirOwn();
  boost::mpi::environment environment(argc, argv);
  boost::mpi::communicator world;
  const bool root = world.rank() == 0;
  if (argc < 2) {
    if (root) std::fputs(mpi::kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    if (root) std::fputs(mpi::kUsage, stdout);
    return 0;
  }
  // mpirun ends the other ranks with SIGTERM when one dies: no half-written
  // output under a temporary name is left behind.
  std::signal(SIGINT, mpi::OnFatalSignal);
  std::signal(SIGTERM, mpi::OnFatalSignal);
  std::signal(SIGHUP, mpi::OnFatalSignal);
  // Subcommands see their own name as argv[0], as in `aligner` (model files
  // record the same command line).
  const auto align = [&world](const AlignOptions& options, const Logger& log) {
    return mpi::RunAlign(world, options, log);
  };
  if (command == "align") {
    return mpi::RunParsed(world, "align", cli::ParseAlign(argc - 1, argv + 1), align);
  }
  if (command == "train") {
    return mpi::RunParsed(world, "train", cli::ParseTrain(argc - 1, argv + 1), align);
  }
  if (command == "symmetric") {
    return mpi::RunParsed(world, "symmetric", cli::ParseSymmetric(argc - 1, argv + 1),
                          [&world](const SymmetricOptions& options, const Logger& log) {
                            return mpi::RunSymmetric(world, options, log);
                          });
  }
  if (root) {
    std::fprintf(stderr, "aligner-mpi: unknown command '%s'\n\n%s", command.c_str(), mpi::kUsage);
  }
  return 2;
}
