#include "aligner/pipeline/pipeline.h"

#include <stdio.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "aligner/base/status_macros.h"
#include "aligner/decode/agreement_decoder.h"
#include "aligner/io/output_file.h"
#include "aligner/io/output_plan.h"
#include "aligner/io/pharaoh.h"
#include "aligner/io/tokenize.h"
#include "tbb/blocked_range.h"
#include "tbb/info.h"
#include "tbb/parallel_for.h"

namespace aligner {
namespace {

class Stopwatch {
 public:
  double Seconds() const { return SecondsSince(start_); }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

template <typename... Args>
void Log(const Logger& log, const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (log) log(absl::StrFormat(format, args...));
}

// A path option for the output plan: std::nullopt when not given (empty).
std::optional<std::string> Given(const std::string& path) {
  return path.empty() ? std::nullopt : std::optional<std::string>(path);
}

// The corpus options' input paths.
void AddCorpusPaths(const CorpusOptions& corpus, std::vector<NamedPath>* paths) {
  paths->push_back({"-i", Given(corpus.input), PathRole::kInput});
  paths->push_back({"--source", Given(corpus.source), PathRole::kInput});
  paths->push_back({"--target", Given(corpus.target), PathRole::kInput});
}

// Opens an optional output file; null when `path` is empty.
absl::StatusOr<std::unique_ptr<OutputFile>> OpenOptional(const std::string& path) {
  if (path.empty()) return std::unique_ptr<OutputFile>();
  return OutputFile::Open(path);
}

absl::Status ValidateThreshold(const std::optional<double>& threshold) {
  // A negative or NaN one used to select Viterbi silently.
  if (!threshold || (*threshold >= 0 && *threshold <= 1)) return absl::OkStatus();
  return absl::InvalidArgumentError("--posterior-threshold must be in [0, 1]");
}

}  // namespace

ModelMetadata MetadataFor(const AlignOptions& options) {
  ModelMetadata metadata;
  metadata.reverse = options.reverse;
  metadata.lowercase = options.corpus.lowercase;
  metadata.stem_length = options.corpus.stem_length;
  metadata.max_sentence_length = options.corpus.max_sentence_length;
  metadata.training_options = options.command_line;
  return metadata;
}

std::string RunFingerprint(uint64_t corpus_fingerprint, size_t pairs, const AlignOptions& options) {
  return absl::StrCat(absl::StrFormat("corpus=%016x", corpus_fingerprint), " pairs=", pairs,
                      " reverse=", options.reverse, " lowercase=", options.corpus.lowercase,
                      // Only when on, so that checkpoints from before the option still resume.
                      options.corpus.stem_length > 0
                          ? absl::StrCat(" stem_length=", options.corpus.stem_length)
                          : "",
                      " max_sentence_length=", options.corpus.max_sentence_length, " ",
                      DescribeOptions(options.training));
}

ModelMetadata CheckpointMetadata(uint64_t corpus_fingerprint, size_t pairs,
                                 const AlignOptions& options) {
  ModelMetadata metadata = MetadataFor(options);
  metadata.run_fingerprint = RunFingerprint(corpus_fingerprint, pairs, options);
  return metadata;
}

absl::StatusOr<LoadedModel> LoadCheckpoint(const AlignOptions& options) {
  ASSIGN_OR_RETURN(LoadedModel model, LoadModel(options.resume));
  if (model.metadata.checkpoint_stage < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.resume, " is a finished model, not a checkpoint"));
  }
  if (model.metadata.reverse != options.reverse ||
      model.metadata.lowercase != options.corpus.lowercase ||
      model.metadata.stem_length != options.corpus.stem_length) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.resume,
                     " was written by a run with other -r/--lowercase/--stem-length options; "
                     "resume with the same options"));
  }
  return model;
}

std::string ResumeNote(const AlignOptions& options, const LoadedModel& checkpoint) {
  return absl::StrFormat(
      "resuming from %s after %s iteration %d", options.resume,
      checkpoint.metadata.checkpoint_stage == 0 ? std::string("model1") : checkpoint.model->name(),
      checkpoint.metadata.checkpoint_iteration);
}

absl::Status CheckResumeFingerprint(const std::string& path, const std::string& saved,
                                    const std::string& now) {
  if (saved.empty() || saved == now) return absl::OkStatus();
  auto fields = [](const std::string& words) {
    std::vector<std::pair<std::string, std::string>> out;
    for (absl::string_view word : absl::StrSplit(words, ' ', absl::SkipEmpty())) {
      out.push_back(absl::StrSplit(word, absl::MaxSplits('=', 1)));
    }
    return out;
  };
  const auto before = fields(saved);
  std::vector<std::string> differences;
  for (const auto& field : fields(now)) {
    // (No structured binding: clang 14 cannot capture one in the lambda.)
    const std::string& name = field.first;
    const std::string& value = field.second;
    const auto it = std::find_if(before.begin(), before.end(),
                                 [&](const auto& saved) { return saved.first == name; });
    const std::string old_value = it == before.end() ? "(none)" : it->second;
    if (old_value == value) continue;
    differences.push_back(
        name == "corpus" || name == "pairs"
            ? absl::StrCat(name, " (the checkpoint's run read another corpus)")
            : absl::StrCat(name, " (", old_value, " in the checkpoint, ", value, " now)"));
  }
  if (differences.empty()) differences.push_back("the options' description");
  return absl::InvalidArgumentError(
      absl::StrCat(path,
                   " was written by another run; resume with the same corpus and options. "
                   "Differs: ",
                   absl::StrJoin(differences, ", ")));
}

std::string PosteriorsLine(const std::vector<double>& posteriors) {
  std::string line;
  for (size_t n = 0; n < posteriors.size(); ++n) {
    absl::StrAppend(&line, n > 0 ? " " : "", absl::StrFormat("%.6g", posteriors[n]));
  }
  line.push_back('\n');
  return line;
}

std::string PharaohLine(const SentenceLinks& links, bool print_scores, double log_prob) {
  std::string line = FormatPharaoh(links);
  if (print_scores) absl::StrAppend(&line, " ||| ", log_prob);
  line.push_back('\n');
  return line;
}

namespace {

template <typename T>
std::string Show(const std::optional<T>& value) {
  return value ? absl::StrCat(*value) : "default";
}

}  // namespace

std::string DescribeOptions(const TrainingOptions& o) {
  return absl::StrCat(
      "model=", o.model, " iterations=", o.iterations, " model1_iterations=", o.model1_iterations,
      " use_null=", o.use_null, " variational_bayes=", o.prior.variational_bayes,
      " prior.alpha=", o.prior.alpha, " alpha=", Show(o.alpha), " hmm_p0=", Show(o.hmm_p0),
      " diagonal.tension=", o.diagonal.tension, " diagonal.p0=", o.diagonal.p0,
      " diagonal.optimize_tension=", o.diagonal.optimize_tension,
      " diagonal.optimize_p0=", o.diagonal.optimize_p0,
      " hmm.null_probability=", o.hmm.null_probability, " hmm.max_jump=", o.hmm.max_jump,
      " hmm.jump_smoothing=", o.hmm.jump_smoothing,
      " hmm.diagonal_tension=", o.hmm.diagonal_tension, " hmm.end_jump=", o.hmm.end_jump,
      // Only when on, so that checkpoints from before the option still resume.
      o.viterbi_training ? " viterbi_training=1" : "");
}

std::string DescribeOptions(const CorpusOptions& o) {
  return absl::StrCat("input=", o.input, " source=", o.source, " target=", o.target,
                      " lowercase=", o.lowercase, " stem_length=", o.stem_length,
                      " max_sentence_length=", o.max_sentence_length);
}

std::string DescribeOptions(const AlignOptions& o) {
  return absl::StrCat(
      DescribeOptions(o.corpus), " ", DescribeOptions(o.training), " reverse=", o.reverse,
      " threads=", o.threads, " posterior_threshold=", Show(o.posterior_threshold),
      " print_scores=", o.print_scores, " output=", o.output, " a3_output=", o.a3_output,
      " posteriors_output=", o.posteriors_output, " ttable_output=", o.ttable_output,
      " ttable_format=", static_cast<int>(o.ttable_format), " ttable_min_prob=", o.ttable_min_prob,
      " model_output=", o.model_output, " load_model=", o.load_model, " checkpoint=", o.checkpoint,
      " resume=", o.resume);
}

std::string DescribeOptions(const SymmetricOptions& o) {
  return absl::StrCat(
      DescribeOptions(o.corpus), " ", DescribeOptions(o.training), " threads=", o.threads,
      " agreement=", o.agreement, " agreement_null=", static_cast<int>(o.agreement_options.null),
      " fertility=", o.agreement_options.fertility,
      " fertility_sweeps=", o.agreement_options.fertility_sweeps,
      " fertility_alpha=", o.agreement_options.fertility_alpha,
      " independent_iterations=", o.agreement_options.independent_iterations,
      " agreement_threshold=", o.agreement_threshold,
      " direction_threshold=", o.direction_threshold,
      " posterior_threshold=", Show(o.posterior_threshold), " print_scores=", o.print_scores,
      " prefix=", o.prefix, " heuristic=", std::string(HeuristicName(o.heuristic)));
}

namespace {

absl::Status ValidateMaxSentenceLength(const CorpusOptions& options) {
  // Positions are 32-bit.
  if (options.max_sentence_length == 0 || options.max_sentence_length > 0x7fffffff) {
    return absl::InvalidArgumentError("--max-sentence-length must be in [1, 2147483647]");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCorpusOptions(const CorpusOptions& options) {
  if (options.input.empty() == (options.source.empty() && options.target.empty())) {
    return absl::InvalidArgumentError(
        "give either -i FILE or both --source FILE and --target FILE");
  }
  if (options.input.empty() && (options.source.empty() || options.target.empty())) {
    return absl::InvalidArgumentError("--source and --target go together");
  }
  return ValidateMaxSentenceLength(options);
}

void UseModelCorpusOptions(const ModelMetadata& metadata, CorpusOptions* options) {
  options->lowercase = metadata.lowercase;
  options->stem_length = metadata.stem_length;
  options->max_sentence_length = metadata.max_sentence_length;
}

CorpusReadOptions ReadOptionsFor(const CorpusOptions& options, const LoadedModel* vocabularies,
                                 bool swap_sides) {
  CorpusReadOptions read;
  read.lowercase = options.lowercase;
  read.stem_length = options.stem_length;
  read.max_sentence_length = options.max_sentence_length;
  if (vocabularies != nullptr) {
    // Known words keep their ids. The corpus is swapped after reading for the
    // reverse direction.
    read.source_vocabulary =
        swap_sides ? &vocabularies->target_vocabulary : &vocabularies->source_vocabulary;
    read.target_vocabulary =
        swap_sides ? &vocabularies->source_vocabulary : &vocabularies->target_vocabulary;
  }
  return read;
}

ParallelCorpus PrepareCorpus(ParallelCorpus corpus, const CorpusReadOptions& read,
                             const CorpusReport& report, bool swap_sides, const Logger& log) {
  for (const std::string& warning : UnusablePairWarnings(report, read)) Log(log, "%s", warning);
  // Ids a loaded model knows words by must stay; fresh ones are free.
  if (read.source_vocabulary == nullptr) corpus.NumberWordsByFrequency();
  if (swap_sides) corpus.SwapSides();
  return corpus;
}

absl::StatusOr<ParallelCorpus> ReadCorpus(const CorpusOptions& options,
                                          const LoadedModel* vocabularies, bool swap_sides,
                                          const Logger& log) {
  Stopwatch clock;
  const CorpusReadOptions read = ReadOptionsFor(options, vocabularies, swap_sides);
  CorpusReport report;
  absl::StatusOr<ParallelCorpus> corpus =
      options.input.empty() ? ReadParallelFiles(options.source, options.target, read, &report)
                            : ReadBitext(options.input, read, &report);
  if (!corpus.ok()) return corpus.status();
  *corpus = PrepareCorpus(*std::move(corpus), read, report, swap_sides, log);
  Log(log, "read %d pairs (%d source, %d target tokens; %d and %d word types) in %.2fs",
      corpus->size(), corpus->source_text().num_tokens(), corpus->target_text().num_tokens(),
      corpus->source_vocabulary().size() - 1, corpus->target_vocabulary().size() - 1,
      clock.Seconds());
  return corpus;
}

namespace {

absl::Status ValidateStreamOptions(const AlignOptions& options) {
  if (options.load_model.empty()) {
    return absl::InvalidArgumentError(
        "--stream aligns with a trained model: give --load-model MODEL");
  }
  const CorpusOptions& corpus = options.corpus;
  if ((!corpus.input.empty() && corpus.input != "-") || !corpus.source.empty() ||
      !corpus.target.empty()) {
    return absl::InvalidArgumentError(
        "--stream reads 'source ||| target' lines from stdin: no -i FILE, --source or --target");
  }
  if (options.output != "-") {
    return absl::InvalidArgumentError("--stream writes its links to stdout: no --output FILE");
  }
  if (!options.a3_output.empty() || !options.posteriors_output.empty() ||
      !options.ttable_output.empty() || !options.model_output.empty()) {
    return absl::InvalidArgumentError(
        "--stream writes links only: no --giza-a3, --link-posteriors, -p or --model-file");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateAlignOptions(const AlignOptions& options) {
  if (options.stream) {
    RETURN_IF_ERROR(ValidateStreamOptions(options));
  } else {
    RETURN_IF_ERROR(ValidateCorpusOptions(options.corpus));
  }
  RETURN_IF_ERROR(ValidateAlignSettings(options));
  // Every path of the run, checked together before anything is read.
  std::vector<NamedPath> paths;
  AddCorpusPaths(options.corpus, &paths);
  paths.push_back({"--load-model", Given(options.load_model), PathRole::kInput});
  paths.push_back({"--resume", Given(options.resume), PathRole::kInput});
  paths.push_back({"--output", Given(options.output), PathRole::kOptionalOutput});
  paths.push_back({"--giza-a3", Given(options.a3_output), PathRole::kOptionalOutput});
  paths.push_back(
      {"--link-posteriors", Given(options.posteriors_output), PathRole::kOptionalOutput});
  paths.push_back({"--output-parameters", Given(options.ttable_output), PathRole::kOptionalOutput});
  paths.push_back({"--model-file", Given(options.model_output), PathRole::kOptionalOutput});
  paths.push_back({"--checkpoint", Given(options.checkpoint), PathRole::kOptionalOutput});
  OutputPlanOptions plan;
  plan.output_may_replace_input = {{"--resume", "--checkpoint"}};
  return CheckRunPaths(paths, plan);
}

absl::Status ValidateAlignSettings(const AlignOptions& options) {
  RETURN_IF_ERROR(ValidateMaxSentenceLength(options.corpus));
  RETURN_IF_ERROR(ResolveDefaults(options.training, false).status());
  RETURN_IF_ERROR(ValidateTrainingOptions(*ResolveDefaults(options.training, false)));
  RETURN_IF_ERROR(ValidateThreshold(options.posterior_threshold));
  if (options.threads < 0) return absl::InvalidArgumentError("--threads must be >= 0");
  if (!(options.ttable_min_prob >= 0 && options.ttable_min_prob <= 1)) {
    return absl::InvalidArgumentError("--ttable-min-prob must be in [0, 1]");
  }
  if (!options.load_model.empty() && (!options.resume.empty() || !options.checkpoint.empty())) {
    return absl::InvalidArgumentError(
        "--load-model aligns without training: no --checkpoint or --resume");
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadedModel> TrainOnCorpus(const ParallelCorpus& corpus, const AlignOptions& options,
                                          const LoadedModel* resume, EmTrainer* trainer,
                                          const Logger& log) {
  ASSIGN_OR_RETURN(const TrainingOptions training, ResolveDefaults(options.training, false));
  Stopwatch clock;
  LoadedModel trained;
  trained.metadata = MetadataFor(options);
  CheckpointWriter checkpoint;
  ModelMetadata checkpoint_metadata =
      CheckpointMetadata(CorpusFingerprint(corpus), corpus.size(), options);
  if (!options.checkpoint.empty()) {
    checkpoint = [&](const AlignmentModel& m, const TrainingCheckpoint& done) {
      checkpoint_metadata.checkpoint_stage = done.stage;
      checkpoint_metadata.checkpoint_iteration = done.iteration;
      return SaveModel(m, corpus.source_vocabulary(), corpus.target_vocabulary(),
                       checkpoint_metadata, options.checkpoint);
    };
  }
  TrainingCheckpoint resume_at;
  if (resume != nullptr) {
    RETURN_IF_ERROR(CheckResumeFingerprint(options.resume, resume->metadata.run_fingerprint,
                                           checkpoint_metadata.run_fingerprint));
    resume_at = {resume->metadata.checkpoint_stage, resume->metadata.checkpoint_iteration};
    Log(log, "%s", ResumeNote(options, *resume));
  }
  ASSIGN_OR_RETURN(trained.model,
                   TrainModel(
                       corpus, training, trainer,
                       [&](const IterationReport& r) { Log(log, "%s", FormatIterationReport(r)); },
                       checkpoint, resume != nullptr ? resume->model.get() : nullptr, resume_at));
  // Whatever the trainer does next (decoding) needs no counts.
  trainer->ReleaseCounts();
  trained.source_vocabulary = corpus.source_vocabulary();
  trained.target_vocabulary = corpus.target_vocabulary();
  Log(log, "trained in %.2fs", clock.Seconds());
  return trained;
}

void DropTrainingCaches(LoadedModel* model) {
  if (model->model != nullptr) model->model->shared_translation_table()->set_slot_cache(nullptr);
}

std::vector<DecodedPair> AlignCorpus(const LoadedModel& model, const ParallelCorpus& corpus,
                                     const DecodeOptions& options, EmTrainer* trainer) {
  std::vector<DecodedPair> pairs(corpus.size());
  trainer->Run([&] {
    DecodeCorpus(*model.model, corpus, options,
                 [&](size_t k, const DecodedPair& pair) { pairs[k] = pair; });
  });
  return pairs;
}

void WarnIfThreadsExceedCpus(int threads, const Logger& log) {
  // TBB's default is the number of CPUs in the affinity mask. More threads
  // than the whole machine has is the user's choice; only a mask narrower
  // than the machine is a trap.
  const int cpus = tbb::info::default_concurrency();
  const int machine = static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= cpus || cpus >= machine) return;
  Log(log,
      "warning: --threads %d but this process may run on only %d %s (its CPU affinity, as taskset "
      "or mpirun's default binding sets it; under mpirun add --bind-to none, or --map-by "
      "slot:PE=%d), so the threads share %s",
      threads, cpus, cpus == 1 ? "CPU" : "CPUs", threads, cpus == 1 ? "it" : "them");
}

absl::Status RunAlign(const AlignOptions& options, const Logger& log) {
  RETURN_IF_ERROR(ValidateAlignOptions(options));
  if (options.stream) return RunAlignStream(options, stdin, stdout, log);
  std::unique_ptr<LoadedModel> resume;
  if (!options.resume.empty()) {
    ASSIGN_OR_RETURN(LoadedModel model, LoadCheckpoint(options));
    resume = std::make_unique<LoadedModel>(std::move(model));
  }

  // A loaded model brings its direction, casing and vocabularies.
  std::unique_ptr<LoadedModel> loaded;
  if (!options.load_model.empty()) {
    ASSIGN_OR_RETURN(LoadedModel model, LoadModel(options.load_model));
    loaded = std::make_unique<LoadedModel>(std::move(model));
    if (options.reverse != loaded->metadata.reverse) {
      Log(log, "note: %s was trained in the %s direction; aligning in that direction",
          options.load_model, loaded->metadata.reverse ? "reverse" : "forward");
    }
  }
  const bool reverse = loaded ? loaded->metadata.reverse : options.reverse;

  // Open outputs first, so an unwritable path fails now, not after training.
  ASSIGN_OR_RETURN(auto output, OpenOptional(options.output));
  ASSIGN_OR_RETURN(auto a3_output, OpenOptional(options.a3_output));
  ASSIGN_OR_RETURN(auto ttable_output, OpenOptional(options.ttable_output));
  ASSIGN_OR_RETURN(auto model_output, OpenOptional(options.model_output));
  ASSIGN_OR_RETURN(auto posteriors_output, OpenOptional(options.posteriors_output));

  CorpusOptions corpus_options = options.corpus;
  if (loaded) UseModelCorpusOptions(loaded->metadata, &corpus_options);
  ASSIGN_OR_RETURN(const ParallelCorpus corpus,
                   ReadCorpus(corpus_options, loaded ? loaded.get() : resume.get(), reverse, log));

  EmTrainer trainer(corpus, options.threads);
  trainer.set_progress(options.progress);
  if (!loaded) {
    ASSIGN_OR_RETURN(LoadedModel trained,
                     TrainOnCorpus(corpus, options, resume.get(), &trainer, log));
    loaded = std::make_unique<LoadedModel>(std::move(trained));
  }
  const AlignmentModel& model = *loaded->model;

  if (output != nullptr || a3_output != nullptr || posteriors_output != nullptr) {
    Stopwatch clock;
    DecodeOptions decode;
    decode.reverse = reverse;
    decode.posterior_threshold = options.posterior_threshold.value_or(-1);
    decode.link_posteriors = posteriors_output != nullptr;
    trainer.Run([&] {
      DecodeCorpus(
          model, corpus, decode,
          [&](size_t k, const DecodedPair& pair) {
            if (output != nullptr) {
              output->Write(PharaohLine(pair.links, options.print_scores, pair.log_prob));
            }
            if (posteriors_output != nullptr) {
              posteriors_output->Write(PosteriorsLine(pair.link_posteriors));
            }
            if (a3_output != nullptr) {
              a3_output->Write(FormatA3Entry(
                  MakeA3Entry(k + 1, corpus.pair(k), corpus.source_vocabulary(),
                              corpus.target_vocabulary(), pair.alignment, pair.log_prob)));
            }
          },
          options.progress);
    });
    Log(log, "aligned in %.2fs", clock.Seconds());
  }
  if (ttable_output != nullptr) {
    WriteTranslationTable(model.translation_table(), corpus.source_vocabulary(),
                          corpus.target_vocabulary(), options.ttable_format,
                          options.ttable_min_prob, ttable_output.get());
  }
  if (model_output != nullptr) {
    ModelWriter writer;
    RETURN_IF_ERROR(WriteModel(model, corpus.source_vocabulary(), corpus.target_vocabulary(),
                               MetadataFor(options), &writer));
    model_output->Write(writer.Serialize());
  }
  // Everything is complete: only now do the files get their names.
  for (OutputFile* file : {output.get(), a3_output.get(), ttable_output.get(), model_output.get(),
                           posteriors_output.get()}) {
    if (file != nullptr) RETURN_IF_ERROR(file->Commit());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LineAligner>> LineAligner::Create(const AlignOptions& options,
                                                                 const Logger& log) {
  std::unique_ptr<LineAligner> aligner(new LineAligner());
  ASSIGN_OR_RETURN(aligner->model_, LoadModel(options.load_model));
  const ModelMetadata& metadata = aligner->model_.metadata;
  if (options.reverse != metadata.reverse) {
    Log(log, "note: %s was trained in the %s direction; aligning in that direction",
        options.load_model, metadata.reverse ? "reverse" : "forward");
  }
  CorpusOptions corpus_options;
  UseModelCorpusOptions(metadata, &corpus_options);
  aligner->words_ = ReadOptionsFor(corpus_options, nullptr, /*swap_sides=*/false);
  aligner->decode_.reverse = metadata.reverse;
  aligner->decode_.posterior_threshold = options.posterior_threshold.value_or(-1);
  aligner->print_scores_ = options.print_scores;
  return aligner;
}

void LineAligner::Encode(std::string_view side, const Vocabulary& vocabulary,
                         std::vector<WordId>* ids) {
  // As ReadCorpus encodes a line with a loaded model's vocabularies, except
  // that unknown words are numbered per line, from the vocabulary's size up:
  // the model treats every id it has no entry for alike, so only which
  // tokens of the line are the same word matters.
  SplitTokens(side, &tokens_);
  unknown_.clear();
  ids->clear();
  std::string scratch;
  for (std::string_view token : tokens_) {
    token = NormalizeWord(token, words_, &scratch);
    if (const std::optional<WordId> id = vocabulary.Find(token)) {
      ids->push_back(*id);
      continue;
    }
    auto seen = std::find(unknown_.begin(), unknown_.end(), token);
    if (seen == unknown_.end()) seen = unknown_.insert(unknown_.end(), std::string(token));
    ids->push_back(static_cast<WordId>(vocabulary.size() + (seen - unknown_.begin())));
  }
}

std::string LineAligner::AlignLine(std::string_view line, std::string* warning) {
  warning->clear();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string_view source, target;
  if (!SplitBitextLine(line, &source, &target)) {
    *warning = "has no ' ||| ' separator (or more than one); its output line is empty";
    return PharaohLine({}, print_scores_, 0);
  }
  // The model's source side is the file's target side in the reverse
  // direction.
  const bool reverse = model_.metadata.reverse;
  Encode(reverse ? target : source, model_.source_vocabulary, &source_ids_);
  Encode(reverse ? source : target, model_.target_vocabulary, &target_ids_);
  if (source_ids_.empty() || target_ids_.empty()) {
    *warning = "has an empty side; its output line is empty";
    return PharaohLine({}, print_scores_, 0);
  }
  const size_t limit = model_.metadata.max_sentence_length;
  if (source_ids_.size() > limit || target_ids_.size() > limit) {
    *warning = absl::StrCat("has a side longer than the model's --max-sentence-length (", limit,
                            "); its output line is empty");
    return PharaohLine({}, print_scores_, 0);
  }
  DecodePair(*model_.model, SentencePair{source_ids_, target_ids_}, decode_, &decoded_);
  return PharaohLine(decoded_.links, print_scores_, decoded_.log_prob);
}

absl::Status RunAlignStream(const AlignOptions& options, std::FILE* input, std::FILE* output,
                            const Logger& log) {
  RETURN_IF_ERROR(ValidateAlignOptions(options));
  Stopwatch clock;
  ASSIGN_OR_RETURN(std::unique_ptr<LineAligner> aligner, LineAligner::Create(options, log));
  Log(log, "loaded %s in %.2fs; aligning 'source ||| target' lines from stdin as they come",
      options.load_model, clock.Seconds());
  // getline(3) returns as soon as a newline arrives: it never waits for more
  // input than one line, which a co-process would deadlock on.
  char* buffer = nullptr;
  size_t capacity = 0;
  int64_t line_number = 0;
  std::string warning;
  absl::Status status;
  for (ssize_t length; (length = ::getline(&buffer, &capacity, input)) >= 0;) {
    ++line_number;
    std::string_view line(buffer, length);
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    const std::string links = aligner->AlignLine(line, &warning);
    if (!warning.empty()) Log(log, "warning: line %d %s", line_number, warning);
    if (std::fwrite(links.data(), 1, links.size(), output) != links.size() ||
        std::fflush(output) != 0) {
      status = absl::DataLossError(
          absl::StrCat("cannot write the links of line ", line_number, ": ", std::strerror(errno)));
      break;
    }
  }
  const bool read_failed = status.ok() && std::ferror(input);
  std::free(buffer);
  if (read_failed) {
    return absl::DataLossError(
        absl::StrCat("cannot read stdin after line ", line_number, ": ", std::strerror(errno)));
  }
  if (status.ok()) Log(log, "aligned %d lines", line_number);
  return status;
}

SymmetricPaths SymmetricOutputPaths(const SymmetricOptions& options) {
  SymmetricPaths paths;
  paths.forward = options.prefix + ".forward";
  paths.reverse = options.prefix + ".reverse";
  paths.agreement = options.prefix + ".agreement";
  paths.combined = options.prefix + "." + std::string(HeuristicName(options.heuristic));
  return paths;
}

SymmetricOptions::SymmetricOptions() {
  // The most accurate setting: both HMM directions trained by agreement on
  // lowercased words (case splits one word's counts in two), each with a
  // fertility model, and a weaker diagonal factor in the HMM's jumps than
  // align's (tau 2, not 4: 4 was chosen on French-English alone, and the
  // pairs that reorder more, Chinese, Japanese and German-English, lose by
  // it). Judged on the five development sets together, grow-diag-final-and
  // AER zh / ja / cs / de / Hansards 100k: agreement alone 0.3509 / 0.6084 /
  // 0.2383 / 0.3611 / 0.0659, with both 0.3359 / 0.5877 / 0.2299 / 0.3543 /
  // 0.0632. Of the 5 HMM iterations the last 3 then train each direction on
  // its own fertility-reweighted posteriors (eflomal's and GIZA++'s staging,
  // the fertility model last and longest: the product of the two
  // directions' posteriors suppresses one-to-many links, a Chinese word
  // with three English words, that one direction on its own can learn once
  // agreement has started both off and the fertility model keeps it from
  // over-fitting): 0.3171 / 0.5723 / 0.2255 / 0.3479 / 0.0605. Of the
  // splits tried (2-5 agreement iterations, then 1-3 on its own), all but
  // 2 + 1 (Czech 0.0032 worse) gained on Chinese, Japanese and Czech, and
  // all with 2-4 agreement iterations on German too; 1 + 4 lost on Czech
  // and German. See the README's quality table.
  // Every word is cut to its first 4 characters (a crude stem, the usual
  // one for alignment: inflected forms of a word share their counts, which
  // few sentences cannot give each form): 0.2954 / 0.5603 / 0.1620 / 0.3189
  // / 0.0542 against 0.3160 / 0.5691 / 0.2251 / 0.3478 / 0.0596 (with each
  // direction's links at posterior 0.5), and on all 1.13M Hansards pairs
  // 0.0498 against 0.0500. Cutting only words seen at most twice gained
  // less everywhere and lost on Hansards (0.0608); 6 characters gained
  // less on four sets.
  corpus.lowercase = true;
  corpus.stem_length = 4;
  training.model = "hmm";
  training.hmm.diagonal_tension = 2.0;
  agreement_options.fertility = true;
  agreement_options.independent_iterations = 3;
}

absl::Status ValidateSymmetricOptions(const SymmetricOptions& options) {
  RETURN_IF_ERROR(ValidateCorpusOptions(options.corpus));
  if (options.prefix.empty())
    return absl::InvalidArgumentError("give --prefix PATH for the outputs");
  RETURN_IF_ERROR(ValidateSymmetricSettings(options));
  // Every path of the run, checked together before any training.
  std::vector<NamedPath> paths;
  AddCorpusPaths(options.corpus, &paths);
  const SymmetricPaths outputs = SymmetricOutputPaths(options);
  std::vector<std::pair<std::string, std::string>> named = {
      {"forward", outputs.forward},
      {"reverse", outputs.reverse},
      {std::string(HeuristicName(options.heuristic)), outputs.combined}};
  if (options.agreement) named.push_back({"agreement", outputs.agreement});
  for (const auto& [name, path] : named) {
    paths.push_back({"--prefix (" + name + ")", path, PathRole::kOutput});
  }
  return CheckRunPaths(paths);
}

absl::Status ValidateSymmetricSettings(const SymmetricOptions& options) {
  RETURN_IF_ERROR(ValidateMaxSentenceLength(options.corpus));
  ASSIGN_OR_RETURN(const TrainingOptions training,
                   ResolveDefaults(options.training, options.agreement));
  RETURN_IF_ERROR(ValidateTrainingOptions(training));
  RETURN_IF_ERROR(ValidateThreshold(options.posterior_threshold));
  if (options.threads < 0) return absl::InvalidArgumentError("--threads must be >= 0");
  if (!(options.direction_threshold <= 1)) {
    return absl::InvalidArgumentError(
        "--direction-threshold must be at most 1 (negative: each target word's most probable "
        "source)");
  }
  if (options.agreement) {
    // Measured: with the variational Bayes prior the agreed (product) counts
    // are too small, and the digamma update sends nearly every word to NULL
    // (Hansards 100k AER 0.19).
    if (training.prior.variational_bayes) {
      return absl::InvalidArgumentError(
          "agreement training does not work with -v (variational Bayes); add --no-agreement "
          "to train the directions independently");
    }
    if (training.viterbi_training) {
      return absl::InvalidArgumentError(
          "--viterbi-training counts each direction's own Viterbi alignments, which agreement "
          "training does not have; add --no-agreement");
    }
    if (!(options.agreement_threshold > 0 && options.agreement_threshold <= 1)) {
      return absl::InvalidArgumentError("--agreement-threshold must be in (0, 1]");
    }
    const AgreementOptions& agreement = options.agreement_options;
    if (agreement.fertility_sweeps < 1) {
      return absl::InvalidArgumentError("--fertility-sweeps must be at least 1");
    }
    if (!(agreement.fertility_alpha > 0 && std::isfinite(agreement.fertility_alpha))) {
      return absl::InvalidArgumentError("--fertility-alpha must be positive");
    }
    if (agreement.independent_iterations < 0) {
      return absl::InvalidArgumentError("--independent-iterations must be >= 0");
    }
  }
  return absl::OkStatus();
}

DecodeOptions AgreementDecodeOptions(const SymmetricOptions& options) {
  DecodeOptions decode;
  decode.posterior_threshold = options.posterior_threshold.value_or(options.direction_threshold);
  decode.viterbi_log_prob = options.print_scores;
  return decode;
}

namespace {

// Trains both directions of `corpus` by agreement and hands every pair's
// decoding to `sink`, in corpus order.
absl::Status TrainAndDecodeByAgreement(
    const ParallelCorpus& corpus, const SymmetricOptions& options, const Logger& log,
    const std::function<void(size_t, const AgreementDecodedPair&)>& sink) {
  ASSIGN_OR_RETURN(const TrainingOptions training, ResolveDefaults(options.training, true));
  ParallelCorpus reverse_corpus = corpus;
  reverse_corpus.SwapSides();

  AgreementTrainer trainer(corpus, reverse_corpus, options.threads, options.agreement_options);
  trainer.set_progress(options.progress);
  Stopwatch train_clock;
  ASSIGN_OR_RETURN(AgreementModels models,
                   TrainByAgreement(corpus, reverse_corpus, training, &trainer,
                                    [&](const AgreementIterationReport& r) {
                                      Log(log, "%s", FormatAgreementReport(r));
                                    }));
  Log(log, "trained both directions in %.2fs", train_clock.Seconds());
  trainer.ReleaseCounts();

  Stopwatch decode_clock;
  const DecodeOptions decode = AgreementDecodeOptions(options);
  trainer.Run([&] {
    DecodeByAgreement(*models.forward, *models.reverse, corpus, reverse_corpus, decode,
                      options.agreement_threshold, sink, options.progress,
                      trainer.forward_fertility(), trainer.reverse_fertility(),
                      options.agreement_options.fertility_sweeps);
  });
  Log(log, "aligned in %.2fs", decode_clock.Seconds());
  return absl::OkStatus();
}

// Both directions by agreement: PREFIX.forward, .reverse, .agreement, then
// their symmetrization.
absl::Status RunByAgreement(const SymmetricOptions& options, const Logger& log) {
  const SymmetricPaths paths = SymmetricOutputPaths(options);
  ASSIGN_OR_RETURN(auto forward_output, OutputFile::Open(paths.forward));
  ASSIGN_OR_RETURN(auto reverse_output, OutputFile::Open(paths.reverse));
  ASSIGN_OR_RETURN(auto agreement_output, OutputFile::Open(paths.agreement));

  ASSIGN_OR_RETURN(const ParallelCorpus corpus, ReadCorpus(options.corpus, nullptr, false, log));
  RETURN_IF_ERROR(TrainAndDecodeByAgreement(
      corpus, options, log, [&](size_t, const AgreementDecodedPair& pair) {
        forward_output->Write(
            PharaohLine(pair.forward.links, options.print_scores, pair.forward.log_prob));
        reverse_output->Write(
            PharaohLine(pair.reverse.links, options.print_scores, pair.reverse.log_prob));
        agreement_output->Write(PharaohLine(pair.agreement, false, 0));
      }));
  for (OutputFile* file : {forward_output.get(), reverse_output.get(), agreement_output.get()}) {
    RETURN_IF_ERROR(file->Commit());
  }
  RETURN_IF_ERROR(SymmetrizeFiles(paths.forward, paths.reverse, options.heuristic, paths.combined));
  Log(log, "wrote %s, %s, %s and %s", paths.forward, paths.reverse, paths.combined,
      paths.agreement);
  return absl::OkStatus();
}

}  // namespace

AlignOptions DirectionOptions(const SymmetricOptions& options, bool reverse) {
  AlignOptions direction;
  direction.corpus = options.corpus;
  direction.training = options.training;
  direction.threads = options.threads;
  direction.posterior_threshold = options.posterior_threshold;
  direction.print_scores = options.print_scores;
  direction.command_line = options.command_line;
  const SymmetricPaths outputs = SymmetricOutputPaths(options);
  direction.output = reverse ? outputs.reverse : outputs.forward;
  direction.reverse = reverse;
  return direction;
}

namespace {

// Both directions trained on their own at once, with half the threads each.
std::pair<AlignOptions, AlignOptions> ConcurrentDirections(const SymmetricOptions& options) {
  const int threads = options.threads > 0 ? options.threads : tbb::info::default_concurrency();
  AlignOptions forward = DirectionOptions(options, false);
  AlignOptions reverse = DirectionOptions(options, true);
  forward.threads = std::max(1, threads / 2);
  reverse.threads = std::max(1, threads - forward.threads);
  forward.progress = ScopedProgress(options.progress, "forward");
  reverse.progress = ScopedProgress(options.progress, "reverse");
  return {forward, reverse};
}

Logger Prefixed(const Logger& log, const char* direction) {
  if (!log) return nullptr;
  return [&log, direction](const std::string& line) { log(absl::StrCat(direction, ": ", line)); };
}

// Runs `reverse` on a thread of its own while `forward` runs here; the
// forward direction's error first.
absl::Status RunBothDirections(const std::function<absl::Status()>& forward,
                               const std::function<absl::Status()>& reverse) {
  absl::Status reverse_status;
  std::thread reverse_thread([&] { reverse_status = reverse(); });
  const absl::Status forward_status = forward();
  reverse_thread.join();
  RETURN_IF_ERROR(forward_status);
  return reverse_status;
}

// Each direction on its own, both at once with half the threads each.
absl::Status RunIndependently(const SymmetricOptions& options, const Logger& log) {
  std::pair<AlignOptions, AlignOptions> directions = ConcurrentDirections(options);
  const AlignOptions& forward = directions.first;
  const AlignOptions& reverse = directions.second;
  RETURN_IF_ERROR(RunBothDirections([&] { return RunAlign(forward, Prefixed(log, "forward")); },
                                    [&] { return RunAlign(reverse, Prefixed(log, "reverse")); }));
  const std::string combined = SymmetricOutputPaths(options).combined;
  RETURN_IF_ERROR(SymmetrizeFiles(forward.output, reverse.output, options.heuristic, combined));
  Log(log, "wrote %s, %s and %s", forward.output, reverse.output, combined);
  return absl::OkStatus();
}

}  // namespace

absl::Status RunSymmetric(const SymmetricOptions& options, const Logger& log) {
  RETURN_IF_ERROR(ValidateSymmetricOptions(options));
  return options.agreement ? RunByAgreement(options, log) : RunIndependently(options, log);
}

}  // namespace aligner

namespace aligner {

absl::StatusOr<SymmetricLinks> SymmetricOnCorpus(const ParallelCorpus& corpus,
                                                 const SymmetricOptions& options,
                                                 const Logger& log) {
  RETURN_IF_ERROR(ValidateSymmetricSettings(options));
  SymmetricLinks links;
  if (options.agreement) {
    RETURN_IF_ERROR(TrainAndDecodeByAgreement(corpus, options, log,
                                              [&](size_t, const AgreementDecodedPair& pair) {
                                                links.forward.push_back(pair.forward.links);
                                                links.reverse.push_back(pair.reverse.links);
                                                links.agreement.push_back(pair.agreement);
                                              }));
  } else {
    // As RunIndependently: each direction trained and decoded on its own,
    // both at once.
    const std::pair<AlignOptions, AlignOptions> directions = ConcurrentDirections(options);
    const AlignOptions& forward = directions.first;
    const AlignOptions& reverse = directions.second;
    ParallelCorpus reverse_corpus = corpus;
    reverse_corpus.SwapSides();
    auto run = [](const ParallelCorpus& c, const AlignOptions& o, const Logger& direction_log,
                  std::vector<SentenceLinks>* out) -> absl::Status {
      EmTrainer trainer(c, o.threads);
      trainer.set_progress(o.progress);
      ASSIGN_OR_RETURN(const LoadedModel model,
                       TrainOnCorpus(c, o, nullptr, &trainer, direction_log));
      DecodeOptions decode;
      decode.reverse = o.reverse;
      decode.posterior_threshold = o.posterior_threshold.value_or(-1);
      for (DecodedPair& pair : AlignCorpus(model, c, decode, &trainer)) {
        out->push_back(std::move(pair.links));
      }
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(RunBothDirections(
        [&] { return run(corpus, forward, Prefixed(log, "forward"), &links.forward); },
        [&] { return run(reverse_corpus, reverse, Prefixed(log, "reverse"), &links.reverse); }));
  }
  links.symmetrized.reserve(links.forward.size());
  for (size_t k = 0; k < links.forward.size(); ++k) {
    links.symmetrized.push_back(Symmetrize(links.forward[k], links.reverse[k], options.heuristic));
  }
  return links;
}

std::vector<std::vector<double>> CorpusPosteriors(const LoadedModel& model,
                                                  const ParallelCorpus& corpus,
                                                  EmTrainer* trainer) {
  std::vector<std::vector<double>> matrices(corpus.size());
  const bool reverse = model.metadata.reverse;
  trainer->Run([&] {
    tbb::parallel_for(tbb::blocked_range<size_t>(0, corpus.size(), 64),
                      [&](const tbb::blocked_range<size_t>& range) {
                        std::vector<double> posteriors;
                        for (size_t k = range.begin(); k != range.end(); ++k) {
                          const SentencePair pair = corpus.pair(k);
                          const size_t l = pair.source.size(), m = pair.target.size();
                          if (l == 0 || m == 0) continue;
                          model.model->Posteriors(pair, &posteriors);
                          // The model's layout is [j * (l + 1) + i], i = 0 being NULL; the
                          // input's source side is the model's target side when reversed.
                          std::vector<double>& matrix = matrices[k];
                          matrix.assign(l * m, 0.0);
                          for (size_t j = 0; j < m; ++j) {
                            for (size_t i = 1; i <= l; ++i) {
                              const double p = posteriors[j * (l + 1) + i];
                              matrix[reverse ? j * l + (i - 1) : (i - 1) * m + j] = p;
                            }
                          }
                        }
                      });
  });
  return matrices;
}

}  // namespace aligner
