"""
SQS FIFO fills: the order of a message group once its messages come back from a failed receive,
and deduplication over the whole 5-minute interval.
"""

from __future__ import annotations

import threading
from typing import Any

from .registry import fill


@fill
def sqs_fifo_group_order() -> None:
    """SQS FIFO: a received message stays in moto's "pending" set after its visibility timeout
    ends, until a later ReceiveMessage reaches it in the queue's order, and moto skips a message
    whose group has a pending one. So when several messages of a group come back at once (a
    record failed and the group's later records were returned unprocessed), the first of them is
    skipped, blocked by its successor's stale entry, and the successor is delivered before it:
    the group's order is broken. AWS hands a group out again from its first message. The fill
    drops every message whose visibility timeout has ended from the pending set before moto
    reads the pending groups.
    """
    from moto.sqs.models import Queue

    original = Queue.pending_message_groups.fget

    def pending_message_groups(self: Any) -> set[str]:
        for message in [m for m in self._pending_messages if m.visible]:
            self._pending_messages.discard(message)
        return original(self)

    Queue.pending_message_groups = property(pending_message_groups)


#: AWS's deduplication interval, in milliseconds.
_DEDUPLICATION_INTERVAL_MS = 5 * 60 * 1000
#: Attribute set on a moto Queue: deduplication key -> sent timestamp (ms) of the first send.
_SEEN_ATTR = "_fill_deduplication_seen"
_SEEN_LOCK = threading.Lock()


class _GroupScopedId(str):
    """A deduplication id that equals another only within the same message group: what moto's
    own comparison of ids in the queue becomes for a queue with DeduplicationScope messageGroup.
    """

    group: str | None = None

    def __new__(cls, value: str, group: str | None) -> "_GroupScopedId":
        scoped = super().__new__(cls, value)
        scoped.group = group
        return scoped

    def __eq__(self, other: object) -> bool:
        return str.__eq__(self, other) and getattr(other, "group", None) == self.group

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __getnewargs__(self) -> tuple[str, str | None]:  # type: ignore[override]
        # moto deep-copies every message it returns.
        return (str(self), self.group)

    __hash__ = str.__hash__


@fill
def sqs_fifo_deduplication_window() -> None:
    """SQS FIFO: moto drops a message as a duplicate only while a message with the same
    deduplication id is still in the queue, so a resend after the first copy was received and
    deleted is delivered again; and it compares ids across the queue even with
    DeduplicationScope messageGroup (fifoThroughput high). AWS keeps tracking an id for 5 minutes
    after its first send, deleted or not, within the queue or within the message group as the
    scope says. The fill remembers each queue's ids (with their group under messageGroup scope)
    for 5 minutes and drops a new message that repeats one; messages moved between queues (to a
    dead-letter queue, redriven back) are not new sends and pass as before.
    """
    from moto.sqs.models import Queue

    original = Queue.add_message

    def add_message(self: Any, message: Any) -> None:
        dedup_id = getattr(message, "deduplication_id", None)
        if not self.fifo_queue or dedup_id is None or message.approximate_receive_count > 0:
            original(self, message)
            return
        by_group = getattr(self, "deduplication_scope", "queue") == "messageGroup"
        group = message.group_id if by_group else None
        if by_group:
            message.deduplication_id = _GroupScopedId(str(dedup_id), group)
        key = (group, str(dedup_id))
        sent = message.sent_timestamp
        with _SEEN_LOCK:
            seen: dict[tuple[str | None, str], int] = self.__dict__.setdefault(_SEEN_ATTR, {})
            for old in [k for k, at in seen.items() if sent - at >= _DEDUPLICATION_INTERVAL_MS]:
                del seen[old]
            if key in seen:
                return
            seen[key] = sent
        original(self, message)

    Queue.add_message = add_message
