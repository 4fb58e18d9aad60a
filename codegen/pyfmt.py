"""Line layout for generated source, matching what ``ruff format`` would produce.

The generator writes formatted code instead of running a formatter afterwards, so that the
output bytes depend on the inputs alone. Only the layouts the templates need are covered: a
bracketed list (call, tuple, signature) is kept on one line when it fits, else its contents go
on one indented line (not for a list or tuple display), else one item per line with a trailing
comma, recursively.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "LINE_LENGTH",
    "Bracket",
    "Chain",
    "Node",
    "flat",
    "layout",
    "layout_alias",
    "parse_node",
    "union_parts",
    "wrap_statements",
]

LINE_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Bracket:
    """A bracketed list: ``head`` ends with the opening bracket, ``tail`` starts with the closing.

    ``one_tuple`` marks a one-element tuple, whose comma is part of the syntax.
    """

    head: str
    items: tuple[Node, ...]
    tail: str
    one_tuple: bool = False

    def flat(self) -> str:
        """Return the one-line text."""
        body = ", ".join(flat(i) for i in self.items)
        if self.one_tuple:
            body += ","
        return self.head + body + self.tail


@dataclass(frozen=True, slots=True)
class Chain:
    """``head`` followed by operands joined with `` | `` (``flags=A | B``).

    Too long for its line, it goes in parentheses with one operand per line, each after the
    first led by ``| ``, as ruff keeps it.
    """

    head: str
    operands: tuple[str, ...]

    def flat(self) -> str:
        """Return the one-line text."""
        return self.head + " | ".join(self.operands)


Node = str | Bracket | Chain


def flat(node: Node) -> str:
    """Return ``node`` on a single line."""
    return node if isinstance(node, str) else node.flat()


def layout(node: Node, indent: int, suffix: str = "") -> list[str]:
    """Lay ``node`` out at ``indent`` spaces, followed by ``suffix`` on its last line.

    Args:
        node: A plain line or a bracketed list.
        indent: Indentation of the first line in spaces.
        suffix: Text that follows the node (``,`` or ``:``) on its last line.

    Returns:
        Lines with indentation, without newlines.
    """
    pad = " " * indent
    one_line = pad + flat(node) + suffix
    inner = " " * (indent + 4)
    if isinstance(node, Chain) and len(one_line) > LINE_LENGTH and len(node.operands) > 1:
        first, *rest = node.operands
        lines = [pad + node.head + "(", inner + first]
        lines += [inner + "| " + operand for operand in rest]
        return [*lines, pad + ")" + suffix]
    if not isinstance(node, Bracket) or len(one_line) <= LINE_LENGTH or not node.items:
        return [one_line]
    body = ", ".join(flat(i) for i in node.items)
    if node.one_tuple:
        body += ","
    tail = pad + node.tail + suffix
    # A list or tuple display that must split goes one item per line, as ruff does.
    if len(inner + body) <= LINE_LENGTH and not (_is_display(node.head) and len(node.items) > 1):
        return [pad + node.head, inner + body, tail]
    lines = [pad + node.head]
    # A lone subscript item takes no comma: ``X[a,]`` would mean ``X[(a,)]``.
    comma = "" if node.head.endswith("[") and len(node.items) == 1 else ","
    for item in node.items:
        lines.extend(layout(item, indent + 4, comma))
    lines.append(tail)
    return lines


def _is_display(head: str) -> bool:
    """Whether ``head`` opens a list or tuple display rather than a call or a subscript."""
    before = head[:-1].rstrip()
    return not before or not (before[-1].isalnum() or before[-1] in "_])")


def parse_node(text: str) -> Node:
    """Read ``head(item, item)`` or ``head[item, item]`` back into a node, recursively.

    Text whose first bracket does not close at its very end stays a plain string.
    """
    opening = min((i for i in (text.find("("), text.find("[")) if i >= 0), default=-1)
    if opening < 0 or text[-1] not in ")]":
        return text
    parts: list[str] = []
    depth = 0
    quote = ""
    current = ""
    for index in range(opening + 1, len(text)):
        char = text[index]
        if quote:
            current += char
            if char == quote and text[index - 1] != "\\":
                quote = ""
            continue
        if char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            if depth == 0:
                if index != len(text) - 1:
                    return text
                break
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        parts.append(current.strip())
    one_tuple = text[opening] == "(" and text.rstrip()[-2:] == ",)" and len(parts) == 1
    items = tuple(parse_node(p) for p in parts)
    return Bracket(text[: opening + 1], items, text[-1], one_tuple)


def layout_alias(name: str, annotation: str) -> list[str]:
    """Lay out ``name: TypeAlias = annotation``; a long union goes one member per line."""
    one = f"{name}: TypeAlias = {annotation}"
    parts = union_parts(annotation)
    if len(one) <= LINE_LENGTH or len(parts) < 2:
        return layout(parse_node(one), 0)
    if len("    " + annotation) <= LINE_LENGTH:
        return [f"{name}: TypeAlias = (", "    " + annotation, ")"]
    return [f"{name}: TypeAlias = (", "    " + parts[0], *("    | " + p for p in parts[1:]), ")"]


def union_parts(annotation: str) -> list[str]:
    """Split an annotation at its top-level ``|`` (not inside brackets)."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(annotation):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth == 0 and annotation.startswith(" | ", index):
            parts.append(annotation[start:index])
            start = index + 3
    return [*parts, annotation[start:]]


def wrap_statements(lines: list[str]) -> list[str]:
    """Lay out statements of a method body (8 spaces deep) that do not fit on their line."""
    result: list[str] = []
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        text = line.strip()
        if 8 + indent + len(text) <= 100 or not text.endswith(")") or "(" not in text:
            result.append(line)
            continue
        result += [laid[8:] for laid in layout(_split_call(text), 8 + indent)]
    return result


def _split_call(text: str) -> Bracket | str:
    head, _, rest = text.partition("(")
    inner = rest[:-1]
    parts: list[str] = []
    depth = 0
    current = ""
    quote = ""
    for char in inner:
        if quote:
            current += char
            if char == quote and not current.endswith("\\" + quote):
                quote = ""
            continue
        if char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    parts.append(current.strip())
    items = tuple(
        _split_call(p) if len(p) > 60 and p.endswith(")") and "(" in p else p for p in parts
    )
    return Bracket(head + "(", items, ")")
