// aligner-mpi: `aligner align | train | symmetric` across MPI processes,
//   mpirun -np N aligner-mpi align --source corpus.fr --target corpus.en -d -o -v > out
// Each rank reads one block of the corpus; the translation table is sharded
// by source word; outputs are bit-identical to `aligner`'s.
//
// This driver parses a copy of `aligner`'s options for the commands it
// supports until the command-line front end offers its parsing for reuse.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/decode/decoder.h"
#include "aligner/io/giza.h"
#include "aligner/io/output_file.h"
#include "aligner/io/pharaoh.h"
#include "aligner/model/hmm_model.h"
#include "aligner/model/model_io.h"
#include "aligner/model/positional_model.h"
#include "aligner/mpi/block_corpus.h"
#include "aligner/mpi/collectives.h"
#include "aligner/mpi/distributed_training.h"
#include "aligner/tools/symmetrize.h"
#include "aligner/train/agreement_trainer.h"
#include "aligner/train/em_trainer.h"
#include "aligner/train/training.h"
#include "boost/mpi/communicator.hpp"
#include "boost/mpi/environment.hpp"
#include "boost/program_options.hpp"

namespace aligner::mpi {
namespace {

namespace po = boost::program_options;

constexpr char kUsage[] =
    "usage: mpirun -np N aligner-mpi <command> [options]\n"
    "\n"
    "commands (the options of `aligner <command>`):\n"
    "  align      train on a corpus and write its alignment\n"
    "  train      train and save a model file (--model-file)\n"
    "  symmetric  train and align both directions, write OUT.forward, OUT.reverse and the\n"
    "             symmetrized alignment\n"
    "\n"
    "Not yet under MPI: --checkpoint, --resume.\n";

template <typename... Args>
void Log(const boost::mpi::communicator& comm, const char* command,
         const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (comm.rank() != 0) return;
  std::fprintf(stderr, "aligner-mpi %s: %s\n", command, absl::StrFormat(format, args...).c_str());
}

int Fail(const boost::mpi::communicator& comm, const char* command, const absl::Status& status) {
  if (comm.rank() == 0) {
    std::fprintf(stderr, "aligner-mpi %s: error: %s\n", command,
                 std::string(status.message()).c_str());
  }
  return 1;
}

int UsageError(const boost::mpi::communicator& comm, const char* command,
               const std::string& message) {
  if (comm.rank() == 0) {
    std::fprintf(stderr, "aligner-mpi %s: %s\nRun 'aligner %s --help' for the options.\n",
                 command, message.c_str(), command);
  }
  return 2;
}

class Stopwatch {
 public:
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

struct Flags {
  std::string input, source, target, output = "-", a3_output, ttable_output;
  std::string ttable_format = "fast_align";
  std::string model;
  bool favor_diagonal = false, reverse = false, optimize_tension = false;
  bool variational_bayes = false, no_null = false, print_scores = false;
  bool lowercase = false, quiet = false, optimize_p0 = false;
  int iterations = 5, model1_iterations = -1, threads = 0;
  double tension = 4.0, p0 = 0.2, alpha = 0.01, posterior_threshold = -1;
  double ttable_min_prob = 1e-7;
  HmmOptions hmm;
  size_t max_sentence_length = 1000;
  std::string save_model, load_model, checkpoint, resume, posteriors_output;
  std::string prefix, heuristic = "grow-diag-final-and";
  bool output_given = false, agreement = false;
  double agreement_threshold = 0.1;  // aligner's kDefaultAgreementThreshold
  std::string agreement_null = "rest";
  bool agreement_options_given = false;
  std::string command_line;
};

// `aligner`'s checks of the training options (align_command.cc).
int CheckTrainingFlags(const boost::mpi::communicator& comm, const Flags& flags,
                       const char* command, TrainingOptions* training) {
  if (!flags.model.empty()) {
    auto kind = ParseModelKind(flags.model);
    if (!kind.ok()) return UsageError(comm, command, std::string(kind.status().message()));
    training->model = *kind;
  } else {
    training->model = flags.favor_diagonal ? ModelKind::kDiagonal : ModelKind::kModel1;
  }
  training->iterations = flags.iterations;
  training->model1_iterations = flags.model1_iterations;
  training->use_null = !flags.no_null;
  training->prior.variational_bayes = flags.variational_bayes;
  training->prior.alpha = flags.alpha;
  training->diagonal.tension = flags.tension;
  training->diagonal.p0 = flags.p0;
  training->diagonal.optimize_tension = flags.optimize_tension;
  training->diagonal.optimize_p0 = flags.optimize_p0;
  training->hmm = flags.hmm;
  if (absl::Status s = ValidateTrainingOptions(*training); !s.ok()) {
    return UsageError(comm, command, std::string(s.message()));
  }
  if (flags.threads < 0) return UsageError(comm, command, "--threads must be >= 0");
  if (flags.input.empty() == (flags.source.empty() && flags.target.empty())) {
    return UsageError(comm, command, "give either -i FILE or both --source FILE and --target FILE");
  }
  if (flags.input.empty() && (flags.source.empty() || flags.target.empty())) {
    return UsageError(comm, command, "--source and --target go together");
  }
  if (flags.max_sentence_length == 0 || flags.max_sentence_length > 0x7fffffff) {
    return UsageError(comm, command, "--max-sentence-length must be in [1, 2147483647]");
  }
  if (!flags.checkpoint.empty() || !flags.resume.empty()) {
    return UsageError(comm, command,
                      "--checkpoint and --resume are not supported by aligner-mpi yet");
  }
  return 0;
}

void WarnAboutInput(const boost::mpi::communicator& comm, const char* command,
                    const CorpusReport& report) {
  if (report.malformed_lines > 0) {
    Log(comm, command,
        "warning: %d lines have no ' ||| ' separator (or more than one), first at line %d; "
        "their output lines are empty",
        report.malformed_lines, report.first_malformed_line);
  }
  if (report.empty_pairs > 0) {
    Log(comm, command, "warning: %d pairs have an empty side; their output lines are empty",
        report.empty_pairs);
  }
  if (report.too_long_pairs > 0) {
    Log(comm, command,
        "warning: %d pairs have a side longer than --max-sentence-length, first at line %d; "
        "they are not trained on and their output lines are empty",
        report.too_long_pairs, report.first_too_long_line);
  }
}

std::string PharaohLine(const SentenceLinks& links, bool print_scores, double log_prob) {
  std::string line = FormatPharaoh(links);
  if (print_scores) absl::StrAppend(&line, " ||| ", log_prob);
  line.push_back('\n');
  return line;
}

// An output file open at rank 0 only; `wanted` on every rank.
struct RootOutput {
  bool wanted = false;
  std::unique_ptr<OutputFile> file;
};

absl::Status OpenAtRoot(const boost::mpi::communicator& comm, const std::string& path,
                        RootOutput* out) {
  out->wanted = !path.empty();
  if (!out->wanted || comm.rank() != 0) return absl::OkStatus();
  auto file = OutputFile::Open(path);
  if (!file.ok()) return file.status();
  out->file = std::move(*file);
  return absl::OkStatus();
}

int Run(const boost::mpi::communicator& comm, const Flags& flags, bool train_mode,
        const char* command) {
  TrainingOptions training;
  if (int status = CheckTrainingFlags(comm, flags, command, &training); status != 0) {
    return status;
  }
  TranslationTableFormat ttable_format;
  if (flags.ttable_format == "fast_align") {
    ttable_format = TranslationTableFormat::kFastAlign;
  } else if (flags.ttable_format == "prob") {
    ttable_format = TranslationTableFormat::kProbability;
  } else {
    return UsageError(comm, command, "--ttable-format must be fast_align or prob");
  }
  if (train_mode && flags.save_model.empty()) {
    return UsageError(comm, command, "give --model-file FILE to write the trained model to");
  }
  if (train_mode && !flags.load_model.empty()) {
    return UsageError(comm, command, "--load-model is for 'aligner align'");
  }

  // Outputs first (at rank 0), so an unwritable path fails before training.
  RootOutput output, a3_output, ttable_output, model_output, posteriors_output;
  absl::Status status;
  for (auto [path, out] :
       {std::pair{train_mode && !flags.output_given ? std::string() : flags.output, &output},
        std::pair{flags.a3_output, &a3_output}, std::pair{flags.ttable_output, &ttable_output},
        std::pair{flags.save_model, &model_output},
        std::pair{flags.posteriors_output, &posteriors_output}}) {
    if (status.ok()) status = OpenAtRoot(comm, path, out);
  }
  status = AgreeOnStatus(comm, status);
  if (!status.ok()) return Fail(comm, command, status);

  // A loaded model brings its direction, casing and vocabularies; every
  // rank loads it (aligning new text needs the whole table on each).
  std::unique_ptr<LoadedModel> loaded;
  if (!flags.load_model.empty()) {
    auto model = LoadModel(flags.load_model);
    status = AgreeOnStatus(comm, model.status());
    if (!status.ok()) return Fail(comm, command, status);
    loaded = std::make_unique<LoadedModel>(std::move(*model));
    if (flags.reverse != loaded->metadata.reverse && !flags.quiet) {
      Log(comm, command, "note: %s was trained in the %s direction; aligning in that direction",
          flags.load_model, loaded->metadata.reverse ? "reverse" : "forward");
    }
  }
  const bool reverse = loaded ? loaded->metadata.reverse : flags.reverse;

  Stopwatch read_clock;
  CorpusReadOptions read_options;
  read_options.lowercase = loaded ? loaded->metadata.lowercase : flags.lowercase;
  read_options.max_sentence_length =
      loaded ? loaded->metadata.max_sentence_length : flags.max_sentence_length;
  if (loaded) {
    // Known words keep their ids; the corpus is swapped after reading.
    read_options.source_vocabulary =
        reverse ? &loaded->target_vocabulary : &loaded->source_vocabulary;
    read_options.target_vocabulary =
        reverse ? &loaded->source_vocabulary : &loaded->target_vocabulary;
  }
  CorpusFiles files{flags.input, flags.source, flags.target};
  absl::StatusOr<CorpusBlock> block = ReadCorpusBlock(comm, files, read_options);
  if (!block.ok()) return Fail(comm, command, block.status());
  WarnAboutInput(comm, command, block->report);
  ParallelCorpus& corpus = block->corpus;
  if (reverse) corpus.SwapSides();
  if (!flags.quiet) {
    const int64_t source_tokens = reverse ? block->total_target_tokens
                                          : block->total_source_tokens;
    const int64_t target_tokens = reverse ? block->total_source_tokens
                                          : block->total_target_tokens;
    Log(comm, command,
        "read %d pairs (%d source, %d target tokens; %d and %d word types) in %.2fs on %d "
        "ranks (largest block %d pairs)",
        block->total_lines, source_tokens, target_tokens, corpus.source_vocabulary().size() - 1,
        corpus.target_vocabulary().size() - 1, read_clock.Seconds(), comm.size(),
        (block->total_lines + comm.size() - 1) / comm.size());
  }

  EmTrainer trainer(corpus, flags.threads);
  Stopwatch train_clock;
  absl::StatusOr<DistributedModel> trained = DistributedModel();
  if (!loaded) {
    trained = DistributedTrainModel(comm, corpus, training, &trainer,
                                    [&](const IterationReport& r) {
                                      if (!flags.quiet) {
                                        Log(comm, command, "%s", FormatIterationReport(r));
                                      }
                                    });
  }
  status = AgreeOnStatus(comm, trained.status());
  if (!status.ok()) return Fail(comm, command, status);
  const AlignmentModel& model = loaded ? *loaded->model : *trained->model;
  if (!flags.quiet && !loaded) {
    const int64_t largest_local =
        Max(comm, static_cast<int64_t>(trained->local_table->num_entries()));
    const int64_t largest_owned =
        Max(comm, static_cast<int64_t>(trained->sharded_table->owned().num_entries()));
    const int64_t total_entries =
        Sum(comm, static_cast<int64_t>(trained->sharded_table->owned().num_entries()));
    const int64_t largest_bytes =
        Max(comm, static_cast<int64_t>(trained->sharded_table->bytes_sent_per_iteration()));
    Log(comm, command,
        "trained in %.2fs; table entries: %d in all, largest rank %d local and %d owned; "
        "largest rank sends %d bytes per iteration",
        train_clock.Seconds(), total_entries, largest_local, largest_owned, largest_bytes);
  }

  if (output.wanted || a3_output.wanted || posteriors_output.wanted) {
    Stopwatch decode_clock;
    DecodeOptions decode;
    decode.reverse = reverse;
    decode.posterior_threshold = flags.posterior_threshold;
    decode.link_posteriors = posteriors_output.wanted;
    std::string links_text, a3_text, posteriors_text;
    trainer.Run([&] {
      DecodeCorpus(model, corpus, decode, [&](size_t k, const DecodedPair& pair) {
        if (output.wanted) links_text += PharaohLine(pair.links, flags.print_scores, pair.log_prob);
        if (posteriors_output.wanted) {
          for (size_t n = 0; n < pair.link_posteriors.size(); ++n) {
            absl::StrAppend(&posteriors_text, n > 0 ? " " : "",
                            absl::StrFormat("%.6g", pair.link_posteriors[n]));
          }
          posteriors_text.push_back('\n');
        }
        if (a3_output.wanted) {
          a3_text += FormatA3Entry(MakeA3Entry(block->first_line + k + 1, corpus.pair(k),
                                               corpus.source_vocabulary(),
                                               corpus.target_vocabulary(), pair.alignment,
                                               pair.log_prob));
        }
      });
    });
    if (output.wanted) WriteInRankOrder(comm, links_text, output.file.get());
    if (posteriors_output.wanted) {
      WriteInRankOrder(comm, posteriors_text, posteriors_output.file.get());
    }
    if (a3_output.wanted) WriteInRankOrder(comm, a3_text, a3_output.file.get());
    if (!flags.quiet) Log(comm, command, "aligned in %.2fs", decode_clock.Seconds());
  }

  if (ttable_output.wanted || model_output.wanted) {
    // Rank 0 alone holds the whole trained table, only now, for writing it.
    TranslationTable whole;
    if (!loaded) whole = trained->sharded_table->GatherAtRoot();
    if (comm.rank() == 0) {
      if (!loaded) *trained->local_table = std::move(whole);
      const TranslationTable* table = nullptr;
      if (const auto* m = dynamic_cast<const PositionalModel*>(&model)) {
        table = &m->translation_table();
      } else if (const auto* m = dynamic_cast<const HmmModel*>(&model)) {
        table = &m->translation_table();
      }
      if (ttable_output.wanted && table == nullptr) {
        status = absl::UnimplementedError("this model has no translation table");
      } else if (ttable_output.wanted) {
        WriteTranslationTable(*table, corpus.source_vocabulary(),
                              corpus.target_vocabulary(), ttable_format, flags.ttable_min_prob,
                              ttable_output.file.get());
      }
      if (model_output.wanted && status.ok()) {
        ModelMetadata metadata;
        metadata.reverse = flags.reverse;
        metadata.lowercase = flags.lowercase;
        metadata.max_sentence_length = flags.max_sentence_length;
        metadata.training_options = flags.command_line;
        ModelWriter writer;
        status = WriteModel(model, corpus.source_vocabulary(), corpus.target_vocabulary(),
                            metadata, &writer);
        if (status.ok()) model_output.file->Write(writer.Serialize());
      }
    }
  }
  // Everything is complete: only now do the files get their names.
  if (comm.rank() == 0) {
    for (RootOutput* out :
         {&output, &a3_output, &ttable_output, &model_output, &posteriors_output}) {
      if (out->file != nullptr && status.ok()) status = out->file->Commit();
    }
  }
  status = AgreeOnStatus(comm, status);
  if (!status.ok()) return Fail(comm, command, status);
  return 0;
}

// `symmetric --agreement`: both directions trained together, as aligner's
// RunAgreement, writing OUT.forward, OUT.reverse, OUT.agreement and the
// symmetrized file.
int RunAgreement(const boost::mpi::communicator& comm, const Flags& flags,
                 SymmetrizationHeuristic heuristic) {
  constexpr char kCommand[] = "symmetric";
  TrainingOptions training;
  if (int status = CheckTrainingFlags(comm, flags, kCommand, &training); status != 0) {
    return status;
  }
  if (flags.variational_bayes) {
    return UsageError(comm, kCommand, "--agreement does not work with -v (variational Bayes)");
  }
  AgreementOptions agreement;
  if (flags.agreement_null == "rest") {
    agreement.null = AgreementNull::kRest;
  } else if (flags.agreement_null == "own") {
    agreement.null = AgreementNull::kOwn;
  } else {
    return UsageError(comm, kCommand, "--agreement-null must be rest or own");
  }
  if (!(flags.agreement_threshold > 0 && flags.agreement_threshold <= 1)) {
    return UsageError(comm, kCommand, "--agreement-threshold must be in (0, 1]");
  }
  const std::string forward_path = flags.prefix + ".forward";
  const std::string reverse_path = flags.prefix + ".reverse";
  const std::string agreement_path = flags.prefix + ".agreement";
  const std::string combined_path = flags.prefix + "." + std::string(HeuristicName(heuristic));
  RootOutput forward_output, reverse_output, agreement_output;
  absl::Status status = OpenAtRoot(comm, forward_path, &forward_output);
  if (status.ok()) status = OpenAtRoot(comm, reverse_path, &reverse_output);
  if (status.ok()) status = OpenAtRoot(comm, agreement_path, &agreement_output);
  status = AgreeOnStatus(comm, status);
  if (!status.ok()) return Fail(comm, kCommand, status);

  CorpusReadOptions read_options;
  read_options.lowercase = flags.lowercase;
  read_options.max_sentence_length = flags.max_sentence_length;
  absl::StatusOr<CorpusBlock> block =
      ReadCorpusBlock(comm, CorpusFiles{flags.input, flags.source, flags.target}, read_options);
  if (!block.ok()) return Fail(comm, kCommand, block.status());
  WarnAboutInput(comm, kCommand, block->report);
  const ParallelCorpus& corpus = block->corpus;
  ParallelCorpus reverse_corpus = corpus;
  reverse_corpus.SwapSides();

  AgreementTrainer trainer(corpus, reverse_corpus, flags.threads, agreement);
  Stopwatch train_clock;
  auto models = DistributedTrainByAgreement(comm, corpus, reverse_corpus, training, &trainer,
                                            [&](const AgreementIterationReport& r) {
                                              if (!flags.quiet) {
                                                Log(comm, kCommand, "%s", FormatAgreementReport(r));
                                              }
                                            });
  status = AgreeOnStatus(comm, models.status());
  if (!status.ok()) return Fail(comm, kCommand, status);
  if (!flags.quiet) Log(comm, kCommand, "trained both directions in %.2fs", train_clock.Seconds());

  DecodeOptions decode;
  decode.posterior_threshold = flags.posterior_threshold;
  std::string forward_text, reverse_text, agreement_text;
  trainer.Run([&] {
    DecodeByAgreement(*models->forward.model, *models->reverse.model, corpus, reverse_corpus,
                      decode, flags.agreement_threshold,
                      [&](size_t, const AgreementDecodedPair& pair) {
                        forward_text += PharaohLine(pair.forward.links, flags.print_scores,
                                                    pair.forward.log_prob);
                        reverse_text += PharaohLine(pair.reverse.links, flags.print_scores,
                                                    pair.reverse.log_prob);
                        agreement_text += PharaohLine(pair.agreement, false, 0);
                      });
  });
  WriteInRankOrder(comm, forward_text, forward_output.file.get());
  WriteInRankOrder(comm, reverse_text, reverse_output.file.get());
  WriteInRankOrder(comm, agreement_text, agreement_output.file.get());
  if (comm.rank() == 0) {
    for (RootOutput* out : {&forward_output, &reverse_output, &agreement_output}) {
      if (status.ok()) status = out->file->Commit();
    }
    if (status.ok()) status = SymmetrizeFiles(forward_path, reverse_path, heuristic, combined_path);
  }
  status = AgreeOnStatus(comm, status);
  if (!status.ok()) return Fail(comm, kCommand, status);
  Log(comm, kCommand, "wrote %s, %s, %s and %s", forward_path, reverse_path, combined_path,
      agreement_path);
  return 0;
}

int RunSymmetric(const boost::mpi::communicator& comm, const Flags& flags) {
  constexpr char kCommand[] = "symmetric";
  if (flags.prefix.empty()) return UsageError(comm, kCommand, "give --prefix PATH for the outputs");
  if (!flags.save_model.empty() || !flags.load_model.empty() || !flags.ttable_output.empty() ||
      !flags.a3_output.empty() || !flags.checkpoint.empty() || !flags.resume.empty() ||
      !flags.posteriors_output.empty() || flags.output_given || flags.reverse) {
    return UsageError(comm, kCommand,
                      "symmetric writes alignments only: use 'align' or 'train' for -r, "
                      "--output, model files, tables and checkpoints");
  }
  auto heuristic = ParseHeuristic(flags.heuristic);
  if (!heuristic.ok()) {
    return UsageError(comm, kCommand, std::string(heuristic.status().message()));
  }
  if (flags.agreement) return RunAgreement(comm, flags, *heuristic);
  if (flags.agreement_options_given) {
    return UsageError(comm, kCommand, "--agreement-threshold and --agreement-null need --agreement");
  }
  // The two directions one after the other, each on every rank.
  Flags forward = flags, reverse = flags;
  forward.output = flags.prefix + ".forward";
  reverse.output = flags.prefix + ".reverse";
  reverse.reverse = true;
  if (int s = Run(comm, forward, false, "symmetric (forward)"); s != 0) return s;
  if (int s = Run(comm, reverse, false, "symmetric (reverse)"); s != 0) return s;
  const std::string combined = flags.prefix + "." + std::string(HeuristicName(*heuristic));
  absl::Status status;
  if (comm.rank() == 0) {
    status = SymmetrizeFiles(forward.output, reverse.output, *heuristic, combined);
  }
  status = AgreeOnStatus(comm, status);
  if (!status.ok()) return Fail(comm, kCommand, status);
  Log(comm, kCommand, "wrote %s, %s and %s", forward.output, reverse.output, combined);
  return 0;
}

enum class Mode { kAlign, kTrain, kSymmetric };

int ParseAndRun(const boost::mpi::communicator& comm, int argc, char** argv, Mode mode) {
  const char* kCommand =
      mode == Mode::kTrain ? "train" : mode == Mode::kAlign ? "align" : "symmetric";
  Flags f;
  for (int k = 0; k < argc; ++k) absl::StrAppend(&f.command_line, k > 0 ? " " : "", argv[k]);
  po::options_description options;
  options.add_options()
      ("input,i", po::value(&f.input), "")("source", po::value(&f.source), "")
      ("target", po::value(&f.target), "")("lowercase", po::bool_switch(&f.lowercase), "")
      ("max-sentence-length", po::value(&f.max_sentence_length)->default_value(1000), "")
      ("favor-diagonal,d", po::bool_switch(&f.favor_diagonal), "")
      ("model", po::value(&f.model), "")
      ("iterations,I", po::value(&f.iterations)->default_value(5), "")
      ("model1-iterations", po::value(&f.model1_iterations)->default_value(-1), "")
      ("reverse,r", po::bool_switch(&f.reverse), "")
      ("optimize-tension,o", po::bool_switch(&f.optimize_tension), "")
      ("diagonal-tension,T", po::value(&f.tension)->default_value(4.0), "")
      ("p0,q", po::value(&f.p0)->default_value(0.2), "")
      ("optimize-p0", po::bool_switch(&f.optimize_p0), "")
      ("hmm-p0", po::value(&f.hmm.null_probability)->default_value(f.hmm.null_probability), "")
      ("hmm-max-jump", po::value(&f.hmm.max_jump)->default_value(f.hmm.max_jump), "")
      ("hmm-jump-smoothing",
       po::value(&f.hmm.jump_smoothing)->default_value(f.hmm.jump_smoothing), "")
      ("hmm-diagonal-tension",
       po::value(&f.hmm.diagonal_tension)->default_value(f.hmm.diagonal_tension), "")
      ("variational-bayes,v", po::bool_switch(&f.variational_bayes), "")
      ("alpha,a", po::value(&f.alpha)->default_value(0.01), "")
      ("no-null-word,N", po::bool_switch(&f.no_null), "")
      ("threads", po::value(&f.threads)->default_value(0), "")
      ("output", po::value(&f.output)->default_value("-"), "")
      ("posterior-threshold", po::value(&f.posterior_threshold)->default_value(-1), "")
      ("print-scores,s", po::bool_switch(&f.print_scores), "")
      ("giza-a3", po::value(&f.a3_output), "")
      ("link-posteriors", po::value(&f.posteriors_output), "")
      ("output-parameters,p", po::value(&f.ttable_output), "")
      ("ttable-format", po::value(&f.ttable_format)->default_value("fast_align"), "")
      ("ttable-min-prob", po::value(&f.ttable_min_prob)->default_value(1e-7), "")
      ("model-file", po::value(&f.save_model), "")("load-model", po::value(&f.load_model), "")
      ("checkpoint", po::value(&f.checkpoint), "")("resume", po::value(&f.resume), "")
      ("prefix", po::value(&f.prefix), "")
      ("command,c", po::value(&f.heuristic)->default_value(f.heuristic), "")
      ("agreement", po::bool_switch(&f.agreement), "")
      ("agreement-threshold",
       po::value(&f.agreement_threshold)->default_value(f.agreement_threshold), "")
      ("agreement-null", po::value(&f.agreement_null)->default_value(f.agreement_null), "")
      ("quiet", po::bool_switch(&f.quiet), "")("help,h", "");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return UsageError(comm, kCommand, e.what());
  }
  if (vm.count("help")) {
    if (comm.rank() == 0) std::cout << kUsage;
    return 0;
  }
  f.output_given = !vm["output"].defaulted();
  f.agreement_options_given =
      !vm["agreement-threshold"].defaulted() || !vm["agreement-null"].defaulted();
  if (mode != Mode::kSymmetric && (f.agreement || f.agreement_options_given)) {
    return UsageError(comm, kCommand, "--agreement is for 'aligner symmetric'");
  }
  if (vm["alpha"].defaulted() && f.model == "hmm") f.alpha = kHmmDefaultAlpha;
  // aligner's defaults for the HMM by agreement (align_command.cc).
  if (f.agreement && f.model == "hmm") {
    if (f.model1_iterations < 0) f.model1_iterations = 2;
    if (vm["hmm-p0"].defaulted()) f.hmm.null_probability = 0.3;
  }
  if (!vm["posterior-threshold"].defaulted() &&
      !(f.posterior_threshold >= 0 && f.posterior_threshold <= 1)) {
    return UsageError(comm, kCommand, "--posterior-threshold must be in [0, 1]");
  }
  if (mode == Mode::kSymmetric) return RunSymmetric(comm, f);
  return Run(comm, f, mode == Mode::kTrain, kCommand);
}

void OnFatalSignal(int signal) {
  RemovePendingOutputFiles();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

}  // namespace
}  // namespace aligner::mpi

int main(int argc, char** argv) {
  boost::mpi::environment environment(argc, argv);
  boost::mpi::communicator world;
  if (argc < 2) {
    if (world.rank() == 0) std::fputs(aligner::mpi::kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    if (world.rank() == 0) std::fputs(aligner::mpi::kUsage, stdout);
    return 0;
  }
  // mpirun ends the other ranks with SIGTERM when one dies: no half-written
  // output under a temporary name is left behind.
  std::signal(SIGINT, aligner::mpi::OnFatalSignal);
  std::signal(SIGTERM, aligner::mpi::OnFatalSignal);
  std::signal(SIGHUP, aligner::mpi::OnFatalSignal);
  using aligner::mpi::Mode;
  Mode mode;
  if (command == "align") {
    mode = Mode::kAlign;
  } else if (command == "train") {
    mode = Mode::kTrain;
  } else if (command == "symmetric") {
    mode = Mode::kSymmetric;
  } else {
    if (world.rank() == 0) {
      std::fprintf(stderr, "aligner-mpi: unknown command '%s'\n\n%s", command.c_str(),
                   aligner::mpi::kUsage);
    }
    return 2;
  }
  // Subcommands see their own name as argv[0], as in `aligner`.
  return aligner::mpi::ParseAndRun(world, argc - 1, argv + 1, mode);
}
