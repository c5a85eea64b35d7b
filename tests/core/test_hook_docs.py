"""Every hook of the plugin API (``@hookspec`` in vadbench/hookspecs.py) is in the hooks table of docs/plugins.md
and is exercised by a test: some test implements it (``@hookimpl def <hook>``, also inside a plugin's source
that a test writes out as a string) or calls it (``call_hook("<hook>", ...)`` or ``.<hook>(...)``)."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOOKSPECS = ROOT / "vadbench" / "hookspecs.py"
PLUGINS_DOC = ROOT / "docs" / "plugins.md"
TESTS = ROOT / "tests"


def _decorated_by(function: ast.FunctionDef | ast.AsyncFunctionDef, marker: str) -> bool:
    """Whether ``function`` is decorated with ``marker``, ``x.marker`` or either called (``@marker(tryfirst=True)``)."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (isinstance(target, ast.Name) and target.id == marker) or \
                (isinstance(target, ast.Attribute) and target.attr == marker):
            return True
    return False


def hook_specs(source: str) -> list[str]:
    """The names of the functions decorated with ``@hookspec`` in ``source`` (vadbench/hookspecs.py)."""
    return [node.name for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _decorated_by(node, "hookspec")]


def documented_hooks(markdown: str) -> set[str]:
    """The hooks named in the first cell of the table under "## The hooks" (``| `name(args)` | ... |``)."""
    section = re.search(r"^## The hooks\n(.*?)(?=^## |\Z)", markdown, re.MULTILINE | re.DOTALL)
    assert section, "docs/plugins.md has no '## The hooks' section"
    return set(re.findall(r"^\|\s*`(\w+)\(", section.group(1), re.MULTILINE))


def _trees(source: str) -> list[ast.AST]:
    """``source`` parsed, and every string constant in it that is Python code with a function definition (the
    plugin modules that tests write into a temporary folder)."""
    tree = ast.parse(source)
    trees = [tree]
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "def " in node.value:
            try:
                trees.append(ast.parse(textwrap.dedent(node.value)))
            except SyntaxError:
                continue
    return trees


def exercised_hooks(sources: list[str]) -> set[str]:
    """The names that some source implements as a hook (a function decorated with ``@hookimpl``) or calls as one
    (``call_hook("name", ...)``, or a call of an attribute or function ``name``)."""
    names: set[str] = set()
    for source in sources:
        for tree in _trees(source):
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _decorated_by(node, "hookimpl"):
                    names.add(node.name)
                elif isinstance(node, ast.Call):
                    function = node.func
                    called = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
                    if called == "call_hook" and node.args and isinstance(node.args[0], ast.Constant):
                        names.add(str(node.args[0].value))
                    elif called:
                        names.add(called)
    return names


def test_the_hook_spec_module_declares_hooks():
    assert {"register_models", "job_finished"} <= set(hook_specs(HOOKSPECS.read_text()))


def test_every_hook_is_documented_in_the_hooks_table():
    missing = sorted(set(hook_specs(HOOKSPECS.read_text())) - documented_hooks(PLUGINS_DOC.read_text()))
    assert not missing, f"hooks missing from the hooks table of docs/plugins.md: {', '.join(missing)}"


def test_every_hook_is_exercised_by_a_test():
    this_file = Path(__file__).resolve()
    sources = [path.read_text() for path in sorted(TESTS.rglob("*.py")) if path.resolve() != this_file]
    missing = sorted(set(hook_specs(HOOKSPECS.read_text())) - exercised_hooks(sources))
    assert not missing, f"hooks that no test implements with @hookimpl or calls: {', '.join(missing)}"


def test_a_new_hook_without_docs_or_test_is_caught():
    specs = hook_specs(HOOKSPECS.read_text() + textwrap.dedent('''

        @hookspec(firstresult=True)
        def run_started(run: dict) -> None:
            """A new hook that nobody documented or tested."""
    '''))
    assert "run_started" in specs
    assert "run_started" not in documented_hooks(PLUGINS_DOC.read_text())
    assert "run_started" not in exercised_hooks([path.read_text() for path in TESTS.rglob("test_*.py")
                                                 if path.name != Path(__file__).name])
    # and what counts as documenting or exercising it
    doc = "## The hooks\n\n| hook | called with |\n|---|---|\n| `run_started(run)` | the run |\n\n## Next\n"
    assert documented_hooks(doc) == {"run_started"}
    assert documented_hooks(doc.replace("## The hooks", "## Other hooks") + "## The hooks\n") == set()
    implemented = "PLUGIN = '''\nfrom vadbench import hookimpl\n\n@hookimpl\ndef run_started(run):\n    pass\n'''\n"
    assert "run_started" in exercised_hooks([implemented])  # inside a plugin source a test writes out
    assert "run_started" in exercised_hooks(["host.call_hook('run_started', run={})\n"])
    assert "run_started" in exercised_hooks(["manager.hook.run_started(run={})\n"])
    assert "run_started" not in exercised_hooks(["def run_started(run):\n    pass\n"])  # no @hookimpl
