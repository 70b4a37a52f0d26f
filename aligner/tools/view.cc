#include "aligner/tools/view.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "aligner/base/status_macros.h"
#include "aligner/io/input_file.h"
#include "aligner/io/pharaoh.h"
#include "aligner/io/tokenize.h"

namespace aligner {
namespace {

// Side of a matrix cell in CSS pixels; the script and the labels use it too.
constexpr int kCell = 20;

std::string FormatScore(std::optional<double> value, int digits) {
  if (!value) return "n/a";
  return absl::StrFormat("%.*f", digits, *value);
}

// The data-aer attribute the script sorts by: empty when there is no AER.
std::string AerAttribute(std::optional<double> aer) {
  return absl::StrCat(" data-aer=\"", aer ? absl::StrFormat("%.6f", *aer) : "", "\"");
}

// ---------------------------------------------------------------------------
// Page parts.

// Colours are from the Okabe-Ito palette where they must be told apart (sure
// against wrong, A against B), so that the common colour blindnesses still
// see the difference; missed and unlinked-possible links are rings, not
// squares, so they differ by shape as well.
constexpr char kStyle[] = R"css(
:root{--cell:20px;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--panel:#f6f8fa;--grid:#e6eaef;
--link:#0072b2;--sure:#009e73;--possible:#8fd8c0;--wrong:#d55e00;--missed:#0072b2;--unused:#8c959f;
--only-a:#0072b2;--only-b:#e69f00;--both:#3b3f46;--gold-sure:#c9eedf;--gold-possible:#e7f7f0;
--accent:#0969da}
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{font:13px/1.45 system-ui,-apple-system,"Segoe UI","Noto Sans","DejaVu Sans",Arial,sans-serif;
color:var(--fg);background:#fff;display:flex;flex-direction:column}
header.top{padding:10px 18px 10px;border-bottom:1px solid var(--line);background:var(--panel)}
header.top h1{font-size:16px;margin:0 14px 0 0;display:inline-block;font-weight:600}
.inputs{display:inline;margin:0;color:var(--muted)}
.inputs span{margin-right:12px;white-space:nowrap}
.inputs b{font-weight:600;color:var(--fg)}
.inputs code{font:12px ui-monospace,"DejaVu Sans Mono",monospace}
.summary{margin-top:6px;display:flex;flex-wrap:wrap;gap:6px 18px;align-items:baseline}
.stat{white-space:nowrap;color:var(--muted)}
.stat b{color:var(--fg);font-weight:600;font-variant-numeric:tabular-nums;font-size:14px}
.legend{margin-top:6px;display:flex;flex-wrap:wrap;gap:4px 16px;align-items:center;color:var(--muted)}
.legend .key{display:inline-flex;align-items:center;gap:5px;white-space:nowrap}
.legend svg{display:block}
.legend .n{font-variant-numeric:tabular-nums;color:var(--fg)}
.legend .ramp{width:80px;height:10px;border:1px solid var(--line);border-radius:2px}
.controls{margin-left:auto;display:flex;gap:8px;align-items:center}
select{font:inherit;padding:1px 4px}
.layout{display:flex;flex:1;min-height:0}
nav.list{width:210px;flex:none;border-right:1px solid var(--line);overflow-y:auto;background:#fff}
nav.list h2{font-size:12px;font-weight:600;color:var(--muted);margin:0;padding:8px 12px 6px;
position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);text-transform:uppercase;
letter-spacing:.04em}
nav.list ol{list-style:none;margin:0;padding:2px 0}
nav.list a{display:grid;grid-template-columns:48px 1fr 44px;gap:6px;align-items:center;
padding:1px 12px;color:var(--fg);text-decoration:none;font-variant-numeric:tabular-nums}
nav.list a:hover{background:#eef3fb}
nav.list li.current a{background:#ddeafd}
nav.list .ln{color:var(--muted)}
nav.list .v{text-align:right}
nav.list .bar{height:6px;background:var(--grid);border-radius:3px;overflow:hidden}
nav.list .bar i{display:block;height:100%;background:var(--wrong)}
nav.list .bar.ok i{background:var(--sure)}
main{flex:1;overflow:auto;padding:4px 18px 40px}
section.pair{border-bottom:1px solid var(--line);padding:12px 0 16px;content-visibility:auto;
contain-intrinsic-size:auto 500px}
section.pair h2{font-size:14px;margin:0 0 4px;font-weight:600;display:flex;flex-wrap:wrap;gap:4px 14px;
align-items:baseline}
section.pair h2 .score{font-weight:400;color:var(--muted);font-variant-numeric:tabular-nums}
section.pair h2 .score b{color:var(--fg);font-weight:600}
.sent{margin:0 0 2px;max-width:110ch;color:var(--fg)}
.sent .side{display:inline-block;width:52px;color:var(--muted);font-size:11px;text-transform:uppercase;
letter-spacing:.04em}
.matrix{display:grid;grid-template-columns:max-content max-content;margin-top:8px;overflow-x:auto;
max-width:100%}
.cols{grid-column:2;display:flex;align-items:flex-end}
.rows{grid-column:1;grid-row:2;display:flex;flex-direction:column;align-items:flex-end;padding-right:6px}
.cw{width:var(--cell);writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;
overflow:hidden;text-overflow:ellipsis;max-height:12em;line-height:var(--cell);padding-top:6px;
text-align:left}
.rw{height:var(--cell);line-height:var(--cell);white-space:nowrap;overflow:hidden;
text-overflow:ellipsis;max-width:16em}
.cw.hl,.rw.hl{color:var(--accent);font-weight:600}
svg.m{grid-column:2;grid-row:2;display:block;border-left:1px solid var(--line);
border-top:1px solid var(--line);cursor:crosshair}
svg.m .c.link{fill:var(--link)}
svg.m .c.sure{fill:var(--sure)}
svg.m .c.possible{fill:var(--possible)}
svg.m .c.wrong{fill:var(--wrong)}
svg.m .c.missed{fill:none;stroke:var(--missed);stroke-width:2}
svg.m .c.possible-unused{fill:none;stroke:var(--unused);stroke-width:1.5;stroke-dasharray:2 2}
svg.m .c.only-a{fill:var(--only-a)}
svg.m .c.only-b{fill:var(--only-b)}
svg.m .c.both{fill:var(--both)}
svg.m .g.sure{fill:var(--gold-sure)}
svg.m .g.possible{fill:var(--gold-possible)}
svg.m .cross{fill:var(--accent);opacity:.08;pointer-events:none}
.empty{color:var(--muted);font-style:italic}
#tip{position:fixed;z-index:10;pointer-events:none;background:#1f2328;color:#fff;padding:5px 8px;
border-radius:4px;font-size:12px;max-width:420px;box-shadow:0 2px 8px rgba(0,0,0,.2)}
#tip .w{font-weight:600}
#tip .d{color:#c9d1d9}
footer{color:var(--muted);font-size:11px;padding:10px 0}
)css";

// Hover: crosshair, highlighted words and a tooltip; the list's sort order;
// j/k to step through the pairs. Reads everything from the DOM, so no text
// is ever pasted into script.
constexpr char kScript[] = R"js(
(function(){
"use strict";
var C=20,tip=document.getElementById("tip");
var KIND={"link":"link","sure":"sure gold link, predicted","possible":"possible gold link, predicted",
"wrong":"predicted, not in gold (wrong)","missed":"sure gold link, not predicted (missed)",
"possible-unused":"possible gold link, not predicted","only-a":"only in ","only-b":"only in ",
"both":"in both alignments"};
var labelA=document.body.getAttribute("data-label-a"),labelB=document.body.getAttribute("data-label-b");
function kindText(k){if(k==="only-a")return KIND[k]+labelA;if(k==="only-b")return KIND[k]+labelB;return KIND[k]||k;}
function setup(svg){
  var sec=svg.closest("section.pair"),rows=sec.querySelectorAll(".rw"),cols=sec.querySelectorAll(".cw");
  var ns="http://www.w3.org/2000/svg",hr=null,hc=null,last=null;
  function clear(){if(last){rows[last[0]].classList.remove("hl");cols[last[1]].classList.remove("hl");}
    last=null;if(hr){hr.style.display="none";hc.style.display="none";}tip.hidden=true;}
  svg.addEventListener("mousemove",function(e){
    var r=svg.getBoundingClientRect(),t=Math.floor((e.clientX-r.left)/C),s=Math.floor((e.clientY-r.top)/C);
    if(s<0||t<0||s>=rows.length||t>=cols.length){clear();return;}
    if(!hr){hr=document.createElementNS(ns,"rect");hc=document.createElementNS(ns,"rect");
      hr.setAttribute("class","cross");hc.setAttribute("class","cross");svg.appendChild(hr);svg.appendChild(hc);}
    if(!last||last[0]!==s||last[1]!==t){
      if(last){rows[last[0]].classList.remove("hl");cols[last[1]].classList.remove("hl");}
      rows[s].classList.add("hl");cols[t].classList.add("hl");last=[s,t];
      hr.setAttribute("x",0);hr.setAttribute("y",s*C);hr.setAttribute("width",cols.length*C);hr.setAttribute("height",C);
      hc.setAttribute("x",t*C);hc.setAttribute("y",0);hc.setAttribute("width",C);hc.setAttribute("height",rows.length*C);
      hr.style.display="";hc.style.display="";
      var cell=svg.querySelector('rect.c[data-s="'+s+'"][data-t="'+t+'"]');
      tip.textContent="";
      var w=document.createElement("div");w.className="w";
      w.textContent=rows[s].textContent+"  \u2194  "+cols[t].textContent;tip.appendChild(w);
      var d=document.createElement("div");d.className="d";
      var text="source "+s+" \u00b7 target "+t;
      if(cell){text+=" \u00b7 "+kindText(cell.getAttribute("data-kind"));
        var p=cell.getAttribute("data-p");if(p!==null)text+=" \u00b7 posterior "+p;
        var g=cell.getAttribute("data-gold");if(g)text+=" \u00b7 gold "+g;}
      d.textContent=text;tip.appendChild(d);tip.hidden=false;}
    var x=e.clientX+14,y=e.clientY+16;
    if(x+tip.offsetWidth>window.innerWidth-4)x=e.clientX-tip.offsetWidth-10;
    if(y+tip.offsetHeight>window.innerHeight-4)y=e.clientY-tip.offsetHeight-10;
    tip.style.left=x+"px";tip.style.top=y+"px";});
  svg.addEventListener("mouseleave",clear);
}
document.querySelectorAll("section.pair svg.m").forEach(setup);
var list=document.getElementById("pair-list"),main=document.getElementById("pairs");
var sel=document.getElementById("order");
function key(el,by){var v=el.getAttribute("data-"+by);return v===null||v===""?-1:parseFloat(v);}
function reorder(){
  var by=sel.value,items=Array.prototype.slice.call(list.children);
  items.sort(function(a,b){var la=+a.getAttribute("data-line"),lb=+b.getAttribute("data-line");
    if(by==="line")return la-lb;var d=key(b,by)-key(a,by);return d!==0?d:la-lb;});
  items.forEach(function(li){list.appendChild(li);
    main.appendChild(document.getElementById("p"+li.getAttribute("data-line")));});
  main.appendChild(document.getElementById("end"));}
if(sel)sel.addEventListener("change",reorder);
function mark(){var cur=list.querySelector("li.current");if(cur)cur.classList.remove("current");
  var id=location.hash.slice(1),li=id&&list.querySelector('li[data-line="'+id.slice(1)+'"]');
  if(li)li.classList.add("current");}
window.addEventListener("hashchange",mark);mark();
document.addEventListener("keydown",function(e){
  if(e.target.tagName==="SELECT"||e.ctrlKey||e.metaKey||e.altKey)return;
  if(e.key!=="j"&&e.key!=="k")return;
  var items=list.children;if(!items.length)return;var cur=list.querySelector("li.current");
  var i=cur?Array.prototype.indexOf.call(items,cur)+(e.key==="j"?1:-1):0;
  i=Math.max(0,Math.min(items.length-1,i));location.hash="p"+items[i].getAttribute("data-line");});
})();
)js";

// A legend swatch drawn exactly as the matrix draws that cell.
std::string Swatch(const std::string& kind, const std::string& label, int64_t count,
                   bool show_count = true) {
  const bool ring = kind == "missed" || kind == "possible-unused";
  std::string out =
      "<span class=\"key\"><svg class=\"m\" width=\"16\" height=\"16\" aria-hidden=\"true\" "
      "style=\"border:0;cursor:default\">";
  if (ring) {
    absl::StrAppend(&out, "<rect class=\"c ", kind,
                    "\" x=\"2\" y=\"2\" width=\"12\" height=\"12\" rx=\"2\"/>");
  } else if (kind == "gold-sure" || kind == "gold-possible") {
    absl::StrAppend(&out, "<rect class=\"g ", kind.substr(5),
                    "\" x=\"0\" y=\"0\" width=\"16\" height=\"16\"/>");
  } else {
    absl::StrAppend(&out, "<rect class=\"c ", kind,
                    "\" x=\"1\" y=\"1\" width=\"14\" height=\"14\" rx=\"2\"/>");
  }
  absl::StrAppend(&out, "</svg>", HtmlEscape(label));
  if (show_count) absl::StrAppend(&out, " <span class=\"n\">", count, "</span>");
  absl::StrAppend(&out, "</span>");
  return out;
}

// Counts of each cell kind over the shown pairs, for the legend.
struct KindCounts {
  std::map<CellKind, int64_t> cells;
  int64_t gold_sure = 0;
  int64_t gold_possible = 0;
};

void AppendCell(const ViewCell& cell, bool has_gold, bool has_other, std::string* out) {
  const int x = static_cast<int>(cell.target) * kCell;
  const int y = static_cast<int>(cell.source) * kCell;
  // With -b and gold, the gold is the cell's background and the link a mark
  // on top of it.
  if (has_gold && has_other && (cell.gold_sure || cell.gold_possible)) {
    absl::StrAppend(out, "<rect class=\"g ", cell.gold_sure ? "sure" : "possible", "\" x=\"", x,
                    "\" y=\"", y, "\" width=\"", kCell - 1, "\" height=\"", kCell - 1, "\"/>");
    if (cell.kind == CellKind::kMissed || cell.kind == CellKind::kPossibleUnused) {
      // A data-only marker so the tooltip and the DOM name the cell.
      absl::StrAppend(out, "<rect class=\"c gold-only\" data-kind=\"", CellKindName(cell.kind),
                      "\" data-s=\"", cell.source, "\" data-t=\"", cell.target, "\" data-gold=\"",
                      cell.gold_sure ? "sure" : "possible", "\" x=\"", x, "\" y=\"", y,
                      "\" width=\"0\" height=\"0\"/>");
      return;
    }
  }
  const bool ring = cell.kind == CellKind::kMissed || cell.kind == CellKind::kPossibleUnused;
  const int inset = ring ? 3 : (has_other && has_gold ? 4 : 2);
  const int size = kCell - 1 - 2 * inset;
  absl::StrAppend(out, "<rect class=\"c ", CellKindName(cell.kind), "\" data-kind=\"",
                  CellKindName(cell.kind), "\" data-s=\"", cell.source, "\" data-t=\"", cell.target,
                  "\"");
  if (cell.gold_sure || cell.gold_possible) {
    absl::StrAppend(out, " data-gold=\"", cell.gold_sure ? "sure" : "possible", "\"");
  }
  if (cell.posterior) {
    // Shaded, but never so pale that a link disappears.
    absl::StrAppend(out, absl::StrFormat(" data-p=\"%.3f\" fill-opacity=\"%.3f\"", *cell.posterior,
                                         0.15 + 0.85 * *cell.posterior));
  }
  absl::StrAppend(out, " x=\"", x + inset, "\" y=\"", y + inset, "\" width=\"", size,
                  "\" height=\"", size, "\" rx=\"2\"/>");
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (size_t n = 0; n < words.size(); ++n) {
    if (n > 0) out.push_back(' ');
    out += HtmlEscape(words[n]);
  }
  return out;
}

// Disagreement of the two alignments: links in exactly one of them.
int64_t DifferingLinks(const std::vector<ViewCell>& cells) {
  int64_t n = 0;
  for (const ViewCell& c : cells) n += c.kind == CellKind::kOnlyA || c.kind == CellKind::kOnlyB;
  return n;
}

int64_t CountKind(const std::vector<ViewCell>& cells, CellKind kind) {
  return std::count_if(cells.begin(), cells.end(),
                       [&](const ViewCell& c) { return c.kind == kind; });
}

// The pair's scores as "AER 0.321 · P 0.70 · R 0.65" for its heading.
std::string ScoreText(const AlignmentScores& s, std::optional<double> aer) {
  return absl::StrCat("AER <b>", FormatScore(aer, 3), "</b> \u00b7 P ",
                      absl::StrFormat("%.2f", s.precision()), " \u00b7 R ",
                      absl::StrFormat("%.2f", s.recall()));
}

void AppendPair(const ViewPage& page, const ViewPair& pair, KindCounts* counts, std::string* out) {
  const std::vector<ViewCell> cells = ClassifyCells(page, pair);
  for (const ViewCell& c : cells) {
    ++counts->cells[c.kind];
    counts->gold_sure += c.gold_sure;
    counts->gold_possible += c.gold_possible;
  }
  const std::optional<double> aer = page.has_gold ? PairAer(pair) : std::nullopt;
  absl::StrAppend(out, "<section class=\"pair\" id=\"p", pair.line, "\" data-line=\"", pair.line,
                  "\"", page.has_gold ? AerAttribute(aer) : "", ">\n<h2>Line ", pair.line,
                  "<span class=\"score\">");
  const int64_t distinct_a = CountKind(cells, CellKind::kLink) + CountKind(cells, CellKind::kSure) +
                             CountKind(cells, CellKind::kPossible) +
                             CountKind(cells, CellKind::kWrong) +
                             CountKind(cells, CellKind::kOnlyA) + CountKind(cells, CellKind::kBoth);
  if (page.has_gold) {
    absl::StrAppend(out, page.has_other ? HtmlEscape(page.links_label) + ": " : "",
                    ScoreText(PairScores(pair), aer));
    if (page.has_other) {
      absl::StrAppend(out, " &nbsp; ", HtmlEscape(page.other_label), ": ",
                      ScoreText(PairScores(pair, true), PairAer(pair, true)));
    }
    absl::StrAppend(out, " \u00b7 ", distinct_a, " links \u00b7 ", PairScores(pair).sure, " sure");
  } else if (page.has_other) {
    absl::StrAppend(out, "<b>", CountKind(cells, CellKind::kBoth), "</b> in both \u00b7 ",
                    CountKind(cells, CellKind::kOnlyA), " only ", HtmlEscape(page.links_label),
                    " \u00b7 ", CountKind(cells, CellKind::kOnlyB), " only ",
                    HtmlEscape(page.other_label));
  } else {
    absl::StrAppend(out, distinct_a, " links");
  }
  absl::StrAppend(out, "</span></h2>\n<p class=\"sent\"><span class=\"side\">source</span>",
                  JoinWords(pair.source_words),
                  "</p>\n<p class=\"sent\"><span class=\"side\">target</span>",
                  JoinWords(pair.target_words), "</p>\n");
  if (pair.source_words.empty() || pair.target_words.empty()) {
    absl::StrAppend(out, "<p class=\"empty\">", pair.source_words.empty() ? "source" : "target",
                    " side is empty: nothing to align</p>\n</section>\n");
    return;
  }
  const int width = static_cast<int>(pair.target_words.size()) * kCell;
  const int height = static_cast<int>(pair.source_words.size()) * kCell;
  absl::StrAppend(out, "<div class=\"matrix\">\n<div class=\"cols\">");
  for (size_t t = 0; t < pair.target_words.size(); ++t) {
    absl::StrAppend(out, "<span class=\"cw\" data-t=\"", t, "\">", HtmlEscape(pair.target_words[t]),
                    "</span>");
  }
  absl::StrAppend(out, "</div>\n<div class=\"rows\">");
  for (size_t s = 0; s < pair.source_words.size(); ++s) {
    absl::StrAppend(out, "<span class=\"rw\" data-s=\"", s, "\">", HtmlEscape(pair.source_words[s]),
                    "</span>");
  }
  absl::StrAppend(out, "</div>\n<svg class=\"m\" width=\"", width, "\" height=\"", height,
                  "\" viewBox=\"0 0 ", width, " ", height,
                  "\" role=\"img\" aria-label=\"alignment matrix of line ", pair.line,
                  "\"><rect width=\"", width, "\" height=\"", height, "\" fill=\"url(#grid)\"/>");
  for (const ViewCell& cell : cells) AppendCell(cell, page.has_gold, page.has_other, out);
  absl::StrAppend(out, "</svg>\n</div>\n</section>\n");
}

void AppendListItem(const ViewPage& page, const ViewPair& pair, std::string* out) {
  absl::StrAppend(out, "<li data-line=\"", pair.line, "\"");
  std::string value;
  std::string bar;
  if (page.has_gold) {
    const std::optional<double> aer = PairAer(pair);
    absl::StrAppend(out, AerAttribute(aer));
    value = FormatScore(aer, 3);
    const double fraction = aer.value_or(0.0);
    bar = absl::StrFormat("<span class=\"bar%s\"><i style=\"width:%.1f%%\"></i></span>",
                          fraction < 0.2 ? " ok" : "", 100.0 * fraction);
  }
  if (page.has_other) {
    const int64_t differ = DifferingLinks(ClassifyCells(page, pair));
    absl::StrAppend(out, " data-differ=\"", differ, "\"");
    if (!page.has_gold) {
      value = absl::StrCat(differ);
      const size_t words = std::max<size_t>(1, pair.source_words.size() + pair.target_words.size());
      bar = absl::StrFormat(
          "<span class=\"bar\"><i style=\"width:%.1f%%\"></i></span>",
          std::min(100.0, 100.0 * static_cast<double>(differ) / static_cast<double>(words)));
    }
  }
  if (!page.has_gold && !page.has_other) {
    value = absl::StrCat(pair.links.size());
    bar = "<span></span>";
  }
  absl::StrAppend(out, "><a href=\"#p", pair.line, "\"><span class=\"ln\">", pair.line, "</span>",
                  bar, "<span class=\"v\">", value, "</span></a></li>\n");
}

}  // namespace

const char* CellKindName(CellKind kind) {
  switch (kind) {
    case CellKind::kLink:
      return "link";
    case CellKind::kSure:
      return "sure";
    case CellKind::kPossible:
      return "possible";
    case CellKind::kWrong:
      return "wrong";
    case CellKind::kMissed:
      return "missed";
    case CellKind::kPossibleUnused:
      return "possible-unused";
    case CellKind::kOnlyA:
      return "only-a";
    case CellKind::kOnlyB:
      return "only-b";
    case CellKind::kBoth:
      return "both";
  }
  return "link";
}

std::vector<ViewCell> ClassifyCells(const ViewPage& page, const ViewPair& pair) {
  struct Marks {
    bool in_a = false;
    bool in_b = false;
    bool sure = false;
    bool possible = false;
    std::optional<double> posterior;
  };
  std::map<std::pair<uint32_t, uint32_t>, Marks> marks;
  const bool posteriors = page.has_posteriors && pair.link_posteriors.size() == pair.links.size();
  for (size_t n = 0; n < pair.links.size(); ++n) {
    Marks& m = marks[{pair.links[n].source, pair.links[n].target}];
    m.in_a = true;
    if (posteriors) {
      m.posterior = std::max(m.posterior.value_or(0.0), pair.link_posteriors[n]);
    }
  }
  if (page.has_other) {
    for (const Link& l : pair.other_links) marks[{l.source, l.target}].in_b = true;
  }
  if (page.has_gold) {
    for (const Link& l : pair.gold.sure) marks[{l.source, l.target}].sure = true;
    for (const Link& l : pair.gold.possible) marks[{l.source, l.target}].possible = true;
  }
  std::vector<ViewCell> cells;
  cells.reserve(marks.size());
  for (const auto& [position, m] : marks) {
    ViewCell cell;
    cell.source = position.first;
    cell.target = position.second;
    cell.posterior = m.posterior;
    cell.gold_sure = m.sure;
    cell.gold_possible = m.possible && !m.sure;  // sure wins, as in evaluate
    if (page.has_other && (m.in_a || m.in_b)) {
      cell.kind = m.in_a && m.in_b ? CellKind::kBoth : m.in_a ? CellKind::kOnlyA : CellKind::kOnlyB;
    } else if (page.has_gold) {
      if (m.in_a) {
        cell.kind = cell.gold_sure       ? CellKind::kSure
                    : cell.gold_possible ? CellKind::kPossible
                                         : CellKind::kWrong;
      } else {
        cell.kind = cell.gold_sure ? CellKind::kMissed : CellKind::kPossibleUnused;
      }
    } else {
      cell.kind = CellKind::kLink;
    }
    cells.push_back(cell);
  }
  return cells;
}

AlignmentScores PairScores(const ViewPair& pair, bool other) {
  AlignmentScores scores;
  AddSentence(other ? pair.other_links : pair.links, pair.gold, &scores);
  return scores;
}

std::optional<double> PairAer(const ViewPair& pair, bool other) {
  const AlignmentScores scores = PairScores(pair, other);
  if (scores.predicted + scores.sure == 0) return std::nullopt;
  return scores.aer();
}

std::vector<size_t> WorstFirstOrder(const ViewPage& page) {
  std::vector<size_t> order(page.pairs.size());
  for (size_t n = 0; n < order.size(); ++n) order[n] = n;
  if (!page.has_gold) return order;
  std::vector<double> key(page.pairs.size());
  for (size_t n = 0; n < key.size(); ++n) key[n] = PairAer(page.pairs[n]).value_or(-1.0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (key[a] != key[b]) return key[a] > key[b];
    return page.pairs[a].line < page.pairs[b].line;
  });
  return order;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
          out += "\xEF\xBF\xBD";  // U+FFFD
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string RenderViewPage(const ViewPage& page) {
  // The pairs first, so that the header can show the legend's counts.
  std::string pairs_html;
  std::string list_html;
  KindCounts counts;
  AlignmentScores total, total_other;
  int64_t links_a = 0, links_b = 0;
  const std::vector<size_t> order = WorstFirstOrder(page);
  for (const size_t n : order) {
    const ViewPair& pair = page.pairs[n];
    AppendPair(page, pair, &counts, &pairs_html);
    AppendListItem(page, pair, &list_html);
    if (page.has_gold) {
      total += PairScores(pair);
      if (page.has_other) total_other += PairScores(pair, true);
    }
    links_a += static_cast<int64_t>(pair.links.size());
    links_b += static_cast<int64_t>(pair.other_links.size());
  }

  std::string out;
  out.reserve(pairs_html.size() + list_html.size() + 16384);
  absl::StrAppend(&out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
                  "<title>", HtmlEscape(page.title), "</title>\n<style>", kStyle, "</style>\n",
                  "</head>\n<body data-label-a=\"", HtmlEscape(page.links_label),
                  "\" data-label-b=\"", HtmlEscape(page.other_label), "\">\n");
  // The grid every matrix draws behind its cells (one pattern for the page).
  absl::StrAppend(
      &out,
      "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\">"
      "<defs><pattern id=\"grid\" width=\"",
      kCell, "\" height=\"", kCell, "\" patternUnits=\"userSpaceOnUse\"><path d=\"M", kCell - 0.5,
      " 0V", kCell - 0.5,
      "H0\" fill=\"none\" stroke=\"#e6eaef\" stroke-width=\"1\"/></pattern></defs></svg>\n");
  absl::StrAppend(&out, "<header class=\"top\">\n<h1>", HtmlEscape(page.title),
                  "</h1>\n<p class=\"inputs\">");
  for (const auto& [name, value] : page.inputs) {
    absl::StrAppend(&out, "<span><b>", HtmlEscape(name), "</b> <code>", HtmlEscape(value),
                    "</code></span>");
  }
  absl::StrAppend(&out, "</p>\n<div class=\"summary\">");
  auto stat = [&](const std::string& label, const std::string& value) {
    absl::StrAppend(&out, "<span class=\"stat\">", label, " <b>", value, "</b></span>");
  };
  stat("pairs", absl::StrCat(page.pairs.size()));
  if (page.has_gold) {
    const std::string prefix = page.has_other ? HtmlEscape(page.links_label) + " " : "";
    stat(prefix + "AER",
         FormatScore(
             total.predicted + total.sure > 0 ? std::optional<double>(total.aer()) : std::nullopt,
             4));
    stat("precision", absl::StrFormat("%.4f", total.precision()));
    stat("recall", absl::StrFormat("%.4f", total.recall()));
    stat("F1", absl::StrFormat("%.4f", total.f1()));
    if (page.has_other) {
      stat(HtmlEscape(page.other_label) + " AER",
           FormatScore(total_other.predicted + total_other.sure > 0
                           ? std::optional<double>(total_other.aer())
                           : std::nullopt,
                       4));
      stat("precision", absl::StrFormat("%.4f", total_other.precision()));
      stat("recall", absl::StrFormat("%.4f", total_other.recall()));
    }
  }
  stat(page.has_other ? HtmlEscape(page.links_label) + " links" : "links", absl::StrCat(links_a));
  if (page.has_other) stat(HtmlEscape(page.other_label) + " links", absl::StrCat(links_b));
  absl::StrAppend(&out,
                  "<span class=\"controls\"><label for=\"order\">order</label> "
                  "<select id=\"order\">");
  // The first option is the order the page is written in.
  if (page.has_gold) absl::StrAppend(&out, "<option value=\"aer\">worst AER first</option>");
  absl::StrAppend(&out, "<option value=\"line\">line order</option>");
  if (page.has_other)
    absl::StrAppend(&out, "<option value=\"differ\">most disagreement first</option>");
  absl::StrAppend(&out, "</select></span></div>\n");

  absl::StrAppend(&out, "<div class=\"legend\">");
  auto count = [&](CellKind k) { return counts.cells.count(k) ? counts.cells.at(k) : 0; };
  if (page.has_other) {
    absl::StrAppend(&out, Swatch("both", "both", count(CellKind::kBoth)),
                    Swatch("only-a", "only " + page.links_label, count(CellKind::kOnlyA)),
                    Swatch("only-b", "only " + page.other_label, count(CellKind::kOnlyB)));
    if (page.has_gold) {
      absl::StrAppend(&out, Swatch("gold-sure", "gold sure", counts.gold_sure),
                      Swatch("gold-possible", "gold possible", counts.gold_possible));
    }
  } else if (page.has_gold) {
    absl::StrAppend(
        &out, Swatch("sure", "sure", count(CellKind::kSure)),
        Swatch("possible", "possible", count(CellKind::kPossible)),
        Swatch("wrong", "wrong", count(CellKind::kWrong)),
        Swatch("missed", "missed (sure, not linked)", count(CellKind::kMissed)),
        Swatch("possible-unused", "possible, not linked", count(CellKind::kPossibleUnused)));
  } else {
    absl::StrAppend(&out, Swatch("link", "link", count(CellKind::kLink)));
  }
  if (page.has_posteriors) {
    // The ramp in the links' own colour when they have one (no gold, no -b).
    const char* rgb = page.has_gold || page.has_other ? "59,63,70" : "0,114,178";
    absl::StrAppend(&out, "<span class=\"key\">", HtmlEscape(page.links_label),
                    " posterior 0 <span class=\"ramp\" style=\"background:linear-gradient(90deg,"
                    "rgba(",
                    rgb, ",.15),rgba(", rgb, ",1))\"></span> 1</span>");
  }
  absl::StrAppend(&out,
                  "<span class=\"key\">hover a cell for its words; j/k step through the pairs"
                  "</span></div>\n</header>\n");

  absl::StrAppend(&out, "<div class=\"layout\">\n<nav class=\"list\"><h2>",
                  page.has_gold    ? "Pairs, worst AER first"
                  : page.has_other ? "Pairs \u00b7 links differing"
                                   : "Pairs \u00b7 links",
                  "</h2><ol id=\"pair-list\">\n", list_html, "</ol></nav>\n<main id=\"pairs\">\n",
                  pairs_html,
                  "<footer id=\"end\">written by aligner view; a self-contained page (nothing is "
                  "fetched)</footer>\n</main>\n</div>\n<div id=\"tip\" hidden></div>\n<script>",
                  kScript, "</script>\n</body>\n</html>\n");
  return out;
}

absl::StatusOr<LineRange> ParseLineRange(std::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad --lines '", std::string(text), "': expected FIRST-LAST, FIRST- or LINE (1-based)"));
  };
  auto parse = [](std::string_view digits, int64_t* value) {
    if (digits.empty() || digits.size() > 15) return false;
    for (const char c : digits) {
      if (c < '0' || c > '9') return false;
    }
    return absl::SimpleAtoi(std::string(digits), value);
  };
  LineRange range;
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    if (!parse(text, &range.first)) return bad();
    range.last = range.first;
  } else {
    if (!parse(text.substr(0, dash), &range.first)) return bad();
    const std::string_view last = text.substr(dash + 1);
    if (!last.empty() && !parse(last, &range.last)) return bad();
  }
  if (range.first < 1 || range.last < range.first) return bad();
  return range;
}

namespace {

// One input file read in step with the others.
struct LockstepFile {
  std::string role;  // "source", "links", ... for messages
  std::string path;
  std::unique_ptr<LineReader> reader;
  std::string line;
};

absl::Status CheckLinks(const SentenceLinks& links, const ViewPair& pair, const std::string& where,
                        std::string_view what) {
  for (const Link& l : links) {
    if (l.source >= pair.source_words.size() || l.target >= pair.target_words.size()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: %s link %d-%d is outside the pair, which has %d source and %d target words", where,
          what, l.source, l.target, pair.source_words.size(), pair.target_words.size()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> ParsePosteriors(const std::string& line, size_t num_links,
                                                    const std::string& where,
                                                    const std::string& links_path) {
  std::vector<std::string_view> tokens;
  internal::SplitWhitespace(line, &tokens);
  if (tokens.size() != num_links) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: %d posteriors, but the line of %s has %d links", where, tokens.size(),
                        links_path, num_links));
  }
  std::vector<double> values(tokens.size());
  for (size_t n = 0; n < tokens.size(); ++n) {
    double v = 0;
    // 1 + 1e-6 allows for the rounding of "%.6g".
    if (!absl::SimpleAtod(std::string(tokens[n]), &v) || !std::isfinite(v) || v < 0.0 ||
        v > 1.0 + 1e-6) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: bad posterior '%s': expected a number in [0, 1]", where, std::string(tokens[n])));
    }
    values[n] = std::min(v, 1.0);
  }
  return values;
}

// The words exactly as the corpus reader splits them, so that positions agree.
std::vector<std::string> SplitWords(const std::string& line) {
  std::vector<std::string_view> tokens;
  SplitTokens(line, &tokens);
  return std::vector<std::string>(tokens.begin(), tokens.end());
}

}  // namespace

absl::StatusOr<ViewPage> ReadViewPage(const ViewFiles& files, const LineRange& range) {
  if (files.source.empty() || files.target.empty() || files.links.empty()) {
    return absl::InvalidArgumentError("the viewer needs a source, a target and a links file");
  }
  std::vector<LockstepFile> inputs;
  auto add = [&](std::string role, const std::string& path) -> absl::Status {
    if (path.empty()) return absl::OkStatus();
    for (const LockstepFile& f : inputs) {
      if (path == "-" && f.path == "-") {
        return absl::InvalidArgumentError("only one input can be '-' (stdin)");
      }
    }
    ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
    inputs.push_back({std::move(role), path, std::move(reader), {}});
    return absl::OkStatus();
  };
  enum { kSource, kTarget, kLinks };
  RETURN_IF_ERROR(add("source", files.source));
  RETURN_IF_ERROR(add("target", files.target));
  RETURN_IF_ERROR(add("links", files.links));
  const int other_index = files.other_links.empty() ? -1 : static_cast<int>(inputs.size());
  RETURN_IF_ERROR(add("other links", files.other_links));
  const int posteriors_index = files.link_posteriors.empty() ? -1 : static_cast<int>(inputs.size());
  RETURN_IF_ERROR(add("link posteriors", files.link_posteriors));
  if (files.gold == "-" && std::any_of(inputs.begin(), inputs.end(),
                                       [](const LockstepFile& f) { return f.path == "-"; })) {
    return absl::InvalidArgumentError("only one input can be '-' (stdin)");
  }

  ViewPage page;
  page.has_other = other_index >= 0;
  page.has_posteriors = posteriors_index >= 0;
  page.has_gold = !files.gold.empty();
  std::vector<GoldAlignment> gold;
  if (page.has_gold) {
    ASSIGN_OR_RETURN(gold, ReadGoldFile(files.gold, files.gold_format, files.gold_options, 0));
  }

  // The pair on the current line of every input, line number `line`.
  auto parse_pair = [&](int64_t line) -> absl::StatusOr<ViewPair> {
    ViewPair pair;
    pair.line = line;
    pair.source_words = SplitWords(inputs[kSource].line);
    pair.target_words = SplitWords(inputs[kTarget].line);
    auto parse_links = [&](const LockstepFile& f,
                           std::string_view what) -> absl::StatusOr<SentenceLinks> {
      const std::string at = absl::StrCat(f.path, ":", line);
      absl::StatusOr<SentenceLinks> links = ParsePharaoh(f.line);
      if (!links.ok()) {
        return absl::InvalidArgumentError(
            FileLineMessage(f.path, line, std::string(links.status().message())));
      }
      RETURN_IF_ERROR(CheckLinks(*links, pair, at, what));
      return links;
    };
    ASSIGN_OR_RETURN(pair.links, parse_links(inputs[kLinks], "alignment"));
    if (other_index >= 0) {
      ASSIGN_OR_RETURN(pair.other_links, parse_links(inputs[other_index], "alignment"));
    }
    if (posteriors_index >= 0) {
      const LockstepFile& f = inputs[posteriors_index];
      ASSIGN_OR_RETURN(
          pair.link_posteriors,
          ParsePosteriors(f.line, pair.links.size(), absl::StrCat(f.path, ":", line), files.links));
    }
    if (page.has_gold && static_cast<size_t>(line - 1) < gold.size()) {
      pair.gold = gold[line - 1];
      const std::string at = files.gold_format == GoldFormat::kPharaohSurePossible
                                 ? absl::StrCat(files.gold, ":", line)
                                 : absl::StrCat(files.gold, ": sentence ",
                                                line - 1 + files.gold_options.first_sentence_id);
      RETURN_IF_ERROR(CheckLinks(pair.gold.sure, pair, at, "gold"));
      RETURN_IF_ERROR(CheckLinks(pair.gold.possible, pair, at, "gold"));
    }
    return pair;
  };

  int64_t lines = 0;
  absl::Status first_error;  // of the first bad line; reading goes on to count the lines
  while (true) {
    size_t got = 0;
    for (LockstepFile& f : inputs) got += f.reader->Next(&f.line);
    for (const LockstepFile& f : inputs) RETURN_IF_ERROR(f.reader->status());
    if (got == 0) break;
    if (got != inputs.size()) {
      // One file ended early: count the rest of each to say by how much.
      std::string first_name, second_name;
      int64_t first_lines = -1, second_lines = -1;
      for (LockstepFile& f : inputs) {
        while (f.reader->Next(&f.line)) {
        }
        RETURN_IF_ERROR(f.reader->status());
        const int64_t count = f.reader->line_number();
        if (first_lines < 0) {
          first_name = f.path;
          first_lines = count;
        } else if (count != first_lines && second_lines < 0) {
          second_name = f.path;
          second_lines = count;
        }
      }
      return absl::InvalidArgumentError(
          absl::StrFormat("%s has %d lines but %s has %d; the files must be line-parallel",
                          first_name, first_lines, second_name, second_lines));
    }
    ++lines;
    if (lines < range.first || lines > range.last || !first_error.ok()) continue;
    absl::StatusOr<ViewPair> pair = parse_pair(lines);
    if (!pair.ok()) {
      first_error = pair.status();
      continue;
    }
    page.pairs.push_back(std::move(pair).value());
  }

  // A line count that differs explains any error within the lines (the
  // wrong file, or a line dropped), so it is reported first.
  if (page.has_gold) {
    const bool pharaoh = files.gold_format == GoldFormat::kPharaohSurePossible;
    if (pharaoh ? static_cast<int64_t>(gold.size()) != lines
                : static_cast<int64_t>(gold.size()) > lines) {
      // Two literal formats: absl checks each at compile time (clang refuses
      // a format chosen at run time).
      return absl::InvalidArgumentError(
          pharaoh
              ? absl::StrFormat("%s has %d lines but %s has %d; the files must be line-parallel",
                                files.source, lines, files.gold, static_cast<int64_t>(gold.size()))
              : absl::StrFormat(
                    "%s has %d lines but %s names sentences up to %d", files.source, lines,
                    files.gold,
                    static_cast<int64_t>(gold.size()) - 1 + files.gold_options.first_sentence_id));
    }
  }
  RETURN_IF_ERROR(first_error);
  if (range.first > lines) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--lines starts at line %d but %s has %d lines", range.first, files.source, lines));
  }
  return page;
}

}  // namespace aligner
