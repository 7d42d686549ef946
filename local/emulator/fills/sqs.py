"""
SQS fills: queue attributes as AWS keeps and returns them, and message move tasks (the redrive
of a dead-letter queue).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from typing import Any

from .registry import fill, snake

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
                setattr(self, snake(name), None)

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
