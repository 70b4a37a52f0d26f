#include "aligner/cli/flags.h"

#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "aligner/model/model_registry.h"
#include "boost/program_options.hpp"

namespace aligner::cli {
namespace {

namespace po = boost::program_options;

std::string JoinArgs(int argc, char** argv) {
  std::string line;
  for (int k = 0; k < argc; ++k) absl::StrAppend(&line, k > 0 ? " " : "", argv[k]);
  return line;
}

// A value whose help shows the struct's current value as the default.
template <typename T>
po::typed_value<T>* Bound(T* field) {
  return po::value(field)->default_value(*field, absl::StrCat(*field));
}

// Sets an optional field when the option is given; unset means "the model's
// default", which the help spells out.
template <typename T>
po::typed_value<T>* Optional(std::optional<T>* field) {
  return po::value<T>()->notifier([field](const T& value) { *field = value; });
}

void AddCorpusFlags(CorpusOptions* o, po::options_description* group) {
  group->add_options()("input,i", po::value(&o->input),
                       "parallel corpus, one 'source ||| target' pair per line "
                       "(a TAB also separates); plain, gzip or zstd; '-' for stdin")(
      "source", po::value(&o->source), "source side, one sentence per line (with --target)")(
      "target", po::value(&o->target), "target side, line-parallel to --source")(
      "max-sentence-length", Bound(&o->max_sentence_length),
      "pairs with a longer side are not trained on and get an empty output line")(
      "stem-length", Bound(&o->stem_length),
      "train on the first N characters of every word (after --lowercase), a crude stem "
      "('houses' and 'housing' share 'hous'); 0: whole words");
}

// Model and training options. `favor_diagonal` receives -d.
void AddTrainingFlags(TrainingOptions* o, bool* favor_diagonal, po::options_description* group) {
  group->add_options()("favor-diagonal,d", po::bool_switch(favor_diagonal),
                       "diagonal-favoring IBM Model 2 of fast_align (same as --model diagonal)")(
      "model", Bound(&o->model),
      absl::StrCat(ModelNames(), " (hmm: the jump-based HMM of Vogel et al.)").c_str())(
      "iterations,I", Bound(&o->iterations), "EM iterations of the main model")(
      "model1-iterations", Bound(&o->model1_iterations),
      absl::StrCat("IBM Model 1 iterations before the main model; -1: the model's default (5 "
                   "before model2, 0 before diagonal and hmm, ",
                   kAgreementHmmModel1Iterations, " before hmm by agreement)")
          .c_str())("optimize-tension,o", po::bool_switch(&o->diagonal.optimize_tension),
                    "re-estimate the diagonal tension during training")(
      "diagonal-tension,T", Bound(&o->diagonal.tension), "starting diagonal tension")(
      "p0,q", Bound(&o->diagonal.p0),
      "NULL alignment probability (diagonal; fast_align's default is 0.08, ours was chosen "
      "by AER on three language pairs)")("optimize-p0", po::bool_switch(&o->diagonal.optimize_p0),
                                         "re-estimate p0 during training (diagonal)")(
      "hmm-p0", Optional(&o->hmm_p0),
      absl::StrCat("probability of moving to a NULL state at each target word (hmm; default ",
                   HmmOptions().null_probability, ", ", kAgreementHmmP0, " by agreement)")
          .c_str())("hmm-max-jump", Bound(&o->hmm.max_jump),
                    "jumps longer than this share one weight per direction (hmm)")(
      "hmm-jump-smoothing", Bound(&o->hmm.jump_smoothing),
      "weight of a uniform jump mixed into every transition (hmm)")(
      "hmm-diagonal-tension", Bound(&o->hmm.diagonal_tension),
      "strength of the pull of jumps toward the diagonal; 0: none (hmm)")(
      "variational-bayes,v", po::bool_switch(&o->prior.variational_bayes),
      "variational Bayes with a symmetric Dirichlet prior on t(f|e)")(
      "slot-cache-mb", Bound(&o->slot_cache_mb),
      "MiB for each training pair's translation-table slots, found once instead of in every "
      "iteration: faster, same links; 0: none (the diagonal model arranges the corpus by target "
      "word instead, unless 0)")(
      "viterbi-training", po::bool_switch(&o->viterbi_training),
      "hard EM: count only each pair's most probable alignment (after the first iteration "
      "from uniform parameters)")(
      "alpha,a", Optional(&o->alpha),
      absl::StrCat("Dirichlet prior parameter (default ", TranslationPrior().alpha, ", ",
                   kHmmDefaultAlpha, " for hmm)")
          .c_str());
}

// fast_align's long names, accepted silently.
void AddFastAlignNames(po::options_description* group) {
  group->add_options()("favor_diagonal", po::bool_switch(), "")(
      "optimize_tension", po::bool_switch(), "")("variational_bayes", po::bool_switch(), "")(
      "no_null_word", po::bool_switch(), "")("diagonal_tension", po::value<double>(), "");
}

void ApplyFastAlignNames(const po::variables_map& vm, bool* favor_diagonal, TrainingOptions* o) {
  if (vm["favor_diagonal"].as<bool>()) *favor_diagonal = true;
  if (vm["optimize_tension"].as<bool>()) o->diagonal.optimize_tension = true;
  if (vm["variational_bayes"].as<bool>()) o->prior.variational_bayes = true;
  if (vm["no_null_word"].as<bool>()) o->use_null = false;
  if (vm.count("diagonal_tension")) o->diagonal.tension = vm["diagonal_tension"].as<double>();
}

// -d means the diagonal model; with --model too, they must agree.
absl::Status ApplyFavorDiagonal(bool favor_diagonal, const po::variables_map& vm,
                                TrainingOptions* o) {
  if (!favor_diagonal) return absl::OkStatus();
  if (!vm["model"].defaulted()) {
    auto info = FindModel(o->model);
    if (info.ok() && (*info)->name != "diagonal") {
      return absl::InvalidArgumentError(
          absl::StrCat("-d (the diagonal model) contradicts --model ", o->model));
    }
  }
  o->model = "diagonal";
  return absl::OkStatus();
}

// Whether `flag` was on the command line (a switch: and on).
bool OptionGiven(const po::variables_map& vm, const char* flag) {
  const auto it = vm.find(flag);
  return it != vm.end() && !it->second.defaulted() &&
         !(it->second.value().type() == typeid(bool) && !it->second.as<bool>());
}

// In a front end without files (ParseTrainSettings, ParseSymmetricSettings),
// an error naming the first of the file and output options that was given.
absl::Status RefuseFileOptions(const po::variables_map& vm) {
  for (const char* flag :
       {"input", "source", "target", "output", "prefix", "giza-a3", "link-posteriors",
        "output-parameters", "ttable-format", "ttable-min-prob", "model-file", "checkpoint",
        "resume", "print-scores"}) {
    if (OptionGiven(vm, flag)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag,
                       " names a file or an output format; here the sentences are given and the "
                       "links returned"));
    }
  }
  return absl::OkStatus();
}

// Parses into `vm`; false with `status` set on a usage error.
bool ParseInto(int argc, char** argv, const po::options_description& options, po::variables_map* vm,
               absl::Status* status) {
  try {
    // No positional arguments: a stray word (`align -i c -d out.align`) is an
    // error, not silently dropped.
    const po::positional_options_description none;
    po::store(po::command_line_parser(argc, argv).options(options).positional(none).run(), *vm);
    po::notify(*vm);
  } catch (const po::error& e) {
    *status = absl::InvalidArgumentError(e.what());
    return false;
  }
  // No option takes an empty string: `--output ""` must not mean "nowhere".
  for (const auto& [name, value] : *vm) {
    const auto* text = boost::any_cast<std::string>(&value.value());
    const po::option_description* option = options.find_nothrow(name, false);
    const bool takes_value = option != nullptr && option->semantic()->max_tokens() > 0;
    if (takes_value && text != nullptr && text->empty() && !value.defaulted()) {
      *status = absl::InvalidArgumentError(absl::StrCat("--", name, " was given an empty path"));
      return false;
    }
  }
  return true;
}

// Parses a command's option groups, with --quiet, --help and fast_align's
// long names added; false when there is nothing to run: --help (the help
// text is in `parsed`) or a usage error (in parsed->status).
template <typename Options>
bool ParseGroups(int argc, char** argv, std::initializer_list<po::options_description*> groups,
                 const char* usage, po::variables_map* vm, Parsed<Options>* parsed) {
  groups.end()[-1]->add_options()(
      "quiet", po::bool_switch(&parsed->quiet),
      "no progress reports on stderr (on a terminal, the status line within each iteration; "
      "otherwise a line per iteration), only warnings")("help,h", "show this help");
  po::options_description visible;
  for (po::options_description* group : groups) visible.add(*group);
  po::options_description compat;
  AddFastAlignNames(&compat);
  po::options_description all;
  all.add(visible).add(compat);
  if (!ParseInto(argc, argv, all, vm, &parsed->status)) return false;
  if (vm->count("help")) {
    parsed->help = true;
    std::ostringstream text;
    text << usage << "\n" << visible << "\n";
    parsed->help_text = text.str();
    return false;
  }
  return true;
}

// kTrainSettings: `train` without files (ParseTrainSettings).
enum class Mode { kAlign, kTrain, kTrainSettings };

Parsed<AlignOptions> ParseAlignOrTrain(int argc, char** argv, Mode mode) {
  Parsed<AlignOptions> parsed;
  AlignOptions& o = parsed.options;
  if (mode != Mode::kAlign) o = TrainDefaults();
  o.command_line = JoinArgs(argc, argv);
  bool favor_diagonal = false, no_null = false;
  po::options_description input("Input");
  AddCorpusFlags(&o.corpus, &input);
  input.add_options()("lowercase", po::bool_switch(&o.corpus.lowercase),
                      "lowercase words before training");
  po::options_description model("Model and training");
  AddTrainingFlags(&o.training, &favor_diagonal, &model);
  model.add_options()(
      "reverse,r", po::bool_switch(&o.reverse),
      "train the reverse direction (each source word generated by one target word); links "
      "are still written source-target")("no-null-word,N", po::bool_switch(&no_null),
                                         "no NULL source word")("threads", Bound(&o.threads),
                                                                "worker threads; 0 = all cores");
  po::options_description output("Output");
  output.add_options()("output", Bound(&o.output),
                       mode != Mode::kAlign
                           ? "also write the training corpus's Pharaoh links here ('-': stdout)"
                           : "Pharaoh links 'i-j', one line per input line; '-' for stdout")(
      "posterior-threshold", Optional(&o.posterior_threshold),
      "write every link whose posterior reaches this value instead of Viterbi links")(
      "print-scores,s", po::bool_switch(&o.print_scores),
      "append ' ||| log probability' to every output line")(
      "giza-a3", po::value(&o.a3_output), "also write a GIZA++ A3 alignment file")(
      "link-posteriors", po::value(&o.posteriors_output),
      "also write, line by line, the posterior probability of every written link, in the "
      "order of the links")("output-parameters,p", po::value(&o.ttable_output),
                            "write the translation table t(f|e) to this file")(
      "ttable-format", po::value<std::string>()->default_value("fast_align"),
      "fast_align (source TAB target TAB log prob, NULL as <eps>) or prob (source target "
      "prob)")("ttable-min-prob", Bound(&o.ttable_min_prob),
               "leave out table entries below this probability")(
      "model-file", po::value(&o.model_output),
      mode != Mode::kAlign ? "write the trained model to this file (required)"
                           : "also write the trained model to this file")(
      "checkpoint", po::value(&o.checkpoint),
      "after every EM iteration, save the model and its place in the schedule here")(
      "resume", po::value(&o.resume),
      "continue training from a --checkpoint file (same corpus and options); the result is "
      "the same as an uninterrupted run's");
  if (mode == Mode::kAlign) {
    output.add_options()(
        "load-model", po::value(&o.load_model),
        "align with a model saved by 'aligner train' instead of training; unknown words align "
        "by position and NULL probability alone")(
        "stream", po::bool_switch(&o.stream),
        "with --load-model: read 'source ||| target' lines from stdin and write each line's "
        "links to stdout as soon as it is read (flushed), for use as a co-process");
  }
  const char* usage =
      mode != Mode::kAlign
          ? "usage: aligner train -i CORPUS --model-file MODEL [options]\n"
            "       aligner train --source FILE --target FILE --model-file MODEL [options]\n\n"
            "Trains an alignment model and saves it; 'aligner align --load-model MODEL' then "
            "aligns new text with it.\nWith --output it also writes the alignment of the "
            "training corpus.\n"
          : "usage: aligner align -i CORPUS [options] > ALIGNMENT\n"
            "       aligner align --source FILE --target FILE [options] > ALIGNMENT\n"
            "       aligner align --load-model MODEL --stream [options] < PAIRS > ALIGNMENT\n\n"
            "Trains an alignment model on the corpus and writes Pharaoh links (0-based "
            "'source-target'), one line per input line.\nfast_align users: aligner align -i "
            "corpus -d -o -v [-r]\n";
  po::variables_map vm;
  if (!ParseGroups(argc, argv, {&input, &model, &output}, usage, &vm, &parsed)) return parsed;
  ApplyFastAlignNames(vm, &favor_diagonal, &o.training);
  if (no_null) o.training.use_null = false;
  parsed.status = ApplyFavorDiagonal(favor_diagonal, vm, &o.training);
  if (!parsed.status.ok()) return parsed;
  const std::string format = vm["ttable-format"].as<std::string>();
  if (format == "fast_align") {
    o.ttable_format = TranslationTableFormat::kFastAlign;
  } else if (format == "prob") {
    o.ttable_format = TranslationTableFormat::kProbability;
  } else {
    parsed.status = absl::InvalidArgumentError("--ttable-format must be fast_align or prob");
    return parsed;
  }
  if (!o.load_model.empty()) {
    // A loaded model aligns as it was trained: training flags would be
    // silently dropped, so they are refused.
    for (const char* flag : {"favor-diagonal",
                             "model",
                             "iterations",
                             "model1-iterations",
                             "optimize-tension",
                             "diagonal-tension",
                             "p0",
                             "optimize-p0",
                             "hmm-p0",
                             "hmm-max-jump",
                             "hmm-jump-smoothing",
                             "hmm-diagonal-tension",
                             "variational-bayes",
                             "viterbi-training",
                             "slot-cache-mb",
                             "alpha",
                             "no-null-word",
                             "lowercase",
                             "stem-length",
                             "max-sentence-length",
                             "favor_diagonal",
                             "optimize_tension",
                             "variational_bayes",
                             "no_null_word",
                             "diagonal_tension"}) {
      if (OptionGiven(vm, flag)) {
        parsed.status = absl::InvalidArgumentError(
            absl::StrCat("--", flag,
                         " is a training option; --load-model aligns with the model's own "
                         "options (its file records them)"));
        return parsed;
      }
    }
  }
  if (mode == Mode::kTrainSettings) {
    parsed.status = RefuseFileOptions(vm);
    if (parsed.status.ok()) parsed.status = ValidateAlignSettings(o);
    return parsed;
  }
  if (mode == Mode::kTrain && o.model_output.empty()) {
    parsed.status =
        absl::InvalidArgumentError("give --model-file FILE to write the trained model to");
    return parsed;
  }
  parsed.status = ValidateAlignOptions(o);
  return parsed;
}

}  // namespace

AlignOptions TrainDefaults() {
  AlignOptions options;
  options.output.clear();
  return options;
}

Parsed<AlignOptions> ParseAlign(int argc, char** argv) {
  return ParseAlignOrTrain(argc, argv, Mode::kAlign);
}

Parsed<AlignOptions> ParseTrain(int argc, char** argv) {
  return ParseAlignOrTrain(argc, argv, Mode::kTrain);
}

namespace {

// `symmetric`'s options; with `settings`, those of ParseSymmetricSettings.
Parsed<SymmetricOptions> ParseSymmetricOrSettings(int argc, char** argv, bool settings) {
  Parsed<SymmetricOptions> parsed;
  SymmetricOptions& o = parsed.options;
  o.command_line = JoinArgs(argc, argv);
  bool favor_diagonal = false, no_null = false, no_agreement = false, no_lowercase = false;
  bool no_fertility = false;
  std::string heuristic(HeuristicName(o.heuristic));
  std::string agreement_null = o.agreement_options.null == AgreementNull::kRest ? "rest" : "own";
  po::options_description input("Input");
  AddCorpusFlags(&o.corpus, &input);
  input.add_options()("lowercase", po::bool_switch(),
                      "lowercase words before training (the default)")(
      "no-lowercase", po::bool_switch(&no_lowercase), "keep the case of words");
  po::options_description model("Model and training");
  AddTrainingFlags(&o.training, &favor_diagonal, &model);
  model.add_options()(
      "agreement", po::bool_switch(),
      "train the two directions together by agreement (Liang et al. 2006; the default)")(
      "no-agreement", po::bool_switch(&no_agreement),
      "train each direction on its own, both at once with half the threads each")(
      "agreement-null", po::value(&agreement_null)->default_value(agreement_null),
      "expected NULL counts under agreement: rest (1 - the word's agreed links) or own "
      "(each model's own NULL posterior)")(
      "fertility", po::bool_switch(),
      "with agreement: a fertility model per direction over the posteriors (mean field), "
      "in training and decoding (the default)")("no-fertility", po::bool_switch(&no_fertility),
                                                "agreement without the fertility models")(
      "fertility-alpha", Bound(&o.agreement_options.fertility_alpha),
      "weight, in tokens, of the fertility distribution of all words in each word's own")(
      "fertility-sweeps", Bound(&o.agreement_options.fertility_sweeps),
      "mean-field sweeps of the fertility models per sentence pair")(
      "independent-iterations", Bound(&o.agreement_options.independent_iterations),
      "with fertility: the last this many HMM iterations train each direction on its own "
      "posteriors, reweighted by its fertility model, not by agreement (the first two stay by "
      "agreement)")("no-null-word,N", po::bool_switch(&no_null), "no NULL source word")(
      "threads", Bound(&o.threads), "worker threads; 0 = all cores");
  po::options_description output("Output");
  output.add_options()(
      "prefix", po::value(&o.prefix),
      "write PREFIX.forward, PREFIX.reverse, PREFIX.<heuristic> (and PREFIX.agreement)")(
      "command,c", po::value(&heuristic)->default_value(heuristic),
      "symmetrization heuristic: intersect, union, grow-diag, grow-diag-final or "
      "grow-diag-final-and")(
      "agreement-threshold", Bound(&o.agreement_threshold),
      "PREFIX.agreement links: product of the two directions' posteriors at least this")(
      "direction-threshold", Bound(&o.direction_threshold),
      "by agreement, each direction's links: those whose posterior reaches this; negative: "
      "each target word's most probable source")(
      "posterior-threshold", Optional(&o.posterior_threshold),
      "write every link whose posterior reaches this value instead of Viterbi links (with or "
      "without agreement; in place of --direction-threshold)")(
      "print-scores,s", po::bool_switch(&o.print_scores),
      "append ' ||| log probability' to every output line");
  const char* usage =
      "usage: aligner symmetric --source FILE --target FILE --prefix OUT [options]\n"
      "       aligner symmetric -i CORPUS --prefix OUT [options]\n\n"
      "Trains and aligns both directions and writes OUT.forward, OUT.reverse and "
      "OUT.<heuristic> (default grow-diag-final-and).\nWithout model options it runs the most "
      "accurate setting: both HMM directions trained by agreement on lowercased words,\nwith "
      "a fertility model each (the last 3 HMM iterations train each direction on its own with "
      "it),\nand also writes OUT.agreement, the links both directions agree on.\n";
  po::variables_map vm;
  if (!ParseGroups(argc, argv, {&input, &model, &output}, usage, &vm, &parsed)) return parsed;
  ApplyFastAlignNames(vm, &favor_diagonal, &o.training);
  if (no_null) o.training.use_null = false;
  if (no_lowercase) o.corpus.lowercase = false;
  if (no_agreement) {
    if (vm["agreement"].as<bool>()) {
      parsed.status = absl::InvalidArgumentError("--agreement and --no-agreement contradict");
      return parsed;
    }
    o.agreement = false;
  }
  parsed.status = ApplyFavorDiagonal(favor_diagonal, vm, &o.training);
  if (!parsed.status.ok()) return parsed;
  auto parsed_heuristic = ParseHeuristic(heuristic);
  if (!parsed_heuristic.ok()) {
    parsed.status = parsed_heuristic.status();
    return parsed;
  }
  o.heuristic = *parsed_heuristic;
  if (agreement_null == "rest") {
    o.agreement_options.null = AgreementNull::kRest;
  } else if (agreement_null == "own") {
    o.agreement_options.null = AgreementNull::kOwn;
  } else {
    parsed.status = absl::InvalidArgumentError("--agreement-null must be rest or own");
    return parsed;
  }
  const bool fertility = vm["fertility"].as<bool>();
  if (fertility && no_fertility) {
    parsed.status = absl::InvalidArgumentError("--fertility and --no-fertility contradict");
    return parsed;
  }
  // Fertility models are part of agreement training: --no-agreement or
  // --no-fertility turns them off.
  if (no_fertility || !o.agreement) o.agreement_options.fertility = false;
  if (!o.agreement &&
      (!vm["agreement-threshold"].defaulted() || !vm["agreement-null"].defaulted() || fertility ||
       !vm["fertility-alpha"].defaulted() || !vm["fertility-sweeps"].defaulted() ||
       !vm["independent-iterations"].defaulted())) {
    parsed.status = absl::InvalidArgumentError(
        "--agreement-threshold, --agreement-null, --fertility, --fertility-alpha, "
        "--fertility-sweeps and --independent-iterations are for agreement training "
        "(drop --no-agreement)");
    return parsed;
  }
  if (settings) {
    parsed.status = RefuseFileOptions(vm);
    if (parsed.status.ok()) parsed.status = ValidateSymmetricSettings(o);
    return parsed;
  }
  parsed.status = ValidateSymmetricOptions(o);
  return parsed;
}

}  // namespace

Parsed<SymmetricOptions> ParseSymmetric(int argc, char** argv) {
  return ParseSymmetricOrSettings(argc, argv, false);
}

Parsed<AlignOptions> ParseTrainSettings(int argc, char** argv) {
  return ParseAlignOrTrain(argc, argv, Mode::kTrainSettings);
}

Parsed<SymmetricOptions> ParseSymmetricSettings(int argc, char** argv) {
  return ParseSymmetricOrSettings(argc, argv, true);
}

}  // namespace aligner::cli
