// `aligner align`: train on a corpus and write its alignment, in one call,
// with fast_align's flags.
#include <iostream>
#include <memory>
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aligner/cli/cli_util.h"
#include "aligner/cli/commands.h"
#include "aligner/corpus/parallel_corpus.h"
#include "aligner/decode/decoder.h"
#include "aligner/io/giza.h"
#include "aligner/io/output_file.h"
#include "aligner/io/pharaoh.h"
#include "aligner/model/hmm_model.h"
#include "aligner/model/model_io.h"
#include "aligner/tools/symmetrize.h"
#include "aligner/model/positional_model.h"
#include "aligner/train/agreement_trainer.h"
#include "aligner/train/em_trainer.h"
#include "aligner/train/training.h"
#include "boost/program_options.hpp"

namespace aligner::cli {
namespace {

namespace po = boost::program_options;

// Links of PREFIX.agreement: combined posterior p1 p2 at least this. Chosen
// by AER with the HMM (Hansards 100k: 0.25 -> 0.0746, 0.15 -> 0.0723,
// 0.1 -> 0.0711, 0.05 -> 0.0714; cs-en and de-en test text alone prefer low
// values too, 0.05 slightly over 0.1).
constexpr double kDefaultAgreementThreshold = 0.1;

// The HMM trained by agreement starts from this many jointly trained IBM
// Model 1 iterations, and moves to NULL with this probability unless told
// otherwise. Chosen by grow-diag-final-and AER on three language pairs
// (Hansards fr-en 100k, cs-en and de-en test text alone), against the
// independent HMM's defaults (0 iterations, p0 0.5): Model 1 iterations
// 0 / 1 / 2 / 3 / 5 gave Hansards 0.0735 / 0.0701 / 0.0691 / 0.0723 / 0.0778
// and cs-en 0.3173 / 0.2804 / 0.2566 / 0.2558 / 0.2800 (more iterations
// overfit Model 1's translation table before the HMM sees it); with 2
// iterations, p0 0.5 / 0.3 / 0.2 gave Hansards 0.0691 / 0.0682 / 0.0703,
// cs-en 0.2566 / 0.2497 / 0.2480, de-en 0.3819 / 0.3722 / 0.3693. Agreement
// already hands the unagreed mass to NULL, so its HMMs need a smaller p0;
// the independent HMM keeps 0.5 (p0 0.2 costs it 0.021 AER on Hansards).
constexpr int kAgreementModel1Iterations = 2;
constexpr double kAgreementHmmP0 = 0.3;

struct AlignFlags {
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
  // For `symmetric`: where to write, and how to combine the two directions.
  std::string prefix, heuristic = "grow-diag-final-and";
  bool output_given = false;
  // `symmetric --agreement`: train both directions by agreement.
  bool agreement = false;
  double agreement_threshold = kDefaultAgreementThreshold;
  std::string agreement_null = "rest";
  bool agreement_options_given = false;
  std::string command_line;  // recorded in model files
};

void WarnAboutInput(const char* command, const CorpusReport& report) {
  if (report.malformed_lines > 0) {
    Log(command,
        "warning: %d lines have no ' ||| ' separator (or more than one), first at line %d; "
        "their output lines are empty",
        report.malformed_lines, report.first_malformed_line);
  }
  if (report.empty_pairs > 0) {
    Log(command, "warning: %d pairs have an empty side; their output lines are empty",
        report.empty_pairs);
  }
  if (report.too_long_pairs > 0) {
    Log(command,
        "warning: %d pairs have a side longer than --max-sentence-length, first at line %d; "
        "they are not trained on and their output lines are empty",
        report.too_long_pairs, report.first_too_long_line);
  }
}

// Opens an optional output file; null when `path` is empty.
absl::StatusOr<std::unique_ptr<OutputFile>> OpenOptional(const std::string& path) {
  if (path.empty()) return std::unique_ptr<OutputFile>();
  return OutputFile::Open(path);
}

// Reads the corpus the flags name, warns about its unusable lines, swaps its
// sides for a model of the reverse direction, and reports its size.
absl::StatusOr<ParallelCorpus> ReadCorpus(const AlignFlags& flags,
                                          const CorpusReadOptions& options, bool swap_sides,
                                          const char* command) {
  Stopwatch clock;
  CorpusReport report;
  absl::StatusOr<ParallelCorpus> corpus =
      flags.input.empty() ? ReadParallelFiles(flags.source, flags.target, options, &report)
                          : ReadBitext(flags.input, options, &report);
  if (!corpus.ok()) return corpus.status();
  WarnAboutInput(command, report);
  // Ids a loaded model knows words by must stay; fresh ones are free.
  if (options.source_vocabulary == nullptr && options.target_vocabulary == nullptr) {
    corpus->NumberWordsByFrequency();
  }
  if (swap_sides) corpus->SwapSides();
  if (!flags.quiet) {
    Log(command, "read %d pairs (%d source, %d target tokens; %d and %d word types) in %.2fs",
        corpus->size(), corpus->source_text().num_tokens(), corpus->target_text().num_tokens(),
        corpus->source_vocabulary().size() - 1, corpus->target_vocabulary().size() - 1,
        clock.Seconds());
  }
  return corpus;
}

// One output line of Pharaoh links, with the pair's score when asked for.
std::string PharaohLine(const SentenceLinks& links, bool print_scores, double log_prob) {
  std::string line = FormatPharaoh(links);
  if (print_scores) absl::StrAppend(&line, " ||| ", log_prob);
  line.push_back('\n');
  return line;
}

const TranslationTable* TranslationTableOf(const AlignmentModel& model) {
  if (const auto* m = dynamic_cast<const PositionalModel*>(&model)) return &m->translation_table();
  if (const auto* m = dynamic_cast<const HmmModel*>(&model)) return &m->translation_table();
  return nullptr;
}

ModelMetadata MetadataFor(const AlignFlags& flags) {
  ModelMetadata metadata;
  metadata.reverse = flags.reverse;
  metadata.lowercase = flags.lowercase;
  metadata.max_sentence_length = flags.max_sentence_length;
  metadata.training_options = flags.command_line;
  return metadata;
}

// Checks the options shared by every training command and fills
// `training`; returns 0, or the exit status of a usage error.
int CheckTrainingFlags(const AlignFlags& flags, const char* command, TrainingOptions* training) {
  if (!flags.model.empty()) {
    auto kind = ParseModelKind(flags.model);
    if (!kind.ok()) return UsageError(command, std::string(kind.status().message()));
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
    return UsageError(command, std::string(s.message()));
  }
  if (flags.threads < 0) return UsageError(command, "--threads must be >= 0");
  if (flags.posterior_threshold > 1) {
    return UsageError(command, "--posterior-threshold must be in [0, 1]");
  }
  if (flags.input.empty() == (flags.source.empty() && flags.target.empty())) {
    return UsageError(command, "give either -i FILE or both --source FILE and --target FILE");
  }
  if (flags.input.empty() && (flags.source.empty() || flags.target.empty())) {
    return UsageError(command, "--source and --target go together");
  }
  // Boost parses "-1" into a size_t as SIZE_MAX; positions are 32-bit.
  if (flags.max_sentence_length == 0 || flags.max_sentence_length > 0x7fffffff) {
    return UsageError(command, "--max-sentence-length must be in [1, 2147483647]");
  }
  return 0;
}

// `align` trains and aligns (or aligns with --load-model); `train` trains and
// saves a model file, aligning too when asked for an output.
int Run(const AlignFlags& flags, bool train_mode, const char* command) {
  // Check every option before any work.
  TrainingOptions training;
  if (int status = CheckTrainingFlags(flags, command, &training); status != 0) return status;
  TranslationTableFormat ttable_format;
  if (flags.ttable_format == "fast_align") {
    ttable_format = TranslationTableFormat::kFastAlign;
  } else if (flags.ttable_format == "prob") {
    ttable_format = TranslationTableFormat::kProbability;
  } else {
    return UsageError(command, "--ttable-format must be fast_align or prob");
  }

  if (train_mode && flags.save_model.empty()) {
    return UsageError(command, "give --model-file FILE to write the trained model to");
  }
  if (train_mode && !flags.load_model.empty()) {
    return UsageError(command, "--load-model is for 'aligner align'");
  }
  if (!flags.load_model.empty() && (!flags.resume.empty() || !flags.checkpoint.empty())) {
    return UsageError(command, "--load-model aligns without training: no --checkpoint or --resume");
  }
  std::unique_ptr<LoadedModel> resume;
  if (!flags.resume.empty()) {
    auto model = LoadModel(flags.resume);
    if (!model.ok()) return Fail(command, model.status());
    if (model->metadata.checkpoint_stage < 0) {
      return Fail(command, absl::InvalidArgumentError(absl::StrCat(
                               flags.resume, " is a finished model, not a checkpoint")));
    }
    if (model->metadata.reverse != flags.reverse ||
        model->metadata.lowercase != flags.lowercase) {
      return Fail(command, absl::InvalidArgumentError(absl::StrCat(
                               flags.resume, " was written by a run with other -r/--lowercase "
                               "options; resume with the same options")));
    }
    resume = std::make_unique<LoadedModel>(std::move(*model));
  }

  // A loaded model brings its direction, casing and vocabularies.
  std::unique_ptr<LoadedModel> loaded;
  if (!flags.load_model.empty()) {
    auto model = LoadModel(flags.load_model);
    if (!model.ok()) return Fail(command, model.status());
    loaded = std::make_unique<LoadedModel>(std::move(*model));
    if (flags.reverse != loaded->metadata.reverse && !flags.quiet) {
      Log(command, "note: %s was trained in the %s direction; aligning in that direction",
          flags.load_model, loaded->metadata.reverse ? "reverse" : "forward");
    }
  }
  const bool reverse = loaded ? loaded->metadata.reverse : flags.reverse;

  // Open outputs first, so an unwritable path fails now, not after training.
  const std::string output_path = train_mode && !flags.output_given ? "" : flags.output;
  auto output = OpenOptional(output_path);
  if (!output.ok()) return Fail(command, output.status());
  auto a3_output = OpenOptional(flags.a3_output);
  if (!a3_output.ok()) return Fail(command, a3_output.status());
  auto ttable_output = OpenOptional(flags.ttable_output);
  if (!ttable_output.ok()) return Fail(command, ttable_output.status());
  auto model_output = OpenOptional(flags.save_model);
  if (!model_output.ok()) return Fail(command, model_output.status());
  auto posteriors_output = OpenOptional(flags.posteriors_output);
  if (!posteriors_output.ok()) return Fail(command, posteriors_output.status());

  CorpusReadOptions read_options;
  read_options.lowercase = loaded ? loaded->metadata.lowercase : flags.lowercase;
  read_options.max_sentence_length =
      loaded ? loaded->metadata.max_sentence_length : flags.max_sentence_length;
  const LoadedModel* vocabularies = loaded ? loaded.get() : resume.get();
  if (vocabularies != nullptr) {
    // Known words keep their ids. The corpus is swapped after reading for the
    // reverse direction.
    read_options.source_vocabulary =
        reverse ? &vocabularies->target_vocabulary : &vocabularies->source_vocabulary;
    read_options.target_vocabulary =
        reverse ? &vocabularies->source_vocabulary : &vocabularies->target_vocabulary;
  }
  absl::StatusOr<ParallelCorpus> corpus = ReadCorpus(flags, read_options, reverse, command);
  if (!corpus.ok()) return Fail(command, corpus.status());

  EmTrainer trainer(*corpus, flags.threads);
  std::unique_ptr<AlignmentModel> model;
  if (loaded) {
    model = std::move(loaded->model);
  } else {
    Stopwatch train_clock;
    ModelMetadata metadata = MetadataFor(flags);
    CheckpointWriter checkpoint;
    if (!flags.checkpoint.empty()) {
      checkpoint = [&](const AlignmentModel& m, const TrainingCheckpoint& done) {
        metadata.checkpoint_stage = done.stage;
        metadata.checkpoint_iteration = done.iteration;
        return SaveModel(m, corpus->source_vocabulary(), corpus->target_vocabulary(), metadata,
                         flags.checkpoint);
      };
    }
    TrainingCheckpoint resume_at;
    if (resume) {
      resume_at = {resume->metadata.checkpoint_stage, resume->metadata.checkpoint_iteration};
      if (!flags.quiet) {
        Log(command, "resuming from %s after %s iteration %d", flags.resume,
            resume_at.stage == 0 ? "model1" : resume->model->name(), resume_at.iteration);
      }
    }
    auto trained = TrainModel(
        *corpus, training, &trainer,
        [&](const IterationReport& r) {
          if (!flags.quiet) Log(command, "%s", FormatIterationReport(r));
        },
        checkpoint, resume ? resume->model.get() : nullptr, resume_at);
    if (!trained.ok()) return Fail(command, trained.status());
    model = std::move(*trained);
    if (!flags.quiet) Log(command, "trained in %.2fs", train_clock.Seconds());
  }

  if (*output != nullptr || *a3_output != nullptr || *posteriors_output != nullptr) {
    Stopwatch decode_clock;
    DecodeOptions decode;
    decode.reverse = reverse;
    decode.posterior_threshold = flags.posterior_threshold;
    decode.link_posteriors = *posteriors_output != nullptr;
    std::string line;
    trainer.Run([&] {
      DecodeCorpus(*model, *corpus, decode, [&](size_t k, const DecodedPair& pair) {
        if (*output != nullptr) {
          (*output)->Write(PharaohLine(pair.links, flags.print_scores, pair.log_prob));
        }
        if (*posteriors_output != nullptr) {
          line.clear();
          for (size_t n = 0; n < pair.link_posteriors.size(); ++n) {
            absl::StrAppend(&line, n > 0 ? " " : "", absl::StrFormat("%.6g", pair.link_posteriors[n]));
          }
          line.push_back('\n');
          (*posteriors_output)->Write(line);
        }
        if (*a3_output != nullptr) {
          (*a3_output)->Write(FormatA3Entry(MakeA3Entry(
              k + 1, corpus->pair(k), corpus->source_vocabulary(), corpus->target_vocabulary(),
              pair.alignment, pair.log_prob)));
        }
      });
    });
    if (!flags.quiet) Log(command, "aligned in %.2fs", decode_clock.Seconds());
  }
  if (*ttable_output != nullptr) {
    const TranslationTable* table = TranslationTableOf(*model);
    if (table == nullptr) {
      return Fail(command, absl::UnimplementedError("this model has no translation table"));
    }
    WriteTranslationTable(*table, corpus->source_vocabulary(), corpus->target_vocabulary(),
                          ttable_format, flags.ttable_min_prob, ttable_output->get());
  }
  if (*model_output != nullptr) {
    const ModelMetadata metadata = MetadataFor(flags);
    ModelWriter writer;
    absl::Status s = WriteModel(*model, corpus->source_vocabulary(),
                                corpus->target_vocabulary(), metadata, &writer);
    if (!s.ok()) return Fail(command, s);
    (*model_output)->Write(writer.Serialize());
  }
  // Everything is complete: only now do the files get their names.
  for (auto* file :
       {&*output, &*a3_output, &*ttable_output, &*model_output, &*posteriors_output}) {
    if (*file == nullptr) continue;
    if (absl::Status s = (*file)->Commit(); !s.ok()) return Fail(command, s);
  }
  return 0;
}

// `symmetric --agreement`: trains both directions together by agreement and
// writes `<prefix>.forward`, `<prefix>.reverse` (each model's own links),
// `<prefix>.<heuristic>` (their symmetrization) and `<prefix>.agreement`
// (posterior decoding of the two models together).
int RunAgreement(const AlignFlags& flags, SymmetrizationHeuristic heuristic) {
  constexpr char kCommand[] = "symmetric";
  TrainingOptions training;
  if (int status = CheckTrainingFlags(flags, kCommand, &training); status != 0) return status;
  // Measured: with the variational Bayes prior the agreed (product) counts
  // are too small, the digamma update sends nearly every word to NULL
  // (Hansards 100k AER 0.19).
  if (flags.variational_bayes) {
    return UsageError(kCommand, "--agreement does not work with -v (variational Bayes)");
  }
  AgreementOptions agreement;
  if (flags.agreement_null == "rest") {
    agreement.null = AgreementNull::kRest;
  } else if (flags.agreement_null == "own") {
    agreement.null = AgreementNull::kOwn;
  } else {
    return UsageError(kCommand, "--agreement-null must be rest or own");
  }
  if (!(flags.agreement_threshold > 0 && flags.agreement_threshold <= 1)) {
    return UsageError(kCommand, "--agreement-threshold must be in (0, 1]");
  }
  const std::string forward_path = flags.prefix + ".forward";
  const std::string reverse_path = flags.prefix + ".reverse";
  const std::string agreement_path = flags.prefix + ".agreement";
  const std::string combined_path = flags.prefix + "." + std::string(HeuristicName(heuristic));
  auto forward_output = OutputFile::Open(forward_path);
  if (!forward_output.ok()) return Fail(kCommand, forward_output.status());
  auto reverse_output = OutputFile::Open(reverse_path);
  if (!reverse_output.ok()) return Fail(kCommand, reverse_output.status());
  auto agreement_output = OutputFile::Open(agreement_path);
  if (!agreement_output.ok()) return Fail(kCommand, agreement_output.status());

  CorpusReadOptions read_options;
  read_options.lowercase = flags.lowercase;
  read_options.max_sentence_length = flags.max_sentence_length;
  absl::StatusOr<ParallelCorpus> corpus = ReadCorpus(flags, read_options, false, kCommand);
  if (!corpus.ok()) return Fail(kCommand, corpus.status());
  ParallelCorpus reverse_corpus = *corpus;
  reverse_corpus.SwapSides();

  AgreementTrainer trainer(*corpus, reverse_corpus, flags.threads, agreement);
  Stopwatch train_clock;
  auto models = TrainByAgreement(*corpus, reverse_corpus, training, &trainer,
                                 [&](const AgreementIterationReport& r) {
                                   if (!flags.quiet) Log(kCommand, "%s", FormatAgreementReport(r));
                                 });
  if (!models.ok()) return Fail(kCommand, models.status());
  if (!flags.quiet) Log(kCommand, "trained both directions in %.2fs", train_clock.Seconds());

  Stopwatch decode_clock;
  DecodeOptions decode;
  decode.posterior_threshold = flags.posterior_threshold;
  trainer.Run([&] {
    DecodeByAgreement(*models->forward, *models->reverse, *corpus, reverse_corpus, decode,
                      flags.agreement_threshold, [&](size_t, const AgreementDecodedPair& pair) {
                        (*forward_output)->Write(PharaohLine(pair.forward.links, flags.print_scores,
                                                             pair.forward.log_prob));
                        (*reverse_output)->Write(PharaohLine(pair.reverse.links, flags.print_scores,
                                                             pair.reverse.log_prob));
                        (*agreement_output)->Write(PharaohLine(pair.agreement, false, 0));
                      });
  });
  if (!flags.quiet) Log(kCommand, "aligned in %.2fs", decode_clock.Seconds());
  for (auto* file : {&*forward_output, &*reverse_output, &*agreement_output}) {
    if (absl::Status s = (*file)->Commit(); !s.ok()) return Fail(kCommand, s);
  }
  if (absl::Status s = SymmetrizeFiles(forward_path, reverse_path, heuristic, combined_path);
      !s.ok()) {
    return Fail(kCommand, s);
  }
  if (!flags.quiet) {
    Log(kCommand, "wrote %s, %s, %s and %s", forward_path, reverse_path, combined_path,
        agreement_path);
  }
  return 0;
}

// Trains and aligns both directions at once, each with half the threads,
// then combines them: `<prefix>.forward`, `<prefix>.reverse` and
// `<prefix>.<heuristic>`.
int RunSymmetric(const AlignFlags& flags) {
  constexpr char kCommand[] = "symmetric";
  if (flags.prefix.empty()) return UsageError(kCommand, "give --prefix PATH for the outputs");
  if (!flags.save_model.empty() || !flags.load_model.empty() || !flags.ttable_output.empty() ||
      !flags.a3_output.empty() || !flags.checkpoint.empty() || !flags.resume.empty() ||
      !flags.posteriors_output.empty() || flags.output_given || flags.reverse) {
    return UsageError(kCommand,
                      "symmetric writes alignments only: use 'align' or 'train' for -r, "
                      "--output, model files, tables and checkpoints");
  }
  auto heuristic = ParseHeuristic(flags.heuristic);
  if (!heuristic.ok()) return UsageError(kCommand, std::string(heuristic.status().message()));
  if (flags.agreement) return RunAgreement(flags, *heuristic);
  if (flags.agreement_options_given) {
    return UsageError(kCommand, "--agreement-threshold and --agreement-null need --agreement");
  }
  const int threads = flags.threads > 0 ? flags.threads : static_cast<int>(std::thread::hardware_concurrency());
  AlignFlags forward = flags, reverse = flags;
  forward.output = flags.prefix + ".forward";
  reverse.output = flags.prefix + ".reverse";
  reverse.reverse = true;
  forward.threads = std::max(1, threads / 2);
  reverse.threads = std::max(1, threads - forward.threads);
  int reverse_status = 0;
  std::thread reverse_thread(
      [&] { reverse_status = Run(reverse, false, "symmetric (reverse)"); });
  const int forward_status = Run(forward, false, "symmetric (forward)");
  reverse_thread.join();
  if (forward_status != 0) return forward_status;
  if (reverse_status != 0) return reverse_status;
  const std::string combined = flags.prefix + "." + std::string(HeuristicName(*heuristic));
  if (absl::Status s = SymmetrizeFiles(forward.output, reverse.output, *heuristic, combined);
      !s.ok()) {
    return Fail(kCommand, s);
  }
  if (!flags.quiet) Log(kCommand, "wrote %s, %s and %s", forward.output, reverse.output, combined);
  return 0;
}

enum class Mode { kAlign, kTrain, kSymmetric };

// Parses the flags shared by `align`, `train` and `symmetric` and runs the
// command.
int ParseAndRun(int argc, char** argv, Mode mode) {
  const bool train_mode = mode == Mode::kTrain;
  const char* kCommand = mode == Mode::kTrain ? "train" : mode == Mode::kAlign ? "align" : "symmetric";
  AlignFlags f;
  for (int k = 0; k < argc; ++k) absl::StrAppend(&f.command_line, k > 0 ? " " : "", argv[k]);
  po::options_description input("Input");
  input.add_options()
      ("input,i", po::value(&f.input), "parallel corpus, one 'source ||| target' pair per line "
       "(a TAB also separates); plain, gzip or zstd; '-' for stdin")
      ("source", po::value(&f.source), "source side, one sentence per line (with --target)")
      ("target", po::value(&f.target), "target side, line-parallel to --source")
      ("lowercase", po::bool_switch(&f.lowercase), "lowercase words before training")
      ("max-sentence-length", po::value(&f.max_sentence_length)->default_value(1000),
       "pairs with a longer side are not trained on and get an empty output line");
  po::options_description model("Model and training");
  model.add_options()
      ("favor-diagonal,d", po::bool_switch(&f.favor_diagonal),
       "diagonal-favoring IBM Model 2 of fast_align (same as --model diagonal)")
      ("model", po::value(&f.model),
       "model1, model2 (classic alignment table), diagonal or hmm (jump-based HMM of Vogel "
       "et al.); default model1, or diagonal with -d")
      ("iterations,I", po::value(&f.iterations)->default_value(5),
       "EM iterations of the main model")
      ("model1-iterations", po::value(&f.model1_iterations)->default_value(-1),
       "IBM Model 1 iterations before the main model; -1: 0 before diagonal and hmm, 5 "
       "before model2, 2 before hmm with --agreement")
      ("reverse,r", po::bool_switch(&f.reverse),
       "train the reverse direction (each source word generated by one target word); links "
       "are still written source-target")
      ("optimize-tension,o", po::bool_switch(&f.optimize_tension),
       "re-estimate the diagonal tension during training")
      ("diagonal-tension,T", po::value(&f.tension)->default_value(4.0),
       "starting diagonal tension")
      ("p0,q", po::value(&f.p0)->default_value(0.2),
       "NULL alignment probability (diagonal; fast_align's default is 0.08, ours was chosen "
       "by AER on three language pairs)")
      ("optimize-p0", po::bool_switch(&f.optimize_p0), "re-estimate p0 during training (diagonal)")
      ("hmm-p0", po::value(&f.hmm.null_probability)
                     ->default_value(f.hmm.null_probability, absl::StrCat(f.hmm.null_probability)),
       "probability of moving to a NULL state at each target word (hmm; 0.3 with --agreement)")
      ("hmm-max-jump", po::value(&f.hmm.max_jump)->default_value(f.hmm.max_jump),
       "jumps longer than this share one weight per direction (hmm)")
      ("hmm-jump-smoothing", po::value(&f.hmm.jump_smoothing)
                                 ->default_value(f.hmm.jump_smoothing,
                                                 absl::StrCat(f.hmm.jump_smoothing)),
       "weight of a uniform jump mixed into every transition (hmm)")
      ("hmm-diagonal-tension", po::value(&f.hmm.diagonal_tension)
                                   ->default_value(f.hmm.diagonal_tension,
                                                   absl::StrCat(f.hmm.diagonal_tension)),
       "strength of the pull of jumps toward the diagonal; 0: none (hmm)")
      ("variational-bayes,v", po::bool_switch(&f.variational_bayes),
       "variational Bayes with a symmetric Dirichlet prior on t(f|e)")
      ("alpha,a", po::value(&f.alpha)->default_value(0.01),
       "Dirichlet prior parameter (default 0.05 with --model hmm)")
      ("no-null-word,N", po::bool_switch(&f.no_null), "no NULL source word")
      ("threads", po::value(&f.threads)->default_value(0), "worker threads; 0 = all cores");
  po::options_description output("Output");
  output.add_options()
      ("output", po::value(&f.output)->default_value("-"),
       "Pharaoh links 'i-j', one line per input line; '-' for stdout")
      ("posterior-threshold", po::value(&f.posterior_threshold)->default_value(-1),
       "write every link whose posterior reaches this value instead of Viterbi links")
      ("print-scores,s", po::bool_switch(&f.print_scores),
       "append ' ||| log probability' to every output line")
      ("giza-a3", po::value(&f.a3_output), "also write a GIZA++ A3 alignment file")
      ("link-posteriors", po::value(&f.posteriors_output),
       "also write, line by line, the posterior probability of every written link, in the "
       "order of the links")
      ("output-parameters,p", po::value(&f.ttable_output),
       "write the translation table t(f|e) to this file")
      ("ttable-format", po::value(&f.ttable_format)->default_value("fast_align"),
       "fast_align (source TAB target TAB log prob, NULL as <eps>) or prob (source target "
       "prob)")
      ("ttable-min-prob", po::value(&f.ttable_min_prob)->default_value(1e-7),
       "leave out table entries below this probability")
      ("model-file", po::value(&f.save_model),
       "write the trained model to this file (required by 'train')")
      ("load-model", po::value(&f.load_model),
       "align with a model saved by 'aligner train' instead of training (align only); unknown "
       "words align by position and NULL probability alone")
      ("checkpoint", po::value(&f.checkpoint),
       "after every EM iteration, save the model and its place in the schedule here")
      ("resume", po::value(&f.resume),
       "continue training from a --checkpoint file (same corpus and options); the result is "
       "the same as an uninterrupted run's")
      ("prefix", po::value(&f.prefix), "output prefix (symmetric only)")
      ("command,c", po::value(&f.heuristic)->default_value(f.heuristic),
       "symmetrization heuristic (symmetric only): intersect, union, grow-diag, "
       "grow-diag-final or grow-diag-final-and")
      ("agreement", po::bool_switch(&f.agreement),
       "train the two directions together by agreement (Liang et al. 2006; symmetric only) "
       "and also write OUT.agreement, the links both models agree on")
      ("agreement-threshold",
       po::value(&f.agreement_threshold)
           ->default_value(f.agreement_threshold, absl::StrCat(f.agreement_threshold)),
       "OUT.agreement links: product of the two directions' posteriors at least this")
      ("agreement-null", po::value(&f.agreement_null)->default_value(f.agreement_null),
       "expected NULL counts under agreement: rest (1 - the word's agreed links) or own "
       "(each model's own NULL posterior)")
      ("quiet", po::bool_switch(&f.quiet), "no progress reports on stderr")
      ("help,h", "show this help");
  // fast_align's long names, accepted silently.
  po::options_description compat;
  compat.add_options()
      ("favor_diagonal", po::bool_switch(), "")("optimize_tension", po::bool_switch(), "")
      ("variational_bayes", po::bool_switch(), "")("no_null_word", po::bool_switch(), "")
      ("diagonal_tension", po::value<double>(), "");
  po::options_description visible;
  visible.add(input).add(model).add(output);
  po::options_description all;
  all.add(visible).add(compat);
  po::variables_map vm;
  if (!ParseOptions(kCommand, argc, argv, all, &vm)) return 2;
  if (vm.count("help") && mode == Mode::kSymmetric) {
    std::cout << "usage: aligner symmetric --source FILE --target FILE --prefix OUT [-c "
                 "HEURISTIC] [align options]\n"
                 "       aligner symmetric -i CORPUS --prefix OUT [options]\n\n"
                 "Trains and aligns both directions concurrently and writes OUT.forward, "
                 "OUT.reverse and OUT.<heuristic> (default grow-diag-final-and).\n\n"
              << visible << "\n";
    return 0;
  }
  if (vm.count("help") && train_mode) {
    std::cout << "usage: aligner train -i CORPUS --model-file MODEL [options]\n"
                 "       aligner train --source FILE --target FILE --model-file MODEL "
                 "[options]\n\n"
                 "Trains an alignment model and saves it; 'aligner align --load-model MODEL' "
                 "then aligns new text with it.\nWith --output it also writes the alignment "
                 "of the training corpus.\n\n"
              << visible << "\n";
    return 0;
  }
  if (vm.count("help")) {
    std::cout << "usage: aligner align -i CORPUS [options] > ALIGNMENT\n"
                 "       aligner align --source FILE --target FILE [options] > ALIGNMENT\n\n"
                 "Trains an alignment model on the corpus and writes Pharaoh links (0-based "
                 "'source-target'), one line per input line.\nfast_align users: aligner align "
                 "-i corpus -d -o -v [-r]\n\n"
              << visible << "\n";
    return 0;
  }
  if (vm["favor_diagonal"].as<bool>()) f.favor_diagonal = true;
  if (vm["optimize_tension"].as<bool>()) f.optimize_tension = true;
  if (vm["variational_bayes"].as<bool>()) f.variational_bayes = true;
  if (vm["no_null_word"].as<bool>()) f.no_null = true;
  if (vm.count("diagonal_tension")) f.tension = vm["diagonal_tension"].as<double>();
  f.output_given = !vm["output"].defaulted();
  f.agreement_options_given =
      !vm["agreement-threshold"].defaulted() || !vm["agreement-null"].defaulted();
  if (mode != Mode::kSymmetric && (f.agreement || f.agreement_options_given)) {
    return UsageError(kCommand, "--agreement is for 'aligner symmetric'");
  }
  if (vm["alpha"].defaulted() && f.model == "hmm") f.alpha = kHmmDefaultAlpha;
  if (f.agreement && f.model == "hmm") {
    if (f.model1_iterations < 0) f.model1_iterations = kAgreementModel1Iterations;
    if (vm["hmm-p0"].defaulted()) f.hmm.null_probability = kAgreementHmmP0;
  }
  // The default (-1) means Viterbi links; a threshold the user gives must be a
  // probability (a negative or NaN one used to select Viterbi silently).
  if (!vm["posterior-threshold"].defaulted() &&
      !(f.posterior_threshold >= 0 && f.posterior_threshold <= 1)) {
    return UsageError(kCommand, "--posterior-threshold must be in [0, 1]");
  }
  if (mode == Mode::kSymmetric) return RunSymmetric(f);
  return Run(f, train_mode, kCommand);
}

}  // namespace

int AlignCommand(int argc, char** argv) { return ParseAndRun(argc, argv, Mode::kAlign); }
int TrainCommand(int argc, char** argv) { return ParseAndRun(argc, argv, Mode::kTrain); }
int SymmetricCommand(int argc, char** argv) {
  return ParseAndRun(argc, argv, Mode::kSymmetric);
}

}  // namespace aligner::cli
