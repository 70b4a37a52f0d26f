// The Python module `aligner`: the pipeline API (aligner/pipeline) over
// sentences held in Python lists. Options are keyword arguments named as the
// CLI's long options ('-' -> '_') and bound onto the same structs, so their
// defaults are the library's; everything else (training, decoding,
// symmetrization, scoring) is the pipeline's own calls, so results equal the
// CLI's for the same options. Training and decoding run without the GIL.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "aligner/cli/flags.h"
#include "aligner/io/gold.h"
#include "aligner/io/pharaoh.h"
#include "aligner/io/tokenize.h"
#include "aligner/pipeline/pipeline.h"
#include "aligner/tools/evaluate.h"
#include "aligner/tools/symmetrize.h"
#include "aligner/version.h"
#include "pybind11/pybind11.h"
#include "pybind11/stl.h"

namespace py = pybind11;

namespace aligner::python {
namespace {

// A library error as a Python exception: bad values are ValueError, a
// missing file FileNotFoundError, the rest RuntimeError; the message is the
// library's.
[[noreturn]] void Raise(const absl::Status& status) {
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
      throw py::value_error(message);
    case absl::StatusCode::kNotFound:
      PyErr_SetString(PyExc_FileNotFoundError, message.c_str());
      throw py::error_already_set();
    default:
      throw std::runtime_error(message);
  }
}

void Check(const absl::Status& status) {
  if (!status.ok()) Raise(status);
}

template <typename T>
T Value(absl::StatusOr<T> value) {
  if (!value.ok()) Raise(value.status());
  return *std::move(value);
}

// Progress as the CLI prints it ("aligner <what>: ..." on stderr); with
// quiet, warnings only. Called from worker threads without the GIL, so it
// writes to the C stream, not sys.stderr.
Logger MakeLogger(const char* what, bool quiet) {
  return [what, quiet](const std::string& line) {
    if (!quiet || line.rfind("warning: ", 0) == 0) {
      std::fprintf(stderr, "aligner %s: %s\n", what, line.c_str());
    }
  };
}

// ---- Options: keyword arguments as the CLI's command line.

// A keyword argument as the CLI's option: name_with_underscores=value is
// --name-with-underscores VALUE; True is the switch, False its --no- form
// where the command has one (symmetric's --no-lowercase, --no-agreement) and
// otherwise the switch's default, left out; None leaves the option unset.
void AddOption(const std::string& name, py::handle value, const std::string& help,
               std::vector<std::string>* args) {
  std::string flag = "--" + name;
  std::replace(flag.begin(), flag.end(), '_', '-');
  if (value.is_none()) return;
  if (py::isinstance<py::bool_>(value)) {
    if (value.cast<bool>()) {
      args->push_back(flag);
    } else if (const std::string no = "--no-" + flag.substr(2);
               help.find(no + " ") != std::string::npos) {
      args->push_back(no);
    } else if (help.find(flag + " ") == std::string::npos) {
      args->push_back(flag);  // not an option: the parser says so
    }
    return;
  }
  if (!py::isinstance<py::int_>(value) && !py::isinstance<py::float_>(value) &&
      !py::isinstance<py::str>(value)) {
    throw py::type_error(absl::StrCat("option ", name, ": expected a str, a number or a bool, got ",
                                      std::string(py::str(py::type::of(value).attr("__name__")))));
  }
  args->push_back(flag);
  // repr() of a float reads back as the same double.
  args->push_back(py::isinstance<py::str>(value) ? value.cast<std::string>()
                                                 : std::string(py::repr(value)));
}

// Parses `kwargs` with the CLI's parser `parse` for `command`: the same
// names, defaults and checks; a usage error is a ValueError with its message.
template <typename Options>
cli::Parsed<Options> ParseKwargs(const char* command, cli::Parsed<Options> (*parse)(int, char**),
                                 const py::kwargs& kwargs) {
  // The command's help, to know which switches have a --no- form.
  static const std::string help = [&] {
    std::string name = command, flag = "--help";
    char* argv[] = {name.data(), flag.data()};
    return parse(2, argv).help_text;
  }();
  std::vector<std::string> args = {absl::StrCat("aligner.", command)};
  for (auto item : kwargs) AddOption(py::str(item.first), item.second, help, &args);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  cli::Parsed<Options> parsed = parse(static_cast<int>(argv.size()), argv.data());
  if (parsed.help) throw py::value_error("help is not an option here; see help(aligner)");
  Check(parsed.status);
  return parsed;
}

// ---- Sentences and links between Python and the library.

// One sentence: a str (split at whitespace like a corpus file's line) or a
// sequence of str tokens.
bool IsText(py::handle sentence) {
  return py::isinstance<py::str>(sentence) || py::isinstance<py::bytes>(sentence);
}

std::vector<std::string> Tokens(py::handle sentence, const char* side, size_t index) {
  std::vector<std::string> tokens;
  if (IsText(sentence)) {
    const std::string text = sentence.cast<std::string>();
    std::vector<std::string_view> views;
    SplitTokens(text, &views);
    tokens.assign(views.begin(), views.end());
    return tokens;
  }
  if (!py::isinstance<py::sequence>(sentence)) {
    throw py::type_error(
        absl::StrCat(side, " sentence ", index, ": expected a str or a list of str tokens"));
  }
  for (py::handle token : sentence) {
    if (!py::isinstance<py::str>(token)) {
      throw py::type_error(absl::StrCat(side, " sentence ", index, ": tokens must be str"));
    }
    tokens.push_back(token.cast<std::string>());
  }
  return tokens;
}

// The corpus of `src` and `tgt` as ReadCorpus would read the same sentences
// from two files (in the direction `swap_sides` gives, with the ids of
// `vocabularies` when aligning with a model).
ParallelCorpus MakeCorpus(const py::sequence& src, const py::sequence& tgt,
                          const CorpusOptions& options, const LoadedModel* vocabularies,
                          bool swap_sides, const Logger& log) {
  if (IsText(src) || IsText(tgt)) {
    throw py::type_error("src and tgt are lists of sentences, not one str");
  }
  const size_t n = py::len(src);
  if (py::len(tgt) != n) {
    throw py::value_error(absl::StrCat("src has ", n, " sentences but tgt has ", py::len(tgt)));
  }
  const CorpusReadOptions read = ReadOptionsFor(options, vocabularies, swap_sides);
  ParallelCorpusBuilder builder(read);
  for (size_t k = 0; k < n; ++k) {
    const py::object s = src[k], t = tgt[k];
    if (py::isinstance<py::str>(s) && py::isinstance<py::str>(t)) {
      builder.AddPair(s.cast<std::string>(), t.cast<std::string>());
    } else {
      Check(builder.AddTokenizedPair(Tokens(s, "src", k), Tokens(t, "tgt", k)));
    }
  }
  CorpusReport report;
  ParallelCorpus corpus = Value(builder.Finish("the sentences: none of their ", &report));
  return PrepareCorpus(std::move(corpus), read, report, swap_sides, log);
}

using PyLinks = std::vector<std::pair<uint32_t, uint32_t>>;

PyLinks ToPython(const SentenceLinks& links) {
  PyLinks out;
  out.reserve(links.size());
  for (const Link& link : links) out.emplace_back(link.source, link.target);
  return out;
}

std::vector<PyLinks> ToPython(const std::vector<SentenceLinks>& corpus_links) {
  std::vector<PyLinks> out;
  out.reserve(corpus_links.size());
  for (const SentenceLinks& links : corpus_links) out.push_back(ToPython(links));
  return out;
}

// One sentence's links: a sequence of (i, j) pairs or a Pharaoh string.
SentenceLinks LinksFromPython(py::handle sentence, const char* what, size_t index) {
  if (py::isinstance<py::str>(sentence)) {
    auto parsed = ParsePharaoh(sentence.cast<std::string>());
    if (!parsed.ok()) {
      throw py::value_error(
          absl::StrCat(what, " sentence ", index, ": ", parsed.status().message()));
    }
    return *std::move(parsed);
  }
  SentenceLinks links;
  for (py::handle link : sentence.cast<py::sequence>()) {
    std::pair<long long, long long> pair;
    try {
      pair = link.cast<std::pair<long long, long long>>();
    } catch (const py::cast_error&) {
      throw py::type_error(
          absl::StrCat(what, " sentence ", index, ": links are (source, target) pairs of ints"));
    }
    if (pair.first < 0 || pair.second < 0 || pair.first > 0xffffffffLL ||
        pair.second > 0xffffffffLL) {
      throw py::value_error(absl::StrCat(what, " sentence ", index, ": position out of range"));
    }
    links.push_back({static_cast<uint32_t>(pair.first), static_cast<uint32_t>(pair.second)});
  }
  return links;
}

std::vector<SentenceLinks> CorpusLinksFromPython(const py::sequence& corpus, const char* what) {
  if (py::isinstance<py::str>(corpus)) {
    throw py::type_error(absl::StrCat(what, " is a list of sentences' links, not one str"));
  }
  std::vector<SentenceLinks> out;
  out.reserve(py::len(corpus));
  for (size_t k = 0; k < py::len(corpus); ++k) out.push_back(LinksFromPython(corpus[k], what, k));
  return out;
}

// ---- The model.

class Model {
 public:
  explicit Model(LoadedModel model) : model_(std::make_shared<LoadedModel>(std::move(model))) {}

  // As `aligner align --load-model`: the model's direction, casing and
  // length limit, its vocabularies for the ids.
  ParallelCorpus Corpus(const py::sequence& src, const py::sequence& tgt, const Logger& log) const {
    CorpusOptions options;
    UseModelCorpusOptions(model_->metadata, &options);
    return MakeCorpus(src, tgt, options, model_.get(), model_->metadata.reverse, log);
  }

  std::vector<PyLinks> Align(const py::sequence& src, const py::sequence& tgt, int threads,
                             std::optional<double> posterior_threshold, bool quiet) const {
    AlignOptions options;
    options.threads = threads;
    options.posterior_threshold = posterior_threshold;
    Check(ValidateAlignSettings(options));
    const ParallelCorpus corpus = Corpus(src, tgt, MakeLogger("align", quiet));
    std::vector<DecodedPair> pairs;
    {
      py::gil_scoped_release released;
      EmTrainer trainer(corpus, threads);
      DecodeOptions decode;
      decode.reverse = model_->metadata.reverse;
      decode.posterior_threshold = posterior_threshold.value_or(-1);
      pairs = AlignCorpus(*model_, corpus, decode, &trainer);
    }
    std::vector<PyLinks> out;
    out.reserve(pairs.size());
    for (const DecodedPair& pair : pairs) out.push_back(ToPython(pair.links));
    return out;
  }

  // Per pair a list of rows, one per source word, of the posterior of its
  // link with each target word.
  py::list Posteriors(const py::sequence& src, const py::sequence& tgt, int threads,
                      bool quiet) const {
    AlignOptions options;
    options.threads = threads;
    Check(ValidateAlignSettings(options));
    const ParallelCorpus corpus = Corpus(src, tgt, MakeLogger("posteriors", quiet));
    std::vector<std::vector<double>> matrices;
    {
      py::gil_scoped_release released;
      EmTrainer trainer(corpus, threads);
      matrices = CorpusPosteriors(*model_, corpus, &trainer);
    }
    const bool reverse = model_->metadata.reverse;
    py::list out;
    for (size_t k = 0; k < matrices.size(); ++k) {
      const SentencePair pair = corpus.pair(k);
      // Rows are the input's source words.
      const size_t rows = reverse ? pair.target.size() : pair.source.size();
      const size_t columns = reverse ? pair.source.size() : pair.target.size();
      py::list matrix;
      for (size_t i = 0; i < rows; ++i) {
        py::list row;
        for (size_t j = 0; j < columns; ++j) row.append(matrices[k][i * columns + j]);
        matrix.append(std::move(row));
      }
      out.append(std::move(matrix));
    }
    return out;
  }

  void Save(const std::string& path) const {
    py::gil_scoped_release released;
    Check(SaveModel(*model_->model, model_->source_vocabulary, model_->target_vocabulary,
                    model_->metadata, path));
  }

  const LoadedModel& loaded() const { return *model_; }

 private:
  std::shared_ptr<const LoadedModel> model_;
};

Model Train(const py::sequence& src, const py::sequence& tgt, const py::kwargs& kwargs) {
  // `aligner train`'s options and defaults.
  const cli::Parsed<AlignOptions> parsed = ParseKwargs("train", &cli::ParseTrainSettings, kwargs);
  const AlignOptions& options = parsed.options;
  const Logger log = MakeLogger("train", parsed.quiet);
  const ParallelCorpus corpus = MakeCorpus(src, tgt, options.corpus, nullptr, options.reverse, log);
  absl::StatusOr<LoadedModel> trained;
  {
    py::gil_scoped_release released;
    EmTrainer trainer(corpus, options.threads);
    trained = TrainOnCorpus(corpus, options, nullptr, &trainer, log);
    // The model outlives the corpus: the slot cache of its pairs would only hold memory.
    if (trained.ok()) DropTrainingCaches(&*trained);
  }
  return Model(Value(std::move(trained)));
}

Model Load(const std::string& path) {
  absl::StatusOr<LoadedModel> loaded;
  {
    py::gil_scoped_release released;
    loaded = LoadModel(path);
  }
  return Model(Value(std::move(loaded)));
}

py::tuple Symmetric(const py::sequence& src, const py::sequence& tgt, const py::kwargs& kwargs) {
  // `aligner symmetric`'s options and defaults.
  const cli::Parsed<SymmetricOptions> parsed =
      ParseKwargs("symmetric", &cli::ParseSymmetricSettings, kwargs);
  const SymmetricOptions& options = parsed.options;
  const Logger log = MakeLogger("symmetric", parsed.quiet);
  const ParallelCorpus corpus = MakeCorpus(src, tgt, options.corpus, nullptr, false, log);
  absl::StatusOr<SymmetricLinks> links;
  {
    py::gil_scoped_release released;
    links = SymmetricOnCorpus(corpus, options, log);
  }
  if (!links.ok()) Raise(links.status());
  return py::make_tuple(ToPython(links->forward), ToPython(links->reverse),
                        ToPython(links->symmetrized));
}

std::vector<PyLinks> SymmetrizeLinks(const py::sequence& forward, const py::sequence& reverse,
                                     const std::string& heuristic_name) {
  const SymmetrizationHeuristic heuristic = Value(ParseHeuristic(heuristic_name));
  const std::vector<SentenceLinks> f = CorpusLinksFromPython(forward, "forward");
  const std::vector<SentenceLinks> r = CorpusLinksFromPython(reverse, "reverse");
  if (f.size() != r.size()) {
    throw py::value_error(
        absl::StrCat("forward has ", f.size(), " sentences but reverse has ", r.size()));
  }
  std::vector<PyLinks> out;
  out.reserve(f.size());
  for (size_t k = 0; k < f.size(); ++k) out.push_back(ToPython(Symmetrize(f[k], r[k], heuristic)));
  return out;
}

// gold: per sentence a Pharaoh gold line ("0-0 1p2": '-' sure, 'p'
// possible) or a list of sure (i, j) links; `possible`, when given, per
// sentence the possible links besides the sure ones.
py::dict EvaluateLinks(const py::sequence& links, const py::sequence& gold,
                       const std::optional<py::sequence>& possible) {
  const std::vector<SentenceLinks> predicted = CorpusLinksFromPython(links, "links");
  if (py::isinstance<py::str>(gold))
    throw py::type_error("gold is a list of sentences, not one str");
  std::vector<GoldAlignment> reference;
  reference.reserve(py::len(gold));
  for (size_t k = 0; k < py::len(gold); ++k) {
    const py::object sentence = gold[k];
    if (py::isinstance<py::str>(sentence)) {
      auto parsed = ParseGoldLine(sentence.cast<std::string>(), GoldOptions());
      if (!parsed.ok()) {
        throw py::value_error(absl::StrCat("gold sentence ", k, ": ", parsed.status().message()));
      }
      reference.push_back(*std::move(parsed));
    } else {
      GoldAlignment alignment;
      alignment.sure = LinksFromPython(sentence, "gold", k);
      reference.push_back(std::move(alignment));
    }
  }
  if (possible) {
    if (py::len(*possible) != reference.size()) {
      throw py::value_error(absl::StrCat("possible has ", py::len(*possible),
                                         " sentences but gold has ", reference.size()));
    }
    for (size_t k = 0; k < reference.size(); ++k) {
      SentenceLinks more = LinksFromPython((*possible)[k], "possible", k);
      reference[k].possible.insert(reference[k].possible.end(), more.begin(), more.end());
    }
  }
  const AlignmentScores scores = Value(Evaluate(predicted, reference));
  py::dict out;
  out["aer"] = scores.aer();
  out["precision"] = scores.precision();
  out["recall"] = scores.recall();
  out["f1"] = scores.f1();
  return out;
}

}  // namespace
}  // namespace aligner::python

PYBIND11_MODULE(aligner, m) {
  using namespace aligner::python;
  m.doc() =
      "Word alignment (IBM Model 1/2, fast_align's diagonal model, HMM, agreement training).\n"
      "Sentences are lists of str (split at whitespace) or of token lists; links are lists,\n"
      "one per sentence pair, of 0-based (source, target) pairs. Options are the CLI's long\n"
      "options with '-' as '_' (model='hmm', iterations=5, threads=2, ...) and its defaults.";
  m.attr("__version__") = aligner::kVersion;

  py::class_<Model>(m, "Model", "A trained alignment model (as saved by `aligner train`).")
      .def("align", &Model::Align, py::arg("src"), py::arg("tgt"), py::kw_only(),
           py::arg("threads") = aligner::AlignOptions().threads,
           py::arg("posterior_threshold") = aligner::AlignOptions().posterior_threshold,
           py::arg("quiet") = false,
           "Links of every pair, as `aligner align --load-model` writes them.")
      .def("posteriors", &Model::Posteriors, py::arg("src"), py::arg("tgt"), py::kw_only(),
           py::arg("threads") = aligner::AlignOptions().threads, py::arg("quiet") = false,
           "Per pair a matrix (list of rows, one per source word) whose [i][j] is the "
           "posterior probability of the link i-j; [] for a pair that cannot be aligned.")
      .def("save", &Model::Save, py::arg("path"),
           "Writes the model file (`aligner align --load-model PATH` reads it).")
      .def_property_readonly("name",
                             [](const Model& model) { return model.loaded().model->name(); })
      .def_property_readonly("reverse",
                             [](const Model& model) { return model.loaded().metadata.reverse; })
      .def_property_readonly("lowercase",
                             [](const Model& model) { return model.loaded().metadata.lowercase; })
      .def_property_readonly("stem_length",
                             [](const Model& model) { return model.loaded().metadata.stem_length; })
      .def_property_readonly(
          "max_sentence_length",
          [](const Model& model) { return model.loaded().metadata.max_sentence_length; })
      .def_property_readonly(
          "training_options",
          [](const Model& model) { return model.loaded().metadata.training_options; })
      .def("__repr__", [](const Model& model) {
        const aligner::LoadedModel& loaded = model.loaded();
        return absl::StrCat("<aligner.Model ", loaded.model->name(),
                            loaded.metadata.reverse ? " reverse" : "",
                            loaded.metadata.lowercase ? " lowercase" : "",
                            loaded.metadata.stem_length > 0
                                ? absl::StrCat(" stem_length=", loaded.metadata.stem_length)
                                : "",
                            ", ", loaded.source_vocabulary.size() - 1, " source and ",
                            loaded.target_vocabulary.size() - 1, " target words>");
      });

  m.def("train", &Train, py::arg("src"), py::arg("tgt"),
        "Trains one direction (reverse=True: the other) like `aligner train`; returns a Model.");
  m.def("load", &Load, py::arg("path"), "Loads a model file written by `aligner train`.");
  m.def("symmetric", &Symmetric, py::arg("src"), py::arg("tgt"),
        "Both directions and their symmetrization, like `aligner symmetric` (by default "
        "agreement-trained HMMs on lowercased words): returns (forward, reverse, symmetrized).");
  m.def("symmetrize", &SymmetrizeLinks, py::arg("forward"), py::arg("reverse"),
        py::arg("heuristic") =
            std::string(aligner::HeuristicName(aligner::SymmetricOptions().heuristic)),
        "Combines two directions' links (atools -c): intersect, union, grow-diag, "
        "grow-diag-final or grow-diag-final-and.");
  m.def("evaluate", &EvaluateLinks, py::arg("links"), py::arg("gold"),
        py::arg("possible") = py::none(),
        "Scores links against gold: {'aer', 'precision', 'recall', 'f1'}. gold per sentence is "
        "a Pharaoh gold line ('0-0 1p2', p = possible) or a list of sure (i, j) links; "
        "`possible` optionally adds possible links per sentence.");
}
