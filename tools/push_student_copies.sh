#!/usr/bin/env bash
# Commit the student copies of the chapters (tools/make_student_notebooks.py) to the branch `student-copies`
# and push it, so that Colab can open them from GitHub: the book's page "Student copies" links to
# https://colab.research.google.com/github/<owner>/<repo>/blob/student-copies/<chapter>.ipynb.
# .github/workflows/book.yml runs it on every push to main. Each run adds a commit only when a copy changed,
# so the branch's history records which copies students were given, and from which commit of main.
#
#     tools/push_student_copies.sh [REMOTE]        # REMOTE defaults to origin; PYTHON to python3
set -euo pipefail
remote=${1:-origin}
branch=student-copies
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
work=$(mktemp -d)
tree=$work/tree
cleanup() { git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

source_commit=$(git -C "$root" rev-parse HEAD)
if git -C "$root" fetch -q "$remote" "$branch" 2>/dev/null; then
    git -C "$root" worktree add -q --detach "$tree" FETCH_HEAD
else  # the first run: a branch of its own, sharing no history with main
    git -C "$root" worktree add -q --detach "$tree"
    git -C "$tree" checkout -q --orphan "$branch"
    git -C "$tree" rm -rfq .
fi
git -C "$tree" rm -rfq --ignore-unmatch '*.ipynb'
"$python" "$root/tools/make_student_notebooks.py" --out "$tree"
cat > "$tree/README.md" <<'TEXT'
# Student copies

The chapters of the book with the exercise solutions removed, written by `tools/make_student_notebooks.py`
from the main branch (each commit message names the commit of main). Do not edit this branch: the book's
workflow rewrites it on every push to main. Open a copy in Colab from the book's page *Student copies*.
TEXT
git -C "$tree" add -A
if git -C "$tree" rev-parse -q --verify HEAD >/dev/null && git -C "$tree" diff --cached --quiet HEAD; then
    echo "student copies unchanged; nothing to push"
    exit 0
fi
git -C "$tree" -c user.name="${GIT_AUTHOR_NAME:-student-copies bot}" -c user.email="${GIT_AUTHOR_EMAIL:-student-copies@users.noreply.github.com}" \
    commit -q -m "Student copies of $source_commit"
git -C "$tree" push -q "$remote" "HEAD:refs/heads/$branch"
echo "pushed the student copies of $source_commit to $remote $branch"
