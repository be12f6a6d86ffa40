#!/usr/bin/env python3
"""doc_check: the reference at the top of llmres.h agrees with the code, and README.md
and docs/ hold no second copy of its tables.

    python3 tests/doc_check.py [repository root]

Exits 0 when everything agrees, 1 with one line per disagreement otherwise (2 when a
file or a table it reads from the code cannot be found). Checked:

  - every macro with a default (#ifndef LLMRES_X, then #define LLMRES_X value, in
    llmres.h and port/*.h) is in CONFIGURATION with the same default; every LLMRES_
    macro the code tests with #if/#ifdef/#ifndef is there too; nothing is listed there
    that the code does not know;
  - every LLM_* key of llmres__cfgkeys is in RUNTIME CONFIGURATION with its field and
    the default llmres_config_defaults gives it, and no other key is;
  - every code of the llmres_err_t enum is in ERRORS AND CLASSES with its value;
    every class of llmres_class_name is there with the retry and breaker outcome of
    llmres_class_policy_get;
  - every built-in row of llmres__wires is in PROVIDERS with its path, key header,
    version header, budget name and default, and stream end markers;
  - the TABLE OF CONTENTS names the headings of the comment, in order; the banner's
    version is LLMRES_VERSION_STRING and the CHANGELOG has an entry for it;
  - README.md, docs/*.md and the comment (its CHANGELOG aside) name no LLMRES_* or
    llmres_* identifier that the code does not have (a stale name);
  - README.md stays under 320 lines, has no line naming two or more LLMRES_MAX_ macros
    or two or more LLM_* keys, and neither it nor docs/*.md has a table row naming a
    configuration macro, an LLM_* key, an error code or error classes.
Standard library only.
"""
import glob
import os
import re
import sys

README_MAX_LINES = 320
SECTIONS = ["OVERVIEW", "QUICK START", "CONFIGURATION", "RUNTIME CONFIGURATION", "PROVIDERS",
            "ERRORS AND CLASSES", "PORT", "THREADING", "MEMORY AND CODE SIZE", "CHANGELOG"]

problems = []


def problem(msg):
    problems.append(msg)


def fatal(msg):
    print("doc_check: " + msg, file=sys.stderr)
    sys.exit(2)


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        fatal("cannot read %s: %s" % (path, e))


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def strip_comment(value):
    value = re.sub(r"/\*.*?\*/", "", value)
    value = re.sub(r"//.*", "", value)
    return value.strip()


def norm_value(v):
    """A default as written in code or docs, for comparison: 1024, 1024u and 0x400 agree."""
    v = v.strip()
    m = re.fullmatch(r"(0[xX][0-9a-fA-F]+|\d+)[uUlL]*", v)
    if m:
        return str(int(m.group(1), 0))
    return v


def split_doc(header):
    """The documentation comment at the top of llmres.h, and the code after it."""
    if not header.startswith("/*"):
        fatal("llmres.h does not start with its documentation comment")
    end = header.find("\n*/")
    if end < 0:
        fatal("llmres.h: the documentation comment has no closing '*/' at the start of a line")
    config = header.find("#ifdef LLMRES_CONFIG_FILE")
    if config < 0 or config < end:
        problem("llmres.h: the documentation comment must end before '#ifdef LLMRES_CONFIG_FILE'")
    return header[:end + 3], header[end + 3:], line_of(header, end) + 1


def sections(doc):
    """Headings are lines in capitals at column 0; returns {heading: text} and their order."""
    found, order = {}, []
    current, lines = None, []
    for line in doc.split("\n"):
        if re.fullmatch(r"[A-Z][A-Z ]*[A-Z]", line):
            if current:
                found[current] = "\n".join(lines)
            current, lines = line, []
            order.append(line)
        elif current:
            lines.append(line)
    if current:
        found[current] = "\n".join(lines)
    return found, order


def c_block(code, start_pattern, what):
    """The text between the '{' after start_pattern and its matching '}'."""
    m = re.search(start_pattern, code)
    if not m:
        fatal("cannot find %s in llmres.h (the check needs updating)" % what)
    i = code.index("{", m.end() - 1 if code[m.end() - 1] == "{" else m.end())
    depth = 0
    for j in range(i, len(code)):
        if code[j] == "{":
            depth += 1
        elif code[j] == "}":
            depth -= 1
            if depth == 0:
                return code[i + 1:j]
    fatal("unbalanced braces in %s" % what)


# ---- the code's facts ----------------------------------------------------------------

def macro_defaults(files):
    """{name: (value, 'file:line')} for #ifndef NAME / #define NAME value pairs."""
    out = {}
    for path, text in files:
        lines = text.split("\n")
        for i in range(len(lines) - 1):
            m = re.match(r"\s*#\s*ifndef\s+(LLMRES_\w+)\s*$", lines[i])
            if not m:
                continue
            name = m.group(1)
            d = re.match(r"\s*#\s*define\s+" + name + r"\b(.*)$", lines[i + 1])
            if not d:
                continue
            value = strip_comment(d.group(1))
            if not value or "__" in name or name.endswith("_H"):
                continue  # include guards and private macros
            out.setdefault(name, (value, "%s:%d" % (path, i + 2)))
    return out


def macros_tested(files):
    """LLMRES_ macros the code tests in preprocessor conditions (user-facing ones)."""
    out = {}
    for path, text in files:
        for n, line in enumerate(text.split("\n"), 1):
            if not re.match(r"\s*#\s*(if|ifdef|ifndef|elif)\b", line):
                continue
            for name in re.findall(r"\bLLMRES_\w+", line):
                if "__" in name or name.endswith("_H"):
                    continue
                out.setdefault(name, "%s:%d" % (path, n))
    return out


def config_keys(code):
    body = c_block(code, r"llmres__cfgkeys\[\]\s*=\s*\{", "llmres__cfgkeys")
    keys = re.findall(r'LLMRES__CK\(\s*"(LLM_\w+)"\s*,\s*(\w+)\s*,[^,]+,[^,]+,\s*(\d)\s*\)', body)
    if not keys:
        fatal("llmres__cfgkeys has no LLMRES__CK rows (the check needs updating)")
    return [(k, field, milli == "1") for k, field, milli in keys]


def config_defaults(code):
    body = c_block(code, r"LLMRES_API\s+void\s+llmres_config_defaults\s*\([^)]*\)\s*\{", "llmres_config_defaults")
    return {f: v.strip() for f, v in re.findall(r"c->(\w+)\s*=\s*([^;]+);", body)}


def error_codes(code):
    body = c_block(code, r"typedef\s+enum\s+llmres_err\s*\{", "the llmres_err_t enum")
    codes = re.findall(r"\b(LLMRES_(?:OK|ERR_\w+))\s*=\s*(-?\d+)", body)
    if not codes:
        fatal("the llmres_err_t enum has no values (the check needs updating)")
    return codes


def classes(code):
    body = c_block(code, r"llmres_class_name\s*\(\s*int\s+cls\s*\)\s*\{", "llmres_class_name")
    names = re.findall(r'"(\w+)"', c_block(body, r"names\[\w*\]\s*=\s*\{", "llmres_class_name's names"))
    pol = c_block(code, r"llmres_class_policy_get\s*\(\s*int\s+cls\s*\)\s*\{", "llmres_class_policy_get")
    rows = re.findall(r"\{\s*(\d)\s*,\s*LLMRES_OUTCOME_(\w+)\s*\}", pol)
    if not names or len(names) != len(rows):
        fatal("llmres_class_name has %d names but llmres_class_policy_get %d rows" % (len(names), len(rows)))
    return [(n, r == "1", o.lower()) for n, (r, o) in zip(names, rows)]


def wire_rows(code):
    body = c_block(code, r"llmres__wires\[\w*\]\s*=\s*\{", "llmres__wires")
    rows, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "{":
            if depth == 0:
                start = i + 1
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                rows.append(body[start:i])
    fields = ["name", "path", "auth_header", "auth_prefix", "version_header", "version",
              "max_tokens_key", "max_tokens_default", "flags", "answer", "event",
              "done_data", "end_type", "error_type"]
    out = []
    for r in rows:
        toks = [t.strip() for t in re.findall(r'"(?:[^"\\]|\\.)*"|[^,]+', r) if t.strip()]
        if len(toks) != len(fields):
            fatal("a row of llmres__wires has %d fields, not %d (the check needs updating)" % (len(toks), len(fields)))
        row = {}
        for f, t in zip(fields, toks):
            row[f] = t[1:-1] if t.startswith('"') else (None if t == "NULL" else t)
        out.append(row)
    return out


# ---- the checks ------------------------------------------------------------------------

def table_rows(section_text, pattern):
    """Lines of a section that start a table row (3 spaces, then the pattern)."""
    return [m for m in (re.match(r"   (" + pattern + r")\s+(\S+)(.*)$", l) for l in section_text.split("\n")) if m]


def check_configuration(sec, defaults, tested, code_text):
    rows = table_rows(sec.get("CONFIGURATION", ""), r"LLMRES_\w+")
    documented = {}
    for m in rows:
        documented.setdefault(m.group(1), m.group(2))
    for name, (value, where) in sorted(defaults.items()):
        if name not in documented:
            problem("llmres.h CONFIGURATION: %s (default %s, %s) is not listed" % (name, value, where))
        elif norm_value(documented[name]) != norm_value(value):
            problem("llmres.h CONFIGURATION: %s is listed with default %s, but %s says %s"
                    % (name, documented[name], where, value))
    for name, where in sorted(tested.items()):
        if name not in documented and name not in defaults:
            problem("llmres.h CONFIGURATION: %s (tested at %s) is not listed" % (name, where))
    for name in sorted(documented):
        if name not in defaults and name not in tested and not re.search(r"\b" + name + r"\b", code_text):
            problem("llmres.h CONFIGURATION: %s is listed but the code has no such macro" % name)


def milli(text):
    m = re.fullmatch(r"(\d+)(?:\.(\d{1,3}))?", text)
    if not m:
        return None
    return int(m.group(1)) * 1000 + int((m.group(2) or "").ljust(3, "0"))


def check_runtime(sec, keys, defaults):
    text = sec.get("RUNTIME CONFIGURATION", "")
    rows = {}
    for m in table_rows(text, r"LLM_\w+"):
        field = re.match(r"\s*(\w+):", m.group(3))
        rows.setdefault(m.group(1), (m.group(2), field.group(1) if field else None))
    known = {k for k, _, _ in keys}
    for key, field, is_milli in keys:
        if key not in rows:
            problem("llmres.h RUNTIME CONFIGURATION: %s is not listed" % key)
            continue
        doc_value, doc_field = rows[key]
        if doc_field != field:
            problem("llmres.h RUNTIME CONFIGURATION: %s is listed as field %s, the code's is %s"
                    % (key, doc_field, field))
        code_value = defaults.get(field, "0")
        if code_value.startswith("LLMRES_"):
            want = code_value.split("_")[-1].lower()
            ok = doc_value == want
        elif is_milli:
            want = str(int(norm_value(code_value)) / 1000.0)
            ok = milli(doc_value) == int(norm_value(code_value))
        else:
            want = norm_value(code_value)
            ok = norm_value(doc_value) == want
        if not ok:
            problem("llmres.h RUNTIME CONFIGURATION: %s is listed with default %s, llmres_config_defaults "
                    "gives %s%s" % (key, doc_value, code_value, "" if want == code_value else " (%s)" % want))
    for key in sorted(rows):
        if key not in known:
            problem("llmres.h RUNTIME CONFIGURATION: %s is listed but llmres__cfgkeys has no such key" % key)


def check_errors(sec, codes, class_table):
    text = sec.get("ERRORS AND CLASSES", "")
    rows = {m.group(1): m.group(2) for m in table_rows(text, r"LLMRES_(?:OK|ERR_\w+)")}
    known = {name for name, _ in codes}
    for name, value in codes:
        if name not in rows:
            problem("llmres.h ERRORS AND CLASSES: %s (%s) is not listed" % (name, value))
        elif rows[name] != value:
            problem("llmres.h ERRORS AND CLASSES: %s is listed as %s, the enum says %s" % (name, rows[name], value))
    for name in sorted(rows):
        if name not in known:
            problem("llmres.h ERRORS AND CLASSES: %s is listed but the enum has no such code" % name)
    names = [n for n, _, _ in class_table]
    crow = {}
    for line in text.split("\n"):
        m = re.match(r"   (\w+)\s+(yes|no)\s+(success|failure|ignored)\b", line)
        if m:
            crow[m.group(1)] = (m.group(2) == "yes", m.group(3))
    for name, retry, outcome in class_table:
        if name not in crow:
            problem("llmres.h ERRORS AND CLASSES: class %s is not in the class table" % name)
        elif crow[name] != (retry, outcome):
            problem("llmres.h ERRORS AND CLASSES: class %s is listed as retried=%s breaker=%s, "
                    "llmres_class_policy_get says retried=%s breaker=%s"
                    % (name, "yes" if crow[name][0] else "no", crow[name][1], "yes" if retry else "no", outcome))
    for name in sorted(crow):
        if name not in names:
            problem("llmres.h ERRORS AND CLASSES: class %s is listed but llmres_class_name has no such class" % name)


def check_providers(sec, rows):
    text = sec.get("PROVIDERS", "")
    lines = text.split("\n")
    names = [r["name"] for r in rows]
    paragraphs = {}
    current = None
    for line in lines:
        m = re.match(r"   (\w+)\s{2,}\S", line)
        if m and m.group(1) in names:
            current = m.group(1)
            paragraphs[current] = line
        elif current and re.match(r"    {3,}\S", line):
            paragraphs[current] += "\n" + line
        else:
            current = None
    for r in rows:
        para = paragraphs.get(r["name"])
        if para is None:
            problem("llmres.h PROVIDERS: the row %s is not described" % r["name"])
            continue
        flat = " ".join(para.split())
        wants = [r["path"], r["auth_header"], (r["auth_prefix"] or "").strip(), r["version_header"], r["version"],
                 r["max_tokens_key"], r["done_data"], r["end_type"]]
        if r["max_tokens_default"] not in (None, "0"):
            wants.append(norm_value(r["max_tokens_default"]))
        for want in wants:
            if want and want not in flat:
                problem("llmres.h PROVIDERS: the row %s does not say %r (from llmres__wires)" % (r["name"], want))


def check_toc(doc, sec, order):
    toc = doc.split("\nTABLE OF CONTENTS", 1)
    if len(toc) < 2:
        problem("llmres.h: the comment has no TABLE OF CONTENTS")
        return
    listed = []
    for line in toc[1].split("\n")[1:]:
        if re.fullmatch(r"[A-Z][A-Z ]*[A-Z]", line):
            break
        m = re.match(r"   ([A-Z][A-Z ]*[A-Z])(?:\s{2,}|$)", line)
        if m:
            listed.append(m.group(1))
    if listed != order:
        problem("llmres.h: the TABLE OF CONTENTS lists %s, the headings are %s" % (listed, order))
    for s in SECTIONS:
        if s not in sec:
            problem("llmres.h: the comment has no %s section" % s)


def check_version(doc, sec, code):
    m = re.search(r'#define\s+LLMRES_VERSION_STRING\s+"([^"]+)"', code)
    b = re.match(r"/\*\s*llmres\.h\s*-\s*v(\S+)", doc)
    if not m or not b:
        problem("llmres.h: cannot find the banner's version or LLMRES_VERSION_STRING")
        return
    if m.group(1) != b.group(1):
        problem("llmres.h: the banner says v%s, LLMRES_VERSION_STRING %s" % (b.group(1), m.group(1)))
    if not re.search(r"^   " + re.escape(m.group(1)) + r"\s", sec.get("CHANGELOG", ""), re.M):
        problem("llmres.h CHANGELOG: no entry for %s" % m.group(1))


def check_names(texts, code_text):
    """Identifiers named in the docs must exist in the code (or the examples)."""
    for where, text in texts:
        seen = set()
        for n, line in enumerate(text.split("\n"), 1):
            for name in re.findall(r"\b(?:LLMRES|llmres)_[A-Za-z0-9_]*[A-Za-z0-9]\b", line):
                if name in seen or "__" in name:
                    continue
                seen.add(name)
                if not re.search(r"\b" + re.escape(name) + r"\b", code_text):
                    problem("%s:%d: %s is not in llmres.h, port/ or examples/ (a stale name?)" % (where, n, name))


def check_no_copies(readme, docs, macro_names, keys, codes, class_names):
    lines = readme.split("\n")
    if len(lines) - (1 if readme.endswith("\n") else 0) >= README_MAX_LINES:
        problem("README.md: %d lines; the front door stays under %d (reference material goes to the "
                "top of llmres.h or docs/)" % (len(lines), README_MAX_LINES))
    key_names = {k for k, _, _ in keys}
    for n, line in enumerate(lines, 1):
        maxes = set(re.findall(r"\bLLMRES_MAX_\w+", line))
        if len(maxes) >= 2:
            problem("README.md:%d: names %s: the configuration table lives in llmres.h only"
                    % (n, ", ".join(sorted(maxes))))
        k = set(re.findall(r"\bLLM_\w+", line)) & key_names
        if len(k) >= 2:
            problem("README.md:%d: names %s: the settings table lives in llmres.h only" % (n, ", ".join(sorted(k))))
    multiword = [c for c in class_names if "_" in c]
    for where, text in [("README.md", readme)] + docs:
        for n, line in enumerate(text.split("\n"), 1):
            if not line.lstrip().startswith("|"):
                continue
            hits = [x for x in re.findall(r"\b(?:LLMRES|LLM)_\w+", line) if x in macro_names or x in key_names or x in codes]
            cls = [c for c in class_names if re.search(r"\b" + c + r"\b", line)]
            if hits or any(c in multiword for c in cls) or len(cls) >= 2:
                problem("%s:%d: a table row naming %s: that table lives in llmres.h only"
                        % (where, n, ", ".join(hits + cls)))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    if not os.path.isfile(os.path.join(root, "llmres.h")):
        fatal("no llmres.h in %s: give the repository's root" % root)
    os.chdir(root)
    header = read("llmres.h")
    doc, code, code_line = split_doc(header)
    ports = [(p, read(p)) for p in sorted(glob.glob("port/*.h"))]
    examples = [read(p) for p in sorted(glob.glob("examples/*.c"))]
    code_files = [("llmres.h", "\n" * (code_line - 1) + code)] + ports
    code_text = code + "".join(t for _, t in ports) + "".join(examples)

    sec, order = sections(doc)
    defaults = macro_defaults(code_files)
    tested = macros_tested(code_files)
    keys = config_keys(code)
    codes = error_codes(code)
    class_table = classes(code)

    check_toc(doc, sec, order)
    check_version(doc, sec, code)
    check_configuration(sec, defaults, tested, code_text)
    check_runtime(sec, keys, config_defaults(code))
    check_errors(sec, codes, class_table)
    check_providers(sec, wire_rows(code))

    readme = read("README.md")
    docs = [(p, read(p)) for p in sorted(glob.glob("docs/*.md"))]
    doc_no_changelog = doc.split("\nCHANGELOG\n", 1)[0]
    check_names([("README.md", readme), ("llmres.h", doc_no_changelog)] + docs, code_text)
    check_no_copies(readme, docs, set(defaults) | set(tested), keys, {c for c, _ in codes},
                    [c for c, _, _ in class_table])

    if problems:
        for p in problems:
            print("doc_check: " + p)
        print("doc_check: %d problem%s; the reference is the comment at the top of llmres.h"
              % (len(problems), "" if len(problems) == 1 else "s"))
        return 1
    print("doc_check: ok: %d macros with defaults, %d switches, %d settings, %d error codes, %d classes, "
          "%d provider rows agree with the code; README.md %d lines, no copies of the tables"
          % (len(defaults), len(set(tested) - set(defaults)), len(keys), len(codes), len(class_table),
             len(wire_rows(code)), readme.count("\n")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
