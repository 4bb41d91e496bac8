"""How a checked expression runs: a tree of closures, and simpleeval as the reference.

`build` turns a tree that `engine.expressions` has checked into nested closures over the
guarded operators of `engine.sandbox` and the library of `engine.functions`; building costs
once per expression and each evaluation is a few plain function calls. `reference_run`
evaluates the same tree with simpleeval (a subclass with the same operators, functions,
attribute and list rules): slower, and the semantic reference that the conformance,
sandbox and property tests compare the closures with. `as_problem` maps any exception of
either path to the one exception evaluation may raise.

Closures hold no state and simpleeval instances are made per call, so both paths are safe
to use from any number of threads.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

import simpleeval

from engine.functions import LIBRARY
from engine.sandbox import OPERATORS, EvaluationProblem, attribute, bounded, make_list

Run = Callable[[Mapping[str, Any]], Any]


def as_problem(error: Exception) -> EvaluationProblem:
    """The EvaluationProblem for any exception raised while evaluating (short message)."""
    if isinstance(error, EvaluationProblem):
        return error
    if isinstance(error, RecursionError | MemoryError):
        return EvaluationProblem("EVAL002", "the expression is too complex to evaluate")
    if isinstance(error, ZeroDivisionError):
        return EvaluationProblem("EVAL001", "division by zero")
    if isinstance(error, OverflowError):
        return EvaluationProblem("EVAL001", "a number grew too large to compute")
    text = str(error) or type(error).__name__
    if len(text) > 200:
        text = text[:200] + "..."
    return EvaluationProblem("EVAL001", text)


# -- the fast path: a tree of closures ---------------------------------------------------------


def build(node: ast.AST) -> Run:
    """Closures that evaluate a checked tree (true/false/null already constants)."""
    builder = _BUILDERS.get(type(node))
    if builder is None:
        raise AssertionError(f"unchecked node {type(node).__name__}")  # the checker rejects it
    return builder(node)


def _constant(node: ast.Constant) -> Run:
    value = node.value
    return lambda env: value


def _name(node: ast.Name) -> Run:
    name = node.id
    return lambda env: env.get(name)


def _binop(node: ast.BinOp) -> Run:
    return _pair(OPERATORS[type(node.op)], node.left, node.right)


def _unaryop(node: ast.UnaryOp) -> Run:
    unary, operand = OPERATORS[type(node.op)], build(node.operand)
    return lambda env: unary(operand(env))


def _boolop(node: ast.BoolOp) -> Run:
    return _boolean(isinstance(node.op, ast.And), [build(v) for v in node.values])


def _ifexp(node: ast.IfExp) -> Run:
    test, body, orelse = build(node.test), build(node.body), build(node.orelse)
    return lambda env: body(env) if test(env) else orelse(env)


def _attribute(node: ast.Attribute) -> Run:
    target, attr = build(node.value), node.attr
    return lambda env: attribute(target(env), attr)


def _sequence(node: ast.List | ast.Tuple) -> Run:
    elements = [build(e) for e in node.elts]
    return lambda env: make_list([e(env) for e in elements])


def _callnode(node: ast.Call) -> Run:
    if not isinstance(node.func, ast.Name):
        raise AssertionError("unchecked node Call")  # the checker only allows library functions
    return _call(LIBRARY[node.func.id].impl, [build(a) for a in node.args])


def _binary(op: Callable[[Any, Any], Any], left: Run, right: Run) -> Run:
    return lambda env: op(left(env), right(env))


def _pair(op: Callable[[Any, Any], Any], left: ast.expr, right: ast.expr) -> Run:
    """``op`` of two operands; a name or a constant operand is read in place rather than
    through a closure of its own (``systolic >= 180``: one call instead of three)."""
    if type(right) is ast.Constant:
        value = right.value
        if type(left) is ast.Name:
            name = left.id
            return lambda env: op(env.get(name), value)
        first = build(left)
        return lambda env: op(first(env), value)
    if type(left) is ast.Name and type(right) is ast.Name:
        a, b = left.id, right.id
        return lambda env: op(env.get(a), env.get(b))
    if type(left) is ast.Constant:
        constant, second = left.value, build(right)
        return lambda env: op(constant, second(env))
    return _binary(op, build(left), build(right))


def _compare(node: ast.Compare) -> Run:
    if len(node.ops) == 1:
        return _pair(OPERATORS[type(node.ops[0])], node.left, node.comparators[0])
    left = build(node.left)
    pairs = [(OPERATORS[type(op)], build(c)) for op, c in zip(node.ops, node.comparators, strict=True)]

    def chain(env: Mapping[str, Any]) -> Any:
        right = left(env)
        result = True
        for op, comparator in pairs:
            value, right = right, comparator(env)
            result = op(value, right)
            if not result:
                return result
        return result

    return chain


def _boolean(is_and: bool, values: list[Run]) -> Run:
    if len(values) == 2:
        a, b = values
        return (lambda env: a(env) and b(env)) if is_and else (lambda env: a(env) or b(env))

    def run(env: Mapping[str, Any]) -> Any:
        result: Any = None
        for value in values:
            result = value(env)
            if (not result) if is_and else result:
                return result
        return result

    return run


def _call(func: Callable[..., Any], args: list[Run]) -> Run:
    if not args:
        return lambda env: bounded(func())
    if len(args) == 1:
        (a,) = args
        return lambda env: bounded(func(a(env)))
    if len(args) == 2:
        a, b = args
        return lambda env: bounded(func(a(env), b(env)))
    return lambda env: bounded(func(*[a(env) for a in args]))


#: node type -> how to build its closure (the checker admits exactly these types)
_BUILDERS: dict[type, Callable[[Any], Run]] = {
    ast.Constant: _constant, ast.Name: _name, ast.BinOp: _binop, ast.UnaryOp: _unaryop,
    ast.Compare: _compare, ast.BoolOp: _boolop, ast.IfExp: _ifexp, ast.Attribute: _attribute,
    ast.List: _sequence, ast.Tuple: _sequence, ast.Call: _callnode,
}  # fmt: skip


# -- the reference path: simpleeval ----------------------------------------------------------


class _ReferenceEval(simpleeval.SimpleEval):
    """simpleeval with the language's operators, functions, attribute and list rules."""

    def __init__(self, env: Mapping[str, Any]) -> None:
        functions = {name: spec.impl for name, spec in LIBRARY.items()}
        super().__init__(operators=dict(OPERATORS), functions=functions, names=lambda node: env.get(node.id))
        self.nodes[ast.List] = self.nodes[ast.Tuple] = self._eval_sequence

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        return attribute(self._eval(node.value), node.attr)

    def _eval_call(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)  # the checker allows nothing else
        return bounded(self.functions[node.func.id](*(self._eval(a) for a in node.args)))

    def _eval_sequence(self, node: ast.List | ast.Tuple) -> list[Any]:
        return make_list([self._eval(e) for e in node.elts])


def reference_run(tree: ast.expr, source: str, env: Mapping[str, Any]) -> Any:
    """Evaluate a checked tree with simpleeval; raises EvaluationProblem only."""
    try:
        return _ReferenceEval(env).eval(source, previously_parsed=tree)
    except Exception as error:  # the same contract as the closure path
        raise as_problem(error) from None
