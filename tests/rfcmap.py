#!/usr/bin/env python3
"""rfcmap.py - checks labs/rfc9293.md, the map from each RFC requirement to the code
that meets it and the test that proves it, against the tree and against RFC 9293.

It fails (exit 1, one line per error) when:
  - a function the table names is not defined in that file (a line that starts at
    column 0 and holds `name(`, followed by a body, not a prototype);
  - a test it names is not START_TEST(name) in that file (or made by a macro there),
    or is never added to a suite; or an integration script it names does not exist;
  - a row marked done names no test, or one marked not done or n/a gives no reason;
  - a label in the table is not one of RFC 9293's, is there twice, is missing, is out
    of the RFC's order, or is given another section than the RFC states it in;
  - a label in the code or the tests is not one of RFC 9293's; or it sits in a
    function (or in the comment just above it) that its row does not name; or in the
    comment above a test (or in its body) that its row does not name;
  - the counts in the table's header are not the ones counted here.
It prints the counts, one line per kind and per RFC, then
`rfcmap: N done, N not done, N n/a; N errors` for RFC 9293's labels.

RFC 9293's labels come from its text: $RFC9293, else ../shared/rfc/rfc9293.txt next
to the tree. Without the text, they are RFC 9293's ranges (MUST-1..69, SHLD-1..31,
MAY-1..18, REC-1), and the order and sections are not checked.

Usage: tests/rfcmap.py [--root DIR] [--table FILE] [--rfc FILE]
"""
import argparse
import os
import re
import sys

LABEL = re.compile(r"\b(MUST|SHLD|MAY|REC)-(\d+)\b")
KINDS = ("MUST", "SHLD", "MAY", "REC")
RANGES = {"MUST": 69, "SHLD": 31, "MAY": 18, "REC": 1}      # RFC 9293's Table 8
STATUSES = ("done", "not done", "n/a")
CODE_DIRS = ("stack", "tun", "apps")
SCAN_EXT = (".c", ".h", ".sh", ".py")
SELF = ("tests/rfcmap.py", "tests/rfcmap-selftest.sh")     # they name labels on purpose


class Errors(list):
    def add(self, where, what):
        self.append(f"{where}: {what}" if where else what)


# ---- RFC 9293: its labels, in its order, with the section that states each ----

def rfc_labels(path):
    """[(label, section)] in order of first mention in the text before Appendix B,
    then those only Appendix B names (section None)."""
    text = open(path, encoding="utf-8", errors="replace").read()
    cut = text.find("Appendix B.  TCP Requirement Summary\n\n")
    if cut < 0:
        sys.exit(f"rfcmap: {path}: no Appendix B: is this RFC 9293?")
    # a label broken across lines: "(MUST-\n   10)"
    body = re.sub(r"\b(MUST|SHLD|MAY|REC)-\n\s+(\d+)", r"\1-\2\n", text[:cut])
    order, section, seen = [], None, set()
    for line in body.split("\n"):
        m = re.match(r"^(\d+(?:\.\d+)*)\.\s+\S", line)
        if m:
            section = m.group(1)
        for lm in LABEL.finditer(line):
            if lm.group(0) not in seen:
                seen.add(lm.group(0))
                order.append((lm.group(0), section))
    for lm in LABEL.finditer(text[cut:]):
        if lm.group(0) not in seen:
            seen.add(lm.group(0))
            order.append((lm.group(0), None))
    return order


def find_rfc(root, given):
    for p in (given, os.environ.get("RFC9293"),
              os.path.join(root, "..", "shared", "rfc", "rfc9293.txt")):
        if p and os.path.isfile(p):
            return p
    return None


# ---- the tree: function definitions, tests ----

def strip_comments(line):
    return re.sub(r"/\*.*?\*/", "", line).split("//")[0].rstrip()


def functions(path):
    """{name: (first line, last line)} of the functions defined in a C file (1-based)."""
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    defs, i = {}, 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(?:[A-Za-z_][\w\s*]*?[\s*])?([A-Za-z_]\w*)\(", line)
        if not m or line.startswith(("typedef", "START_TEST", "END_TEST")):
            i += 1
            continue
        j = i
        while j < len(lines):                      # prototype (;) or definition ({)?
            code = strip_comments(lines[j])
            if "{" in code or code.endswith(";"):
                break
            j += 1
        if j == len(lines) or "{" not in strip_comments(lines[j]):
            i = j + 1
            continue
        end = j
        if not strip_comments(lines[j]).endswith("}"):   # not a one-line body
            while end < len(lines) and not lines[end].startswith("}"):
                end += 1
        defs[m.group(1)] = (i + 1, end + 1)
        i = end + 1
    return defs


def macro_names(text, verb):
    """Names a macro makes with `verb(p##_suffix)` (START_TEST, tcase_add_test), for
    each place the macro is used: check_window.c makes its tests so."""
    names = set()
    joined = text.replace("\\\n", " ")
    for m in re.finditer(r"^#define\s+(\w+)\(([^)]*)\)(.*)$", joined, re.M):
        macro, params, body = m.group(1), [p.strip() for p in m.group(2).split(",")], m.group(3)
        made = re.findall(verb + r"\((?:\w+,\s*)?(\w+)\s*##\s*(\w+)\)", body)
        if not made:
            continue
        for use in re.finditer(r"^\s*" + macro + r"\(([^)]*)\)", joined, re.M):
            args = [a.strip() for a in use.group(1).split(",")]
            for param, suffix in made:
                if param in params and params.index(param) < len(args):
                    names.add(args[params.index(param)] + suffix)
    return names


def tests_of(path):
    """(defined, registered) test names of a Check suite."""
    text = open(path, encoding="utf-8", errors="replace").read()
    defined = set(re.findall(r"^START_TEST\((\w+)\)", text, re.M)) | macro_names(text, "START_TEST")
    added = set(re.findall(r"tcase_add_test\(\s*\w+\s*,\s*(\w+)\s*\)", text))
    added |= macro_names(text, "tcase_add_test")
    return defined, added


class Tree:
    def __init__(self, root):
        self.root = root
        self._fn, self._tests = {}, {}

    def path(self, rel):
        return os.path.join(self.root, rel)

    def c_file(self, name):
        """`tcp_in.c` -> `stack/tcp_in.c`; a path with a folder is taken as it is."""
        if "/" in name:
            return [name] if os.path.isfile(self.path(name)) else []
        return [f"{d}/{name}" for d in CODE_DIRS if os.path.isfile(self.path(f"{d}/{name}"))]

    def fns(self, rel):
        if rel not in self._fn:
            self._fn[rel] = functions(self.path(rel))
        return self._fn[rel]

    def tests(self, rel):
        if rel not in self._tests:
            self._tests[rel] = tests_of(self.path(rel))
        return self._tests[rel]


# ---- the table ----

def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


class Row:
    def __init__(self, rfc, lineno, first, cols, rec):
        self.rfc, self.lineno, self.first = rfc, lineno, first
        self.cols, self.rec = cols, rec                 # rec: column name -> cell

    def get(self, col):
        return self.rec.get(col, "")


def parse_table(path):
    """Requirement rows (per `## RFC N` section) and the header's counts."""
    rows, counts = [], {}
    rfc, header = None, None
    for n, line in enumerate(open(path, encoding="utf-8").read().split("\n"), 1):
        if line.startswith("## "):
            m = re.match(r"^##\s+RFC\s+(\d+)\b", line)
            rfc = m.group(1) if m else None
            header = None
            continue
        if not line.startswith("|"):
            header = None
            continue
        c = cells(line)
        if header is None:
            header = [h.lower() for h in c]
            continue
        if all(re.fullmatch(r":?-+:?", x) for x in c):
            continue
        rec = dict(zip(header, c))
        if "kind" in header:
            counts[rec["kind"]] = (n, rec)
        elif "status" in header and (rfc or "label" in header):
            rows.append(Row("9293" if "label" in header else rfc, n, c[0], header, rec))
    return rows, counts


def status_of(cell):
    s = re.sub(r"[*_]", "", cell).strip()
    for st in ("not done", "n/a", "done"):
        if s.lower().startswith(st):
            return st, s[len(st):].strip(" :—-–()").strip()
    return None, s


CODE_REF = re.compile(r"`([\w./-]+\.c):(\w+)`")
TEST_REF = re.compile(r"`(tests/[\w./-]+\.c):(\w+)`")
SCRIPT_REF = re.compile(r"`(tests/integration/[\w.-]+\.sh)`")


def check_row(tree, row, errs, where):
    st, reason = status_of(row.get("status"))
    if st is None:
        errs.add(where, f"status must start with one of {', '.join(STATUSES)}: "
                 f"{row.get('status')!r}")
    elif st != "done" and not reason:
        errs.add(where, f"{row.first}: '{st}' needs a reason")
    code = CODE_REF.findall(row.get("code"))
    for f, fn in code:
        files = tree.c_file(f)
        if len(files) != 1:
            errs.add(where, f"{row.first}: {f}: " + ("no such file" if not files else
                     f"ambiguous ({', '.join(files)}): give the folder"))
        elif fn not in tree.fns(files[0]):
            errs.add(where, f"{row.first}: no function {fn}() in {files[0]}")
    for tok in re.findall(r"`[^`]*`", row.get("code")):
        if not CODE_REF.fullmatch(tok):
            errs.add(where, f"{row.first}: code: {tok} is not `file.c:function`")
    if re.sub(r"`[^`]*`|[\s,;]|<br>", "", row.get("code")):
        errs.add(where, f"{row.first}: code: only `file.c:function` items, comma-separated")
    for tok in re.findall(r"`[^`]*`", row.get("tests")):
        if not (TEST_REF.fullmatch(tok) or SCRIPT_REF.fullmatch(tok)):
            errs.add(where, f"{row.first}: tests: {tok} is neither `tests/check_x.c:test` "
                     "nor `tests/integration/t_x.sh`")
    if re.sub(r"`[^`]*`|[\s,;]|<br>", "", row.get("tests")):
        errs.add(where, f"{row.first}: tests: only backticked tests, comma-separated")
    tests = TEST_REF.findall(row.get("tests"))
    for f, t in tests:
        if not os.path.isfile(tree.path(f)):
            errs.add(where, f"{row.first}: no test file {f}")
            continue
        defined, added = tree.tests(f)
        if t not in defined:
            errs.add(where, f"{row.first}: no START_TEST({t}) in {f}")
        elif t not in added:
            errs.add(where, f"{row.first}: {f}:{t} is never added to a suite: it does not run")
    scripts = SCRIPT_REF.findall(row.get("tests"))
    for s in scripts:
        if not os.path.isfile(tree.path(s)):
            errs.add(where, f"{row.first}: no script {s}")
    if st == "done" and not tests and not scripts:
        errs.add(where, f"{row.first}: marked done, but names no test")
    return st, {(tree.c_file(f)[0] if len(tree.c_file(f)) == 1 else f, fn) for f, fn in code}, \
        {(f, t) for f, t in tests}


# ---- labels in the code and the tests ----

def comment_lines(lines):
    """For each line: True when it is only comment (or inside a comment block)."""
    out, inside = [], False
    for line in lines:
        s = line.strip()
        if inside:
            out.append(True)
            inside = "*/" not in s
        elif s.startswith("/*"):
            out.append(True)
            inside = "*/" not in s
        else:
            out.append(False)
    return out


def owner_in_code(lines, com, defs, n):
    """The function a label on line n belongs to: the one whose body holds it, or the
    one the comment it is in sits just above; None at file level. com: comment_lines."""
    for name, (a, b) in defs.items():
        if a <= n <= b:
            return name
    i = n - 1
    if not com[i]:
        return None
    while i < len(lines) and com[i]:
        i += 1
    for name, (a, _) in defs.items():
        if a == i + 1:
            return name
    return None


def owner_in_tests(lines, com, n):
    """The test a label on line n belongs to: in its body, or in the comment just above."""
    i = n - 1
    if com[i]:
        while i < len(lines) and com[i]:
            i += 1
        m = re.match(r"^START_TEST\((\w+)\)", lines[i]) if i < len(lines) else None
        if m:
            return m.group(1)
    for j in range(n - 1, -1, -1):
        if lines[j].startswith("END_TEST"):
            return None
        m = re.match(r"^START_TEST\((\w+)\)", lines[j])
        if m:
            return m.group(1)
    return None


def source_files(root):
    for top in CODE_DIRS + ("tests",):
        for d, subdirs, files in os.walk(os.path.join(root, top)):
            subdirs[:] = [s for s in subdirs if s not in ("corpus", "regress", "ladder")]
            for f in sorted(files):
                rel = os.path.relpath(os.path.join(d, f), root)
                if f.endswith(SCAN_EXT) and rel not in SELF:
                    yield rel


def check_labels_in_tree(tree, known, by_label, errs):
    for rel in source_files(tree.root):
        text = open(tree.path(rel), encoding="utf-8", errors="replace").read()
        if not any(k + "-" in text for k in KINDS) or not LABEL.search(text):
            continue
        lines = text.split("\n")
        com = comment_lines(lines)
        hits = [(n, m.group(0)) for n, line in enumerate(lines, 1) for m in LABEL.finditer(line)]
        is_code = rel.endswith(".c") and rel.split("/")[0] in CODE_DIRS
        is_suite = re.fullmatch(r"tests/check_\w+\.c", rel) is not None
        defs = tree.fns(rel) if is_code else {}
        for n, label in hits:
            where = f"{rel}:{n}"
            if label not in known:
                errs.add(where, f"{label} is not one of RFC 9293's labels")
                continue
            if label not in by_label:
                errs.add(where, f"{label} has no row in the table")
                continue
            code, tests = by_label[label]
            if is_code:
                fn = owner_in_code(lines, com, defs, n)
                if fn and (rel, fn) not in code:
                    errs.add(where, f"{label} is in {fn}(), which the {label} row does not name "
                             f"(add `{os.path.basename(rel)}:{fn}`)")
            elif is_suite:
                t = owner_in_tests(lines, com, n)
                if t and (rel, t) not in tests:
                    errs.add(where, f"{label} is above (or in) test {t}, which the {label} row "
                             f"does not name (add `{rel}:{t}`)")


# ---- counts ----

def count(rows):
    c = {st: 0 for st in STATUSES}
    for r in rows:
        st, _ = status_of(r.get("status"))
        if st:
            c[st] += 1
    return c


def check_counts(name, got, header, errs, where):
    want = {"rows": sum(got.values()), **got}
    for col, n in want.items():
        cell = header.get(col, "")
        if not cell.isdigit() or int(cell) != n:
            errs.add(where, f"header: {name} {col} is {cell or 'missing'}, counted {n}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--root", default=os.path.dirname(here))
    ap.add_argument("--table")
    ap.add_argument("--rfc")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    table = a.table or os.path.join(root, "labs", "rfc9293.md")
    tree, errs = Tree(root), Errors()
    tname = os.path.relpath(table, root) if table.startswith(root) else table

    rfc = find_rfc(root, a.rfc)
    if rfc:
        order = rfc_labels(rfc)
    else:
        order = [(f"{k}-{i}", None) for k in KINDS for i in range(1, RANGES[k] + 1)]
        print("rfcmap: RFC 9293's text not found (set RFC9293=FILE): its labels are taken "
              "from their ranges; order and sections not checked")
    known = {l: s for l, s in order}
    rank = {l: i for i, (l, s) in enumerate(order)}

    rows, counts = parse_table(table)
    by_label, seen, last = {}, {}, -1
    for r in rows:
        where = f"{tname}:{r.lineno}"
        st, code, tests = check_row(tree, r, errs, where)
        if r.rfc != "9293":
            continue
        label = r.first
        if label not in known:
            errs.add(where, f"{label} is not one of RFC 9293's labels")
            continue
        if label in seen:
            errs.add(where, f"{label} is there twice (line {seen[label]} too)")
            continue
        seen[label] = r.lineno
        by_label[label] = (code, tests)
        if rfc and known[label] is not None:
            if rank[label] < last:
                errs.add(where, f"{label} is out of the RFC's order")
            last = max(last, rank[label])
            sec = r.get("§").strip("` ")
            if sec != known[label]:
                errs.add(where, f"{label}: the RFC states it in {known[label]}, not {sec or '?'}")
    for label, _ in order:
        if label not in seen:
            errs.add(tname, f"{label} has no row")
    check_labels_in_tree(tree, known, by_label, errs)

    rows9293 = [r for r in rows if r.rfc == "9293" and r.first in known]
    lines, total = [], count(rows9293)
    for k in KINDS:
        c = count([r for r in rows9293 if r.first.startswith(k + "-")])
        lines.append(f"rfcmap: RFC 9293 {k}: {c['done']} done, {c['not done']} not done, "
                     f"{c['n/a']} n/a")
        if k in counts:
            check_counts(k, c, counts[k][1], errs, f"{tname}:{counts[k][0]}")
        else:
            errs.add(tname, f"header: no counts row for {k}")
    others = sorted({r.rfc for r in rows if r.rfc != "9293"}, key=int)
    for n in others:
        c = count([r for r in rows if r.rfc == n])
        lines.append(f"rfcmap: RFC {n}: {c['done']} done, {c['not done']} not done, {c['n/a']} n/a")
        key = f"RFC {n}"
        if key in counts:
            check_counts(key, c, counts[key][1], errs, f"{tname}:{counts[key][0]}")
        else:
            errs.add(tname, f"header: no counts row for {key}")
    if "all" in counts:
        check_counts("all", total, counts["all"][1], errs, f"{tname}:{counts['all'][0]}")
    else:
        errs.add(tname, "header: no counts row for all")

    for e in errs:
        print(f"rfcmap: error: {e}")
    for line in lines:
        print(line)
    print(f"rfcmap: {total['done']} done, {total['not done']} not done, {total['n/a']} n/a; "
          f"{len(errs)} errors")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
