"""
CloudWatch fill: GetMetricData and GetMetricStatistics computed from the stored datapoints, with
CloudWatch's metric identity, periods, percentiles and metric math.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from .registry import fill


_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100(?:\.0+)?)$")
_BASIC_STATS = ("SampleCount", "Sum", "Average", "Minimum", "Maximum")


def _naive_utc(value: datetime) -> datetime:
    """A datetime as moto stores them: naive, in UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _is_statistic(stat: str) -> bool:
    return stat in _BASIC_STATS or _PERCENTILE.match(stat) is not None


def _percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted raw values."""
    rank = math.ceil(p / 100.0 * len(sorted_values))
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


def _statistic(data: list[Any], stat: str) -> float | None:
    """``stat`` over moto datums (single values and statistic sets); None when not computable."""
    from moto.cloudwatch.models import MetricAggregatedDatum, MetricDatum

    values = [d.value for d in data if isinstance(d, MetricDatum)]
    sets = [d for d in data if isinstance(d, MetricAggregatedDatum)]
    count = len(values) + sum(s.sample_count for s in sets)
    if count == 0:
        return None
    if stat == "SampleCount":
        return float(count)
    if stat == "Sum":
        return float(sum(values) + sum(s.sum for s in sets))
    if stat == "Average":
        return float(sum(values) + sum(s.sum for s in sets)) / count
    if stat == "Minimum":
        return float(min(values + [s.min for s in sets]))
    if stat == "Maximum":
        return float(max(values + [s.max for s in sets]))
    match = _PERCENTILE.match(stat)
    if match and values and not sets:
        return float(_percentile(sorted(values), float(match.group(1))))
    return None


def _window_start(start: datetime, period: int) -> datetime:
    """StartTime as CloudWatch rounds it: to the second below a minute's period, else the minute."""
    start = start.replace(microsecond=0)
    return start if period < 60 else start.replace(second=0)


def _metric_matches(
    datum: Any, namespace: str, name: str, dimensions: list[dict[str, Any]]
) -> bool:
    """CloudWatch's identity of a metric: namespace, name and the exact set of dimensions."""
    if datum.namespace != namespace or datum.name != name:
        return False
    wanted = {(d["Name"], d.get("Value")) for d in dimensions}
    have = {(d.name, d.value) for d in datum.dimensions}
    return wanted == have


def _metric_data(
    backend: Any, namespace: str, name: str, dimensions: list[dict[str, Any]], unit: str | None
) -> list[Any]:
    """The backend's datums of one metric (see ``_metric_matches``), of ``unit`` when given."""
    return [
        d
        for d in backend.get_all_metrics()
        if _metric_matches(d, namespace, name, dimensions) and (not unit or d.unit == unit)
    ]


def _buckets(
    data: Iterable[Any], start: datetime, end: datetime, period: int
) -> dict[int, list[Any]]:
    """Datums of [start, end) by period index from ``start``."""
    by_index: dict[int, list[Any]] = {}
    for datum in data:
        ts = _naive_utc(datum.timestamp)
        if start <= ts < end:
            index = int((ts - start).total_seconds() // period)
            by_index.setdefault(index, []).append(datum)
    return by_index


class _Expr:
    """A metric math expression of query ids, numbers, + - * / and parentheses."""

    _TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(.))")

    def __init__(self, text: str):
        self.tokens: list[tuple[str, str]] = []
        for number, name, op in self._TOKEN.findall(text):
            if number:
                self.tokens.append(("num", number))
            elif name:
                self.tokens.append(("id", name))
            elif op.strip():
                if op not in "+-*/()":
                    raise ValueError(f"unsupported character {op!r}")
                self.tokens.append(("op", op))
        self.pos = 0

    def parse(self) -> Any:
        tree = self._sum()
        if self.pos != len(self.tokens):
            raise ValueError("trailing tokens")
        return tree

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _sum(self) -> Any:
        return self._chain("+-", self._product)

    def _product(self) -> Any:
        return self._chain("*/", self._unary)

    def _chain(self, ops: str, operand: Callable[[], Any]) -> Any:
        """Operands joined by any of the operators ``ops``, left-associative."""
        left = operand()
        while (tok := self._peek()) and tok[0] == "op" and tok[1] in ops:
            self.pos += 1
            left = (tok[1], left, operand())
        return left

    def _unary(self) -> Any:
        tok = self._peek()
        if tok == ("op", "-"):
            self.pos += 1
            return ("neg", self._unary())
        if tok == ("op", "("):
            self.pos += 1
            inner = self._sum()
            if self._peek() != ("op", ")"):
                raise ValueError("missing )")
            self.pos += 1
            return inner
        if tok and tok[0] in ("num", "id"):
            self.pos += 1
            return tok
        raise ValueError("expected a number, an id or (")


def _evaluate(tree: Any, series: dict[str, dict[datetime, float]]) -> float | dict[datetime, float]:
    """Evaluates a parsed expression: a number, or a time series aligned by timestamp."""
    kind = tree[0]
    if kind == "num":
        return float(tree[1])
    if kind == "id":
        if tree[1] not in series:
            raise ValueError(f"unknown id {tree[1]}")
        return series[tree[1]]
    if kind == "neg":
        value = _evaluate(tree[1], series)
        return -value if isinstance(value, float) else {t: -v for t, v in value.items()}
    op, left, right = tree[0], _evaluate(tree[1], series), _evaluate(tree[2], series)

    def apply(a: float, b: float) -> float | None:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        return a / b if b != 0 else None

    if isinstance(left, float) and isinstance(right, float):
        result = apply(left, right)
        return result if result is not None else math.nan
    stamps = (
        [t for t in left if isinstance(right, float) or t in right]
        if isinstance(left, dict)
        else list(right)  # type: ignore[arg-type]
    )
    out: dict[datetime, float] = {}
    for t in stamps:
        a = left if isinstance(left, float) else left[t]
        b = right if isinstance(right, float) else right[t]
        value = apply(a, b)
        if value is not None:
            out[t] = value
    return out


@fill
def cloudwatch_metric_queries() -> None:
    """CloudWatch: GetMetricData with a percentile stat (p50, p99, p99.9, ...) answers HTTP 500
    (moto computes None and fails to serialize it); with dimensions it ignores the namespace and
    compares dimension lists with a broken sort; metric math is only "the id itself"; and
    GetMetricStatistics ignores ExtendedStatistics, matches any superset of the dimensions and
    starts its periods at the first datapoint. The fill answers MetricStat queries from the
    stored datapoints (every value of a Values/Counts PutMetricData counts, any
    StorageResolution and Period), with CloudWatch's metric identity (namespace, name, exact
    dimension set), periods from StartTime (rounded to the second below 60 s, else to the
    minute), the five basic stats and pNN percentiles (nearest rank over raw values),
    arithmetic metric math (+ - * / and parentheses over query ids and numbers), and the same
    identity, periods and ExtendedStatistics percentiles in GetMetricStatistics.
    """
    from moto.cloudwatch.exceptions import InvalidParameterValue, ValidationError
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    original_get_metric_data = CloudWatchBackend.get_metric_data

    def stat_query(
        self: Any, query: dict[str, Any], start: datetime, end: datetime
    ) -> dict[str, Any]:
        metric_stat = query["MetricStat"]
        metric = metric_stat["Metric"]
        period = int(metric_stat["Period"])
        stat = metric_stat["Stat"]
        if period < 1:
            raise InvalidParameterValue("The parameter Period must be at least 1.")
        if not _is_statistic(stat):
            raise InvalidParameterValue(
                f"The emulator computes {', '.join(_BASIC_STATS)} and pNN percentiles, not {stat}."
            )
        data = _metric_data(
            self,
            metric["Namespace"],
            metric["MetricName"],
            metric.get("Dimensions", []),
            metric_stat.get("Unit"),
        )
        window_start = _window_start(start, period)
        points: dict[datetime, float] = {}
        for index, bucket in sorted(_buckets(data, window_start, end, period).items()):
            value = _statistic(bucket, stat)
            if value is not None:
                points[window_start + timedelta(seconds=index * period)] = value
        return {
            "id": query["Id"],
            "label": query.get("Label") or metric["MetricName"],
            "points": points,
        }

    def get_metric_data(
        self: Any,
        queries: list[dict[str, Any]],
        start_time: datetime,
        end_time: datetime,
        scan_by: str = "TimestampAscending",
    ) -> list[dict[str, Any]]:
        start, end = _naive_utc(start_time), _naive_utc(end_time)
        if start > end:
            raise ValidationError("The parameter EndTime must be greater than StartTime.")
        if start == end:
            raise ValidationError("The parameter StartTime must not equal parameter EndTime.")
        insights = [q for q in queries if q.get("Expression", "").startswith("SELECT")]
        computed: dict[str, dict[str, Any]] = {}
        for query in queries:
            if "MetricStat" in query:
                computed[query["Id"]] = stat_query(self, query, start, end)
        for query in queries:
            expression = query.get("Expression")
            if expression is None or expression.startswith("SELECT"):
                continue
            series = {qid: c["points"] for qid, c in computed.items()}
            try:
                value = _evaluate(_Expr(expression).parse(), series)
            except (ValueError, KeyError):
                raise ValidationError(
                    f"The emulator cannot evaluate the expression {expression!r}."
                )
            points = value if isinstance(value, dict) else {}
            computed[query["Id"]] = {
                "id": query["Id"],
                "label": query.get("Label") or query["Id"],
                "points": points,
            }
        results = []
        for query in queries:
            if query["Id"] not in computed or query.get("ReturnData", True) is False:
                continue
            entry = computed[query["Id"]]
            stamps = sorted(entry["points"], reverse=scan_by != "TimestampAscending")
            results.append(
                {
                    "id": entry["id"],
                    "label": entry["label"],
                    "values": [entry["points"][t] for t in stamps],
                    "timestamps": stamps,
                    "status_code": "Complete",
                }
            )
        if insights:
            results.extend(original_get_metric_data(self, insights, start_time, end_time, scan_by))
        return results

    CloudWatchBackend.get_metric_data = get_metric_data

    def get_metric_statistics(self: Any) -> ActionResult:
        namespace = self._get_param("Namespace")
        metric_name = self._get_param("MetricName")
        start = _naive_utc(self._get_param("StartTime"))
        end = _naive_utc(self._get_param("EndTime"))
        period = self._get_int_param("Period")
        statistics = self._get_param("Statistics", []) or []
        extended = self._get_param("ExtendedStatistics", []) or []
        dimensions = self._get_param("Dimensions", []) or []
        unit = self._get_param("Unit")
        if not statistics and not extended:
            from moto.cloudwatch.exceptions import InvalidParameterCombination

            raise InvalidParameterCombination(
                "Must specify either Statistics or ExtendedStatistics"
            )
        for stat in extended:
            if not _PERCENTILE.match(stat):
                raise InvalidParameterValue(f"The emulator computes pNN percentiles, not {stat}.")
        if start >= end:
            raise InvalidParameterValue(
                "The parameter StartTime must be less than the parameter EndTime."
            )
        data = _metric_data(self.cloudwatch_backend, namespace, metric_name, dimensions, unit)
        window_start = _window_start(start, period)
        datapoints = []
        for index, bucket in sorted(_buckets(data, window_start, end, period).items()):
            point: dict[str, Any] = {
                "Timestamp": window_start + timedelta(seconds=index * period),
                "Unit": unit or bucket[-1].unit or "None",
            }
            for stat in statistics:
                point[stat] = _statistic(bucket, stat)
            if extended:
                point["ExtendedStatistics"] = {
                    stat: value
                    for stat in extended
                    if (value := _statistic(bucket, stat)) is not None
                }
            datapoints.append(point)
        return ActionResult({"Label": metric_name, "Datapoints": datapoints})

    CloudWatchResponse.get_metric_statistics = get_metric_statistics

