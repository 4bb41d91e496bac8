"""The expression language: parse once, check, evaluate safely.

An expression (``bmi(weight, height)``, ``systolic >= 180 or diastolic >= 120``) is parsed
with ``ast.parse(mode='eval')`` when its definition is compiled and checked against a
whitelist of syntax (`_Checker`). `engine.expression_runtime` turns the checked tree into
closures over the guarded operators of `engine.sandbox` and the functions of
`engine.functions`; simpleeval, the customer's evaluator of record, runs the same tree
through the same operators as the reference path (`reference_evaluate`), and the
conformance, sandbox and property tests check that both agree.

Problems found at definition time raise `ExpressionProblem` (EXPR001..EXPR007); problems at
run time raise `EvaluationProblem` (EVAL001 error, EVAL002 limit) and nothing else.
The language is documented in docs/expressions.md, its sandbox in docs/security.md.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.diagnostics import did_you_mean
from engine.expression_runtime import as_problem, build, reference_run
from engine.functions import FUNCTION_NAMES, LIBRARY
from engine.sandbox import (
    MAX_DEPTH,
    MAX_LITERAL_ITEMS,
    MAX_NODES,
    MAX_NUMBER,
    MAX_SOURCE_LENGTH,
    OPERATORS,
    EvaluationProblem,
    Record,
    RecordList,
)

__all__ = [
    "CONSTANT_NAMES", "CONTEXT_NAMES", "FUNCTION_NAMES", "RESERVED_NAMES", "EvaluationProblem",
    "Expression", "ExpressionProblem", "Record", "RecordList", "check_expression",
    "compile_expression", "reference_evaluate",
]  # fmt: skip

#: names every expression may use besides the names its definition declares
CONTEXT_NAMES: frozenset[str] = frozenset({"patient", "encounter"})
#: lower-case spellings of the constants, for authors used to YAML and JSON
CONSTANT_NAMES: dict[str, Any] = {"true": True, "false": False, "null": None}
#: names an item id may not take
RESERVED_NAMES: frozenset[str] = (
    FUNCTION_NAMES | CONTEXT_NAMES | frozenset(CONSTANT_NAMES) | frozenset(keyword.kwlist)
)


class ExpressionProblem(Exception):
    """A definition-time problem with an expression, at a 0-based offset in its source."""

    def __init__(self, code: str, message: str, hint: str = "", offset: int = 0) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.hint = hint
        self.offset = offset

    def __reduce__(self) -> tuple[type[ExpressionProblem], tuple[str, str, str, int]]:
        return (type(self), (self.code, self.message, self.hint, self.offset))


@dataclass(frozen=True, slots=True)
class Expression:
    """A checked expression, ready to evaluate any number of times, from any thread."""

    source: str
    names: frozenset[str]
    functions: frozenset[str]
    tree: ast.expr = field(repr=False, compare=False)
    run: Callable[[Mapping[str, Any]], Any] = field(repr=False, compare=False)

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """The value in ``env`` (names -> values; absent names are missing)."""
        try:
            return self.run(env)
        except Exception as error:  # evaluate raises EvaluationProblem only
            raise as_problem(error) from None

    def __reduce__(self) -> tuple[Callable[[str], Expression], tuple[str]]:
        # Closures do not pickle; the source does, and compiles to the same tree.
        return (compile_expression, (self.source,))


# -- checking --------------------------------------------------------------------------------

_FORBIDDEN: dict[type, tuple[str, str]] = {
    ast.Subscript: ("indexing with [] is not part of the language", "use cell(grid, row, column) for grid answers"),
    ast.Lambda: ("lambda functions are not part of the language", ""),
    ast.ListComp: ("comprehensions are not part of the language", "use sum(), count(), any() or all() over rows.field"),
    ast.SetComp: ("comprehensions are not part of the language", "use sum(), count(), any() or all() over rows.field"),
    ast.DictComp: ("comprehensions are not part of the language", "use sum(), count(), any() or all() over rows.field"),
    ast.GeneratorExp: ("comprehensions are not part of the language", "use sum(), count(), any() or all() over rows.field"),
    ast.NamedExpr: ("assignment (:=) is not part of the language", "compare with =="),
    ast.JoinedStr: ("f-strings are not part of the language", "join text with + and str()"),
    ast.Dict: ("{...} mappings are not part of the language", "use a list: [a, b]"),
    ast.Set: ("{...} sets are not part of the language", "use a list: [a, b]"),
    ast.Starred: ("* unpacking is not part of the language", "pass the list itself: sum(values)"),
    ast.Await: ("await is not part of the language", ""),
    ast.Yield: ("yield is not part of the language", ""),
    ast.YieldFrom: ("yield is not part of the language", ""),
    ast.Slice: ("slices are not part of the language", ""),
}  # fmt: skip
_ALLOWED_OPS = frozenset(OPERATORS)


def _singleton(node: ast.AST) -> bool:
    """null, true or false, the only values `is` may compare with."""
    if isinstance(node, ast.Name):
        return node.id in CONSTANT_NAMES
    return isinstance(node, ast.Constant) and (node.value is None or type(node.value) is bool)


class _Checker:
    """Walks a parsed tree once: collects problems, free names and called functions."""

    def __init__(self, source: str, known: frozenset[str] | None) -> None:
        self.source = source
        self.encoded = source.encode()
        self.known = known
        self.problems: list[ExpressionProblem] = []
        self.names: set[str] = set()
        self.functions: set[str] = set()
        #: whether the tree spells true/false/null or holds None: only then can
        #: `_normalise` change it
        self.constants = False

    def offset(self, node: ast.AST, end: int | None = None) -> int:
        byte = end if end is not None else getattr(node, "col_offset", 0)
        return len(self.encoded[:byte].decode(errors="ignore"))

    def report(self, code: str, message: str, node: ast.AST, hint: str = "", at: int | None = None) -> None:
        self.problems.append(ExpressionProblem(code, message, hint, self.offset(node, at)))

    def walk(self, root: ast.expr) -> None:
        stack: list[tuple[ast.AST, int]] = [(root, 1)]
        count = 0
        while stack:
            node, depth = stack.pop()
            count += 1
            if depth > MAX_DEPTH or count > MAX_NODES:
                what = f"nested more than {MAX_DEPTH} levels deep" if depth > MAX_DEPTH else f"longer than {MAX_NODES} parts"
                self.report("EXPR005", f"expression is {what}", node, "split it into calculated items")
                return
            children = self.children(node)
            if children:
                depth += 1
                stack.extend([(child, depth) for child in reversed(children)])

    def children(self, node: ast.AST) -> list[ast.AST]:
        """Check one node; return the children to check next."""
        check = _CHECKS.get(type(node))
        if check is not None:
            return check(self, node)
        if type(node) in _FORBIDDEN:
            message, hint = _FORBIDDEN[type(node)]
            self.report("EXPR004", message, node, hint)
        else:
            self.report("EXPR004", f"'{type(node).__name__}' is not part of the language", node)
        return []

    def check_BoolOp(self, node: ast.BoolOp) -> list[ast.AST]:
        return list(node.values)

    def check_BinOp(self, node: ast.BinOp) -> list[ast.AST]:
        if type(node.op) not in _ALLOWED_OPS:
            self.report("EXPR004", "the '@' operator is not part of the language", node)
            return []
        if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
            self.report("EXPR004", "'%' formatting of text is not part of the language", node, "join text with + and str()")
            return []
        return [node.left, node.right]

    def check_UnaryOp(self, node: ast.UnaryOp) -> list[ast.AST]:
        return [node.operand]

    def check_Compare(self, node: ast.Compare) -> list[ast.AST]:
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.Is | ast.IsNot) and not (_singleton(left) or _singleton(right)):
                self.report("EXPR004", "'is' only compares with null, true or false", node, "use == to compare values")
            left = right
        return [node.left, *node.comparators]

    def check_IfExp(self, node: ast.IfExp) -> list[ast.AST]:
        return [node.test, node.body, node.orelse]

    def check_Call(self, node: ast.Call) -> list[ast.AST]:
        func = node.func
        if isinstance(func, ast.Attribute):
            hint = f"use the function form: {func.attr}(...)" if func.attr in FUNCTION_NAMES else "use a library function"
            self.report("EXPR004", f"method calls such as '.{func.attr}()' are not part of the language", node, hint, at=self._attr_at(func))
            return []
        if not isinstance(func, ast.Name):
            self.report("EXPR004", "only library functions can be called", node)
            return []
        name = func.id
        if name.startswith("_"):
            self.report("EXPR004", f"names starting with '_' are not allowed: '{name}'", func)
            return []
        spec = LIBRARY.get(name)
        if spec is None:
            hint = did_you_mean(name, FUNCTION_NAMES) or "see the function list in docs/expressions.md"
            self.report("EXPR003", f"unknown function '{name}'", func, hint)
            return []
        self.functions.add(name)
        if node.keywords:
            self.report("EXPR004", "keyword arguments are not part of the language", node.keywords[0].value, f"pass arguments by position: {name}({spec.params})")
            return []
        if any(isinstance(a, ast.Starred) for a in node.args):
            return list(node.args)  # the Starred node reports itself
        if not spec.accepts(len(node.args)):
            self.report("EXPR007", f"{name}() does not take {len(node.args)} argument{'s' * (len(node.args) != 1)}", func, f"call it as {name}({spec.params})")
        return list(node.args)

    def check_Name(self, node: ast.Name) -> list[ast.AST]:
        name = node.id
        if name.startswith("_"):
            self.report("EXPR004", f"names starting with '_' are not allowed: '{name}'", node)
        elif name in CONSTANT_NAMES:
            self.constants = True
        else:
            self.names.add(name)
            if self.known is not None and name not in self.known and name not in CONTEXT_NAMES:
                hint = f"'{name}' is a function: call it as {name}(...)" if name in FUNCTION_NAMES else did_you_mean(name, self.known | CONTEXT_NAMES)
                self.report("EXPR002", f"unknown name '{name}'", node, hint)
        return []

    def check_Constant(self, node: ast.Constant) -> list[ast.AST]:
        value = node.value
        if value is None:
            self.constants = True
        elif type(value) not in (int, float, str, bool):
            self.report("EXPR004", f"{type(value).__name__} literals are not part of the language", node)
        elif isinstance(value, int | float) and not -MAX_NUMBER <= value <= MAX_NUMBER:
            self.report("EXPR005", "number literal is too large", node)
        return []

    def check_Attribute(self, node: ast.Attribute) -> list[ast.AST]:
        if node.attr.startswith("_"):
            self.report("EXPR004", f"'.{node.attr}' is not allowed: fields never start with '_'", node, at=self._attr_at(node))
            return []
        if isinstance(node.value, ast.Constant):
            self.report("EXPR004", f"'.{node.attr}' on a literal is not part of the language", node, "only records (patient, encounter, rows) have fields", at=self._attr_at(node))
            return []
        return [node.value]

    def check_List(self, node: ast.List | ast.Tuple) -> list[ast.AST]:
        if len(node.elts) > MAX_LITERAL_ITEMS:
            self.report("EXPR005", f"list has more than {MAX_LITERAL_ITEMS} elements", node)
            return []
        for element in node.elts:
            if isinstance(element, ast.List | ast.Tuple):
                self.report("EXPR004", "a list cannot contain a list", element)
        return list(node.elts)

    check_Tuple = check_List

    def _attr_at(self, node: ast.Attribute) -> int:
        end = node.end_col_offset or 0
        return max(0, end - len(node.attr.encode()))


#: node type -> its check: one dictionary lookup per node instead of a name built per node
_CHECKS: dict[type, Callable[[_Checker, Any], list[ast.AST]]] = {
    getattr(ast, name.removeprefix("check_")): check for name, check in vars(_Checker).items() if name.startswith("check_")
}


def _parse(source: str) -> tuple[ast.expr | None, ExpressionProblem | None]:
    if not isinstance(source, str):
        return None, ExpressionProblem("EXPR001", f"an expression must be text, not {type(source).__name__}")
    if len(source) > MAX_SOURCE_LENGTH:
        return None, ExpressionProblem("EXPR005", f"expression is longer than {MAX_SOURCE_LENGTH} characters", "split it into calculated items", MAX_SOURCE_LENGTH)
    # One line, same length: offsets into `flat` are offsets into `source`.
    flat = source.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    indent = len(flat) - len(flat.lstrip(" "))
    if not flat.strip():
        return None, ExpressionProblem("EXPR001", "expression is empty", "write an expression such as weight > 100")
    try:
        tree = ast.parse(flat[indent:], mode="eval")
    except SyntaxError as error:
        message = error.msg or "invalid syntax"
        code = "EXPR005" if "too many nested" in message else "EXPR001"
        offset = max(0, min(len(source), indent + (error.offset or 1) - 1))
        return None, ExpressionProblem(code, f"syntax error: {message}", "", offset)
    except (ValueError, RecursionError, MemoryError) as error:
        code = "EXPR001" if isinstance(error, ValueError) else "EXPR005"
        return None, ExpressionProblem(code, f"syntax error: {error}", "", 0)
    if indent:
        for node in ast.walk(tree):
            if isinstance(node, ast.expr):
                node.col_offset += indent  # one-byte spaces: the same in bytes and characters
                node.end_col_offset = (node.end_col_offset or 0) + indent
    return tree.body, None


def _analyse(source: str, known_names: Collection[str] | None) -> tuple[ast.expr | None, _Checker | None, list[ExpressionProblem]]:
    tree, problem = _parse(source)
    if tree is None:
        return None, None, [problem] if problem else []
    checker = _Checker(source, None if known_names is None else frozenset(known_names))
    checker.walk(tree)
    checker.problems.sort(key=lambda p: (p.code != "EXPR005", p.offset))
    return tree, checker, checker.problems


def check_expression(source: str, *, known_names: Collection[str] | None = None) -> list[ExpressionProblem]:
    """Every problem of an expression (empty when it compiles), most useful first."""
    return _analyse(source, known_names)[2]


def compile_expression(source: str, *, known_names: Collection[str] | None = None) -> Expression:
    """Parse once and check; raise the first ExpressionProblem.

    When ``known_names`` is given, every free name must be in it or in CONTEXT_NAMES.
    """
    tree, checker, problems = _analyse(source, known_names)
    if problems:
        raise problems[0]
    assert tree is not None and checker is not None
    if checker.constants:
        tree = _normalise(tree)
    return Expression(source, frozenset(checker.names), frozenset(checker.functions), tree, build(tree))


def _is_null(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


#: the fields holding the sub-expressions of every node type the checker accepts
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    ast.BoolOp: ("values",), ast.BinOp: ("left", "right"), ast.UnaryOp: ("operand",),
    ast.Compare: ("left", "comparators"), ast.IfExp: ("test", "body", "orelse"),
    ast.Call: ("func", "args"), ast.Attribute: ("value",), ast.List: ("elts",), ast.Tuple: ("elts",),
}  # fmt: skip


def _normalise(node: ast.expr) -> ast.expr:
    """Rewrites a checked tree once, so that both evaluators run the same simple tree.

    true/false/null become constants; ``x == null`` and ``x != null`` become ``x is None``
    and ``x is not None`` (``==`` and ``!=`` between values are false when a side is missing).
    Only the fields in `_CHILD_FIELDS` are visited: a checked tree holds nothing else.
    """
    kind = type(node)
    if kind is ast.Name:
        if node.id in CONSTANT_NAMES:  # type: ignore[attr-defined]
            return ast.copy_location(ast.Constant(CONSTANT_NAMES[node.id]), node)  # type: ignore[attr-defined]
        return node
    for name in _CHILD_FIELDS.get(kind, ()):
        value = getattr(node, name)
        if isinstance(value, list):
            value[:] = [_normalise(v) for v in value]
        else:
            setattr(node, name, _normalise(value))
    if kind is ast.Compare:
        operands = [node.left, *node.comparators]  # type: ignore[attr-defined]
        ops = node.ops  # type: ignore[attr-defined]
        for i, op in enumerate(ops):
            if isinstance(op, ast.Eq | ast.NotEq) and (_is_null(operands[i]) or _is_null(operands[i + 1])):
                ops[i] = ast.Is() if isinstance(op, ast.Eq) else ast.IsNot()
    return node


def reference_evaluate(expression: Expression, env: Mapping[str, Any]) -> Any:
    """Evaluate with simpleeval (slower; the semantic reference for `Expression.evaluate`)."""
    return reference_run(expression.tree, expression.source, env)
