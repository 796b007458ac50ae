"""The examples in docs/*.md run and print what the docs say (they are
doctests: ``>>>`` lines with their expected output); README blocks parse."""

import ast
import doctest
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = sorted(p.name for p in (ROOT / "docs").glob("*.md"))


@pytest.mark.parametrize("name", DOCS)
def test_doc_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # a code fence ends an example's expected output, as a blank line would
    text = re.sub(r"^\s*```.*$", "", (ROOT / "docs" / name).read_text(), flags=re.M)
    test = doctest.DocTestParser().get_doctest(text, {}, name, name, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


def test_readme_blocks_parse():
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert blocks
    for block in blocks:
        ast.parse(block)


def test_readme_quickstart_runs(capsys):
    text = (ROOT / "README.md").read_text()
    quickstart = text.split("## Quickstart", 1)[1]
    block = re.search(r"```python\n(.*?)```", quickstart, re.S).group(1)
    exec(compile(block, "README.md (quickstart)", "exec"), {})
    assert "dot_general" in capsys.readouterr().out  # the printed backward pass
