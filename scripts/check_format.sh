#!/usr/bin/env bash
# Checks that every tracked C++ file (git ls-files '*.cc' '*.h') is formatted as .clang-format
# says, with Debian 12's clang-format 14 (other versions format some constructs differently).
# Prints each file that is not and exits 1 if there is any.
#
#   scripts/check_format.sh          check only
#   scripts/check_format.sh --fix    reformat the offending files in place
#
# Environment: CLANG_FORMAT (default clang-format-14, else clang-format if it is version 14).
set -euo pipefail
cd "$(dirname "$0")/.."

fix=false
case "${1:-}" in
  "") ;;
  --fix) fix=true ;;
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--fix]" >&2; exit 2 ;;
esac

clang_format=${CLANG_FORMAT:-}
if [ -z "$clang_format" ]; then
  if command -v clang-format-14 >/dev/null; then
    clang_format=clang-format-14
  elif command -v clang-format >/dev/null; then
    clang_format=clang-format
  else
    echo "error: clang-format not found (scripts/install_deps.sh installs it)" >&2
    exit 1
  fi
fi
version=$("$clang_format" --version)
case "$version" in
  *"version 14."*) ;;
  *) echo "warning: $clang_format is not clang-format 14 ($version); its output may differ" >&2 ;;
esac

files=()
while IFS= read -r -d '' f; do
  [ -f "$f" ] && files+=("$f")  # tracked but deleted in the work tree: nothing to check
done < <(git ls-files -z -- '*.cc' '*.h')
[ ${#files[@]} -eq 0 ] && { echo "no C++ files tracked" >&2; exit 0; }

offending=()
for f in "${files[@]}"; do
  # --dry-run --Werror: one warning per place that would change, exit status 1 if any.
  if ! "$clang_format" --style=file --dry-run --Werror "$f" 2>/dev/null; then
    offending+=("$f")
  fi
done

if [ ${#offending[@]} -eq 0 ]; then
  echo "all ${#files[@]} C++ files are formatted"
  exit 0
fi
if $fix; then
  "$clang_format" --style=file -i "${offending[@]}"
  printf 'reformatted %s\n' "${offending[@]}"
  echo "reformatted ${#offending[@]} of ${#files[@]} C++ files"
  exit 0
fi
for f in "${offending[@]}"; do
  places=$("$clang_format" --style=file --dry-run "$f" 2>&1 | grep -c 'warning:' || true)
  echo "needs formatting: $f ($places places)"
done
echo "${#offending[@]} of ${#files[@]} C++ files need formatting; scripts/check_format.sh --fix" \
  "reformats them" >&2
exit 1
