"""
Fills for the gaps of moto 5.2.1 that the fan-out's stacks and tooling run into.

Each fill is one function: its docstring says what moto does wrong and what the fill does, and
it patches moto's classes in this process only (moto's installed files are never edited). The
launcher applies every fill in ``FILLS``, in order, before it serves moto's app, and logs their
names. ``apply_fills(skip=...)`` leaves named fills out, so a gap can be shown without its fill.

Every fill is written against moto 5.2.1 exactly; the launcher refuses any other version.
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable


@dataclass(frozen=True)
class Fill:
    """One gap of moto and the function that fills it."""

    name: str
    apply: Callable[[], None]

    @property
    def description(self) -> str:
        """The fill's docstring as one line: the gap, then the fix."""
        return " ".join((self.apply.__doc__ or "").split())


FILLS: list[Fill] = []


def fill(func: Callable[[], None]) -> Callable[[], None]:
    """Registers ``func`` as a fill, in definition order."""
    if not (func.__doc__ or "").strip():
        raise ValueError(f"fill {func.__name__} needs a docstring saying what it fills")
    FILLS.append(Fill(func.__name__, func))
    return func


_applied: set[str] = set()


def apply_fills(skip: Iterable[str] = ()) -> list[str]:
    """Applies every fill not named in ``skip`` (once per process); answers the names applied."""
    skipped = set(skip)
    unknown = skipped - {f.name for f in FILLS}
    if unknown:
        raise ValueError(f"unknown fill(s): {', '.join(sorted(unknown))}")
    names = []
    for f in FILLS:
        if f.name in skipped:
            continue
        if f.name not in _applied:
            f.apply()
            _applied.add(f.name)
        names.append(f.name)
    return names


# --------------------------------------------------------------------------------------------
# SQS
# --------------------------------------------------------------------------------------------

#: Queue attributes that AWS removes when SetQueueAttributes sets them to "".
_REMOVABLE_QUEUE_ATTRIBUTES = ("RedriveAllowPolicy", "KmsMasterKeyId")


@fill
def sqs_redrive_allow_policy() -> None:
    """SQS: GetQueueAttributes never returns RedriveAllowPolicy, and asking for it by name is an
    InvalidAttributeName error, so Terraform's aws_sqs_queue_redrive_allow_policy waits forever
    for it to appear. The fill makes RedriveAllowPolicy a queue attribute like RedrivePolicy:
    stored as set, returned by name and with "All".
    """
    from moto.sqs.models import Queue

    if "RedriveAllowPolicy" not in Queue.BASE_ATTRIBUTES:
        Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
    # Read through getattr by Queue.attributes; absent until set.
    Queue.redrive_allow_policy = None


@fill
def sqs_keep_policy() -> None:
    """SQS: every SetQueueAttributes without a Policy wipes the queue's policy (moto assigns
    ``attributes.get("Policy")``), so setting a DLQ's RedriveAllowPolicy drops the policy
    Terraform just set and aws_sqs_queue_policy waits forever. AWS changes only the attributes
    named in the call; the fill keeps the policy unless the call names Policy.
    """
    from moto.sqs.models import Queue

    original = Queue._set_attributes

    def _set_attributes(self: Any, attributes: dict[str, Any], now: float | None = None) -> None:
        if "Policy" in attributes or not hasattr(self, "_policy_json"):
            original(self, attributes, now)
            return
        kept = self._policy_json
        original(self, attributes, now)
        self._policy_json = kept

    Queue._set_attributes = _set_attributes


@fill
def sqs_remove_empty_attributes() -> None:
    """SQS: setting RedriveAllowPolicy (or KmsMasterKeyId) to "" stores "" and GetQueueAttributes
    returns it, so destroying an aws_sqs_queue_redrive_allow_policy waits forever for the
    attribute to go. AWS removes such an attribute; so does the fill.
    """
    from moto.sqs.models import Queue

    original = Queue._set_attributes

    def _set_attributes(self: Any, attributes: dict[str, Any], now: float | None = None) -> None:
        original(self, attributes, now)
        for name in _REMOVABLE_QUEUE_ATTRIBUTES:
            if attributes.get(name) == "":
                setattr(self, _snake(name), None)

    Queue._set_attributes = _set_attributes


@fill
def sqs_redrive_policy_as_aws_returns_it() -> None:
    """SQS: RedrivePolicy comes back re-serialized by Python (``{"deadLetterTargetArn": "...",
    "maxReceiveCount": 5}``, with spaces), not as AWS returns it, so every plan after an apply
    shows the queue's redrive_policy changing. The fill returns it as AWS does: compact JSON,
    deadLetterTargetArn then maxReceiveCount (a number), which is also how the stacks set it.
    """
    from moto.sqs.models import Queue

    original = Queue.attributes.fget

    def attributes(self: Any) -> dict[str, Any]:
        result = original(self)
        policy = getattr(self, "redrive_policy", None)
        if policy:
            ordered: dict[str, Any] = {}
            for key in ("deadLetterTargetArn", "maxReceiveCount"):
                if key in policy:
                    ordered[key] = policy[key]
            for key, value in policy.items():
                ordered.setdefault(key, value)
            result["RedrivePolicy"] = json.dumps(ordered, separators=(",", ":"))
        return result

    Queue.attributes = property(attributes)


# Message move tasks ---------------------------------------------------------------------------

_MOVE_TASKS_LOCK = threading.Lock()
#: Every message move task of this process, oldest first.
_MOVE_TASKS: list["_MoveTask"] = []
#: Attribute set on a moto Message when it is moved to a dead-letter queue: its queue's ARN.
_DLQ_SOURCE_ATTR = "_fill_dead_letter_source_arn"


def _snake(name: str) -> str:
    from moto.core.utils import camelcase_to_underscores

    return camelcase_to_underscores(name)


def _queue_by_arn(arn: str) -> Any:
    """The moto Queue of an SQS ARN, or None."""
    from moto.sqs.models import sqs_backends

    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        return None
    _, _, _, region, account, name = parts
    backend = sqs_backends[account][region]
    return backend.queues.get(name)


def _dead_letter_sources(dlq: Any) -> list[Any]:
    """Queues (of the DLQ's account and region) whose redrive policy targets ``dlq``."""
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[dlq.account_id][dlq.region]
    return [q for q in backend.queues.values() if q.dead_letter_queue is dlq]


class _MoveTask:
    """One StartMessageMoveTask: moves the visible messages of a DLQ in a background thread."""

    def __init__(self, source: Any, destination_arn: str | None, max_per_second: int | None):
        self.source = source
        self.source_arn: str = source.queue_arn
        self.destination_arn = destination_arn
        self.max_per_second = max_per_second
        self.task_id = str(uuid.uuid4())
        self.handle = base64.b64encode(
            json.dumps({"taskId": self.task_id, "sourceArn": self.source_arn}).encode()
        ).decode()
        self.status = "RUNNING"
        self.moved = 0
        self.to_move = len(source.messages)
        self.failure_reason: str | None = None
        self.started = int(time.time() * 1000)
        self.cancelled = threading.Event()
        self.thread = threading.Thread(
            target=self._run, name=f"message-move-{self.task_id}", daemon=True
        )

    def entry(self) -> dict[str, Any]:
        """The task as ListMessageMoveTasks answers it (the handle only while it runs)."""
        result: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started,
        }
        if self.status == "RUNNING":
            result["TaskHandle"] = self.handle
        if self.destination_arn:
            result["DestinationArn"] = self.destination_arn
        if self.max_per_second is not None:
            result["MaxNumberOfMessagesPerSecond"] = self.max_per_second
        if self.failure_reason:
            result["FailureReason"] = self.failure_reason
        return result

    def _take(self) -> Any:
        """Removes and answers one visible message of the source queue, or None."""
        queue = self.source
        with queue._messages_lock:
            for message in queue._messages:
                if message.visible and not message.delayed:
                    queue._messages.remove(message)
                    queue.pending_messages.discard(message)
                    return message
        return None

    def _destination(self, message: Any) -> Any:
        if self.destination_arn:
            return _queue_by_arn(self.destination_arn)
        recorded = getattr(message, _DLQ_SOURCE_ATTR, None)
        if recorded:
            return _queue_by_arn(recorded)
        sources = _dead_letter_sources(self.source)
        return sources[0] if len(sources) == 1 else None

    def _run(self) -> None:
        from moto.sqs.models import sqs_backends

        interval = 1.0 / self.max_per_second if self.max_per_second else 0.0
        try:
            while self.moved < self.to_move and not self.cancelled.is_set():
                message = self._take()
                if message is None:
                    break
                destination = self._destination(message)
                if destination is None:
                    with self.source._messages_lock:
                        self.source._messages.append(message)
                    self.failure_reason = (
                        f"message {message.id} has no source queue to return to; "
                        "pass DestinationArn"
                    )
                    self.status = "FAILED"
                    return
                backend = sqs_backends[destination.account_id][destination.region]
                backend.send_message(
                    destination.name,
                    message.body,
                    message_attributes=message.message_attributes,
                    system_attributes=message.system_attributes,
                    group_id=message.group_id,
                    deduplication_id=message.deduplication_id,
                )
                self.moved += 1
                if interval:
                    self.cancelled.wait(interval)
            self.status = "CANCELLED" if self.cancelled.is_set() else "COMPLETED"
        except Exception as err:  # the task fails, the server goes on
            self.failure_reason = f"{type(err).__name__}: {err}"
            self.status = "FAILED"


@fill
def sqs_message_move_tasks() -> None:
    """SQS: StartMessageMoveTask, ListMessageMoveTasks and CancelMessageMoveTask are not
    implemented (NotImplementedError, HTTP 500), so ``fanout redrive`` cannot move a DLQ's
    messages back. The fill implements them as AWS documents: a task moves the DLQ's visible
    messages to DestinationArn, or each to the queue it was dead-lettered from, in a background
    thread (at MaxNumberOfMessagesPerSecond when given), each sent as a new message (new id,
    receive count 0, same body and attributes); ListMessageMoveTasks answers the newest tasks
    first with Status, ApproximateNumberOfMessagesMoved/ToMove and the handle while running.
    It also remembers, for every message moto moves to a DLQ, which queue it left.
    """
    from moto.sqs.exceptions import SQSException
    from moto.sqs.models import SQSBackend
    from moto.sqs.responses import SQSResponse
    from moto.core.responses import ActionResult

    original_receive = SQSBackend.receive_message

    def receive_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        queue = self.queues.get(queue_name)
        before = list(queue._messages) if queue is not None and queue.dead_letter_queue else None
        result = original_receive(self, queue_name, *args, **kwargs)
        if before:
            remaining = {id(m) for m in queue._messages}
            in_dlq = {id(m) for m in queue.dead_letter_queue._messages}
            for message in before:
                if id(message) not in remaining and id(message) in in_dlq:
                    setattr(message, _DLQ_SOURCE_ATTR, queue.queue_arn)
        return result

    SQSBackend.receive_message = receive_message

    def not_found(what: str) -> SQSException:
        return SQSException(
            "ResourceNotFoundException",
            f"The resource that you specified for the {what} parameter doesn't exist.",
        )

    def start_message_move_task(self: Any) -> ActionResult:
        source_arn = self._get_param("SourceArn")
        destination_arn = self._get_param("DestinationArn")
        max_per_second = self._get_param("MaxNumberOfMessagesPerSecond")
        source = _queue_by_arn(source_arn or "")
        if source is None:
            raise not_found("SourceArn")
        if not _dead_letter_sources(source):
            raise SQSException(
                "InvalidParameterValue",
                "Source queue must be configured as a Dead Letter Queue.",
            )
        if destination_arn and _queue_by_arn(destination_arn) is None:
            raise not_found("DestinationArn")
        if max_per_second is not None:
            max_per_second = int(max_per_second)
            if not 1 <= max_per_second <= 500:
                raise SQSException(
                    "InvalidParameterValue",
                    f"Value {max_per_second} for parameter MaxNumberOfMessagesPerSecond is "
                    "invalid. Reason: must be between 1 and 500.",
                )
        with _MOVE_TASKS_LOCK:
            if any(t.source_arn == source_arn and t.status == "RUNNING" for t in _MOVE_TASKS):
                raise SQSException(
                    "UnsupportedOperation",
                    "There is already a task running. Only one active task is allowed for "
                    "each source queue arn at a given time.",
                )
            task = _MoveTask(source, destination_arn, max_per_second)
            _MOVE_TASKS.append(task)
        task.thread.start()
        return ActionResult({"TaskHandle": task.handle})

    def list_message_move_tasks(self: Any) -> ActionResult:
        source_arn = self._get_param("SourceArn")
        max_results = int(self._get_param("MaxResults") or 1)
        if not 1 <= max_results <= 10:
            raise SQSException(
                "InvalidParameterValue",
                f"Value {max_results} for parameter MaxResults is invalid. "
                "Reason: must be between 1 and 10.",
            )
        if _queue_by_arn(source_arn or "") is None:
            raise not_found("SourceArn")
        with _MOVE_TASKS_LOCK:
            tasks = [t for t in reversed(_MOVE_TASKS) if t.source_arn == source_arn]
        return ActionResult({"Results": [t.entry() for t in tasks[:max_results]]})

    def cancel_message_move_task(self: Any) -> ActionResult:
        handle = self._get_param("TaskHandle")
        with _MOVE_TASKS_LOCK:
            task = next((t for t in _MOVE_TASKS if t.handle == handle), None)
        if task is None or task.status != "RUNNING":
            raise not_found("TaskHandle")
        task.cancelled.set()
        task.thread.join(timeout=5)
        return ActionResult({"ApproximateNumberOfMessagesMoved": task.moved})

    SQSResponse.start_message_move_task = start_message_move_task
    SQSResponse.list_message_move_tasks = list_message_move_tasks
    SQSResponse.cancel_message_move_task = cancel_message_move_task


# --------------------------------------------------------------------------------------------
# CloudWatch
# --------------------------------------------------------------------------------------------

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
        left = self._product()
        while (tok := self._peek()) and tok[0] == "op" and tok[1] in "+-":
            self.pos += 1
            left = (tok[1], left, self._product())
        return left

    def _product(self) -> Any:
        left = self._unary()
        while (tok := self._peek()) and tok[0] == "op" and tok[1] in "*/":
            self.pos += 1
            left = (tok[1], left, self._unary())
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
        unit = metric_stat.get("Unit")
        data = [
            d
            for d in self.get_all_metrics()
            if _metric_matches(
                d, metric["Namespace"], metric["MetricName"], metric.get("Dimensions", [])
            )
            and (not unit or d.unit == unit)
        ]
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
        backend = self.cloudwatch_backend
        data = [
            d
            for d in backend.get_all_metrics()
            if _metric_matches(d, namespace, metric_name, dimensions)
            and (not unit or d.unit == unit)
        ]
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


# --------------------------------------------------------------------------------------------
# SNS
# --------------------------------------------------------------------------------------------

#: Topic attributes that moto stores (CreateTopic, SetTopicAttributes) but never returns.
_STORED_TOPIC_ATTRIBUTES = (
    "SignatureVersion",
    "TracingConfig",
    "ArchivePolicy",
    "ApplicationSuccessFeedbackRoleArn",
    "ApplicationSuccessFeedbackSampleRate",
    "ApplicationFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn",
    "FirehoseSuccessFeedbackSampleRate",
    "FirehoseFailureFeedbackRoleArn",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate",
    "LambdaFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate",
    "SQSFailureFeedbackRoleArn",
)


@fill
def sns_topic_attributes() -> None:
    """SNS: GetTopicAttributes never returns SignatureVersion (nor TracingConfig, ArchivePolicy or
    the delivery-status attributes), although CreateTopic and SetTopicAttributes store them, so
    every plan after an apply wants to set signature_version = 2 again. The fill returns each of
    them once set, as the string it was set to.
    """
    from moto.sns.responses import SNSResponse

    original = SNSResponse.get_topic_attributes

    def get_topic_attributes(self: Any) -> Any:
        response = original(self)
        topic = self.backend.get_topic(self._get_param("TopicArn"))
        attributes = response.result["Attributes"]
        for name in _STORED_TOPIC_ATTRIBUTES:
            value = getattr(topic, _snake(name), None)
            if value is not None and value != "":
                attributes[name] = str(value)
        return response

    SNSResponse.get_topic_attributes = get_topic_attributes


# --------------------------------------------------------------------------------------------
# Lambda
# --------------------------------------------------------------------------------------------


@fill
def lambda_logging_config() -> None:
    """Lambda: CreateFunction and UpdateFunctionConfiguration drop LoggingConfig, and
    GetFunction / GetFunctionConfiguration never return it, so every plan after an apply wants
    to set logging_config (JSON format, our log group) again. The fill stores it and returns it
    as set, with AWS's defaults for what was not set (LogFormat Text, LogGroup
    /aws/lambda/<function>).
    """
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def __init__(
        self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any
    ) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.fill_logging_config = dict(spec.get("LoggingConfig") or {})

    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_get(self, *args, **kwargs)
        logging_config = {
            "LogFormat": "Text",
            "LogGroup": f"/aws/lambda/{self.function_name}",
            **getattr(self, "fill_logging_config", {}),
        }
        config["LoggingConfig"] = logging_config
        return config

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in config_updates:
            self.fill_logging_config = dict(config_updates["LoggingConfig"] or {})
        return original_update(self, config_updates)

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration
