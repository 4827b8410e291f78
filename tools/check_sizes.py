#!/usr/bin/python3
"""Holds product code to its sizes: no source file over 400 lines, no function
over 80 lines (from the line its signature starts on to its closing brace).

Usage: check_sizes.py [SOURCE_ROOT]   (default: the folder above this script)
       check_sizes.py --self-test     (runs the checker on a small fixture)

Product code is every C++ source outside tests/ and fuzz/. Prints each violation
as `file:line: what` and exits 1 if there is any.

Functions are found by a brace-matching heuristic written for our Google-style
code, not by a C++ parser: comments, strings and character literals are blanked
out, and a `{` opens a function body when its statement ends in a parameter list
(possibly followed by const, noexcept, override, a trailing return type or a
constructor's initializer list) and is not a control statement or a lambda.
"""

import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_layers import run_checker, source_files  # noqa: E402

MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 80
NOT_PRODUCT = ("tests/", "fuzz/")

CONTROL = re.compile(r"^(else\s+)?(if|for|while|switch|catch)\b")
TYPE_OR_SCOPE = re.compile(r"^(template\s*<.*>\s*)?(class|struct|union|enum|namespace|extern)\b", re.S)
LABEL = re.compile(r"^((public|private|protected|default)\s*:(?!:)|case\b[^;]*?[^:]:(?!:))\s*")
QUALIFIED_CLOSE = re.compile(
    r"\)\s*((const|volatile|mutable|override|final|noexcept(\s*\([^()]*\))?|&&?)\s*)*$")
NAME = re.compile(r"(operator\s*(\(\)|\[\]|[^\s(]+)|~?[A-Za-z_]\w*)(\s*<[^<>]*>)?\s*$")


def blank_code(text):
    """text with comments, preprocessor lines and the insides of string and
    character literals replaced by spaces; newlines are kept, so line numbers hold."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c == "#":
            # A preprocessor line, with its continuations.
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append("\n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        if c == "\n":
            at_line_start = True
            out.append(c)
            i += 1
            continue
        if not c.isspace():
            at_line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
            continue
        raw = re.match(r'(u8|u|U|L)?R"([^()\\\s]{0,16})\(', text[i:i + 24])
        if raw and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = ")" + raw.group(2) + '"'
            end = text.find(close, i + raw.end())
            end = n if end < 0 else end + len(close)
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:end - 2]) + "  ")
            i = end
            continue
        if c == "'" and _in_number(text, i):
            out.append(" ")  # a digit separator, as in 1'000'000
            i += 1
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j, n - 1)
            out.append(c + " " * (j - i - 1) + c)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _in_number(text, i):
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] in "_'"):
        j -= 1
    return j < i and text[j].isdigit()


def _matching_open(head, close):
    """Index of the "(" that the ")" at head[close] closes, or -1."""
    depth = 0
    for k in range(close, -1, -1):
        if head[k] == ")":
            depth += 1
        elif head[k] == "(":
            depth -= 1
            if depth == 0:
                return k
    return -1


def _parameter_list(head):
    """Index of the "(" opening the parameter list if the statement head
    (the text before a "{") is a function signature, else -1."""
    # A constructor's initializer list: the first ")" at depth 0 followed by a
    # single ":", and the head ends where the last member's initializer does.
    depth = 0
    for k, ch in enumerate(head):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and re.match(r"\s*(noexcept\s*)?:(?!:)", head[k + 1:]):
                return _matching_open(head, k) if head.rstrip().endswith((")", "}")) else -1
    # A trailing return type, "-> T", goes: what matters is what stands before it.
    depth = 0
    for k, ch in enumerate(head):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and head.startswith("->", k) and QUALIFIED_CLOSE.search(head[:k]):
            head = head[:k]
            break
    # Otherwise the head ends in ")" and maybe qualifiers.
    tail = QUALIFIED_CLOSE.search(head)
    if not tail:
        return -1
    close = tail.start()
    if re.search(r"noexcept\s*$", head[:_matching_open(head, close)]):
        close = head.rfind(")", 0, _matching_open(head, close))  # that was noexcept(...)
    return _matching_open(head, close) if close >= 0 else -1


def classify(head):
    """What a "{" opens, from the statement head before it: "function",
    "lambda", "block" (control, scope, type) or "init" (a braced initializer)."""
    head = head.strip()
    while True:
        label = LABEL.match(head)
        if not label:
            break
        head = head[label.end():]
    if not head or re.search(r"(^|\W)(else|do|try)$", head):
        return "block"
    if CONTROL.match(head):
        return "block"
    if head.endswith("]") and not re.search(r"operator\s*\[\s*\]$", head):
        return "lambda"  # [captures] { ... }
    open_paren = _parameter_list(head)
    if open_paren >= 0:
        before = head[:open_paren].rstrip()
        if before.endswith("]") and not re.search(r"operator\s*\[\s*\]$", before):
            return "lambda"
        if re.search(r"(^|[^\w:])(if|for|while|switch|catch|constexpr)$", before):
            return "block"
        return "function" if NAME.search(before) else "init"
    if TYPE_OR_SCOPE.match(head):
        return "block"
    return "init"


def functions(text):
    """(name, first line, last line) of each function body in C++ source text."""
    code = blank_code(text)
    found = []
    # One frame a brace level: [kind, paren depth, where the current statement starts,
    # name and first line for a function].
    frames = [["block", 0, 0, None, 0]]
    for pos, ch in enumerate(code):
        frame = frames[-1]
        if ch == "(":
            frame[1] += 1
        elif ch == ")":
            frame[1] -= 1
        elif ch == ";" and frame[1] <= 0:
            frame[2] = pos + 1
        elif ch == "{":
            head = code[frame[2]:pos]
            kind = classify(head)
            name, first = None, 0
            if kind == "function":
                stripped = head.strip()
                while LABEL.match(stripped):
                    stripped = stripped[LABEL.match(stripped).end():]
                start = frame[2] + head.find(stripped[:1]) if stripped else pos
                start = code.find(stripped[:1], start) if stripped else pos
                first = code.count("\n", 0, start) + 1
                name = _name(stripped)
            # An initializer or lambda is part of its statement; the statement
            # text keeps growing through it.
            statement_start = frame[2] if kind in ("init", "lambda") else pos + 1
            frames.append([kind, 0, statement_start, name, first])
        elif ch == "}" and len(frames) > 1:
            closed = frames.pop()
            if closed[0] == "function":
                found.append((closed[3], closed[4], code.count("\n", 0, pos) + 1))
            if closed[0] not in ("init", "lambda"):
                frames[-1][2] = pos + 1
    return found


def _name(head):
    open_paren = _parameter_list(head)
    before = head[:open_paren].rstrip()
    match = re.search(r"((\w+\s*(<[^<>]*>)?\s*::\s*)*" + NAME.pattern[:-1] + r")\s*$", before)
    return re.sub(r"\s+", "", match.group(1)) if match else "?"


def check(root):
    violations = []
    for name in source_files(root):
        if name.startswith(NOT_PRODUCT):
            continue
        with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
            text = f.read()
        lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if lines > MAX_FILE_LINES:
            violations.append(f"{name}:1: file is {lines} lines (at most {MAX_FILE_LINES})")
        for function, first, last in functions(text):
            length = last - first + 1
            if length > MAX_FUNCTION_LINES:
                violations.append(f"{name}:{first}: function {function} is {length} lines "
                                  f"(at most {MAX_FUNCTION_LINES})")
    return violations


SELF_TEST_SOURCE = r'''// A fixture: every function below says its own length in its name.
#include <string>
#define BRACE_MACRO(x) { if (x) {
namespace demo {
namespace {
struct Point { int x{0}; int y = 1; };
class Widget : public Base<int> {
 public:
  Widget(int a, int b) : a_(a), b_{b} {
    Use(a_);
  }
  int Size() const override { return 1; }
  bool operator==(const Widget& o) const noexcept { return a_ == o.a_; }
  int& operator[](int i) { return a_; }
 private:
  int a_, b_;
};
}  // namespace

template <typename T>
auto Trailing(T t) -> decltype(t + 1) {
  return t + 1;
}

int Eleven(int n) {
  std::string s = R"sql(SELECT { FROM "t" WHERE x = '}' )sql";
  const char* q = "}{ \" }";
  char c = '{';
  int big = 1'000'000;
  auto lambda = [&](int x) mutable -> int { if (x) { return 1; } return 2; };
  auto no_params = [] { return 3; };
  int table[] = {1, 2, {3}};
  for (int i = 0; i < n; ++i) { if (i) { continue; } }
  /* } */ switch (n) { case 1: { break; } default: break; }
  return lambda(big) + c;
}
}  // namespace demo

extern "C" {
int Seven(int x)
{
  try {
    x += 1;
  } catch (const std::exception& e) {
  }
  return x;
}
}
'''

SELF_TEST_EXPECTED = [
    ("Widget", 9, 11), ("Size", 12, 12), ("operator==", 13, 13), ("operator[]", 14, 14),
    ("Trailing", 20, 23), ("Eleven", 25, 36), ("Seven", 40, 47),
]


def self_test():
    failures = []
    got = sorted(functions(SELF_TEST_SOURCE), key=lambda f: f[1])
    if got != SELF_TEST_EXPECTED:
        failures.append(f"functions(): expected {SELF_TEST_EXPECTED}, got {got}")
    long_body = "void Long() {\n" + "  Step();\n" * 79 + "}\n"  # 81 lines
    if functions(long_body) != [("Long", 1, 81)]:
        failures.append(f"a body of 81 lines: got {functions(long_body)}")
    # check() over a tree: the limits, and tests/ and fuzz/ left out.
    tree = {
        "core/big.cc": "int x;\n" * 401,
        "core/fits.cc": "int x;\n" * 319 + long_body,  # 400 lines, one function too long
        "tests/unit/long_test.cc": "int x;\n" * 500 + long_body,
        "fuzz/fuzz_x.cc": long_body,
    }
    with tempfile.TemporaryDirectory() as root:
        for path, text in tree.items():
            os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(root, path), "w", encoding="utf-8") as f:
                f.write(text)
        got = check(root)
    expected = ["core/big.cc:1: file is 401 lines (at most 400)",
                "core/fits.cc:320: function Long is 81 lines (at most 80)"]
    if got != expected:
        failures.append(f"check() on a tree: expected {expected}, got {got}")
    return failures


if __name__ == "__main__":
    sys.exit(run_checker(sys.argv, "check_sizes", __doc__, check, self_test))
