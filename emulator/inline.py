"""Semantic functions turned into statements that an engine inlines into generated code.

Both generated engines (the compiled loop and the Python block compiler) take the body of an
instruction's semantic function from the ISA description and rewrite it here: locals get a
prefix of their own, operands may become constants, loads and stores may be redirected, and
`return` (the next pc) becomes whatever the engine needs.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Callable

from .isa.base import Instruction

MemoryCall = Callable[[str, list[ast.expr]], ast.expr]
ReturnRewrite = Callable[[ast.expr], list[ast.stmt]]


@functools.cache
def _source(semantics: Callable) -> str:
    return textwrap.dedent(inspect.getsource(semantics))  # about a millisecond each time


def semantic_function(insn: Instruction) -> ast.FunctionDef:
    """The instruction's semantic function as an AST (a fresh one: callers rewrite it),
    without its decorators."""
    fn = ast.parse(_source(insn.semantics)).body[0]
    assert isinstance(fn, ast.FunctionDef)
    fn.decorator_list = []
    return fn


def free_names(fn: ast.FunctionDef) -> set[str]:
    """Global names the function reads (helpers, constants)."""
    params = {a.arg for a in fn.args.args}
    names = [n for n in ast.walk(fn) if isinstance(n, ast.Name)]
    stored = {n.id for n in names if isinstance(n.ctx, ast.Store)}
    return {n.id for n in names if isinstance(n.ctx, ast.Load)} - params - stored


class _Inliner(ast.NodeTransformer):
    def __init__(self, prefix: str, local_names: set[str], constants: dict[str, int],
                 memory_call: MemoryCall | None, rewrite_return: ReturnRewrite):
        self.prefix = prefix
        self.local_names = local_names
        self.constants = constants
        self.memory_call = memory_call
        self.rewrite_return = rewrite_return

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.local_names:
            return ast.copy_location(ast.Name(f"{self.prefix}{node.id}", node.ctx), node)
        if node.id in self.constants and isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Constant(self.constants[node.id]), node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if self.memory_call and isinstance(func, ast.Attribute) \
                and isinstance(func.value, ast.Name) and func.value.id == "M":
            return ast.copy_location(self.memory_call(func.attr, node.args), node)
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST | list[ast.stmt]:
        if node.value is None:
            return ast.Pass()
        return self.rewrite_return(self.visit(node.value))


def inline_statements(insn: Instruction, prefix: str, rewrite_return: ReturnRewrite,
                      constants: dict[str, int] | None = None,
                      memory_call: MemoryCall | None = None) -> list[ast.stmt]:
    """The body of the instruction's semantic function, rewritten for inlining."""
    fn = semantic_function(insn)
    body = [s for s in fn.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    stored = {n.id for s in body for n in ast.walk(s)
              if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    inliner = _Inliner(prefix, stored, constants or {}, memory_call, rewrite_return)
    statements: list[ast.stmt] = []
    for statement in body:
        rewritten = inliner.visit(statement)
        statements += rewritten if isinstance(rewritten, list) else [rewritten]
    return statements
