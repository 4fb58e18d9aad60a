"""The jinja2 environment and the writer of the generated package.

Templates print what the IR decided: they loop over IR lists and branch on IR values only.
Output is written in sorted order, with no timestamps or absolute paths, so the same inputs
always give the same bytes. ``render_package`` returns the files instead of writing them so
that ``check`` can compare without touching the tree.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from codegen.ir import Package

__all__ = ["environment", "render_package", "write_package"]

_TEMPLATES = Path(__file__).parent / "templates"


def environment() -> jinja2.Environment:
    """Return the jinja2 environment every template renders in."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_package(package: Package) -> dict[str, str]:
    """Render every file of the package.

    Args:
        package: The IR.

    Returns:
        File name (relative to the output directory) -> content.
    """
    env = environment()
    files = {
        "__init__.py": env.get_template("init.py.jinja").render(package=package),
        "_base.py": env.get_template("base.py.jinja").render(package=package),
        "_encode.py": env.get_template("encode.py.jinja").render(package=package),
        "_meta.py": env.get_template("meta.py.jinja").render(package=package),
        "_models.py": env.get_template("models.py.jinja").render(package=package),
        "_namespaces.py": env.get_template("namespaces.py.jinja").render(package=package),
        "_plain.py": env.get_template("plain.py.jinja").render(package=package),
        "_reply_parsers.py": env.get_template("reply_parsers.py.jinja").render(package=package),
        "_types.py": env.get_template("types.py.jinja").render(package=package),
    }
    group = env.get_template("group.py.jinja")
    for module in package.groups:
        files[f"{module.module}.py"] = group.render(package=package, module=module)
    namespace = env.get_template("namespace.py.jinja")
    for space in package.namespaces:
        files[f"{space.name}.py"] = namespace.render(package=package, namespace=space)
    return dict(sorted(files.items()))


def write_package(files: dict[str, str], out: Path) -> None:
    """Write rendered files into ``out``, removing stale generated modules.

    Args:
        files: The result of ``render_package``.
        out: The output directory; created when missing.
    """
    out.mkdir(parents=True, exist_ok=True)
    for stale in sorted(out.glob("*.py")):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        target = out / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
