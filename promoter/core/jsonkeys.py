# ruff: noqa: S608  (SQL built from the column's compiled SQL and constants; the key is a parameter)
"""Expressions over one key of a JSON column, the key always a bound string parameter.

A property name is data: any text is a valid JSON key (``a__b``, ``a.b``, ``"``, ``$``, ``0``,
the empty name). Put into an ORM lookup (``properties__{name}``) it becomes Django's lookups
and transforms (``plan__contains`` raised NotSupportedError); put into a JSON path it becomes
path syntax, and Django's ``compile_json_path`` turns an all-digit key into an array index on
both databases. These expressions never parse the name:

* PostgreSQL: ``(col -> %s)``, ``(col ->> %s)`` and ``(col ? %s)``, the name a ``text``
  parameter (an integer would index an array).
* SQLite: a key is found by ``json_each(col)`` with ``key = %s``. A path cannot address every
  key: SQLite (3.40) matches a quoted path label against the key's text as stored, escapes
  included, and ends the label at the first ``"``, so a key holding ``"`` has no path at all.
  The value's SQL form mirrors Django's ``KeyTransform.as_sqlite`` (the type name for JSON
  true, false and null, ``json_each``'s value otherwise), so lookups answer as Django's did,
  and as the property rollups, which read ``json_each`` the same way.

Compare them with Django's own lookups (``IExact(KeyText(...), "pro")``,
``Exact(KeyValue(...), JSONLiteral(5.0))``): the JSON field's key lookups (``KeyTransformIExact``
and the rest) rebuild a key transform from the key's name, and with it the path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Expression, F, Field, JSONField, TextField
from django.db.models.sql.compiler import SQLCompiler

# SQLite's json_each row of the key: an alias no query of Django's makes.
_ROW = "promoter_json_key"
# What SQLite answers for a JSON true, false or null: the type's name, as Django does.
_NAMED = "('true', 'false', 'null')"

_INT64 = 2**63 - 1  # the widest integer SQLite binds; a wider one is read from JSON text
_Sql = tuple[str, tuple[Any, ...]]


class _OnKey(Expression):
    """An expression on the key ``name`` of the JSON column (or expression) ``column``."""

    def __init__(self, column: str | Expression, name: str) -> None:
        super().__init__()
        self.column: Any = F(column) if isinstance(column, str) else column
        self.name = str(name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.column!r}, {self.name!r})"

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _Sql:
        raise NotSupportedError(f"JSON key expressions on {connection.vendor} databases")

    def _column(self, compiler: SQLCompiler) -> _Sql:
        sql, params = compiler.compile(self.column)
        return sql, tuple(params)


class KeyValue(_OnKey):
    """The JSON value at key ``name`` of ``column``; SQL NULL when the key is absent."""

    output_field: Field[Any, Any] = JSONField()
    operator = "->"

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _Sql:
        column, params = self._column(compiler)
        return f"({column} {self.operator} %s::text)", (*params, self.name)

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _Sql:
        column, params = self._column(compiler)
        return (
            f"(SELECT CASE WHEN {_ROW}.type IN {_NAMED} THEN {_ROW}.type"
            f" ELSE {_ROW}.value END FROM json_each({column}) AS {_ROW}"
            f" WHERE {_ROW}.key = %s)"
        ), (*params, self.name)


class KeyText(KeyValue):
    """The text of the value at key ``name`` of ``column`` (``->>`` on PostgreSQL; on
    SQLite the same SQL value as :class:`KeyValue`, as Django's key text transform)."""

    output_field: Field[Any, Any] = TextField()
    operator = "->>"


class HasKey(_OnKey):
    """Whether ``column`` (a JSON object) has the key ``name``, whatever its value."""

    output_field = BooleanField()

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _Sql:
        column, params = self._column(compiler)
        return f"({column} ? %s::text)", (*params, self.name)

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _Sql:
        column, params = self._column(compiler)
        return (
            f"EXISTS (SELECT 1 FROM json_each({column}) AS {_ROW} WHERE {_ROW}.key = %s)",
            (*params, self.name),
        )


class JSONLiteral(Expression):
    """A JSON value to compare with a :class:`KeyValue`, as Django's key lookups pass one:
    ``jsonb`` on PostgreSQL; on SQLite the SQL value :class:`KeyValue` gives for it (the
    type's name for true, false and null, the text or number itself, JSON text for an array
    or object)."""

    output_field = JSONField()

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value

    def __repr__(self) -> str:
        return f"JSONLiteral({self.value!r})"

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _Sql:
        raise NotSupportedError(f"JSON literals on {connection.vendor} databases")

    def _json(self) -> str:
        # allow_nan=False: neither database stores NaN or Infinity as JSON.
        return json.dumps(self.value, allow_nan=False)

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _Sql:
        return "%s::jsonb", (self._json(),)

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _Sql:
        value = self.value
        if value is None or isinstance(value, bool):
            return "%s", (self._json(),)
        if isinstance(value, str | float) or (
            isinstance(value, int) and _INT64 >= value >= -_INT64
        ):
            self._json()  # the same refusal of NaN and Infinity as on PostgreSQL
            return "%s", (value,)
        return "JSON_EXTRACT(%s, '$')", (self._json(),)


class HasElement(HasKey):
    """Whether ``column`` (a JSON array) holds the string ``name`` as one of its elements:
    PostgreSQL's ``?`` finds array elements as it finds keys; SQLite reads ``json_each``'s
    values, text ones only (so the string ``"4"`` is not the number 4)."""

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _Sql:
        column, params = self._column(compiler)
        row = "promoter_json_item"
        return (
            f"EXISTS (SELECT 1 FROM json_each({column}) AS {row}"
            f" WHERE {row}.type = 'text' AND {row}.value = %s)",
            (*params, self.name),
        )
