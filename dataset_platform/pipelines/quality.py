"""The `quality` step: schema (required columns, types) and business rules (range, regex, enum, cross-field).

Each check is a ``Finding`` of the retraining quality report, so the score is the platform's weighted score
(100 × Σ weight·pass / Σ weight, weights by severity). Rules are evaluated by DuckDB over the Parquet file.
"""

from __future__ import annotations

from pathlib import Path

from dataset_platform.pipelines.spec import QualityStep, Rule
from dataset_platform.pipelines.tables import duck, scan
from dataset_platform.retraining.report import Finding, QualityReport

# DuckDB type families for the declared column types
_TYPE_FAMILIES = {
    "string": ("VARCHAR",),
    "integer": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"),
    "number": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL"),
    "boolean": ("BOOLEAN",),
    "list": ("[]",),
    "struct": ("STRUCT",),
}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return repr(value)


def _type_ok(duck_type: str, wanted: str) -> bool:
    if wanted == "list":
        return duck_type.endswith("[]")
    return any(duck_type.startswith(f) for f in _TYPE_FAMILIES[wanted])


def rule_violation_sql(rule: Rule) -> str:
    """A boolean SQL expression that is TRUE where the row breaks the rule (NULL counts as a break)."""
    col = _ident(rule.column) if rule.column else None
    if rule.range is not None:
        lo, hi = rule.range
        parts = [f"{col} IS NULL"] + ([f"{col} < {lo!r}"] if lo is not None else [])
        parts += [f"{col} > {hi!r}"] if hi is not None else []
        return " OR ".join(parts)
    if rule.regex is not None:
        return f"{col} IS NULL OR NOT regexp_full_match(CAST({col} AS VARCHAR), {_lit(rule.regex)})"
    if rule.enum is not None:
        return f"{col} IS NULL OR {col} NOT IN ({', '.join(_lit(v) for v in rule.enum)})"
    return f"NOT coalesce(({rule.expr}), FALSE)"


def evaluate(step: QualityStep, path: Path) -> QualityReport:
    findings: list[Finding] = []
    with duck() as con:
        con.execute(f"CREATE VIEW t AS SELECT * FROM {scan(path)}")
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
        types = {name: typ for name, typ, *_ in con.execute("DESCRIBE t").fetchall()}
        missing = [c for c in step.required if c not in types]
        findings.append(
            Finding(
                check="schema.required",
                severity="critical",
                passed=not missing,
                count=len(missing),
                examples=missing,
                detail=f"required columns: {', '.join(step.required)}",
            )
        )
        for col in step.required:
            if col in types:
                nulls = con.execute(f"SELECT count(*) FROM t WHERE {_ident(col)} IS NULL").fetchone()[0]
                findings.append(
                    Finding(
                        check=f"not_null.{col}",
                        severity="high",
                        passed=nulls == 0,
                        count=nulls,
                        affected_share=nulls / rows if rows else 0.0,
                    )
                )
        wrong = [
            f"{c}: {types.get(c, 'missing')} (want {t})"
            for c, t in step.types.items()
            if c not in types or not _type_ok(types[c], t)
        ]
        findings.append(
            Finding(check="schema.types", severity="critical", passed=not wrong, count=len(wrong), examples=wrong)
        )
        findings.append(
            Finding(check="rows", severity="critical", passed=rows > 0, count=rows, detail="at least one row")
        )
        for rule in step.rules:
            if rule.column and rule.column not in types:
                findings.append(
                    Finding(
                        check=f"rule.{rule.name}",
                        severity=rule.severity,
                        passed=False,
                        count=rows,
                        examples=[f"no column {rule.column}"],
                        affected_share=1.0,
                    )
                )
                continue
            where = rule_violation_sql(rule)
            bad = con.execute(f"SELECT count(*) FROM t WHERE {where}").fetchone()[0]
            shown = _ident(rule.column) if rule.column else "*"
            examples = [
                str(r[0])[:80] if len(r) == 1 else str(r)[:80]
                for r in con.execute(f"SELECT {shown} FROM t WHERE {where} LIMIT 3").fetchall()
            ]
            findings.append(
                Finding(
                    check=f"rule.{rule.name}",
                    severity=rule.severity,
                    passed=bad == 0,
                    count=bad,
                    examples=examples,
                    affected_share=bad / rows if rows else 0.0,
                )
            )
    return QualityReport(rows=rows, findings=findings, label_distribution={})
